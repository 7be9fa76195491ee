"""One ``pressmon run`` per database: the ``<db>.lock`` file (SCH-4), held and read.

The service holds an exclusive ``flock`` on the file for its whole life and
writes its pid into it; :func:`service_pid` lets ``status`` tell whether a
service is running on a database without disturbing it (the lock is tried,
never taken for long). The file stays behind when the service ends: deleting
a lock file others may have open races.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.errors import MonitorError, StoreError


class ServiceLockedError(MonitorError):
    """Another ``pressmon run`` holds the database's lock (SCH-4)."""


def lock_path(db: Path) -> Path:
    """``<db>.lock``, next to the database."""
    return db.with_name(db.name + ".lock")


@contextmanager
def hold_lock(db: Path) -> Iterator[Path]:
    """Hold ``<db>.lock`` (``flock``; the file holds our pid) for the life of the block.

    Raises :class:`ServiceLockedError` naming the database and the holder's pid,
    :class:`StoreError` when the lock file cannot be created.
    """
    path = lock_path(db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise StoreError(f"{path}: cannot open the lock file: {err.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServiceLockedError(
                f"{db} is already served by another `pressmon run` (pid {_holder(fd)}; "
                f"lock {path}): stop that one first, or give this one another --db"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)


def service_pid(db: Path) -> int | None:
    """The pid of the ``pressmon run`` serving ``db``; None when none is (or none can tell)."""
    try:
        fd = os.open(lock_path(db), os.O_RDONLY)
    except OSError:
        return None  # no lock file: no service ever ran here
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            return int(holder) if holder.isdigit() else 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    """The pid written in the lock file, as text ("unknown" when it is empty)."""
    return os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
