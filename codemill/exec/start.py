"""How the local executor's worker processes start: forked from a server that imported the engine.

A spawned worker imports pyarrow, numpy and the engine itself (about half a second) before its
first shard. A fork server does that once, and can do it while the driver is still importing
and reading the recipe (`warm_up`, called by the CLI first thing): the workers then fork from
it ready to run. The server is a fresh single-threaded interpreter, so nothing of the driver's
threads or locks is inherited, as with spawn. Where there is no fork server (Windows), spawn.
This module imports nothing heavy, so that `warm_up` can run before the driver's own imports.
"""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing.context import BaseContext

#: what every worker needs before its first shard (op modules come with the plan)
PRELOAD = ["codemill.exec.local"]


def worker_context() -> BaseContext:
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def warm_up() -> None:
    """Start the fork server now, so that it imports the engine while this process goes on."""
    ctx = worker_context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
