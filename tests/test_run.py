"""End to end: a real ``pressmon run`` serving the sample site on 127.0.0.1.

Crawls are scheduled every 2 seconds (the 6-field cron form); the test drives
the service with signals and reads the database and the service's log.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from monitor.samplesite import SampleSite
from tests.conftest import REPO, pressmon, write_home

EVERY_2_SECONDS = '[crawl]\nschedule = "*/2 * * * * *"\n'


class Service:
    """One ``pressmon run`` child, its log in a file (a pipe could fill up and block it)."""

    def __init__(self, home: Path, db: Path, log: Path) -> None:
        self.log_path = log
        env = {**os.environ, "PYTHONUTF8": "1"}
        env.pop("PRESSMON_HOME", None)
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "monitor", "--home", str(home), "--db", str(db), "run"],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit code."""
        self.signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


@pytest.fixture
def services() -> Iterator[list[Service]]:
    """Every service started by the test; any still running at the end is killed."""
    started: list[Service] = []
    yield started
    for service in started:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait()


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of ``sql``; none while the service has not created the database yet."""
    if not db.exists():
        return []
    try:
        with closing(sqlite3.connect(db, timeout=10)) as conn:
            return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []


def ok_sites(db: Path, after: int = 0) -> int:
    """How many sites have an ``ok`` crawl with an id above ``after``."""
    rows = query(
        db, "SELECT count(DISTINCT site) FROM crawls WHERE status = 'ok' AND id > ?", (after,)
    )
    return rows[0][0] if rows else 0


def test_run_serves_stops_and_resumes(
    tmp_path: Path, sample_site: SampleSite, services: list[Service]
) -> None:
    home = write_home(tmp_path / "home", sample_site.base_url, settings=EVERY_2_SECONDS)
    db = tmp_path / "monitor.db"
    first = Service(home, db, tmp_path / "first.log")
    services.append(first)
    wait_for(lambda: ok_sites(db) == 2, "a finished crawl of both sites")
    assert query(db, "SELECT count(*) FROM articles")[0][0] > 0

    second = pressmon("--home", str(home), "--db", str(db), "run", timeout=30)
    assert second.returncode == 2
    assert f"{db} is already served by another `pressmon run` (pid {first.process.pid}" in (
        second.stderr
    )
    assert "digest started" in first.log  # the catch-up of today's digest was attempted
    digest_built = "digest ended: ok" in first.log  # once `pressmon digest` exists

    assert first.stop() == 0, first.log[-3000:]
    assert "SIGTERM: stopping" in first.log and "stopped" in first.log
    assert "Traceback" not in first.log
    statuses = {row[0] for row in query(db, "SELECT status FROM crawls")}
    assert statuses == {"ok"}, query(db, "SELECT site, status, failure FROM crawls")

    articles = query(db, "SELECT count(*) FROM articles")[0][0]
    stored = {urlsplit(row[0]).path for row in query(db, "SELECT url FROM articles")}
    last_crawl = query(db, "SELECT max(id) FROM crawls")[0][0]
    requests_before = len(sample_site.requests)
    restarted = Service(home, db, tmp_path / "restarted.log")
    services.append(restarted)
    wait_for(lambda: ok_sites(db, after=last_crawl) == 2, "a crawl of both sites after restart")

    (home / "settings.toml").write_text("timezone = 'Asia/Seul'\n", encoding="utf-8")
    restarted.signal(signal.SIGHUP)
    wait_for(lambda: "reload refused" in restarted.log, "the reload to be refused", 10)
    assert "settings.toml:1: unknown timezone 'Asia/Seul'" in restarted.log
    assert restarted.process.poll() is None
    assert restarted.stop() == 0, restarted.log[-3000:]

    if digest_built:  # its rows stop the catch-up at the next start
        assert query(db, "SELECT count(DISTINCT watchlist) FROM digests")[0][0] == 2
        assert "digest started" not in restarted.log
    new_rows = query(db, "SELECT status, articles_new FROM crawls WHERE id > ?", (last_crawl,))
    assert new_rows and set(new_rows) == {("ok", 0)}
    assert query(db, "SELECT count(*) FROM articles")[0][0] == articles
    fetched_again = {urlsplit(r).path for r in sample_site.requests[requests_before:]} & stored
    assert not fetched_again


def test_run_refuses_a_bad_config(tmp_path: Path) -> None:
    home = write_home(tmp_path / "home", "http://127.0.0.1:9", settings="digest_time = '7am'\n")
    result = pressmon("--home", str(home), "--db", str(tmp_path / "m.db"), "run", timeout=30)
    assert result.returncode == 2
    assert "settings.toml:1:" in result.stderr and "Traceback" not in result.stderr
