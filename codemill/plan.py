"""Recipe stages -> an execution plan: fused map segments separated by global steps.

```
seg0: [decode?, map ops..., prepare(g1)]  ->  g1.decide  ->  seg1: [apply g1, map ops..., prepare(g2)] -> ...
```
Every plan ends with a map segment (possibly empty) that applies the last global decisions.
Schemas are fixed here, so every shard of a segment has the same columns and types.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from codemill.ops import GlobalOp, MapOp, PrepareStep
from codemill.record import CORE_FIELDS, RAW_FIELD, REJECT_FIELDS, schema_with

DECODERS = ("decode", "normalize")  # ops that turn `raw` bytes into `text`


@dataclass
class Segment:
    index: int
    ops: list[tuple[str, MapOp]] = field(default_factory=list)  # (stage label, op)
    apply: tuple[str, GlobalOp] | None = None  # global step whose decisions open this segment
    schema: pa.Schema | None = None  # kept records leaving this segment


@dataclass
class GlobalStep:
    label: str
    op: GlobalOp
    after: int  # index of the segment whose output it reads


@dataclass
class Plan:
    segments: list[Segment]
    globals: list[GlobalStep]
    stage_labels: list[str]  # every stage in order, `ingest` first
    reject_schema: pa.Schema

    @property
    def data_schema(self) -> pa.Schema:
        return self.segments[-1].schema


def stage_list(recipe) -> list:
    """The recipe's stages with the implicit `decode` first when no decoder leads."""
    from codemill.recipe import stage_list_of

    return stage_list_of(recipe.stages)


def build_plan(recipe) -> Plan:
    stages = stage_list(recipe)
    segments = [Segment(0)]
    globals_: list[GlobalStep] = []
    kept_fields: list[pa.Field] = []
    extra_reject: list[pa.Field] = []
    for st in stages:
        seg = segments[-1]
        if isinstance(st.op, GlobalOp):
            seg.ops.append((st.label, PrepareStep(st.op)))
            kept_fields += st.op.prepare_writes
            seg.schema = schema_with(kept_fields)
            globals_.append(GlobalStep(st.label, st.op, seg.index))
            kept_fields += st.op.writes
            extra_reject += st.op.reject_writes
            segments.append(Segment(seg.index + 1, apply=(st.label, st.op)))
        else:
            seg.ops.append((st.label, st.op))
            kept_fields += st.op.writes
        segments[-1].schema = schema_with(kept_fields)
    reject_schema = pa.schema(
        list(schema_with([RAW_FIELD, *kept_fields, *extra_reject])) + REJECT_FIELDS
    )
    labels = ["ingest"] + [s.label for s in stages]
    return Plan(segments, globals_, labels, reject_schema)


def check_columns(recipe) -> None:
    """Fail before any data is read when a stage reads a column no earlier stage writes."""
    available = {f.name for f in CORE_FIELDS} | {RAW_FIELD.name}
    for st in stage_list(recipe):
        op = st.op
        steps = [(op.prepare_reads, op.prepare_writes)] if isinstance(op, GlobalOp) else []
        for reads, writes in [*steps, (op.reads, op.writes)]:
            for col in reads:
                if col not in available:
                    raise recipe.error(st.field, f"reads column {col!r} that no earlier stage writes; "
                                                 f"available: {', '.join(sorted(available))}")
            available |= {f.name for f in writes}
