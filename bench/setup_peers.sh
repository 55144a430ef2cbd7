#!/usr/bin/env bash
# Installs the near-dedup peers into their own environment, bench-venv/, never into codemill's .venv
# (datatrove's extras downgrade xxhash; data-juicer pulls torch and CUDA wheels).
#
#   bash bench/setup_peers.sh            # datasketch, rensa, datatrove
#   PEERS_EXTRA=1 bash bench/setup_peers.sh   # also try data-juicer and text-dedup (large, slow)
#
# A peer that does not install is reported and skipped: bench/dedup.py then leaves it out and
# quotes its figure from ../shared/bench/README.md instead.
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/bench-venv"
PY="${PY:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV" || { echo "cannot create $VENV"; exit 1; }
    "$VENV/bin/python" -m pip install -q --upgrade pip
fi
PIP=("$VENV/bin/python" -m pip install -q)

"${PIP[@]}" numpy orjson || { echo "base packages failed"; exit 1; }

try() {  # name, then pip arguments
    local name="$1"; shift
    if "${PIP[@]}" "$@"; then echo "ok: $name"; else echo "SKIPPED: $name (pip install $* failed)"; fi
}

try datasketch "datasketch>=1.6"
try rensa "rensa>=0.2"
try datatrove "datatrove>=0.4" "nltk" "tokenizers" "xxhash<4"  # datatrove hashes str, which xxhash 4 refuses
if [ "${PEERS_EXTRA:-0}" = "1" ]; then
    try data-juicer "py-data-juicer"
    try text-dedup "text-dedup"
fi
"$VENV/bin/python" - <<'EOF'
import importlib
for mod in ("datasketch", "rensa", "datatrove", "data_juicer", "text_dedup"):
    try:
        m = importlib.import_module(mod)
        print(f"{mod}: {getattr(m, '__version__', 'installed')}")
    except ImportError:
        print(f"{mod}: not installed")
EOF
