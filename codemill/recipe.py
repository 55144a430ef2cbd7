"""YAML recipe -> validated `Recipe`. Every user mistake is one `RecipeError` naming file, line and field.

Relative paths in a recipe file (inputs, output) are resolved against the recipe's folder;
in a recipe given as a dict, against the current directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
import yaml

from codemill.io.base import Reader
from codemill.monitor.alerts import AlertRule
from codemill.ops import Op
from codemill.params import ParamError, as_dict, build, param
from codemill.registry import OPS, READERS, UnknownName

TOP_KEYS = ("inputs", "stages", "executor", "output", "seed", "alerts", "monitor")


class RecipeError(ValueError):
    """A malformed recipe: `file:line: field: message`."""

    def __init__(self, file: str, line: int | None, field: str, message: str) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


@dataclass
class ExecutorConfig:
    type: Literal["local"] = param("local", "where the recipe runs: `local` (process pool)")
    workers: int | None = param(None, "worker processes (default: CPU count)")
    shard_records: int = param(2000, "records per shard (a shard is the unit of work, of resume and of output files)")
    shard_mb: int = param(32, "max MB of text per shard")

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise ParamError("workers", "must be >= 1")
        if self.shard_records < 1 or self.shard_mb < 1:
            raise ParamError("shard_records", "shard_records and shard_mb must be >= 1")

    def n_workers(self) -> int:
        return self.workers or os.cpu_count() or 1


@dataclass
class MonitorConfig:
    interval_s: float = param(1.0, "seconds between samples in metrics.jsonl (and alert checks)")
    log_every_s: float = param(10.0, "seconds between one-line progress logs when stderr is not a terminal")

    def __post_init__(self) -> None:
        if self.interval_s <= 0 or self.log_every_s <= 0:
            raise ParamError("interval_s", "interval_s and log_every_s must be > 0")


@dataclass
class Stage:
    label: str  # unique name of the stage in this run (the op name, `#2` for a repeat)
    op: Op
    field: str  # where it is in the recipe, for errors


@dataclass
class Recipe:
    inputs: list[Reader]
    stages: list[Stage]
    executor: ExecutorConfig
    output: Path | None
    seed: int
    file: str
    lines: dict[str, int] = dataclasses.field(default_factory=dict)
    alerts: list[AlertRule] = dataclasses.field(default_factory=list)
    monitor: MonitorConfig = dataclasses.field(default_factory=MonitorConfig)

    def error(self, field: str, message: str) -> RecipeError:
        return RecipeError(self.file, _line_of(self.lines, field), field, message)

    def resolved(self) -> dict[str, Any]:
        """The recipe with every default filled in (written to the manifest)."""
        return {
            "inputs": [{"type": r.type_name, **as_dict(r)} for r in self.inputs],
            "stages": [{s.op.name: as_dict(s.op)} for s in self.stages],
            "executor": as_dict(self.executor),
            "output": str(self.output) if self.output else None,
            "seed": self.seed,
            "alerts": [as_dict(a) for a in self.alerts],
            "monitor": as_dict(self.monitor),
        }

    def fingerprint(self) -> str:
        """Hash of everything that determines the output (not workers, not the output folder)."""
        r = self.resolved()
        for key in ("output", "alerts", "monitor"):
            r.pop(key)
        r["executor"] = {k: v for k, v in r["executor"].items() if k != "workers"}
        return hashlib.sha256(orjson.dumps(r, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


# -- loading ------------------------------------------------------------------------------------

def load_recipe(src: str | Path | dict[str, Any], output: str | Path | None = None) -> Recipe:
    """Parse and validate a recipe file or dict; raises RecipeError for any user mistake."""
    if isinstance(src, dict):
        data, lines, file, base = src, {}, "<recipe dict>", Path.cwd()
    else:
        path = Path(src)
        file = str(src)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise RecipeError(file, None, "", f"cannot read recipe: {e.strerror or e}") from None
        data, lines = _parse_yaml(text, file)
        base = path.resolve().parent
    return _validate(data, lines, file, base, output)


def _parse_yaml(text: str, file: str) -> tuple[Any, dict[str, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise RecipeError(file, line, "", f"not valid YAML: {getattr(e, 'problem', e)}") from None
    lines: dict[str, int] = {}
    loader = yaml.SafeLoader("")

    def conv(n: yaml.Node, field: str) -> Any:
        lines.setdefault(field, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out = {}
            for k, v in n.value:
                key = loader.construct_object(k, deep=True)
                sub = f"{field}.{key}" if field else str(key)
                lines[sub] = k.start_mark.line + 1
                out[key] = conv(v, sub)
            return out
        if isinstance(n, yaml.SequenceNode):
            return [conv(v, f"{field}[{i}]") for i, v in enumerate(n.value)]
        return loader.construct_object(n, deep=True)

    return (conv(node, "") if node is not None else {}), lines


def _line_of(lines: dict[str, int], field: str) -> int | None:
    while field:
        if field in lines:
            return lines[field]
        cut = max(field.rfind("."), field.rfind("["))
        field = field[:cut] if cut > 0 else ""
    return lines.get("")


def _validate(data: Any, lines: dict[str, int], file: str, base: Path, output: str | Path | None) -> Recipe:
    def err(field: str, message: str) -> RecipeError:
        return RecipeError(file, _line_of(lines, field), field, message)

    if not isinstance(data, dict):
        raise err("", "a recipe is a mapping with keys " + ", ".join(TOP_KEYS))
    for key in data:
        if key not in TOP_KEYS:
            raise err(str(key), f"unknown key {key!r}; valid keys: {', '.join(TOP_KEYS)}")

    raw_inputs = data.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise err("inputs", "needs a list of at least one input, e.g. [{type: files, path: ./src}]")
    inputs = [_build_input(item, f"inputs[{i}]", base, err) for i, item in enumerate(raw_inputs)]
    names = [r.source for r in inputs]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise err(f"inputs[{i}].name", f"two inputs have the source name {n!r}; give one a distinct `name`")

    raw_stages = data.get("stages") or []
    if not isinstance(raw_stages, list):
        raise err("stages", "expected a list of stages, e.g. [normalize: {}, exact_dedup: {}]")
    stages: list[Stage] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw_stages):
        field = f"stages[{i}]"
        if isinstance(item, str):
            item = {item: {}}
        if not isinstance(item, dict) or len(item) != 1:
            raise err(field, "each stage is one op name with its parameters, e.g. `- size_filter: {max_bytes: 100000}`")
        ((opname, params),) = item.items()
        try:
            cls = OPS.get(str(opname))
        except UnknownName as e:
            raise err(field, str(e)) from None
        try:
            op = build(cls, params, f"{field}.{opname}")
        except ParamError as e:
            raise err(e.field, e.message) from None
        seen[opname] = seen.get(opname, 0) + 1
        label = opname if seen[opname] == 1 else f"{opname}#{seen[opname]}"
        stages.append(Stage(label, op, f"{field}.{opname}"))

    try:
        executor = build(ExecutorConfig, data.get("executor"), "executor")
    except ParamError as e:
        raise err(e.field, e.message) from None

    out = output if output is not None else data.get("output")
    if out is not None and not isinstance(out, str | Path):
        raise err("output", f"expected a folder path, got {out!r}")
    out_path = None if out is None else (Path(out) if Path(out).is_absolute() or output else base / out)

    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise err("seed", f"expected int, got {seed!r}")
    try:
        monitor = build(MonitorConfig, data.get("monitor"), "monitor")
    except ParamError as e:
        raise err(e.field, e.message) from None
    alerts = _build_alerts(data.get("alerts"), ["ingest"] + [s.label for s in stage_list_of(stages)], err)
    recipe = Recipe(inputs, stages, executor, out_path, seed, file, lines, alerts, monitor)
    from codemill.plan import check_columns  # late import: plan imports this module

    check_columns(recipe)
    return recipe


def stage_list_of(stages: list[Stage]) -> list[Stage]:
    """The stages as the plan runs them (with the implicit `decode` when no decoder leads)."""
    from codemill.plan import DECODERS

    if not stages or stages[0].op.name not in DECODERS:
        return [Stage("decode", OPS.get("decode")(), "stages"), *stages]
    return list(stages)


def _build_alerts(raw: Any, labels: list[str], err: Any) -> list[AlertRule]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise err("alerts", "expected a list of rules, e.g. [{metric: throughput_mb_s, below: 5, for: 30s}]")
    rules = []
    for i, item in enumerate(raw):
        field = f"alerts[{i}]"
        params = dict(item) if isinstance(item, dict) else item
        if isinstance(params, dict) and "for" in params:
            params["for_"] = params.pop("for")
        try:
            rule = build(AlertRule, params, field)
        except ParamError as e:
            raise err(e.field.replace("for_", "for"), e.message.replace("'for_'", "'for'")) from None
        if rule.stage is not None and rule.stage not in labels:
            raise err(f"{field}.stage", f"unknown stage {rule.stage!r}; stages of this recipe: {', '.join(labels)}")
        rules.append(rule)
    return rules


def _build_input(item: Any, field: str, base: Path, err: Any) -> Reader:
    if not isinstance(item, dict) or "type" not in item:
        raise err(field, f"each input needs a `type`; valid types: {', '.join(READERS.names())}")
    params = dict(item)
    kind = params.pop("type")
    try:
        cls = READERS.get(str(kind))
    except UnknownName as e:
        raise err(f"{field}.type", str(e)) from None
    try:
        reader = build(cls, params, field)
        reader.bind(base)
    except ParamError as e:
        name = e.field if e.field.startswith(field) else f"{field}.{e.field}"
        raise err(name, e.message) from None
    return reader
