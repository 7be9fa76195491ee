"""``pressmon backup``: a consistent, verified copy of the live database file.

The copy is taken with SQLite's online backup API inside one read transaction
(a WAL snapshot: crawls go on writing, and the copy is the database as of its
start), into a temporary file checked with ``PRAGMA integrity_check`` before it
is renamed into place.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from monitor.maintenance import MaintenanceError
from monitor.store import BUSY_TIMEOUT_MS

BACKUP_STEP_PAGES = 1024
"""Pages copied per backup step (4 MiB with SQLite's default page size)."""


@dataclass(frozen=True)
class BackupResult:
    """A verified copy: where, how big, and what ``PRAGMA integrity_check`` said."""

    path: Path
    size: int
    tables: int
    integrity: str


def backup(
    source: Path, target: Path, *, force: bool = False, step_pages: int = BACKUP_STEP_PAGES
) -> BackupResult:
    """Copy the live database ``source`` to ``target``, consistently, and verify the copy.

    Never writes to ``source``. The copy goes to a temporary file next to
    ``target``, is checked, then renamed over it (only with ``force`` when
    ``target`` exists). The copy is in rollback-journal mode, one
    self-contained file; ``open_store`` turns WAL back on when it is used live.
    """
    _check_backup_paths(source, target, force)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        _copy(source, temp, step_pages)
        tables, integrity = _verify(temp)
        _replace(temp, target)
    except sqlite3.Error as exc:
        raise MaintenanceError(f"backup of {source} to {target} failed: {exc}") from exc
    except OSError as exc:
        raise MaintenanceError(f"backup to {target} failed: {exc.strerror or exc}") from exc
    finally:
        for leftover in (temp, Path(f"{temp}-journal")):
            leftover.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, tables, integrity)


def _check_backup_paths(source: Path, target: Path, force: bool) -> None:
    if not source.is_file():
        raise MaintenanceError(f"no database at {source}")
    if target.is_dir():
        raise MaintenanceError(f"{target} is a directory; give the backup a file name")
    if not target.parent.is_dir():
        raise MaintenanceError(f"directory {target.parent} does not exist")
    if target.exists() and target.resolve() == source.resolve():
        raise MaintenanceError(f"{target} is the live database itself")
    if target.exists() and not force:
        raise MaintenanceError(f"{target} exists; use --force to overwrite it")


def read_only_uri(path: Path) -> str:
    """A ``file:`` URI opening ``path`` read-only (``mode=ro``: never ``immutable``, DB-8)."""
    return f"{path.resolve().as_uri()}?mode=ro"


def _copy(source: Path, temp: Path, step_pages: int) -> None:
    """The backup API, ``step_pages`` at a time, all from one snapshot of ``source``.

    The read transaction held on the source keeps every step on the same WAL
    snapshot: crawls go on committing, and the copy never restarts because of
    them (without it, each write by another connection restarts the backup).
    """
    src = sqlite3.connect(read_only_uri(source), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(temp)
    try:
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        src.backup(dst, pages=step_pages)
        src.rollback()
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()


def _verify(path: Path) -> tuple[int, str]:
    """(number of tables, ``PRAGMA integrity_check`` result) of the copy; raises unless ok."""
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    finally:
        conn.close()
    if problems != ["ok"]:
        raise MaintenanceError(f"the copy failed its integrity check: {'; '.join(problems[:5])}")
    return int(tables[0]), "ok"


def _replace(temp: Path, target: Path) -> None:
    """Rename the verified copy into place, dropping a replaced file's stale WAL files."""
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(temp, target)
