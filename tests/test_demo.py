"""`pressmon demo` and the live progress display of `pressmon crawl` on a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from monitor.samplesite import SampleSite, sample_site_root
from monitor.store import open_store
from tests.conftest import REPO, manifest, pressmon, write_home


def test_demo_serves_crawls_and_prints_what_it_stored(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = pressmon("--home", str(REPO / "data"), "--db", str(db), "demo")
    assert result.returncode == 0, result.stderr[-3000:]
    expected = [p for p in manifest() if p["outcome"] == "article"]
    assert f"Stored {len(expected)} articles:" in result.stdout
    assert "China raises concerns over missile defense" in result.stdout
    for kind in ("challenge", "disallowed", "http_500", "listing"):
        assert kind in result.stdout
    assert "Traceback" not in result.stderr
    hits = result.stdout.split("Watchlist hits (6):", 1)[1].split("# hotline: digest", 1)[0]
    digest = result.stdout.split("# missile-defense: digest", 1)[1]
    assert "2 stories (3 articles)" in digest  # the wire copy and the seed are one story
    assert "Also carried by:" in digest and "**late**" in digest
    assert "[[missile defense]]" in hits and "[[hotline]]" in hits and "[[사드]]" in hits
    assert hits.count("missile-defense") == 3 and hits.count("hotline  ") == 3
    store = open_store(db)
    assert store.scalar("SELECT count(*) FROM articles") == len(expected)
    assert store.scalar("SELECT count(*) FROM hits") == 6
    store.close()


def test_crawl_draws_progress_on_a_terminal_and_ends_with_a_summary(tmp_path: Path) -> None:
    with SampleSite(sample_site_root()) as server:
        home = write_home(tmp_path / "home", server.base_url)
        leader, follower = pty.openpty()
        command = [
            sys.executable,
            "-m",
            "monitor",
            "--home",
            str(home),
            "--db",
            str(tmp_path / "m.db"),
            "crawl",
            "--site",
            "herald",
        ]
        proc = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            env={**os.environ, "COLUMNS": "120"},
        )
        os.close(follower)
        screen = _read_all(leader)
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, screen[-2000:]
    assert "herald" in screen and "pages" in screen and "new" in screen
    assert "Traceback" not in screen
    assert "herald: ok" in out and "new articles" in out


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")
