"""Where the database lives (monitor.disk): no network filesystem (DB-9), and a
full disk stops a crawl with a recorded failure and loses nothing (DB-10).

The full disk is real to SQLite: the crawl runs in its own process with
``PRAGMA max_page_count`` just above the database's size, so a write fails
with SQLITE_FULL exactly as on a full disk.
"""

from __future__ import annotations

import errno
import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from monitor import disk
from monitor.disk import filesystem_type, low_disk, network_filesystem, storage_failure
from monitor.errors import StoreError
from monitor.samplesite import SampleSite
from monitor.store import open_store
from tests.conftest import REPO, pressmon, write_home

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
tmpfs /tmp tmpfs rw 0 0
server:/export /mnt/share nfs4 rw,vers=4.2 0 0
//nas/press /mnt/my\\040nas cifs rw 0 0
"""

TIGHT = """
import sys
import monitor.store as store

configure, slack = store._configure, int(sys.argv.pop(1))

def tight(db):
    configure(db)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + slack}")

store._configure = tight
from monitor.cli import main
main()
"""
"""``pressmon`` whose database may grow by only ``slack`` pages: a disk that fills up."""

NO_ROOM = """
import monitor.disk
monitor.disk.MIN_FREE_BYTES = 1 << 60
from monitor.cli import main
main()
"""
"""``pressmon`` on a machine whose disk has less room than a crawl needs."""


def run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code, *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=240)


def crawls(db: Path) -> list[dict]:
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM crawls ORDER BY id")]


def articles(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


# -- DB-9: a network filesystem ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/mnt/share/press/monitor.db", "nfs4"),
        ("/mnt/share", "nfs4"),
        ("/mnt/sharex/monitor.db", "ext4"),  # a mount point is a whole path component
        ("/mnt/my nas/monitor.db", "cifs"),  # mount points escape spaces as \040
        ("/tmp/monitor.db", "tmpfs"),
        ("/srv/monitor.db", "ext4"),
    ],
)
def test_the_filesystem_of_a_path_is_its_longest_mount_point(path: str, kind: str) -> None:
    assert filesystem_type(Path(path), MOUNTS) == kind


def test_only_network_filesystems_are_named() -> None:
    assert network_filesystem(Path("/mnt/share/m.db"), MOUNTS) == "nfs4"
    assert network_filesystem(Path("/mnt/my nas/m.db"), MOUNTS) == "cifs"
    assert network_filesystem(Path("/tmp/m.db"), MOUNTS) is None
    assert network_filesystem(Path("/tmp/m.db"), "") is None  # no mount table: cannot tell


def test_a_database_on_a_network_filesystem_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "mounts"
    table.write_text(f"/dev/sda1 / ext4 rw 0 0\nserver:/x {tmp_path} nfs rw 0 0\n", "utf-8")
    monkeypatch.setattr(disk, "MOUNTS", table)
    with pytest.raises(StoreError) as refused:
        open_store(tmp_path / "m.db")
    assert "network filesystem (nfs)" in str(refused.value)
    assert "use a local path" in str(refused.value)
    assert not (tmp_path / "m.db").exists()  # refused before SQLite touched it


def test_this_machine_s_own_mount_table_is_read() -> None:
    if not disk.MOUNTS.exists():
        pytest.fail("/proc/self/mounts is missing: the tests run on Linux")
    assert filesystem_type(Path("/"), disk.MOUNTS.read_text()) is not None


# -- DB-10: a full or failing disk ------------------------------------------------------------


def test_storage_failures_are_told_from_other_errors(tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / "full.db")) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("PRAGMA max_page_count = 3")
        with pytest.raises(sqlite3.OperationalError) as full:
            conn.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 20)
    assert storage_failure(full.value) == "disk_full"
    assert storage_failure(OSError(errno.ENOSPC, "No space left on device")) == "disk_full"
    assert storage_failure(OSError(errno.EIO, "Input/output error")) == "io_error"
    assert storage_failure(sqlite3.OperationalError("disk I/O error")) == "io_error"
    assert storage_failure(sqlite3.OperationalError("no such table: t")) is None
    assert storage_failure(ValueError("database or disk")) is None


def test_low_disk_compares_free_space_with_what_a_crawl_needs(tmp_path: Path) -> None:
    assert low_disk(tmp_path / "not" / "yet" / "m.db", minimum=0) is None
    why = low_disk(tmp_path / "m.db", minimum=1 << 60)
    assert why is not None and "MiB free next to" in why and "a crawl needs" in why


def test_a_full_disk_stops_the_crawl_and_loses_nothing(
    tmp_path: Path, sample_site: SampleSite
) -> None:
    home = write_home(tmp_path / "home", sample_site.base_url)
    reference = tmp_path / "reference.db"
    first = pressmon("--home", str(home), "--db", str(reference), "crawl", "--site", "daily")
    assert first.returncode == 0, first.stderr[-2000:]
    expected = articles(reference)
    assert expected > 5

    db = tmp_path / "m.db"
    open_store(db).close()  # the schema first: only the crawl's own writes meet the limit
    full = run(TIGHT, "5", "--home", str(home), "--db", str(db), "crawl", "--site", "daily")
    assert full.returncode == 1, full.stderr[-2000:]
    assert "daily: failed (disk_full): " in full.stdout
    assert "crawl stopped: the database refused a write (disk_full)" in full.stderr
    assert "Traceback" not in full.stderr
    [row] = crawls(db)
    assert (row["status"], row["failure"], row["articles_new"]) == ("failed", "disk_full", 0)
    assert json.loads(row["stats"])["unwritten"] > 0
    assert articles(db) == 0  # the refused batch rolled back whole

    status = pressmon("--home", str(home), "--db", str(db), "status")
    assert status.returncode == 1
    assert "database write failed (disk_full)" in status.stdout

    again = pressmon("--home", str(home), "--db", str(db), "crawl", "--site", "daily")
    assert again.returncode == 0, again.stderr[-2000:]
    assert articles(db) == expected  # every page is fetched again: nothing was lost


def test_no_crawl_starts_without_room_to_write(tmp_path: Path, sample_site: SampleSite) -> None:
    home = write_home(tmp_path / "home", sample_site.base_url)
    db = tmp_path / "m.db"
    refused = run(NO_ROOM, "--home", str(home), "--db", str(db), "crawl")
    assert refused.returncode == 1, refused.stderr[-2000:]
    assert "no crawl started: only" in refused.stderr
    rows = crawls(db)
    assert {r["site"] for r in rows} == {"daily", "herald"}
    assert {(r["status"], r["failure"], r["pages"]) for r in rows} == {("failed", "disk_full", 0)}
    assert "MiB free next to" in json.loads(rows[0]["stats"])["detail"]
