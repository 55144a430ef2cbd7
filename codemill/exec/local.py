"""`local` executor: a process pool on this machine (the default). One worker runs in-process.

The plan is shipped once per worker (pool initializer), ops are set up once per worker, and
tasks carry only a shard. The runner bounds the number of tasks in flight, so memory stays
bounded by (workers + in-flight) x shard size whatever the corpus size.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from codemill.exec.shard import ShardTask, run_shard
from codemill.plan import Plan

_PLAN: Plan | None = None


def _init(plan: Plan) -> None:
    global _PLAN
    _PLAN = plan
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
            # spawn: no inherited threads/locks from the driver (progress bars, readers)
            self._pool = ProcessPoolExecutor(self.workers, mp.get_context("spawn"), initializer=_init,
                                             initargs=(self.plan,))
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
