"""What `redact` looks for: token formats (detect-secrets' maintained patterns plus precise ones),
PEM private keys, e-mail and IP addresses, and secret-named assignments.

Every token rule has literal `needles`: the rule's regex runs only on texts that contain one of
them (`in` is a C-speed substring search), so a clean file costs a few dozen substring tests.
Group 1 of every pattern is the value that gets replaced (prefixes such as `AccountKey=` stay).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from codemill.clean.textscan import NeedleScan


@dataclass(frozen=True)
class TokenRule:
    kind: str
    needles: tuple[str, ...]  # the rule runs only on texts containing one of these (lower-cased if `ci`)
    patterns: tuple[re.Pattern, ...]  # group 1 is the value
    edges: bool = True  # the value must not be glued to letters/digits/`_` on either side
    ci: bool = False  # needles are searched in the lower-cased text
    always: bool = False  # run without a needle test: the pattern starts with its literal, `re` finds it fast
    anchor: str = ""  # every match starts with this literal: found by str.find, then matched there


def _p(*regexes: str) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(r) for r in regexes)


def _ds(patterns: list[re.Pattern]) -> tuple[re.Pattern, ...]:
    """detect-secrets' patterns with the whole match as group 1 (some have a prefix group of their own).
    No lookbehind is added: a pattern that starts with its literal prefix lets `re` skip ahead fast."""
    return tuple(re.compile(f"({p.pattern})", p.flags) for p in patterns)


#: the kinds of `token_rules()`, in their order (what a recipe may name without building the rules)
TOKEN_KINDS = (
    "aws_access_key", "aws_secret_key", "github_token", "gitlab_token", "slack_token", "stripe_key", "openai_key",
    "anthropic_key", "gcp_api_key", "gcp_oauth", "azure_storage_key", "azure_client_secret", "azure_sas_token",
    "sendgrid_key", "square_secret", "pypi_token", "mailchimp_key", "npm_token", "huggingface_token", "jwt",
    "url_credentials",
)


@functools.cache
def token_rules() -> tuple[TokenRule, ...]:
    """The token rules, several built on detect-secrets' own patterns. Built on first use: importing
    detect-secrets (and `requests`, which it imports) takes about 0.4 s, which the driver of a run
    that only validates the recipe would otherwise pay before its workers start."""
    from detect_secrets.plugins.aws import AWSKeyDetector
    from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
    from detect_secrets.plugins.github_token import GitHubTokenDetector
    from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
    from detect_secrets.plugins.pypi_token import PypiTokenDetector
    from detect_secrets.plugins.sendgrid import SendGridDetector
    from detect_secrets.plugins.slack import SlackDetector
    from detect_secrets.plugins.square_oauth import SquareOAuthDetector
    from detect_secrets.plugins.stripe import StripeDetector

    return (
        TokenRule("aws_access_key", ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"), _ds(AWSKeyDetector.denylist[:1])),
        TokenRule("aws_secret_key", ("aws",), (AWSKeyDetector.denylist[1],), edges=False, ci=True),
        TokenRule("github_token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
                  _ds(GitHubTokenDetector.denylist) + _p(r"(github_pat_[A-Za-z0-9_]{82})")),
        TokenRule("gitlab_token", ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "GR1348941", "glcbt-", "glimt-",
                                   "glptt-", "glagent-", "gloas-"), _ds(GitLabTokenDetector.denylist)),
        TokenRule("slack_token", ("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "hooks.slack.com"),
                  _ds(SlackDetector.denylist), edges=False),
        TokenRule("stripe_key", ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_"),
                  _ds(StripeDetector.denylist) + _p(r"((?:sk|rk)_test_[0-9a-zA-Z]{24,99}|whsec_[0-9a-zA-Z]{32,})")),
        TokenRule("openai_key", ("sk-",), _p(r"(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"
                                             r"|sk-proj-[A-Za-z0-9_-]{40,}|sk-[A-Za-z0-9]{48})(?![A-Za-z0-9_-])")),
        TokenRule("anthropic_key", ("sk-ant-",), _p(r"(sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,})")),
        TokenRule("gcp_api_key", ("AIza",), _p(r"(AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])")),
        TokenRule("gcp_oauth", ("GOCSPX-", "ya29."), _p(r"(GOCSPX-[A-Za-z0-9_-]{28}|ya29\.[0-9A-Za-z_-]{30,})")),
        TokenRule("azure_storage_key", ("AccountKey=",),  # detect-secrets' pattern, the key as group 1
                  _p(AzureStorageKeyDetector.denylist[0].pattern.replace("AccountKey=", "AccountKey=(") + ")"), edges=False),
        TokenRule("azure_client_secret", ("Q~",), _p(r"(?<![A-Za-z0-9_~.-])([A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})"
                                                     r"(?![A-Za-z0-9_~.-])")),
        TokenRule("azure_sas_token", ("sig=",), _p(r"[?&]sig=([A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})"), edges=False),
        TokenRule("sendgrid_key", ("SG.",), _ds(SendGridDetector.denylist)),
        TokenRule("square_secret", ("sq0csp-",), _ds(SquareOAuthDetector.denylist)),
        TokenRule("pypi_token", ("pypi-Ag",), _ds(PypiTokenDetector.denylist)),
        # detect-secrets' Mailchimp pattern starts with a character class (slow everywhere): same shape,
        # anchored on its literal `-us` with the 32 characters before it in a lookbehind
        TokenRule("mailchimp_key", ("-us",), _p(r"(?<=[^0-9a-z][0-9a-z]{32})(-us[0-9]{1,2})(?![0-9a-z])"), anchor="-us"),
        TokenRule("npm_token", ("npm_",), _p(r"(npm_[A-Za-z0-9]{36})")),
        TokenRule("huggingface_token", ("hf_",), _p(r"(hf_[A-Za-z]{34})")),
        TokenRule("jwt", ("eyJ",), _p(r"(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})")),
        TokenRule("url_credentials", (), always=True, patterns=_p(r"://[^:/?#\[\]@!$&'()*+,;=\s\"]+:"
                                                                  r"([^:/?#\[\]@!$&'()*+,;=\s\"<>{}%]{3,})@[A-Za-z0-9.-]+"), edges=False),
    )


class NeedleIndex:
    """One pass over the lower-cased text finds every rule's needles and every secret-name fragment.

    The pass is `textscan.NeedleScan` (a numpy bigram table over a whole shard at once, then exact
    comparisons): about 3x cheaper than the Aho-Corasick automaton it replaced, with the same hits.
    Needles are matched lower-cased: a spurious candidate (`asia` for `ASIA`) only costs a run of
    the rule's own case-sensitive pattern, which decides.
    """

    def __init__(self, rules: tuple[TokenRule, ...], names: dict[str, tuple[str, ...]]) -> None:
        self.rules = rules
        self._rules_of: dict[str, list[TokenRule]] = {}
        for r in rules:
            for n in r.needles:
                self._rules_of.setdefault(n.lower(), []).append(r)
        self._names = {name: kind for kind, group in names.items() for name in group}
        self._scan = NeedleScan({*self._rules_of, *self._names})

    def scan_many(self, texts: list[str], datas: list[bytes]) -> list[tuple[list[TokenRule], list[tuple[int, str, str]]]]:
        """Per text (with its UTF-8 bytes): (rules whose needles occur in the lower-cased text,
        [(start, name, kind)] of secret-name fragments; empty when lower() changes the length)."""
        lowers, same_len = [], []
        for text, data in zip(texts, datas, strict=True):
            if text.isascii():  # bytes.lower() is str.lower() here, offsets are characters
                lowers.append(data.lower())
                same_len.append(True)
            else:
                lower = text.lower()
                lowers.append(lower.encode("utf-8", "surrogatepass"))
                same_len.append(len(lower) == len(text))
        out = []
        for text, lb, same, found in zip(texts, lowers, same_len, self._scan.scan(lowers), strict=True):
            words: set[str] = set()
            hits: list[tuple[int, str, str]] = []
            for pos, word in found:
                kind = self._names.get(word)
                if kind is not None:
                    hits.append((pos, word, kind))
                else:
                    words.add(word)
            if not same:
                hits = []
            elif len(lb) != len(text) and hits:
                hits = _char_offsets(lb, hits)
            chosen = {id(r): r for w in words for r in self._rules_of[w]}
            out.append(([r for r in self.rules if r.always or id(r) in chosen], hits))
        return out


def _char_offsets(data: bytes, hits: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """Byte offsets (sorted, each at an ASCII byte) of UTF-8 `data` as character offsets."""
    out, byte, char = [], 0, 0
    for pos, word, kind in hits:
        char += len(data[byte:pos].decode("utf-8", "surrogatepass"))
        byte = pos
        out.append((char, word, kind))
    return out


#: characters a token may not be glued to
WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
MAILCHIMP_BACK = 32  # the mailchimp value starts this many characters before its `-us` group


def jwt_ok(token: str) -> bool:
    """detect-secrets' structural check: header and payload are base64url JSON."""
    from detect_secrets.plugins.jwt import JwtTokenDetector

    return JwtTokenDetector.is_formally_valid(token)


# --- PEM private keys -------------------------------------------------------------------------------

PEM_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----")
PEM_MAX = 20_000  # characters between BEGIN and END
#: base64 runs in a key body; a run right after an escape like `\n` starts after it, so `\n` stays
PEM_BODY_RUN = re.compile(r"(?:(?<=\\[nrt])|(?<![\\A-Za-z0-9+/=]))[A-Za-z0-9+/=]{16,}")

# --- e-mail -----------------------------------------------------------------------------------------

EMAIL_DOMAIN = re.compile(r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24}))(?![A-Za-z0-9-])")
EMAIL_LOCAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}\Z")
GTLDS = frozenset("""com net org edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs
    io ai app dev co me tv cc xyz online site tech store club live email cloud page blog one shop top work
    digital network systems solutions""".split())
#: RFC 2606/6761 names that are never anyone's address
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net", "example.edu")
EXAMPLE_TLDS = frozenset({"example", "test", "invalid", "localhost", "local"})


def email_tld_ok(tld: str) -> bool:
    t = tld.lower()
    return (len(t) == 2 and tld.isalpha() and (tld.islower() or tld.isupper())) or t in GTLDS


def example_domain(domain: str) -> bool:
    d = domain.lower()
    return d.rsplit(".", 1)[-1] in EXAMPLE_TLDS or any(d == e or d.endswith("." + e) for e in EXAMPLE_DOMAINS)


# --- IP addresses -----------------------------------------------------------------------------------

# Both start with a character class, not a lookbehind, so `re` only tries positions holding a digit
# (or hex digit); the "not glued to a word or dot" test on the left is done by the caller.
# IPv4 is found from its first `.` (a literal: `re` jumps between dots at memchr speed) and completed
# backwards; IPv6 runs only where `:hex:` occurs (C++'s `::` alone does not trigger it).
IPV4_TAIL = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![\w.])", re.A)
IPV4_HEAD = re.compile(r"[0-9]{1,3}\Z", re.A)
IPV6_HINT = re.compile(r":[0-9A-Fa-f]{1,4}:", re.A)
IPV6 = re.compile(r"[0-9A-Fa-f]{1,4}:[0-9A-Fa-f:]{2,37}(?![\w:])", re.A)
VERSION_CONTEXT = re.compile(r"(?i)(?:version|ver|v|release|rev|build|python|section|sections|rfc|§)[\s_=:\"'(\[-]{0,6}\Z")
#: addresses everyone uses in examples and resolver configs: not anybody's personal data
WELL_KNOWN_IPS = frozenset({"1.2.3.4", "4.3.2.1", "123.45.67.89", "12.34.56.78", "1.1.1.1", "1.0.0.1", "8.8.8.8",
                            "8.8.4.4", "9.9.9.9", "149.112.112.112", "208.67.222.222", "208.67.220.220",
                            "2001:4860:4860::8888", "2001:4860:4860::8844", "2606:4700:4700::1111"})


def public_ip(value: str) -> bool:
    """A globally routable address that could point at somebody: private, loopback, link-local,
    documentation, multicast and reserved ranges stay, as do well-known resolvers and examples,
    version-like dotted numbers (first three parts below 10: `3.1.1.6`) and IPv6-shaped text
    without a 3-4 digit group (`a[1::2]` slices, `cb:2d:80:99` serial numbers)."""
    if value in WELL_KNOWN_IPS:
        return False
    if ":" in value:
        groups = [g for g in value.split(":") if g]
        if len(groups) < 3 or not any(len(g) >= 3 for g in groups):
            return False
    elif all(len(p) == 1 for p in value.split(".")[:3]):
        return False
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return False
    return ip.is_global and not ip.is_multicast


# --- secret-named assignments -------------------------------------------------------------------------

#: lower-cased name fragments: any quoted value assigned to such a name is a password
PASSWORD_NAMES = ("password", "passwd", "passphrase", "pwd")
#: lower-cased name fragments whose values are secrets when they look random (entropy test)
SECRET_NAMES = ("secret", "token", "apikey", "api-key", "accesskey", "privatekey", "credential", "_key")
#: NAME ["']? (= | : | := | =>) ["'] VALUE ["'] -- matched at the start of the identifier holding the hit
ASSIGN_QUOTED = re.compile(
    r"""[\w.$-]*["']?\]?\s*(?::=|=>|==|=|:)\s*(?:[rbuRBU]{0,2}|@)(["'`])((?:(?!\1)[^\\\n]|\\.){1,200}?)\1""")
#: NAME (= | :) VALUE, unquoted: config files and shell only
ASSIGN_BARE = re.compile(r"""[\w.$-]*["']?\s*(?:=|:)[ \t]*([^\s"'#;,]{4,200})""")
#: NAME=VALUE in environment-variable style (upper-case name, no spaces): anywhere, also in prose
ENV_ASSIGN = re.compile(r"""[A-Z0-9_]*[A-Z][A-Z0-9_]*=([^\s"'`;,)]{4,200})""")
IDENTIFIER_PATH = re.compile(r"[A-Za-z_][\w.]*(?:\(\))?\Z")
CONFIG_LANGS = frozenset({"yaml", "ini", "toml", "shell", "dockerfile", "makefile", "text", "dotenv", "properties",
                          "powershell", "batchfile", None})
#: values that are obviously not a secret: templates, references, placeholders, prose
NOT_A_VALUE = re.compile(
    r"""^(?:\$\{?[\w.]+\}?|%\(?\w*\)?s|\{\{?[^}]*\}\}?|<[^>]*>|\*+|x+|\.+|-+|none|null|nil|true|false|undefined|"""
    r"""changeme|pass|passwd|password|secret|token|example|dummy|test|foo|bar|baz|your[\w-]*|my[\w-]*|\w+\(.*\)|os\.environ.*|process\.env.*)$""",
    re.I)

_HEX = re.compile(r"[0-9a-fA-F]+\Z")


@functools.cache
def _entropy_calculators() -> tuple[Any, Any]:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString

    return Base64HighEntropyString(limit=4.5), HexHighEntropyString(limit=3.0)


def entropy(value: str) -> tuple[float, bool]:
    """(Shannon entropy by detect-secrets' calculators, is it hex)."""
    b64, hexa = _entropy_calculators()
    if _HEX.match(value):
        return hexa.calculate_shannon_entropy(value), True
    return b64.calculate_shannon_entropy(value), False


def looks_random(value: str) -> bool:
    """A token-like value: long enough, no spaces, and high entropy for its alphabet."""
    if len(value) < 16 or " " in value or NOT_A_VALUE.match(value):
        return False
    e, is_hex = entropy(value)
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value)))
    return e >= 3.0 if is_hex else (e >= 3.7 and classes >= 2)
