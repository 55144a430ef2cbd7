"""BigCode's non-alphanumeric split as a datatrove WordTokenizer (its own module, so that
datatrove's worker processes can import it by name)."""

from __future__ import annotations

import re

from datatrove.utils.word_tokenizers import WordTokenizer

NON_ALNUM = re.compile(r"[^A-Za-z_0-9]+")


class NonAlnumTokenizer(WordTokenizer):
    """Runs of [A-Za-z0-9_], case kept: the tokens datasketch, rensa and codemill use."""

    def __init__(self) -> None:
        super().__init__("code")

    def word_tokenize(self, text: str) -> list[str]:
        return [t for t in NON_ALNUM.split(text) if t]

    def sent_tokenize(self, text: str) -> list[str]:
        return text.splitlines()

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in re.finditer(r"[A-Za-z_0-9]+", text)]
