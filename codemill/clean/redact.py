"""`redact`: replace secrets and personal data with placeholders that keep the code valid.

Only the value itself is replaced, never a quote, a newline or an escape around it, so a
placeholder stays inside the string literal (or comment) that held the secret: `"<KEY>"`,
`"<EMAIL>"`. A record whose syntax was valid is checked again after redaction; in the rare case a
value sat outside a literal and the placeholder broke the syntax, identifier-shaped placeholders
(`REDACTED_KEY`) are used instead.

What leaves the op: the redacted `text`, `redactions` (JSON object kind -> count, never a value),
`n_redactions`, and the same counts in the stage's stats counters. No detected value is written
anywhere, not even in a reject: this op never rejects.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from codemill import parse
from codemill.clean import pycheck, textscan
from codemill.clean import secret_patterns as sp
from codemill.ops import MapOp, Reject
from codemill.params import ParamError, param
from codemill.record import text_batches, utf8_of
from codemill.registry import OPS

KINDS = ["email", "ip_address", "private_key", "password", "secret",
         *sp.TOKEN_KINDS]
DEFAULT_PLACEHOLDERS = {"email": "<EMAIL>", "ip_address": "<IP_ADDRESS>", "private_key": "<PRIVATE_KEY>",
                        "password": "<PASSWORD>"}  # every other kind: <KEY>
_WORD = re.compile(r"[A-Za-z0-9_$.\-]*\Z")
#: what must follow a name fragment for an assignment to be possible: the rest of the name, an optional
#: closing quote/bracket, then `=` or `:` (a cheap test before the assignment patterns run)
_ASSIGN_AHEAD = re.compile(r"""[\w.$-]*["'`]?\]?[ \t]*(?:=|:)""")
_TUPLE_TARGET = re.compile(r"[ \t]*\*?[\w.]+(?:[ \t]*,[ \t]*\*?[\w.]+)*[ \t]*,[ \t]*\Z")

Span = tuple[int, int, str]  # start, end, kind
CONTINUED = "+"  # kind prefix of a span that continues the previous finding (later lines of one key)


@OPS.register("redact")
@dataclass
class Redact(MapOp):
    """Replace e-mails, public IPs, private keys, cloud/service tokens and secret-named values with
    placeholders inside the original literal; counts per kind in `redactions`, never values."""

    reads = ("text", "lang")
    writes = (pa.field("redactions", pa.string()), pa.field("n_redactions", pa.int64()))

    kinds: list[str] = param(KINDS, "what to detect (default: everything)")
    placeholders: dict[str, str] = param(DEFAULT_PLACEHOLDERS, "placeholder per kind; other kinds get `<KEY>`")
    skip_example_emails: bool = param(True, "keep addresses at example.com/.org/.net, .test, .invalid, .localhost")
    verify_syntax: bool = param(True, "re-check Python/tree-sitter syntax after redacting a file that parsed "
                                      "and fall back to identifier-shaped placeholders if it broke")

    def __post_init__(self) -> None:
        unknown = sorted(set(self.kinds) - set(KINDS))
        if unknown:
            raise ParamError("kinds", f"unknown kind(s) {', '.join(unknown)}; valid: {', '.join(KINDS)}")
        self._on = frozenset(self.kinds)
        self._index: sp.NeedleIndex | None = None

    def setup(self) -> None:
        """Build the needle automaton once per worker (it is not shipped with the plan)."""
        if self._index is not None:
            return
        names = {k: v for k, v in (("password", sp.PASSWORD_NAMES), ("secret", sp.SECRET_NAMES)) if k in self._on}
        self._index = sp.NeedleIndex(tuple(r for r in sp.token_rules() if r.kind in self._on), names)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_index": None}

    # -- detection ---------------------------------------------------------------------------------

    def find(self, text: str, lang: str | None) -> list[Span]:
        """Non-overlapping spans of values to replace, in order."""
        return self._find(text, lang, self._needles([text], [text.encode("utf-8", "surrogatepass")])[0])

    def _needles(self, texts: list[str], datas: list[bytes]) -> list[tuple[list[sp.TokenRule], list]]:
        if self._index is None:
            self.setup()
        assert self._index is not None
        return self._index.scan_many(texts, datas)

    def _find(self, text: str, lang: str | None, needles: tuple[list[sp.TokenRule], list]) -> list[Span]:
        spans: list[Span] = []
        rules, name_hits = needles
        for rule in rules:
            for pattern in rule.patterns:
                matches = textscan.iter_anchored(pattern, rule.anchor, text) if rule.anchor else pattern.finditer(text)
                for m in matches:
                    a, b = m.span(1)
                    if rule.kind == "mailchimp_key":
                        a -= sp.MAILCHIMP_BACK
                    if rule.edges and ((a > 0 and text[a - 1] in sp.WORD_CHARS) or
                                       (b < len(text) and text[b] in sp.WORD_CHARS)):
                        continue
                    value = text[a:b]
                    if (rule.kind == "jwt" and not sp.jwt_ok(value)) or \
                            (rule.kind == "url_credentials" and sp.NOT_A_VALUE.match(value)):
                        continue
                    spans.append((a, b, rule.kind))
        if "private_key" in self._on and "PRIVATE KEY" in text:
            spans += _pem_spans(text)
        if "email" in self._on and "@" in text:
            spans += self._emails(text)
        if "ip_address" in self._on:
            spans += _ips(text)
        if name_hits:
            spans += _assignments(text, lang, name_hits)
        return _disjoint(spans)

    def _emails(self, text: str) -> list[Span]:
        out = []
        for m in sp.EMAIL_DOMAIN.finditer(text):
            at = m.start()
            local = sp.EMAIL_LOCAL.search(text, max(0, at - 64), at)
            if local is None or not sp.email_tld_ok(m.group(2)):
                continue
            if self.skip_example_emails and sp.example_domain(m.group(1)):
                continue
            out.append((local.start(), m.end(), "email"))
        return out

    # -- the op ------------------------------------------------------------------------------------

    def placeholder(self, kind: str, identifier: bool = False) -> str:
        p = self.placeholders.get(kind.removeprefix(CONTINUED), "<KEY>")
        return "REDACTED_" + p.strip("<>").upper() if identifier else p

    def process(self, rec: dict[str, Any]) -> dict[str, Any]:
        return self._redact(rec, self._needles([rec["text"]], [utf8_of(rec)])[0])

    def process_batch(self, recs: list[dict[str, Any]]) -> list[dict[str, Any] | Reject]:
        """One needle scan per ~1 MB of records: numpy's per-call cost is spread over many records,
        and its arrays stay in cache."""
        out: list[dict[str, Any] | Reject] = []
        for chunk in text_batches(recs):
            found = self._needles([r["text"] for r in chunk], [utf8_of(r) for r in chunk])
            out += [self._redact(rec, needles) for rec, needles in zip(chunk, found, strict=True)]
        return out

    def _redact(self, rec: dict[str, Any], needles: tuple[list[sp.TokenRule], list]) -> dict[str, Any]:
        text, lang = rec["text"], rec.get("lang")
        spans = self._find(text, lang, needles)
        counts: dict[str, int] = {}
        for _, _, kind in spans:
            if not kind.startswith(CONTINUED):
                counts[kind] = counts.get(kind, 0) + 1
        rec["redactions"] = json.dumps(counts, sort_keys=True) if counts else None
        rec["n_redactions"] = sum(counts.values())
        if not spans:
            return rec
        new = _apply(text, spans, self.placeholder)
        if self.verify_syntax and _parses(rec, text) and not _still_parses(rec, new, spans, self.placeholder):
            new = _apply(text, spans, lambda k: self.placeholder(k, identifier=True))
            self.counters["syntax fallback"] += 1
        rec["text"] = new
        for kind, n in counts.items():
            self.counters[kind] += n
        return rec


def _assignments(text: str, lang: str | None, hits: list[tuple[int, str, str]]) -> list[Span]:
    """Values assigned to password-like names (any real value) or secret-like names (random-looking)."""
    out: list[Span] = []
    seen: set[int] = set()
    for pos, name, kind in sorted(hits, key=lambda h: (h[2] != "password", h[0])):  # a password name wins
        if not _ASSIGN_AHEAD.match(text, pos + len(name)):  # `tokens`, `token.type`: no value follows
            continue
        start = _WORD.search(text, max(0, pos - 80), pos).start()
        if start not in seen:
            seen.add(start)
            out += _assigned_value(text, start, kind, lang)
    return out


def _assigned_value(text: str, start: int, kind: str, lang: str | None) -> list[Span]:
    if _TUPLE_TARGET.match(text, text.rfind("\n", 0, start) + 1, start):
        return []  # `user, password = "a", "b"`: the first value belongs to `user`
    m = sp.ASSIGN_QUOTED.match(text, start)
    if m is not None:
        value, a, b = m.group(2), m.start(2), m.end(2)
    elif (lang in sp.CONFIG_LANGS or _in_comment(text, start)) and (m := sp.ASSIGN_BARE.match(text, start)) is not None:
        value, a, b = m.group(1), m.start(1), m.end(1)
    elif (m := sp.ENV_ASSIGN.match(text, start)) is not None and (not sp.IDENTIFIER_PATH.match(m.group(1))
                                                                   or sp.looks_random(m.group(1))):
        value, a, b = m.group(1), m.start(1), m.end(1)  # `DB_PASSWORD=value` in prose or a docstring
    else:
        return []
    if sp.NOT_A_VALUE.match(value) or value.startswith(("$", "{", "%", "*")):
        return []
    if kind == "password":
        ok = len(value) >= 4 and " " not in value and "\\" not in value
    else:
        ok = sp.looks_random(value)
    return [(a, b, kind)] if ok else []


def _in_comment(text: str, pos: int) -> bool:
    """Is `pos` on a line comment (`#`, `//`, `--`, `;`, a `*` block line)? Bare `name: value` counts there."""
    line = text[text.rfind("\n", 0, pos) + 1 : pos].lstrip()
    return line.startswith(("#", "//", "--", ";", "* ", "/*")) or line == "*"


def _pem_spans(text: str) -> list[Span]:
    out: list[Span] = []
    for m in sp.PEM_BEGIN.finditer(text):
        end = text.find(f"-----END {m.group(1)}-----", m.end(), m.end() + sp.PEM_MAX)
        if end < 0:
            end = min(len(text), m.end() + sp.PEM_MAX)  # truncated key: redact what is there
        runs = []
        for r in sp.PEM_BODY_RUN.finditer(text, m.end()):  # a run that crosses the limit is taken whole
            if r.start() >= end:
                break
            runs.append((r.start(), r.end(), CONTINUED + "private_key"))
        if runs:
            runs[0] = (runs[0][0], runs[0][1], "private_key")  # one key counts once, however many lines
        out += runs
    return out


def _ips(text: str) -> list[Span]:
    out: list[Span] = []
    for m in sp.IPV4_TAIL.finditer(text):
        head = sp.IPV4_HEAD.search(text, max(0, m.start() - 3), m.start())
        if head is None:
            continue
        a = head.start()
        if a > 0 and (text[a - 1] in sp.WORD_CHARS or text[a - 1] == "."):
            continue
        if _numeric_neighbour(text, a, m.end()):
            continue  # a number among numbers (SVG paths, data tables): not an address
        if sp.public_ip(text[a : m.end()]) and not sp.VERSION_CONTEXT.search(text, max(0, a - 24), a):
            out.append((a, m.end(), "ip_address"))
    if sp.IPV6_HINT.search(text):
        for m in sp.IPV6.finditer(text):
            a, value = m.start(), m.group()
            if a > 0 and (text[a - 1] in sp.WORD_CHARS or text[a - 1] in ":."):
                continue
            if value.count(":") >= 2 and sp.public_ip(value):
                out.append((a, m.end(), "ip_address"))
    return out


def _numeric_neighbour(text: str, a: int, b: int) -> bool:
    before = text[max(0, a - 3) : a].rstrip(" ,")
    after = text[b : b + 3].lstrip(" ,")
    return (before[-1:].isdigit() or before.endswith("-")) or (after[:1].isdigit() or after[:1] == "-")


def _disjoint(spans: list[Span]) -> list[Span]:
    """Sorted, overlapping spans dropped (the earlier and then longer one wins)."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if not out or span[0] >= out[-1][1]:
            out.append(span)
    return out


def _apply(text: str, spans: list[Span], placeholder) -> str:
    parts, pos = [], 0
    for a, b, kind in spans:
        parts += [text[pos:a], placeholder(kind)]
        pos = b
    parts.append(text[pos:])
    return "".join(parts)


def _parses(rec: dict[str, Any], text: str) -> bool:
    """Does `text` parse in the record's language? True when there is no checker (nothing to keep)."""
    lang = rec.get("lang")
    if text is rec["text"] and rec.get("syntax_ok") is not None:
        return bool(rec["syntax_ok"])
    if lang == "python":
        return pycheck.check_python(text, rec.get("encoding")).ok
    if lang is None or not parse.has_grammar(lang):
        return True
    try:
        tree = parse.parse_bytes(parse.grammar_lang(lang, rec.get("path")), text.encode("utf-8", "surrogatepass"), 10.0)
    except parse.ParseTimeout:
        return False
    return tree is not None and not tree.root_node.has_error


def _still_parses(rec: dict[str, Any], new: str, spans: list[Span], placeholder) -> bool:
    """`_parses(rec, new)` for a text that parsed before the spans were replaced. Python: when every
    span sits in a comment or plain string literal and its placeholder is inert there, the token
    stream keeps its shape, so the answer is yes without compiling the file again (measured: 80% of
    the op's syntax-check time on the 10% corpus). Anything else is compiled as before."""
    if rec.get("lang") == "python":
        enc = rec.get("encoding")
        problem = pycheck.encoding_problem(new, enc)
        if problem is not None:
            return False
        if len(new) < _COMPILE_IN_PROCESS and _spans_inert(rec["text"], spans, placeholder):
            return True
    return _parses(rec, new)


# A Python file that compiles tokenizes cleanly, so from its start every `#`, `'` or `"` outside a
# token opens the next comment or string (3.11: an f-string, nested quotes included, is one token).
_COMPILE_IN_PROCESS = 1 << 20  # pycheck.check_python's default: bigger texts go to a child process
_TOKEN_START = re.compile(r"[#'\"]")
_PY_TOKEN = re.compile(r"""\#[^\r\n]*
    |\"\"\"[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*\"\"\"
    |'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''
    |"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"
    |'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'""", re.S | re.X)


def _inert(placeholder: str) -> bool:
    """Printable ASCII without quotes or backslashes: plain text in any literal or comment."""
    return placeholder.isascii() and placeholder.isprintable() and not any(c in placeholder for c in "'\"\\")


def _spans_inert(text: str, spans: list[Span], placeholder) -> bool:
    """Does every span lie in a comment (not on lines 1-2: the encoding declaration) or in the body of a
    non-f string literal, away from escapes, with an inert placeholder? `text` must compile."""
    if not all(_inert(placeholder(kind)) for _, _, kind in spans):
        return False
    second = text.find("\n", text.find("\n") + 1)
    head_end = len(text) if second < 0 else second
    pos, tok = 0, None
    for a, b, _ in spans:
        if any(c in text[a:b] for c in "\\\r\n"):
            return False
        while tok is None or tok.end() <= a:
            start = _TOKEN_START.search(text, pos)
            if start is None or start.start() > a:
                return False  # the span starts in code
            tok = _PY_TOKEN.match(text, start.start())
            if tok is None:
                return False  # not the lexing assumed here: let compile() decide
            pos = tok.end()
        t0, t1 = tok.span()
        if text[t0] == "#":
            if t0 < head_end or a <= t0 or b > t1:
                return False
            continue
        q = 3 if text.startswith(text[t0] * 3, t0) else 1
        body_start = t0 + q
        if t1 - t0 < 2 * q:
            return False  # an unterminated triple quote: not the lexing assumed here
        if a < body_start or b > t1 - q or "f" in text[max(0, t0 - 2) : t0].lower():
            return False
        if "\\" in text[max(body_start, text.rfind("\n", 0, a) + 1) : a]:
            return False  # an escape sequence could run into the span
    return True
