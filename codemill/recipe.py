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
from codemill.ops import Op
from codemill.params import ParamError, as_dict, build, param
from codemill.registry import OPS, READERS, UnknownName

TOP_KEYS = ("inputs", "stages", "executor", "output", "seed")


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
    shard_records: int = param(2000, "records per shard (a shard is the unit of work and of resume)")
    shard_mb: int = param(32, "max MB of text per shard")

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise ParamError("workers", "must be >= 1")
        if self.shard_records < 1 or self.shard_mb < 1:
            raise ParamError("shard_records", "shard_records and shard_mb must be >= 1")

    def n_workers(self) -> int:
        return self.workers or os.cpu_count() or 1


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
        }

    def fingerprint(self) -> str:
        """Hash of everything that determines the output (not workers, not the output folder)."""
        r = self.resolved()
        r.pop("output")
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
    recipe = Recipe(inputs, stages, executor, out_path, seed, file, lines)
    from codemill.plan import check_columns  # late import: plan imports this module

    check_columns(recipe)
    return recipe


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
