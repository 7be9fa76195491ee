"""Where the database lives: a local disk with room to write (DB-9, DB-10).

SQLite's WAL needs every process on one host and a filesystem with working
shared memory and locks: on NFS, SMB and the like it corrupts silently, so
:func:`network_filesystem` lets :func:`monitor.store.open_store` refuse such a
path. A write that fails because the disk is full or failing rolls its
transaction back; :func:`storage_failure` names that failure, so a crawl stops
with it instead of dropping page after page, and :func:`low_disk` lets a crawl
refuse to start when there is no room left to write.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

MIN_FREE_BYTES = 64 * 1024 * 1024
"""Below this much free space a crawl does not start (a batch with its indexes needs room)."""
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "fuse.sshfs",
        "fuse.s3fs",
        "fuse.rclone",
        "fuse.gcsfuse",
        "fuse.glusterfs",
        "fuse.cephfs",
    }
)
MOUNTS = Path("/proc/self/mounts")


def network_filesystem(path: Path, mounts: str | None = None) -> str | None:
    """The network filesystem type ``path`` is on (``nfs4``…); None for a local one.

    ``mounts`` is the mount table (``/proc/self/mounts``, read when None); where
    there is none (not Linux), None.
    """
    table = _read_mounts() if mounts is None else mounts
    kind = filesystem_type(path, table)
    return kind if kind in NETWORK_FILESYSTEMS else None


def filesystem_type(path: Path, mounts: str) -> str | None:
    """The type of the mount holding ``path``: the longest mount point above it."""
    target = os.path.realpath(path)
    best, kind = "", None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = _unescape(fields[1])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def low_disk(path: Path, minimum: int | None = None) -> str | None:
    """Why nothing should be written next to ``path`` now (less free space than
    ``minimum``, default :data:`MIN_FREE_BYTES`), if so."""
    minimum = MIN_FREE_BYTES if minimum is None else minimum
    try:
        free = shutil.disk_usage(_existing(path)).free
    except OSError:
        return None  # cannot tell: the write itself will say
    if free >= minimum:
        return None
    return f"only {free >> 20} MiB free next to {path} (a crawl needs {minimum >> 20} MiB)"


def storage_failure(exc: BaseException) -> str | None:
    """``disk_full`` or ``io_error`` when ``exc`` is the disk failing a write; else None."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        primary = code & 0xFF
        if primary == sqlite3.SQLITE_FULL:
            return "disk_full"
        if primary == sqlite3.SQLITE_IOERR:
            return "io_error"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "disk_full"
    if isinstance(exc, OSError) and exc.errno == errno.EIO:
        return "io_error"
    text = str(exc).lower()
    if "database or disk is full" in text:
        return "disk_full"
    if "disk i/o error" in text:
        return "io_error"
    return None


def _read_mounts() -> str:
    try:
        return MOUNTS.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _unescape(field: str) -> str:
    """Mount points escape space, tab, newline and backslash as octal (``\\040``)."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent (the database may not exist yet)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")
