"""The unified record schema and stable ids.

In a worker a record is a plain dict; on disk and between processes it is Arrow.
Keys starting with `_` are worker-private (never written). A reader marks a record it
could not read properly with `_reject = (reason, detail)`; the engine rejects it at the
`ingest` stage so that nothing is silently lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import xxhash

#: Columns every dataset has. `raw` holds undecoded bytes until `decode`/`normalize` runs.
CORE_FIELDS: list[pa.Field] = [
    pa.field("id", pa.string(), nullable=False),
    pa.field("text", pa.string()),
    pa.field("lang", pa.string()),
    pa.field("path", pa.string()),
    pa.field("repo", pa.string()),
    pa.field("commit", pa.string()),
    pa.field("source", pa.string()),
    pa.field("license", pa.string()),
    pa.field("created_at", pa.timestamp("s", tz="UTC")),
    pa.field("meta", pa.string()),  # JSON object of input fields the schema does not know
]
RAW_FIELD = pa.field("raw", pa.binary())
REJECT_FIELDS: list[pa.Field] = [
    pa.field("stage", pa.string()),
    pa.field("reason", pa.string()),
    pa.field("detail", pa.string()),
]
CORE_NAMES = [f.name for f in CORE_FIELDS]
DUPLICATE_KEY = "duplicate source key"  # reject reason of a record whose source key was seen before


def make_id(source: str, key: str) -> str:
    """Stable id from the source name and the record's key inside it (path, line, key field)."""
    return xxhash.xxh3_128_hexdigest(f"{source}\x00{key}".encode("utf-8", "surrogatepass"))


def new_record(source: str, key: str, **fields: Any) -> dict[str, Any]:
    rec: dict[str, Any] = dict.fromkeys(CORE_NAMES)
    rec["id"] = make_id(source, key)
    rec["source"] = source
    rec.update(fields)
    return rec


def reject_record(source: str, key: str, reason: str, detail: str, **fields: Any) -> dict[str, Any]:
    """A record a reader could not read; it goes to rejects at stage `ingest`."""
    rec = new_record(source, key, **fields)
    rec["_reject"] = (reason, detail)
    return rec


def schema_with(fields: list[pa.Field]) -> pa.Schema:
    """Core schema plus extra fields, later definitions of a name replacing earlier ones."""
    out: dict[str, pa.Field] = {f.name: f for f in CORE_FIELDS}
    for f in fields:
        out[f.name] = f
    return pa.schema(list(out.values()))


# --- worker-private per-record caches (keys starting with `_` are never written) ----------------


def cached(rec: dict[str, Any], key: str, text: str, make: Callable[[], Any]) -> Any:
    """A worker-private per-record value keyed by the text object (stale once an op rewrites text)."""
    hit = rec.get(key)
    if hit is not None and hit[0] is text:
        return hit[1]
    value = make()
    rec[key] = (text, value)
    return value


def utf8_of(rec: dict[str, Any]) -> bytes:
    """The record's text as UTF-8 (surrogatepass), encoded once per text for every op of a segment."""
    text = rec["text"]
    return cached(rec, "_utf8", text, lambda: text.encode("utf-8", "surrogatepass"))


def text_batches(recs: list[dict[str, Any]], max_bytes: int = 1 << 20) -> Iterator[list[dict[str, Any]]]:
    """Consecutive runs of records of about `max_bytes` of UTF-8 text (at least one record each):
    the unit a batch hook passes to numpy at once, so that its arrays stay in the CPU cache."""
    batch: list[dict[str, Any]] = []
    size = 0
    for rec in recs:
        batch.append(rec)
        size += len(utf8_of(rec))
        if size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
