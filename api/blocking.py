"""Blocking work (database reads and writes, CSV parsing) off the event loop.

One thread of its own rather than the server's default pool of 40: with a thread per concurrent
request, the threads queue for the GIL and SQLite's connections, and a read took 3x as long
(bench/api_load.py). Identical concurrent reads share one round trip (``shared_read``).
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_pool: ThreadPoolExecutor | None = None
_processes: ProcessPoolExecutor | None = None
_reads: dict[Any, tuple[int, asyncio.Future[Any]]] = {}
_writes = 0  # API writes done so far; a read started before one is never shared after it


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        workers = int(os.environ.get("TUNEDRIVE_API_THREADS", "1"))
        _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tunedrive-blocking")
    return _pool


async def off_loop(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs ``function`` in the blocking pool and awaits its result."""
    call = functools.partial(function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(), call)


async def in_process(function: Callable[..., T], *args: Any) -> T:
    """Runs CPU-bound pure work (parsing a large upload) in a worker process: a thread would
    hold the GIL for seconds and stall every read the loop serves meanwhile."""
    global _processes
    if _processes is None:
        # Workers fork from a clean server process, not from this one: forking a process that
        # has loaded TensorFlow or Ray (their threads, their locks) killed the worker in CI.
        # The server preloads pandas once, so a new pool's worker starts in milliseconds.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["pandas", "tuner.core.uploads"])
        _processes = ProcessPoolExecutor(max_workers=1, mp_context=context)
    return await asyncio.get_running_loop().run_in_executor(_processes, function, *args)


_models: ProcessPoolExecutor | None = None


async def in_model_process(function: Callable[..., T], *args: Any) -> T:
    """Runs work that loads a model (a forecast) in a worker process of its own: TensorFlow
    stays loaded there between calls, and an upload's parse never waits behind it."""
    global _models
    if _models is None:
        context = multiprocessing.get_context("forkserver")
        _models = ProcessPoolExecutor(max_workers=1, mp_context=context)
    return await asyncio.get_running_loop().run_in_executor(_models, function, *args)


async def shared_read(key: Any, function: Callable[..., T], *args: Any) -> T:
    """Identical reads that arrive while one is under way wait for its result instead of
    each taking a database round trip (a dashboard's viewers all poll the same experiment).
    Never across a write of this API: a client that wrote, then reads, sees its write."""
    current = _reads.get(key)
    if current is not None and current[0] == _writes:
        return await asyncio.shield(current[1])
    future = asyncio.ensure_future(off_loop(function, *args))
    _reads[key] = (_writes, future)
    try:
        return await asyncio.shield(future)
    finally:
        if _reads.get(key, (0, None))[1] is future:
            del _reads[key]


def note_write() -> None:
    """Called by every API write, after it is done."""
    global _writes
    _writes += 1


def shutdown() -> None:
    """At server shutdown: no parse or forecast outlives the server."""
    global _pool, _processes, _models
    for workers in (_processes, _models):
        if workers is None:
            continue
        for process in list(getattr(workers, "_processes", {}).values()):
            # No public way to end a running task before Python 3.14; a parse under way
            # would otherwise hold the shutdown for seconds.
            process.kill()
        workers.shutdown(wait=False, cancel_futures=True)
    _processes = _models = None
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None
