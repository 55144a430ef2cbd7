"""Run a validated recipe: ingest -> segments and global steps -> finalize, with resume.

The driver reads the sources in a deterministic order and cuts them into shards of bounded
size; executors process shards; global steps read compact columns of all shards. Nothing
here knows which op or which executor runs.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from codemill.exec.local import LocalExecutor
from codemill.exec.shard import ShardTask, part_path, read_work, seg_dir, write_json, write_work
from codemill.finalize import finalize
from codemill.io.splits import Split
from codemill.monitor.live import Monitor
from codemill.monitor.prometheus import serve
from codemill.ops import StageStats
from codemill.plan import GlobalStep, Plan, build_plan
from codemill.progress import make_progress
from codemill.recipe import Recipe
from codemill.record import DUPLICATE_KEY


class RunError(RuntimeError):
    """The run cannot start or its result fails a check; the message says what to do."""


@dataclass
class Ingest:
    shards: int = 0
    records: int = 0
    ids: set[str] = field(default_factory=set)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    resumed: int = 0


@dataclass
class RunResult:
    output: Path
    stats: dict[str, Any]
    manifest: dict[str, Any]


def run(recipe: Recipe, *, resume: bool = False, overwrite: bool = False, quiet: bool = False,
        workers: int | None = None, metrics_port: int | None = None) -> RunResult:
    if recipe.output is None:
        raise recipe.error("output", "no output folder: set `output:` in the recipe or pass --output")
    out = recipe.output
    work = out / "_work"
    _prepare(out, work, recipe, resume, overwrite)
    plan = build_plan(recipe)
    n_workers = workers or recipe.executor.n_workers()
    progress = make_progress(quiet)
    log_every = None if quiet or not progress.disable else recipe.monitor.log_every_s
    monitor = Monitor(plan.stage_labels, out, recipe.alerts, recipe.monitor.interval_s, log_every)
    server = serve(monitor, metrics_port) if metrics_port is not None else None
    t0 = time.time()
    try:
        with LocalExecutor(plan, n_workers) as ex, progress, monitor:
            ingest = _segment0(recipe, plan, ex, work, resume, progress, monitor)
            for step in plan.globals:
                decisions = _global(step, ingest.shards, work, resume, monitor)
                ingest.resumed += _segment(plan, step.after + 1, decisions, ex, work, ingest.shards, resume,
                                           progress, monitor)
                for f in seg_dir(work, step.after).glob("part-*.arrow"):  # read by nothing any more
                    f.unlink()
        return finalize(recipe, plan, work, out, ingest, time.time() - t0, n_workers, monitor)
    finally:
        if server is not None:
            server.shutdown()


def _prepare(out: Path, work: Path, recipe: Recipe, resume: bool, overwrite: bool) -> None:
    plan_file = work / "plan.json"
    if resume:
        if not plan_file.exists():
            raise RunError(f"{out}: nothing to resume (no unfinished run there); run without --resume")
        old = orjson.loads(plan_file.read_bytes())
        if old["fingerprint"] != recipe.fingerprint():
            raise RunError(f"{out}: the unfinished run used a different recipe; run with --overwrite to start over")
        return
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            hint = " or --resume to finish it" if work.exists() else ""
            raise RunError(f"{out}: output folder is not empty; pass --overwrite to replace it{hint}")
        shutil.rmtree(out)
    work.mkdir(parents=True)
    write_json({"fingerprint": recipe.fingerprint(), "recipe": recipe.resolved()}, plan_file)


def _pump(pending: set[Future], on_done: Callable[[dict], None], limit: int, monitor: Monitor,
          segment: str) -> None:
    """Wait until at most `limit` tasks are in flight, handing finished results to `on_done`."""
    monitor.backlog(len(pending), segment)
    while len(pending) > limit:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for f in done:
            pending.remove(f)
            res = f.result()
            monitor.shard_done(res)
            on_done(res)
        monitor.backlog(len(pending), segment)


def _segment0(recipe: Recipe, plan: Plan, ex: LocalExecutor, work: Path, resume: bool, progress,
              monitor: Monitor) -> Ingest:
    """Read the sources into shards and run segment 0 on them.

    Records a reader yields here are cut into shards by the driver; a reader's `Split`s (byte
    ranges the workers parse themselves) are one shard each. Their ids are known only when a
    worker returns them, so repeated keys among them are found once every shard is done (see
    `_repeated_keys`).
    """
    ing = Ingest()
    cfg = recipe.executor
    max_bytes = cfg.shard_mb << 20
    pending: set[Future] = set()
    bar = progress.add_task("ingest + " + ", ".join(lbl for lbl, _ in plan.segments[0].ops), total=None)
    splits: dict[int, Split] = {}  # shard -> the byte range it reads
    results: dict[int, dict] = {}  # shard -> result, for split shards

    def done(res: dict) -> None:
        progress.update(bar, advance=res["kept"] + res["rejected"])
        if res["shard"] in splits:
            results[res["shard"]] = res

    def submit(task: ShardTask, reuse: bool = resume) -> None:
        if reuse and (prev := _finished(work, 0, task.shard, task.fingerprint)):
            ing.resumed += 1
            monitor.shard_done(prev)
            done(prev)
        else:
            pending.add(ex.submit(task))
            _pump(pending, done, ex.max_in_flight, monitor, "segment 0")

    buf: list[dict[str, Any]] = []
    size = 0
    shard_hash = xxhash.xxh3_128()

    def flush() -> None:
        nonlocal buf, size, shard_hash
        submit(ShardTask(0, ing.shards, str(work), records=buf, fingerprint=shard_hash.hexdigest()))
        ing.shards += 1
        buf, size, shard_hash = [], 0, xxhash.xxh3_128()

    for reader in recipe.inputs:
        src_hash = xxhash.xxh3_128()
        n = 0
        for unit in reader.read_units(cfg.shard_records, max_bytes):
            if isinstance(unit, Split):
                if buf:
                    flush()
                splits[ing.shards] = unit
                src_hash.update(unit.fingerprint.encode())
                submit(ShardTask(0, ing.shards, str(work), split=unit, fingerprint=unit.fingerprint))
                ing.shards += 1
                continue
            rec = unit
            content = rec.get("raw")
            if content is None:
                content = (rec.get("text") or "").encode("utf-8", "surrogatepass")
            if rec["id"] in ing.ids:
                _disambiguate(rec, ing.ids)
            ing.ids.add(rec["id"])
            digest = xxhash.xxh3_64_digest(content)
            shard_hash.update(rec["id"].encode() + digest)
            src_hash.update(rec["id"].encode() + digest)
            buf.append(rec)
            size += len(content)
            n += 1
            if len(buf) >= cfg.shard_records or size >= max_bytes:
                flush()
        ing.sources[reader.source] = {"type": reader.type_name, "path": reader.path, "records": n,
                                      "fingerprint": src_hash.hexdigest()}
        ing.records += n
    if buf or ing.shards == 0:
        flush()
    _pump(pending, done, 0, monitor, "segment 0")
    for shard, renames in _repeated_keys(ing.ids, splits, results).items():
        if results[shard]["renames"] != [list(r) for r in renames]:
            monitor.shard_undone(results[shard])
            submit(ShardTask(0, shard, str(work), split=splits[shard], renames=renames,
                             fingerprint=splits[shard].fingerprint), reuse=False)
    _pump(pending, done, 0, monitor, "segment 0")
    for shard, split in splits.items():
        res = results[shard]
        ids = list(res["ids"])
        for pos, new in res["renames"]:
            ids[pos] = new
        ing.ids.update(ids)
        ing.sources[split.reader.source]["records"] += len(ids)
        ing.records += len(ids)
    progress.update(bar, total=ing.records, completed=ing.records)
    return ing


def _repeated_keys(read_here: set[str], splits: dict[int, Split],
                   results: dict[int, dict]) -> dict[int, list[tuple[int, str]]]:
    """Per split shard, (position, fresh id) of each record whose id an earlier record has.

    "Earlier" is shard order, after every record the driver read itself (those ids were final
    when their shards were sent), so the answer depends only on the input.
    """
    every = set(read_here)
    for shard in splits:
        every.update(results[shard]["ids"])
    seen = set(read_here)
    out: dict[int, list[tuple[int, str]]] = {}
    for shard in sorted(splits):
        for pos, rid in enumerate(results[shard]["ids"]):
            if rid not in seen:
                seen.add(rid)
                continue
            k = 2
            while f"{rid}#{k}" in every:
                k += 1
            every.add(f"{rid}#{k}")
            out.setdefault(shard, []).append((pos, f"{rid}#{k}"))
    return out


def _disambiguate(rec: dict[str, Any], ids: set[str]) -> None:
    """A source key seen twice: give the repeat a fresh id and reject it (ids are never reused)."""
    base, k = rec["id"], 2
    while f"{base}#{k}" in ids:
        k += 1
    rec["id"] = f"{base}#{k}"
    if "_reject" not in rec:
        rec["_reject"] = (DUPLICATE_KEY, f"same source and key as record {base}")


def _finished(work: Path, segment: int, shard: int, fingerprint: str | None = None) -> dict | None:
    """The result of a shard an interrupted run finished, or None."""
    done = part_path(work, segment, shard, "done")
    if not done.exists():
        return None
    res = orjson.loads(done.read_bytes())
    if fingerprint is not None and res["fingerprint"] != fingerprint:
        raise RunError(f"shard {shard}: the input changed since the interrupted run; run with --overwrite")
    return res


def _global(step: GlobalStep, n_shards: int, work: Path, resume: bool, monitor: Monitor) -> pa.Table:
    """Run a global op on the columns it reads (never the text); persist its decisions, one per row."""
    dec_path = work / f"global-{step.label}.arrow"
    stats_path = work / f"global-{step.label}.json"
    monitor.backlog(0, step.label)
    if resume and dec_path.exists() and stats_path.exists():
        monitor.global_done(StageStats.from_dict(orjson.loads(stats_path.read_bytes())))
        return read_work(dec_path)
    t0 = time.perf_counter()
    cols = list(dict.fromkeys(["id", *step.op.reads]))
    parts = []
    for i in range(n_shards):
        t = read_work(part_path(work, step.after, i, "part"), cols)
        t = t.append_column("_shard", pa.array([i] * t.num_rows, pa.int32()))
        parts.append(t.append_column("_row", pa.array(range(t.num_rows), pa.int32())))
    table = pa.concat_tables(parts)
    d = step.op.decide(table)
    if len(d.reason) != table.num_rows or len(d.detail) != table.num_rows:
        raise RunError(f"{step.label}: decide() returned {len(d.reason)} decisions for {table.num_rows} rows")
    cols_out = {"_shard": table.column("_shard"), "_row": table.column("_row"),
                "reason": pa.array(d.reason, pa.string()), "detail": pa.array(d.detail, pa.string())}
    for f in (*step.op.writes, *step.op.reject_writes):
        cols_out[f.name] = pa.array(d.columns.get(f.name, [None] * table.num_rows), f.type)
    dec = pa.table(cols_out)
    st = StageStats(step.label, records_in=table.num_rows)  # its bytes are counted by the workers
    for r in d.reason:
        if r is None:
            st.kept += 1
        else:
            st.reject(r)
    st.summary = d.summary
    st.counters.update(step.op.counters)
    st.seconds = time.perf_counter() - t0
    monitor.global_done(st)
    write_work(dec, dec_path)
    write_json(st.to_dict(), stats_path)
    return dec


def _segment(plan: Plan, k: int, decisions: pa.Table, ex: LocalExecutor, work: Path, n_shards: int,
             resume: bool, progress, monitor: Monitor) -> int:
    seg = plan.segments[k]
    labels = [seg.apply[0]] if seg.apply else []
    bar = progress.add_task(" + ".join(labels + [lbl for lbl, _ in seg.ops]) or f"segment {k}", total=n_shards)
    counts = pc.value_counts(decisions.column("_shard")) if decisions.num_rows else []
    per_shard = {int(c["values"].as_py()): int(c["counts"].as_py()) for c in counts}
    pending: set[Future] = set()
    offset = resumed = 0
    for i in range(n_shards):
        n = per_shard.get(i, 0)
        if resume and (prev := _finished(work, k, i)):
            resumed += 1
            monitor.shard_done(prev)
            progress.advance(bar)
        else:
            task = ShardTask(k, i, str(work), decisions=decisions.slice(offset, n))
            pending.add(ex.submit(task))
            _pump(pending, lambda _: progress.advance(bar), ex.max_in_flight, monitor, f"segment {k}")
        offset += n
    _pump(pending, lambda _: progress.advance(bar), 0, monitor, f"segment {k}")
    return resumed
