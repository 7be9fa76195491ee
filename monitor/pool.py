"""Extraction off the reactor: a process pool with a hard time limit per page (EXT-5).

trafilatura can run for minutes on a pathological page (trafilatura#704) and
offers no timeout outside its CLI, so pages are extracted in worker processes
(pebble): a task that overruns is killed with its worker, pebble starts a new
one, and the task's future raises :class:`concurrent.futures.TimeoutError`.
A worker that dies (segfault, ``os._exit``, the kernel's OOM killer) fails
only its own task, with ``pebble.ProcessExpired``. Workers are recycled
every ``max_tasks`` pages to bound memory growth, and each caps its own
address space (``RLIMIT_AS``) so a runaway page ends in a ``MemoryError``
(reported as ``skip_reason='error'``) instead of swapping the host.

:class:`InlinePool` has the same interface and runs everything in-process
(tests, ``workers = 1`` debugging); it enforces no time limit.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar

from pebble import ProcessPool

from monitor.extract import extract_page
from monitor.items import Extracted

try:
    import resource
except ImportError:  # pragma: no cover - not on Windows
    resource = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_TASKS = 500
DEFAULT_MEMORY_MB = 2048
_PRELOAD = ["monitor.extract"]


class _PagePool:
    """What both pools share: one page → a future of its :class:`Extracted`."""

    def submit(
        self,
        html: str,
        url: str,
        language: str | None,
        boilerplate: tuple[str, ...],
        timezone: str | None = None,
    ) -> concurrent.futures.Future[Extracted]:
        """Schedule :func:`~monitor.extract.extract_page` for one page."""
        return self.submit_call(extract_page, html, url, language, tuple(boilerplate), timezone)

    def submit_call(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        raise NotImplementedError


class ExtractPool(_PagePool):
    """A pool of extraction worker processes, one per core unless told otherwise.

    ``workers=0`` means ``os.cpu_count()``; ``timeout`` is the hard limit in
    seconds for one task; ``max_tasks`` recycles a worker after that many
    tasks; ``memory_limit_mb`` caps each worker's address space (None: no
    cap). Workers are started with ``forkserver`` where available: forking
    the crawler itself (which runs threads) is unsafe, and the fork server
    has imported trafilatura once so new workers start fast. As with any
    non-fork start method, the program's main module must guard its entry
    point (``if __name__ == "__main__":``); console scripts do.
    """

    def __init__(
        self,
        workers: int = 0,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        max_tasks: int = DEFAULT_MAX_TASKS,
        memory_limit_mb: int | None = DEFAULT_MEMORY_MB,
        start_method: str | None = "forkserver",
    ) -> None:
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.timeout = timeout
        self._pool = ProcessPool(
            max_workers=self.workers,
            max_tasks=max_tasks,
            initializer=_init_worker,
            initargs=(memory_limit_mb,),
            context=_context(start_method),
        )
        log.debug("extraction pool: %d workers, %.0f s per page", self.workers, timeout)

    def submit_call(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Schedule any picklable top-level ``fn(*args)`` under the same time limit."""
        return self._pool.schedule(fn, args=args, timeout=self.timeout)

    def close(self) -> None:
        """Stop taking tasks, let the running ones finish (each within its limit), join."""
        self._pool.close()
        self._pool.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class InlinePool(_PagePool):
    """:class:`ExtractPool`'s interface, run in the calling process; futures come back done.

    No time limit is enforced (``timeout`` is accepted for symmetry).
    """

    def __init__(self, workers: int = 1, timeout: float | None = None, **_: Any) -> None:
        self.workers = 1
        self.timeout = timeout

    def submit_call(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Run ``fn(*args)`` now; its result or exception is in the returned future."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # handed to the caller through the future, like an executor
            future.set_exception(exc)
        return future

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _context(start_method: str | None) -> Any:
    """The multiprocessing context for workers (``forkserver`` preloads extraction)."""
    if start_method is None or start_method not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context()
    context = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    return context


def _init_worker(memory_limit_mb: int | None) -> None:
    """Worker initializer: cap the address space (EXT-5)."""
    if not memory_limit_mb or resource is None:
        return
    limit = memory_limit_mb * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
