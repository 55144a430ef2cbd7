"""The planted-secrets set: fake secrets in real formats, embedded in real code, built deterministically.

Nothing here is a real credential: every token is generated from a seeded RNG and carries FAKE /
EXAMPLE markers where its format allows, addresses use invented people at invented domains, and
the generator stores no literal secret (so this repository does not look like it leaks any).
Each record holds `expected`: the (kind, value) pairs planted in it; a value counts as found when
it no longer occurs in the redacted text.

Contexts: Python string assignments, keyword arguments, comments and docstrings; JavaScript,
Go and Java string literals; YAML, INI, .env, JSON and shell config files. Every host text is a
real file of the running interpreter's standard library (the snippet goes in at a module-level
statement boundary, so the file still parses), or a small config file.
"""

from __future__ import annotations

import base64
import json
import random
import string
import sysconfig
from pathlib import Path

STDLIB = Path(sysconfig.get_paths()["stdlib"])
HOSTS = ["json/decoder.py", "csv.py", "shlex.py", "textwrap.py", "fnmatch.py", "colorsys.py", "bisect.py",
         "heapq.py", "glob.py", "getopt.py"]
UPPER_DIGITS = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits


def _rand(rng: random.Random, alphabet: str, n: int, marker: str = "FAKE") -> str:
    """Random text of length n that contains `marker` (obviously not a real key)."""
    body = "".join(rng.choice(alphabet) for _ in range(n - len(marker)))
    at = rng.randrange(0, len(body) + 1)
    return body[:at] + marker + body[at:]


def _b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def _pem(rng: random.Random, label: str) -> str:
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(600))).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def secrets(rng: random.Random) -> list[tuple[str, str]]:
    """(kind, value) for one instance of every kind the `redact` op covers."""
    first = rng.choice(["jane", "omar", "li", "ines", "tomasz", "aiko"])
    last = rng.choice(["fakeperson", "testerson", "examplova", "placeholder"])
    v4 = f"{rng.choice([23, 45, 52, 77, 88, 93, 104, 151, 185, 212])}.{rng.randrange(10, 250)}." \
         f"{rng.randrange(1, 250)}.{rng.randrange(1, 250)}"
    v6 = f"2a01:4f8:{rng.randrange(0x1000, 0xffff):x}:{rng.randrange(0x1000, 0xffff):x}::{rng.randrange(0x100, 0xfff):x}"
    jwt = ".".join([_b64url({"alg": "HS256", "typ": "JWT"}), _b64url({"sub": "fake-user", "name": "Fake Person"}),
                    _rand(rng, ALNUM + "-_", 43)])
    return [
        ("email", f"{first}.{last}@acme-widgets.de"),
        ("email", f"{first}{rng.randrange(10, 99)}@mailbox-fake.io"),
        ("ip_address", v4),
        ("ip_address", v6),
        ("private_key", _pem(rng, rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY",
                                               "OPENSSH PRIVATE KEY"]))),
        ("aws_access_key", "AKIA" + _rand(rng, UPPER_DIGITS, 16, "FAKEEXAMPLE")),
        ("aws_secret_key", _rand(rng, ALNUM + "/+", 40, "FAKEEXAMPLEKEY")),
        ("gcp_api_key", "AIza" + _rand(rng, ALNUM + "-_", 35, "FAKEEXAMPLE")),
        ("azure_storage_key", _rand(rng, ALNUM + "+/", 86, "FAKEEXAMPLE") + "=="),
        ("azure_client_secret", _rand(rng, ALNUM, 3, "") + str(rng.randrange(10)) + "Q~" + _rand(rng, ALNUM + "_-", 34)),
        ("github_token", "ghp_" + _rand(rng, ALNUM, 36, "FAKEEXAMPLE")),
        ("github_token", "github_pat_" + _rand(rng, ALNUM + "_", 82, "FAKEEXAMPLE")),
        ("gitlab_token", "glpat-" + _rand(rng, ALNUM + "-_", 20, "FAKE")),
        ("slack_token", f"xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**11, 10**12)}-"
                        + _rand(rng, string.ascii_lowercase + string.digits, 24, "fake")),
        ("slack_token", "https://hooks.slack.com/services/T" + _rand(rng, UPPER_DIGITS, 8, "FAKE") + "/B"
                        + _rand(rng, UPPER_DIGITS, 8, "FAKE") + "/" + _rand(rng, ALNUM, 24)),
        ("stripe_key", "sk_live_" + _rand(rng, ALNUM, 24, "FAKEEXAMPLE")),
        ("openai_key", "sk-proj-" + _rand(rng, ALNUM + "_-", 56, "FAKEEXAMPLE")),
        ("openai_key", "sk-" + _rand(rng, ALNUM, 20) + "T3BlbkFJ" + _rand(rng, ALNUM, 20)),
        ("anthropic_key", "sk-ant-api03-" + _rand(rng, ALNUM + "_-", 93, "FAKEEXAMPLE")),
        ("jwt", jwt),
        ("password", "Fake-" + _rand(rng, ALNUM, 10, "") + "!9"),
        ("secret", _rand(rng, ALNUM, 40, "FAKE")),
    ]


def _py_literal_contexts(name: str, value: str) -> list[str]:
    """A string assignment, a keyword argument, a comment and a docstring (a PEM: docstring and a
    parenthesised concatenation of one string per line)."""
    multi = "\n" in value
    q = '"""' if multi else '"'
    return [
        f"{name} = {q}{value}{q}\n",
        f"client = dict(host='db', {name.lower()}={q}{value}{q})\n",
        f"# {name.lower()}: {value}\n" if not multi else f'"""Key for the tests:\n{value}\n"""\n',
        f'def load():\n    """Return the credential, e.g. {name}={value}"""\n    return None\n' if not multi else
        "PEM = (\n" + "".join(f'    "{line}\\n"\n' for line in value.split("\n")) + ")\n",
    ]


# names a programmer would give each kind (a password sits under a password-like name, a generic
# secret under a secret-like one: that is how those two kinds are recognised)
VAR = {"password": "DB_PASSWORD", "secret": "SECRET_KEY", "aws_secret_key": "AWS_SECRET_ACCESS_KEY",
       "email": "CONTACT", "ip_address": "SERVER_ADDR", "azure_storage_key": "STORAGE_CONNECTION"}


def render(kind: str, value: str) -> str:
    """How the value appears in text: an Azure key inside its connection string, others as they are."""
    if kind == "azure_storage_key":
        return f"DefaultEndpointsProtocol=https;AccountName=fakeacct;AccountKey={value};EndpointSuffix=core.windows.net"
    return value


def _config_files(kind: str, value: str) -> list[tuple[str, str, str]]:
    """(path, lang, text) config-file contexts for one secret."""
    if "\n" in value:
        return [("keys/server.pem", "text", value + "\n")]
    key = VAR.get(kind, "API_TOKEN").lower()
    return [
        ("deploy/values.yaml", "yaml", f"service:\n  name: web\n  {key}: {value}\n  replicas: 2\n"),
        ("settings.ini", "ini", f"[server]\nport = 8080\n{key} = {value}\n"),
        (".env", None, f"DEBUG=false\n{key.upper()}={value}\n"),
        ("config.json", "json", json.dumps({"name": "svc", key: value, "retries": 3}, indent=2) + "\n"),
        ("deploy.sh", "shell", f"#!/bin/sh\nset -e\nexport {key.upper()}='{value}'\n./run --port 80\n"),
    ]


def _code_files(kind: str, value: str) -> list[tuple[str, str, str]]:
    if "\n" in value:
        return []
    key = VAR.get(kind, "apiToken")
    return [
        ("src/client.js", "javascript", f"const http = require('http');\nconst {key} = '{value}';\nmodule.exports = {{ {key} }};\n"),
        ("main.go", "go", f'package main\n\nconst {key} = "{value}"\n\nfunc main() {{}}\n'),
        ("Config.java", "java", f'class Config {{\n    static final String {key.upper()} = "{value}";\n}}\n'),
    ]


def planted_records(seed: int = 0, rounds: int = 3) -> list[dict]:
    """Records (id, text, lang, path, expected) with every kind planted in every context, `rounds` times."""
    from codemill.clean.repair import python_cut_points

    rng = random.Random(seed)
    out: list[dict] = []
    for r in range(rounds):
        for i, (kind, value) in enumerate(secrets(rng)):
            host = (STDLIB / HOSTS[(r + i) % len(HOSTS)]).read_text()
            points = [p for p in python_cut_points(host, 10**9) if host[p] not in " \t"]  # module level
            at = points[len(points) // 2] if points else 0
            shown = render(kind, value)
            for j, snippet in enumerate(_py_literal_contexts(VAR.get(kind, "API_TOKEN"), shown)):
                text = host[:at] + snippet + host[at:]
                out.append({"id": f"py-{r}-{i}-{j}", "text": text, "lang": "python", "path": f"pkg/m{r}_{i}_{j}.py",
                            "expected": [[kind, value]]})
            for j, (path, lang, text) in enumerate(_config_files(kind, shown) + _code_files(kind, shown)):
                out.append({"id": f"cfg-{r}-{i}-{j}", "text": text, "lang": lang, "path": path,
                            "expected": [[kind, value]]})
    return out
