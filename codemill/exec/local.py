"""`local` executor: a process pool on this machine (the default). One worker runs in-process.

The plan is shipped once per worker (pool initializer), ops are set up once per worker, and
tasks carry only a shard. The runner bounds the number of tasks in flight, so memory stays
bounded by (workers + in-flight) x shard size whatever the corpus size.
"""

from __future__ import annotations

import sys
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import pyarrow as pa

from codemill.exec.shard import ShardTask, run_shard
from codemill.exec.start import worker_context
from codemill.plan import Plan

_PLAN: Plan | None = None


def without_pandas_probe() -> None:
    """Stop pyarrow from importing pandas (about 1 s) the first time it builds an array.

    pyarrow probes for pandas on first use to recognise DataFrames; codemill never hands it one.
    Making that one probe fail records "no pandas" in pyarrow; `import pandas` still works
    afterwards, and so does `to_pandas()`. Only for processes codemill owns (workers, the CLI):
    in a notebook, pyarrow would then not recognise the user's DataFrames.
    """
    if "pandas" in sys.modules:
        return
    sys.meta_path.insert(0, _NoPandas)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(_NoPandas)


class _NoPandas:
    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name == "pandas":
            raise ImportError("pandas is not imported in codemill's own processes")


def _init(plan: Plan, pool: bool = False) -> None:
    global _PLAN
    _PLAN = plan
    if pool:
        without_pandas_probe()
    for seg in plan.segments:
        for _, op in seg.ops:
            op.setup()


def _run(task: ShardTask) -> dict[str, Any]:
    assert _PLAN is not None
    return run_shard(_PLAN, task)


class LocalExecutor:
    def __init__(self, plan: Plan, workers: int) -> None:
        self.plan, self.workers = plan, workers
        self._pool: ProcessPoolExecutor | None = None

    @property
    def max_in_flight(self) -> int:
        return 2 * self.workers

    def __enter__(self) -> LocalExecutor:
        if self.workers > 1:
            # a fork server or spawn: no inherited threads/locks from the driver (progress bars, readers)
            self._pool = ProcessPoolExecutor(self.workers, worker_context(), initializer=_init,
                                             initargs=(self.plan, True))
        else:
            _init(self.plan)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, task: ShardTask) -> Future:
        if self._pool is not None:
            return self._pool.submit(_run, task)
        fut: Future = Future()
        try:
            fut.set_result(run_shard(self.plan, task))
        except Exception as e:  # surfaced by fut.result(), as a pool would
            fut.set_exception(e)
        return fut
