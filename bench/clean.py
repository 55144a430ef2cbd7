"""All clean-stage benchmarks in one go, each as its own process; Markdown tables on stdout.

    python bench/clean.py [--corpus 10pct|full] [--quick]

1. syntax accuracy against real compilers per language (bench/clean_syntax.py)
2. repair of truncated files: parse rate and lines kept (bench/clean_repair.py)
3. redaction recall, standard-library review, op throughput (bench/clean_redact.py)
4. clean segment throughput against bare parsers, 1 and 2 workers (bench/clean_throughput.py)

`--quick` uses smaller samples (about 5 minutes on 2 cores instead of about 15).
JSON results land in bench-results/clean-*.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", choices=["10pct", "full"], default="10pct")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    per_lang, truncs = ("40", "600") if args.quick else ("100", "2000")
    jobs = [
        ["clean_syntax.py", "--per-lang", per_lang, "--corpus", "10pct"],
        ["clean_repair.py", "--n", truncs, "--per-lang", "100", "--corpus", "10pct"],
        ["clean_redact.py", "--corpus", args.corpus],
        ["clean_throughput.py", "--corpus", args.corpus],
    ]
    failed = []
    for script, *rest in jobs:
        print(f"\n<!-- {script} {' '.join(rest)} -->", flush=True)
        res = subprocess.run([sys.executable, str(HERE / script), *rest], check=False, stderr=subprocess.DEVNULL)
        if res.returncode != 0:
            failed.append(script)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
