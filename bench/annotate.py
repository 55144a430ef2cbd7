"""All annotate benchmarks, for `make bench`: language accuracy, categories, difficulty, speed.

    python bench/annotate.py [--quick]

`--quick` uses the 10% corpus subset where a benchmark allows it. Each benchmark prints Markdown
and writes bench-results/annotate_*.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    which = "10pct" if a.quick else "full"
    jobs = [("annotate_lang.py", ["--corpus", "full"]), ("annotate_category.py", ["--corpus", which]),
            ("annotate_difficulty.py", ["--corpus", "10pct"]), ("annotate_speed.py", ["--corpus", "10pct"])]
    status = 0
    for script, args in jobs:
        print(f"\n# {script}\n", flush=True)
        status |= subprocess.run([sys.executable, str(HERE / script), *args], cwd=HERE.parent).returncode
    return status


if __name__ == "__main__":
    raise SystemExit(main())
