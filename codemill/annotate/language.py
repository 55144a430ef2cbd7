"""`language`: the language of each record from its name, modeline, shebang and content.

Extension-only detection (what dolma, datatrove and NeMo Curator do) is wrong exactly where it
matters: `.h` is C, C++ or Objective-C, `.m` Objective-C or MATLAB, `.pl` Perl or Prolog, a
`.txt` or a file without a name may hold any code, and a name can lie. So:

1. modeline > file-name convention > shebang > extension (templates looked through) give a guess;
2. the content classifier (`langmodel`, a small trained linear model) scores every text's first
   4 KB; content rules decide `.h/.m/.mm/.pl` between languages the classifier has no data for;
3. the content decides when the name is ambiguous or silent, and overrides a code extension only
   when it is nearly certain of another code language (a `.c` file full of templates and classes);
   modelines, file-name conventions and shebangs are declarations and are never overridden.

`lang_confidence` combines the evidence: for a name-based label, the prior trust in that kind of
name (`PRIOR`) updated by the classifier's probability for it, as a Bayes odds update
(agreement -> near 1, disagreement -> low; below 1 KB of text the vote is shrunk toward
neutral); for a content label, the classifier's (or rule's) probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from codemill.annotate import langmodel, langrules
from codemill.annotate.langrules import NOT_CODE
from codemill.ops import MapOp
from codemill.params import ParamError, param
from codemill.record import utf8_of
from codemill.registry import OPS

#: how often each kind of name evidence is right on its own (used as the prior)
PRIOR = {"modeline": 0.99, "filename": 0.99, "shebang": 0.99, "extension": 0.97, "input": 0.9}
#: a text shorter than this never overrides its name (a few lines look like many languages)
MIN_OVERRIDE_CHARS = 256
FULL_VOTE_CHARS = 1000


@OPS.register("language")
@dataclass
class Language(MapOp):
    """Language from modeline, file name, shebang and content; writes lang, lang_source, lang_confidence."""

    reads = ("text", "path", "lang")
    writes = (
        pa.field("lang", pa.string()),
        pa.field("lang_source", pa.string()),
        pa.field("lang_confidence", pa.float32()),
    )

    override: float = param(0.98, "the content replaces a code extension's language when the classifier "
                                  "gives another code language at least this probability (1.0: never)")
    min_confidence: float = param(0.5, "a .txt file becomes a code language only when the classifier gives it at "
                                       "least this probability (a file without any name always gets the "
                                       "classifier's best guess, with its probability as confidence)")
    verify: bool = param(True, "run the classifier on files whose name is unambiguous too, to catch names that "
                               "lie and grade the confidence; false saves about 0.06 of a parse per file")
    model: str | None = param(None, "a language model file written by train_lang; null: the shipped one")

    def __post_init__(self) -> None:
        for name in ("override", "min_confidence"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ParamError(name, f"{v} is not a probability in [0, 1]")

    def setup(self) -> None:
        self._model = langmodel.load(Path(self.model)) if self.model else langmodel.default_model()

    def process(self, rec: dict[str, Any]) -> dict[str, Any]:
        return self.process_batch([rec])[0]

    def process_batch(self, recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """All records' name guesses, then one classifier pass over every text that needs it."""
        model = self.__dict__.get("_model") or self._load()
        guesses = [self._guess(rec) for rec in recs]
        probas = iter(model.proba_many([utf8_of(rec) for rec, (_, ask) in zip(recs, guesses, strict=True) if ask]))
        for rec, (guess, ask) in zip(recs, guesses, strict=True):
            self._label(rec, guess, next(probas) if ask else None, model)
        return recs

    def _guess(self, rec: dict[str, Any]) -> tuple[langrules.NameGuess, bool]:
        """What name, modeline and shebang say, and whether the classifier must look at the text."""
        text = rec.get("text") or ""
        guess = langrules.from_head(rec.get("path") or "", text)
        old = rec.get("lang")
        if guess.lang is None and guess.source is None and old:
            guess = langrules.NameGuess(old, "input")
        trusted = not self.verify and guess.lang is not None and guess.ambiguous is None and not guess.template
        return guess, bool(text) and not trusted

    def _label(self, rec: dict[str, Any], guess: langrules.NameGuess, proba: np.ndarray | None,
               model: langmodel.LangModel) -> None:
        old = rec.get("lang")
        lang, source, conf = self.decide(guess, rec.get("path") or "", rec.get("text") or "", proba, model)
        rec["lang"], rec["lang_source"], rec["lang_confidence"] = lang, source, conf
        c = self.counters
        c[f"source:{source}"] += 1
        c[f"lang:{lang}"] += 1
        if old != lang:
            c[f"changed:{old}->{lang}"] += 1

    def _load(self) -> langmodel.LangModel:
        self.setup()
        return self._model

    def decide(self, guess: langrules.NameGuess, path: str, text: str, proba: np.ndarray | None,
               model: langmodel.LangModel) -> tuple[str | None, str | None, float | None]:
        """(lang, source, confidence) from the name's guess and the content."""
        ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
        if guess.ambiguous is not None and guess.source == "extension" and text:
            ruled = langrules.decide_rule(ext, text)
            if ruled is not None:
                return ruled[0], "content", ruled[1]
        if proba is None:
            return guess.lang, guess.source, PRIOR.get(guess.source or "", None) if guess.lang else None
        top = int(np.argmax(proba))
        top_lang, top_p = model.classes[top], float(proba[top])
        if guess.ambiguous:  # .h / .m / .pl: choose among the candidates the model knows
            known = [i for i in (model.index(x) for x in guess.ambiguous) if i is not None]
            if known:
                best = max(known, key=lambda i: proba[i])
                return model.classes[best], "content", _round(proba[best] / proba[known].sum())
        nameless = guess.lang is None
        # dialects told apart by their own syntax: for unnamed files, and for Cython's `#!python`
        dialect = nameless or (guess.source == "shebang" and guess.lang == "python")
        refined = langrules.refine(top_lang if nameless else guess.lang or "", text) if dialect else None
        if refined is not None:
            return refined[0], "content", refined[1]
        if nameless:
            return top_lang, "content", _round(top_p)
        if guess.ambiguous == () and top_p >= self.min_confidence and top_lang not in NOT_CODE:
            return top_lang, "content", _round(top_p)  # a .txt stays text unless it clearly is code
        own = model.index(guess.lang)
        prior = PRIOR[guess.source or "input"]
        if own is None:  # a language the model never learned: trust the name
            return guess.lang, guess.source, prior
        p_own = float(proba[own])
        # the classifier's vote counts fully from FULL_VOTE_CHARS of text; a few lines say little
        p_vote = 0.5 + min(1.0, len(text) / FULL_VOTE_CHARS) * (p_own - 0.5)
        if (guess.source in ("extension", "input") and top_lang != guess.lang and top_p >= self.override
                and p_own < 0.005 and len(text) >= MIN_OVERRIDE_CHARS and not guess.template
                and top_lang not in NOT_CODE and guess.lang not in NOT_CODE):
            return top_lang, "content", _round(top_p)
        return guess.lang, guess.source, _round(prior * p_vote / (prior * p_vote + (1 - prior) * (1 - p_vote)))


def _round(x: float) -> float:
    return round(float(x), 4)
