"""Child processes and database bookkeeping for the service (``pressmon run``).

Crawls and digests run as ``python -m monitor`` subprocesses in their own
session, ended at their limit (SIGTERM, then SIGKILL for the whole group); the
SQL helpers fix up ``crawls`` rows such a child leaves ``running``, find
missing digests and checkpoint the WAL (DB-3); :func:`dispatch_alerts` runs the
alert dispatcher in the service's own process (it is quick, and Scrapy-free).
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from monitor import clock
from monitor.alerts import HealthWatch, Summary, dispatch
from monitor.config import Config
from monitor.maintenance import checkpoint
from monitor.store import open_store

log = logging.getLogger(__name__)

WAL_WARN_BYTES = 256 * 1024 * 1024  # DB-3: a WAL this big means checkpoints are starved
CLOCK_JUMP_SECONDS = 120.0  # SCH-6: wall-clock steps beyond this are logged
KILL_GRACE_SECONDS = 10.0  # after SIGTERM, a child gets this long before SIGKILL
BUSY_TIMEOUT_SECONDS = 10.0


class Process(Protocol):
    """What the service needs of a child process (``subprocess.Popen`` has it)."""

    pid: int
    returncode: int | None

    def wait(self, timeout: float | None = None) -> int: ...  # raises subprocess.TimeoutExpired
    def terminate(self) -> None: ...
    def kill(self) -> None: ...


Launcher = Callable[[list[str]], Process]


@dataclass(frozen=True)
class Outcome:
    """How a child process ended: ``exited`` (see ``returncode``), ``timeout`` or ``shutdown``."""

    how: str
    returncode: int | None
    seconds: float


# -- commands and processes ----------------------------------------------------


def monitor_command(home: Path, db: Path, *args: str) -> list[str]:
    """``python -m monitor --home HOME --db DB ARGS`` with this interpreter."""
    return [sys.executable, "-m", "monitor", "--home", str(home), "--db", str(db), *args]


def launch(command: list[str]) -> subprocess.Popen[bytes]:
    """Start ``command`` in its own session, its output going to our stderr.

    Its own session: a Ctrl-C on the terminal reaches it only through the
    service (which gives it time to finish), and its workers can be killed as a group.
    """
    stderr_fd = 2  # not sys.stderr, which a test runner or a wrapper may replace
    return subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=stderr_fd, start_new_session=True
    )


def end_process(process: Process, grace: float = KILL_GRACE_SECONDS) -> None:
    """SIGTERM ``process`` (a crawl then closes gracefully), SIGKILL its group after ``grace``."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
        return
    except subprocess.TimeoutExpired:
        log.warning("pid %d did not stop within %.0fs: killing it", process.pid, grace)
    _kill(process)
    process.wait()


def _kill(process: Process) -> None:
    """SIGKILL ``process``, and its whole group when it leads one (its extraction workers)."""
    try:
        if isinstance(process, subprocess.Popen) and os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signal.SIGKILL)
            return
    except (ProcessLookupError, PermissionError):
        pass
    process.kill()


# -- the database: crawls rows, digests rows, WAL --------------------------------


def _connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db), timeout=BUSY_TIMEOUT_SECONDS)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    return conn


def mark_crawl_failed(
    db: Path, site: str, since: str, failure: str, statuses: tuple[str, ...] = ("running",)
) -> int | None:
    """Mark the newest crawl of ``site`` started at or after ``since`` and still in one of
    ``statuses`` as ``failed`` with ``failure``; its id, or None when there is none."""
    marks = ", ".join("?" for _ in statuses)
    with closing(_connect(db)) as conn, conn:
        row = conn.execute(
            f"SELECT id FROM crawls WHERE site = ? AND started_at >= ? AND status IN ({marks}) "  # noqa: S608
            "ORDER BY id DESC LIMIT 1",
            [site, since, *statuses],
        ).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE crawls SET status = 'failed', failure = ?, finished_at = ? WHERE id = ?",
            [failure, clock.now_iso(), row[0]],
        )
    return int(row[0])


def missing_digests(db: Path, watchlists: list[str], day: date) -> list[str]:
    """The watchlists without a ``digests`` row for ``day``."""
    with closing(_connect(db)) as conn:
        rows = conn.execute("SELECT watchlist FROM digests WHERE date = ?", [day.isoformat()])
        done = {row[0] for row in rows}
    return [name for name in watchlists if name not in done]


def wal_size(db: Path) -> int:
    """Bytes in the database's write-ahead log (0 when there is none)."""
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def checkpoint_wal(db: Path) -> int:
    """``PRAGMA wal_checkpoint(TRUNCATE)``: keep the WAL from growing without bound (DB-3).

    Returns the WAL's size before; a WAL past :data:`WAL_WARN_BYTES` is logged as a
    warning (a reader holding a transaction open starves checkpoints).
    """
    before = wal_size(db)
    store = open_store(db)
    try:
        busy, frames, done = checkpoint(store)
    finally:
        store.close()
    log.info(
        "checkpoint: %s: WAL was %d bytes; %d of %d frames copied (busy=%d)",
        db,
        before,
        done,
        frames,
        busy,
    )
    if before > WAL_WARN_BYTES:
        log.warning(
            "checkpoint: %s: the WAL had grown to %d MiB: is a reader keeping a transaction open?",
            db,
            before // (1024 * 1024),
        )
    return before


class ClockWatch:
    """Notices the wall clock stepping (NTP, a restored VM): schedules follow it (SCH-6)."""

    def __init__(
        self,
        wall: Callable[[], datetime] = clock.now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.wall, self.monotonic = wall, monotonic
        self.last = (wall(), monotonic())

    def check(self) -> float | None:
        """The jump since the last check, in seconds, when it exceeds :data:`CLOCK_JUMP_SECONDS`."""
        now = (self.wall(), self.monotonic())
        drift = (now[0] - self.last[0]).total_seconds() - (now[1] - self.last[1])
        self.last = now
        if abs(drift) <= CLOCK_JUMP_SECONDS:
            return None
        log.warning(
            "the wall clock jumped by %+.0f s; scheduled jobs now follow the new time", drift
        )
        return drift


def dispatch_alerts(
    db: Path,
    config: Config,
    *,
    environ: Mapping[str, str] | None = None,
    watch_health: HealthWatch | None = None,
) -> Summary | None:
    """One run of the alert dispatcher on ``db``; None when there is nothing to do.

    ``watch_health`` (``monitor.health_watch.note_health_changes``) first turns
    changes of site health into deliveries. Without subscribers nothing is done.
    """
    if not config.subscribers:
        log.debug("alerts: no subscribers configured")
        return None
    store = open_store(db)
    try:
        summary = dispatch(store, config, clock.now(), environ=environ, watch_health=watch_health)
    finally:
        store.close()
    if summary.sent or summary.retrying or summary.failed:
        log.info("%s", summary.line())
    return summary
