"""Annotate: what each record is. Ops `language`, `category`, `complexity` and `difficulty`
(one module each); the content classifier lives in `langmodel` (trained by `train_lang` from
`langdata`), the shared numpy tokenizer in `features`. docs/annotate.md has the measurements."""
