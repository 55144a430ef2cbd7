"""The `codemill` command. User mistakes print one clear message (exit 2), never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from codemill.exec.start import warm_up


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("run", "demo") and args.workers != 1:
        warm_up()  # the workers' fork server imports the engine while this process does the same
    # the engine is imported only now (about half a second), after the fork server started
    from codemill.exec.local import without_pandas_probe
    from codemill.finalize import InvariantError
    from codemill.recipe import RecipeError
    from codemill.runner import RunError

    without_pandas_probe()
    err = Console(stderr=True)
    try:
        return args.func(args)
    except (RecipeError, RunError, FileNotFoundError) as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False, markup=True, soft_wrap=True)
        return 2
    except InvariantError as e:
        err.print(f"[bold red]run failed its own check (a bug, please report):[/] {e}", highlight=False)
        return 3
    except KeyboardInterrupt:
        err.print("interrupted; finish with `codemill run RECIPE --resume`")
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="codemill", description="Curate source code into training data for code models.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a recipe")
    r.add_argument("recipe", help="recipe YAML file")
    _run_flags(r)
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("demo", help="curate this interpreter's standard library with the default recipe")
    _run_flags(d, default_output="demo-out")
    d.set_defaults(func=cmd_demo)

    v = sub.add_parser("validate", help="check a recipe without reading any data")
    v.add_argument("recipe")
    v.set_defaults(func=cmd_validate)

    o = sub.add_parser("ops", help="list every op and input type with parameters, types, defaults and docs")
    o.add_argument("--json", action="store_true", help="machine-readable output")
    o.set_defaults(func=cmd_ops)

    e = sub.add_parser("export", help="write a finished output as one JSONL(.gz/.zst) or Parquet file")
    e.add_argument("output", type=Path, help="output folder of a finished run")
    e.add_argument("--format", choices=["jsonl", "parquet"], required=True)
    e.add_argument("--to", type=Path, help="destination file (default: OUTPUT/export.<format>)")
    e.add_argument("--rejects", action="store_true", help="export rejects/ instead of data/")
    e.set_defaults(func=cmd_export)

    rp = sub.add_parser("report", help="(re)build OUTPUT/report.html from a finished output")
    rp.add_argument("output", type=Path)
    rp.add_argument("--to", type=Path, help="destination (default: OUTPUT/report.html)")
    rp.set_defaults(func=cmd_report)

    s = sub.add_parser("stats", help="print the summary table of a finished output")
    s.add_argument("output", type=Path)
    s.set_defaults(func=cmd_stats)
    return p


def _run_flags(p: argparse.ArgumentParser, default_output: str | None = None) -> None:
    p.add_argument("--output", "-o", default=default_output, help="output folder (overrides the recipe's `output`)")
    p.add_argument("--workers", "-w", type=int, help="worker processes (overrides the recipe)")
    p.add_argument("--resume", action="store_true", help="finish an interrupted run; finished shards are kept")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars or summary table")
    p.add_argument("--metrics-port", type=int, help="serve live metrics for Prometheus on 127.0.0.1:PORT")
    p.add_argument("--fail-on-alert", action="store_true", help="exit 4 if any alert fired")


def cmd_run(args: argparse.Namespace) -> int:
    from codemill.recipe import load_recipe

    recipe = load_recipe(args.recipe, args.output)
    return _execute(recipe, args)


def cmd_demo(args: argparse.Namespace) -> int:
    from codemill import api
    from codemill.recipe import load_recipe

    recipe = load_recipe(api.demo_recipe(), Path(args.output).resolve())
    if not args.resume:
        args.overwrite = True
    return _execute(recipe, args)


def _execute(recipe: Any, args: argparse.Namespace) -> int:
    from codemill.runner import run

    result = run(recipe, resume=args.resume, overwrite=args.overwrite, quiet=args.quiet, workers=args.workers,
                 metrics_port=args.metrics_port)
    if not args.quiet:
        print_summary(result.stats, Console())
        Console().print(f"output: {result.output}", highlight=False)
    fired = result.stats["alerts"]
    if fired and args.fail_on_alert:
        Console(stderr=True).print(f"[bold red]{len(fired)} alert(s) fired:[/] "
                                   + "; ".join(a["alert"] for a in fired), highlight=False)
        return 4
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from codemill.recipe import load_recipe

    recipe = load_recipe(args.recipe)
    print(f"{args.recipe}: ok ({len(recipe.inputs)} inputs, {len(recipe.stages)} stages)")
    return 0


def cmd_ops(args: argparse.Namespace) -> int:
    from codemill.params import describe
    from codemill.registry import OPS, READERS

    groups = {"op": list(OPS), "input": list(READERS)}
    if args.json:
        doc = {kind: {name: {"doc": _doc(cls), "params": [dict(zip(("name", "type", "default", "doc"), row,
                                                                   strict=True)) for row in describe(cls)]}
                      for name, cls in items} for kind, items in groups.items()}
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    console = Console()
    for kind, items in groups.items():
        for name, cls in items:
            table = Table(title=f"[bold]{kind} {name}[/] — {_doc(cls)}", title_justify="left", expand=False)
            for col in ("parameter", "type", "default", "doc"):
                table.add_column(col)
            for row in describe(cls):
                table.add_row(*row)
            console.print(table)
    return 0


def _doc(cls: type) -> str:
    return (cls.__doc__ or "").strip().splitlines()[0]


def cmd_export(args: argparse.Namespace) -> int:
    from codemill.io.export import export

    kind = "rejects" if args.rejects else "data"
    dest = args.to or args.output / f"export-{kind}.{args.format}"
    n = export(args.output, dest, args.format, kind)
    print(f"wrote {n} records to {dest}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from codemill.report import build_report

    print(f"wrote {build_report(args.output, args.to)}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    path = args.output / "stats.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no stats (not a finished codemill output)")
    print_summary(orjson.loads(path.read_bytes()), Console())
    return 0


def print_summary(stats: dict[str, Any], console: Console) -> None:
    t = Table(title="codemill run", title_justify="left")
    for col, just in (("stage", "left"), ("in", "right"), ("kept", "right"), ("rejected", "right"),
                      ("rejected by reason", "left"), ("seconds", "right"), ("MB/s", "right")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for s in stats["stages"]:
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(s["reasons"].items(), key=lambda kv: -kv[1]))
        rate = s["bytes_in"] / 1e6 / s["seconds"] if s["seconds"] > 0 else 0
        t.add_row(s["name"], f"{s['records_in']:,}", f"{s['kept']:,}", f"{s['rejected']:,}", reasons,
                  f"{s['seconds']:.2f}", f"{rate:,.1f}")
    tot = stats["totals"]
    console.print(t)
    console.print(f"{tot['records_in']:,} records, {tot['bytes_in'] / 1e6:,.1f} MB in {tot['seconds']:.1f} s "
                  f"({tot['mb_per_s']} MB/s, {tot['workers']} workers): kept {tot['kept']:,}, "
                  f"rejected {tot['rejected']:,}", highlight=False)


if __name__ == "__main__":
    sys.exit(main())
