"""Mask secrets and personal data in every snippet the report shows.

The report is shared more widely than the data, so it errs on the side of hiding too much: a
masked `password = get_password()` costs nothing, a leaked key costs a rotation. When the
`redact` op is registered it runs first (it knows more kinds of secrets); these conservative
patterns run in addition, always. `raw` bytes are never shown at all (see `data.py`).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from functools import cache
from typing import Any

log = logging.getLogger(__name__)


def _sub(kind: str) -> str:
    return f"[masked:{kind}]"


# (kind, pattern); order matters: whole blocks and prefixed keys before generic tokens
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("private-key", re.compile(
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)",
        re.S)),
    ("aws-key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}\b")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("slack-token", re.compile(r"\bxox[abprse]-[A-Za-z0-9-]{10,}")),
    ("slack-webhook", re.compile(r"https://hooks\.slack\.com/[A-Za-z0-9/_-]+")),
    ("stripe-key", re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}")),
    ("openai-key", re.compile(r"\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,}")),
    ("google-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
]
_URL_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s/:@]+):([^\s/@]+)@", re.I)
_AUTH_HEADER = re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token)\s+)[^\s\"']+")
_SECRET_NAME = (r"[\w.-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
                r"private[_-]?key|auth[_-]?key|credential|client[_-]?secret)[\w.-]*")
# name = "value" / name: 'value' / "name": "value" / name=value (unquoted up to a separator)
_ASSIGN = re.compile(
    rf"(?i)(\b{_SECRET_NAME}[\"']?\s*(?::|=>|:=|=(?!=))\s*)(?:([\"'])((?:(?!\2).){{1,}}?)\2|(?!\[masked:)([^\s\"',;)\]}}]+))")
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/_-])")
_HEX = re.compile(r"\b[0-9a-fA-F]{32,}\b")
_WORDISH = re.compile(r"(?:[A-Z]?[a-z]+|[A-Z]+)(?:[A-Z][a-z]+)*\d{0,4}$|\d{1,4}$|$")


def _entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _looks_random(tok: str) -> bool:
    """A long token mixing letters and digits with high entropy, not snake_case words."""
    if all(_WORDISH.match(p) for p in re.split(r"[/_+=-]", tok)):
        return False  # some_long_identifier_name_2, test/test_importlib/data01, getAttributeNames
    has = (any(c.isdigit() for c in tok), any(c.islower() for c in tok), any(c.isupper() for c in tok))
    return sum(has) >= 2 and has[0] and _entropy(tok) >= 3.5


def _assign(m: re.Match[str]) -> str:
    if m.group(3) is not None:
        return f"{m.group(1)}{m.group(2)}{_sub('secret')}{m.group(2)}"
    return f"{m.group(1)}{_sub('secret')}"


def mask_text(text: str, generic: bool = True) -> str:
    """Replace everything that looks like a secret or an email address with `[masked:kind]`.

    `generic=False` skips the long-hex and random-token rules: for file paths, where hashed
    names (certs, caches) are common and a secret is not.
    """
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}:{_sub('password')}@", text)
    for kind, pat in _PATTERNS:
        text = pat.sub(_sub(kind), text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + _sub("token"), text)
    text = _ASSIGN.sub(_assign, text)
    if not generic:
        return text
    text = _HEX.sub(_sub("hex"), text)
    return _TOKEN.sub(lambda m: _sub("token") if _looks_random(m.group(0)) else m.group(0), text)


def _redact_op() -> Callable[[list[dict[str, Any]]], list[str | None]] | None:
    """codemill's own `redact` op, when an issue has added it to the registry."""
    from codemill.registry import OPS

    if "redact" not in OPS.names():
        return None

    def run(recs: list[dict[str, Any]]) -> list[str | None]:
        from codemill.api import apply

        # a plain key: apply() drops worker-private `_` keys from what it returns
        res = apply(_redact_instance(OPS.get("redact")), [dict(r, report_row=i) for i, r in enumerate(recs)])
        out: list[str | None] = [None] * len(recs)  # None: the op rejected it -> hide the text
        for r in res.kept:
            out[r["report_row"]] = r.get("text")
        return out

    return run


@cache
def _redact_instance(cls: type) -> Any:
    """One `redact` op (of the class registered now) with its default parameters, built once."""
    from codemill.params import build

    return build(cls, {}, "redact")


def mask_records(recs: list[dict[str, Any]]) -> list[str | None]:
    """The masked `text` of each record (None where there is nothing that may be shown).

    Runs the `redact` op on the whole batch when it exists (a failure there is logged and the
    conservative patterns still run, so the report is never blocked nor leaky because of it).
    """
    texts: list[str | None] = [r.get("text") for r in recs]
    op = _redact_op()
    todo = [i for i, t in enumerate(texts) if t is not None]
    if op is not None and todo:
        try:
            redacted = op([{k: recs[i].get(k) for k in ("id", "text", "lang", "path")} for i in todo])
        except Exception as e:  # an op bug must not stop the report; patterns still mask
            log.warning("report: the redact op failed (%s); masking with built-in patterns only", e)
        else:
            for i, t in zip(todo, redacted, strict=True):
                texts[i] = t
    return [mask_text(t) if t is not None else None for t in texts]
