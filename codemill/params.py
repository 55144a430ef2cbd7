"""Typed parameters for ops, readers and executors: declare once, validate with clear errors, list in `codemill ops`.

A configurable class is a dataclass whose fields are made with `param(default, doc)`.
`build(cls, mapping, where)` checks names and types against the annotations and reports
the first problem as a `ParamError` naming the field and the valid choices.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin


class ParamError(ValueError):
    """A user mistake in a parameter; `field` is the dotted path inside the recipe."""

    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def param(default: Any, doc: str) -> Any:
    """A dataclass field with a one-line doc; mutable defaults are copied per instance."""
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda d=default: type(d)(d), metadata={"doc": doc})
    return dataclasses.field(default=default, metadata={"doc": doc})


def required(doc: str) -> Any:
    return dataclasses.field(metadata={"doc": doc})


def type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " | ".join(type_name(a) for a in get_args(tp))
    if origin is list:
        return f"list[{type_name(get_args(tp)[0])}]"
    if origin is dict:
        k, v = get_args(tp)
        return f"dict[{type_name(k)}, {type_name(v)}]"
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


def check(value: Any, tp: Any, field: str) -> Any:
    """Return `value` converted to `tp` (int -> float only) or raise ParamError."""
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is Literal:
        if value in get_args(tp):
            return value
        raise ParamError(field, f"{value!r} is not valid; choose one of {', '.join(map(repr, get_args(tp)))}")
    if origin in (Union, types.UnionType):
        for alt in get_args(tp):
            try:
                return check(value, alt, field)
            except ParamError:
                continue
        raise ParamError(field, f"expected {type_name(tp)}, got {_show(value)}")
    if origin is list:
        if not isinstance(value, list):
            raise ParamError(field, f"expected {type_name(tp)}, got {_show(value)}")
        (item,) = get_args(tp)
        return [check(v, item, f"{field}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ParamError(field, f"expected {type_name(tp)}, got {_show(value)}")
        kt, vt = get_args(tp)
        return {check(k, kt, field): check(v, vt, f"{field}.{k}") for k, v in value.items()}
    if tp is type(None):
        if value is None:
            return None
    elif tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(tp, type) and isinstance(value, tp):
        return value
    raise ParamError(field, f"expected {type_name(tp)}, got {_show(value)}")


def _show(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if value is not None else "null"


def fields(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if f.init and not f.name.startswith("_")]


def build(cls: type, mapping: Any, where: str) -> Any:
    """Instantiate dataclass `cls` from a recipe mapping, validating names and types."""
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, dict):
        raise ParamError(where, f"expected a mapping of parameters, got {_show(mapping)}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    for key in mapping:
        if key not in known:
            valid = ", ".join(sorted(known)) or "(none)"
            raise ParamError(f"{where}.{key}", f"unknown parameter {key!r}; valid parameters: {valid}")
    kwargs = {}
    for name, f in known.items():
        if name in mapping:
            kwargs[name] = check(mapping[name], hints[name], f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ParamError(f"{where}.{name}", f"required parameter missing ({f.metadata.get('doc', '')})")
    try:
        return cls(**kwargs)
    except ParamError as e:
        raise ParamError(f"{where}.{e.field}", e.message) from None


def describe(cls: type) -> list[tuple[str, str, str, str]]:
    """(name, type, default, doc) for each parameter, for `codemill ops` and the README."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in fields(cls):
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = "(required)"
        rows.append((f.name, type_name(hints[f.name]), default, f.metadata.get("doc", "")))
    return rows


def as_dict(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(type(obj))}
