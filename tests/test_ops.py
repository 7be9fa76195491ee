"""``pressmon serve``, ``prune`` and ``backup`` on real databases (DB-3, DB-8).

``serve`` runs in a subprocess on a free port of 127.0.0.1 and is asked over
HTTP; ``backup`` runs while a crawl of the sample site (or a thread) writes;
``prune`` runs on a database with articles, stories, hits, crawls and seen
URLs on both sides of the cutoff.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import backup as db_backup
from monitor import boilerplate, clock, maintenance
from monitor.cli import cli
from monitor.cli_ops import day_start
from monitor.clusters import StoryClusters
from monitor.health import largest_stories
from monitor.matching import compile_rules
from monitor.samplesite import SampleSite
from monitor.store import ArticleRecord, Store, open_store
from monitor.tagging import Tagger, tag_article
from tests._stories import (
    KOREAN,
    KOREAN_TITLE,
    SAME_TOPIC,
    SAME_TOPIC_TITLE,
    SEED,
    SEED_TITLE,
    WIRE,
    WIRE_TITLE,
)
from tests.conftest import REPO, search_rows, write_home

TAGGER = Tagger([compile_rules("thaad", terms=["THAAD", "사드"])])
SHORT_LINE = "Reporting by Kim Min-ji."
KEPT_LINE = "Edited by Park Ji-won."


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "sites").mkdir(parents=True)
    (home / "settings.toml").write_text("", encoding="utf-8")
    for name in ("herald", "daily"):
        (home / "sites" / f"{name}.toml").write_text(
            f'name = "{name}"\nstart_urls = ["http://127.0.0.1:9/{name}/"]\n'
            f"article_urls = ['/{name}/view/\\d+']\n",
            encoding="utf-8",
        )
    return home


def _ago(**delta: float) -> str:
    return clock.iso(clock.now() - timedelta(**delta))


def _article(
    store: Store, clusters: StoryClusters, site: str, text: str, title: str, at: str
) -> int:
    """Store, cluster and tag an article as a crawl would."""
    with store.write():
        number = store.scalar("SELECT count(*) FROM articles") + 1
        article_id = store.insert_article(
            ArticleRecord(
                url=f"https://{site}.test/view/{number}", site=site, title=title, author=None,
                published_at=None, date_source=None, fetched_at=at, language="en", text=text,
                content_hash=f"hash-{number}", word_count=len(text.split()),
            )
        )  # fmt: skip
        store.mark_seen(
            f"https://{site}.test/view/{number}", site, "article", article_id=article_id
        )
        clusters.assign(article_id, text, title, at)
        tag_article(store, TAGGER, article_id)
    return article_id


def _crawl(store: Store, site: str, started: str, status: str, errors: int = 0) -> int:
    crawl_id = store.start_crawl(site)
    store.finish_crawl(crawl_id, status, {"errors": errors}, failure="http_403" if errors else None)
    with store.write():
        store.db.execute("UPDATE crawls SET started_at = ? WHERE id = ?", [started, crawl_id])
        for n in range(errors):
            store.record_error(
                crawl_id, site, f"https://{site}.test/e{crawl_id}-{n}", "http_403", ""
            )
    return crawl_id


def _seen(store: Store, url: str, outcome: str, when: str) -> None:
    with store.write():
        kind = {"article": None, "error": "timeout", "not_article": "empty"}[outcome]
        store.mark_seen(url, "herald", outcome, kind=kind)
        store.db.execute("UPDATE seen_urls SET last_fetched = ? WHERE url = ?", [when, url])


@dataclass
class Archive:
    """A database with articles, stories, hits and crawl records on both sides of 30 days."""

    db: Path
    home: Path
    old_seed: int
    old_topic: int
    wire: int
    variant: int
    korean: int


def build_archive(tmp_path: Path) -> Archive:
    home, db = _home(tmp_path), tmp_path / "m.db"
    store = open_store(db)
    clusters = StoryClusters(store, 0.5, 30)
    old_seed = _article(
        store, clusters, "herald", f"{SEED}\n\n{SHORT_LINE}", SEED_TITLE, _ago(days=31)
    )
    old_topic = _article(store, clusters, "herald", SAME_TOPIC, SAME_TOPIC_TITLE, _ago(days=45))
    wire = _article(store, clusters, "daily", WIRE, WIRE_TITLE, _ago(days=29))
    variant = _article(
        store, clusters, "herald", SEED.replace("Seoul", "Seoul, Korea"), "Update", _ago(days=28)
    )
    korean = _article(
        store, clusters, "daily", f"{KOREAN}\n\n{KEPT_LINE}", KOREAN_TITLE, _ago(seconds=0)
    )
    with store.write():
        store.revise_article(old_topic, _record(store, old_topic, SAME_TOPIC + "\n\nUpdated."))
        store.add_article_url("https://copy.test/seed", old_seed, "copycat")
        for site, line in (("herald", SHORT_LINE), ("daily", KEPT_LINE)):  # seen on one page
            store.learn_lines(site, {boilerplate.line_key(line): line}, 5)
        store.learn_lines("herald", {"k-learned": "Back to List"}, 1)
        store.db.execute("UPDATE boilerplate_lines SET pages = 9 WHERE key = 'k-learned'")
        store.db.execute(
            "INSERT INTO digests (date, watchlist, generated_at, article_count) "
            "VALUES ('2020-01-01', 'thaad', '2020-01-01T07:00:00Z', 1)"
        )
        store.record_error(None, "herald", "https://herald.test/orphan", "timeout", "", page=False)
        store.db.execute("UPDATE crawl_errors SET at = ? WHERE crawl_id IS NULL", [_ago(days=40)])
    _crawl(store, "herald", _ago(days=40), "failed", errors=2)
    _crawl(store, "herald", _ago(days=1), "ok")
    _crawl(store, "gone", _ago(days=50), "ok")  # a site's only (last) crawl stays
    _seen(store, "https://herald.test/old-error", "error", _ago(days=40))
    _seen(store, "https://herald.test/old-empty", "not_article", _ago(days=40))
    _seen(store, "https://herald.test/new-error", "error", _ago(days=2))
    store.close()
    return Archive(db, home, old_seed, old_topic, wire, variant, korean)


def _record(store: Store, article_id: int, text: str) -> ArticleRecord:
    row = store.article(article_id)
    return ArticleRecord(
        url=row["url"], site=row["site"], title=row["title"], author=None, published_at=None,
        date_source=None, fetched_at=row["fetched_at"], language="en", text=text,
        content_hash="hash-revised", word_count=len(text.split()),
    )  # fmt: skip


# -- prune ----------------------------------------------------------------------------------

ARTICLES = "SELECT id FROM articles"
SIGNED = "SELECT article_id FROM article_signatures"
ORPHANS = {  # table: (its reference, what it must be one of)
    "hits": ("article_id", ARTICLES),
    "article_urls": ("article_id", ARTICLES),
    "article_revisions": ("article_id", ARTICLES),
    "search_index": ("rowid", ARTICLES),
    "seen_urls": ("article_id", ARTICLES),
    "article_signatures": ("article_id", ARTICLES),
    "lsh_buckets": ("article_id", SIGNED),
    "lsh_recent": ("article_id", SIGNED),
    "crawl_errors": ("crawl_id", "SELECT id FROM crawls"),
}


def _orphans(store: Store) -> dict[str, int]:
    """Rows per table that point at nothing (NULL references do not count)."""
    return {
        table: store.scalar(f"SELECT count(*) FROM {table} WHERE {column} NOT IN ({parents})")
        for table, (column, parents) in ORPHANS.items()
    }


def _expected(store: Store, doomed: list[int]) -> dict[str, int]:
    marks = ", ".join(str(i) for i in doomed)
    per_article = {
        table: store.scalar(f"SELECT count(*) FROM {table} WHERE article_id IN ({marks})")
        for table in ("hits", "article_urls", "article_revisions")
    }
    return {
        "articles": 2, **per_article, "search_index": 2, "articles_fts": 2,
        "article_signatures": 2, "boilerplate_lines": 1, "crawls": 1,
        "crawl_errors": 3, "seen_urls": 2,
    }  # fmt: skip


@pytest.mark.parametrize("batch", [1, maintenance.PRUNE_BATCH])
def test_prune_deletes_what_is_old_and_leaves_nothing_dangling(tmp_path: Path, batch: int) -> None:
    archive = build_archive(tmp_path)
    store = open_store(archive.db)
    doomed = [archive.old_seed, archive.old_topic]
    expected = _expected(store, doomed)
    assert expected["hits"] == 2 and expected["article_revisions"] == 1
    cutoff = maintenance.prune_cutoff(30)
    dry = maintenance.prune(store, cutoff, dry_run=True, batch=batch)
    assert dry.counts == expected
    result = maintenance.prune(store, cutoff, batch=batch)
    assert result.counts == expected
    kept = [archive.wire, archive.variant, archive.korean]
    assert [r[0] for r in store.db.execute("SELECT id FROM articles ORDER BY id")] == kept
    assert _orphans(store) == dict.fromkeys(ORPHANS, 0)
    second = maintenance.prune(store, maintenance.prune_cutoff(30), batch=batch)
    assert second.counts == dict.fromkeys(maintenance.PRUNED_TABLES, 0)
    store.close()


def test_after_a_prune_stories_search_and_full_text_still_work(tmp_path: Path) -> None:
    archive = build_archive(tmp_path)
    store = open_store(archive.db)
    maintenance.prune(store, maintenance.prune_cutoff(30))
    wire = store.article(archive.wire)
    assert wire["cluster_id"] == archive.old_seed  # the story keeps its id
    others = store.other_outlets(wire["cluster_id"], exclude_article_id=archive.wire)
    assert [o["article_id"] for o in others] == [archive.variant]
    assert store.cluster_size(archive.old_seed) == 2
    assert largest_stories(store) == [
        {"cluster_id": archive.old_seed, "size": 2, "sites": "daily,herald", "title": WIRE_TITLE}
    ]
    found = {row["id"] for row in search_rows(store, "THAAD OR 사드")}
    assert found == {archive.wire, archive.variant, archive.korean}
    for fts in ("articles_fts", "search_index"):
        store.db.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('integrity-check', 1)")
    hits = store.db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'ministry'")
    assert {row[0] for row in hits} <= {archive.wire, archive.variant, archive.korean}
    store.close()


def test_prune_keeps_digests_seen_articles_learned_lines_and_each_sites_last_crawl(
    tmp_path: Path,
) -> None:
    archive = build_archive(tmp_path)
    store = open_store(archive.db)
    maintenance.prune(store, maintenance.prune_cutoff(30))
    assert store.scalar("SELECT count(*) FROM digests") == 1
    seen = dict(store.db.execute("SELECT url, outcome FROM seen_urls").fetchall())
    assert "https://herald.test/new-error" in seen
    assert (
        "https://herald.test/old-error" not in seen and "https://herald.test/old-empty" not in seen
    )
    pruned_url = "https://herald.test/view/1"
    assert seen[pruned_url] == "article"  # so it is not fetched and stored again as new
    assert not store.should_fetch(pruned_url)
    assert store.scalar("SELECT article_id FROM seen_urls WHERE url = ?", [pruned_url]) is None
    assert dict(store.db.execute("SELECT site, count(*) FROM crawls GROUP BY site")) == {
        "gone": 1,
        "herald": 1,
    }
    assert store.scalar("SELECT pages FROM boilerplate_lines WHERE key = 'k-learned'") == 9
    lines = [r[0] for r in store.db.execute("SELECT line FROM boilerplate_lines ORDER BY line")]
    assert lines == ["Back to List", KEPT_LINE]  # SHORT_LINE's one page was pruned
    store.close()


def test_the_newest_article_is_kept_so_ids_are_never_reused(tmp_path: Path) -> None:
    store = open_store(tmp_path / "m.db")
    clusters = StoryClusters(store, 0.5, 30)
    first = _article(store, clusters, "herald", SEED, SEED_TITLE, _ago(days=60))
    last = _article(store, clusters, "daily", KOREAN, KOREAN_TITLE, _ago(days=50))
    result = maintenance.prune(store, maintenance.prune_cutoff(30))
    assert result.counts["articles"] == 1
    assert [row[0] for row in store.db.execute("SELECT id FROM articles")] == [last]
    fresh = _article(store, clusters, "herald", SAME_TOPIC, SAME_TOPIC_TITLE, _ago(hours=1))
    assert fresh > last > first
    store.close()


def test_prune_command_prints_counts_and_resets_the_wal(tmp_path: Path) -> None:
    archive = build_archive(tmp_path)
    runner = CliRunner()
    base = ["--home", str(archive.home), "--db", str(archive.db), "prune", "--older-than", "30"]
    dry = runner.invoke(cli, [*base, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would delete (dry run)" in dry.output and "articles" in dry.output
    assert _articles(archive.db) == 5
    done = runner.invoke(cli, [*base, "--vacuum"])
    assert done.exit_code == 0, done.output
    lines = dict(line.split() for line in done.output.splitlines() if line.startswith("  "))
    assert (lines["articles"], lines["crawls"], lines["seen_urls"]) == ("2", "1", "2")
    assert "vacuumed" in done.output and "WAL checkpointed and truncated" in done.output
    wal = Path(f"{archive.db}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["prune"], 2, "--older-than"),
        (["prune", "--older-than", "0"], 2, "--older-than"),
        (["prune", "--older-than", "soon"], 2, "--older-than"),
    ],
)
def test_prune_refuses_bad_input(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    home = _home(tmp_path)
    result = CliRunner().invoke(cli, ["--home", str(home), "--db", str(tmp_path / "m.db"), *args])
    assert result.exit_code == code and message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_prune_and_backup_of_a_missing_database_exit_1_without_creating_it(tmp_path: Path) -> None:
    home, db = _home(tmp_path), tmp_path / "none.db"
    runner = CliRunner()
    pruned = runner.invoke(
        cli, ["--home", str(home), "--db", str(db), "prune", "--older-than", "9"]
    )
    copied = runner.invoke(
        cli, ["--home", str(home), "--db", str(db), "backup", str(tmp_path / "b")]
    )
    for result in (pruned, copied):
        assert result.exit_code == 1 and "no database at" in result.stderr, result.output
    assert not db.exists()


# -- backup ---------------------------------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_copy(path: Path) -> dict[str, int]:
    """integrity_check must pass; returns table → rows of the copy."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        wanted = ("articles", "hits", "crawls", "seen_urls", "digests")
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in wanted if t in names
        }
    finally:
        conn.close()


def test_backup_copies_verifies_and_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    archive = build_archive(tmp_path)
    target = tmp_path / "copies" / "backup.db"
    target.parent.mkdir()
    runner = CliRunner()
    base = ["--home", str(archive.home), "--db", str(archive.db), "backup"]
    first = runner.invoke(cli, [*base, str(target)])
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"ok: {target}: ") and "integrity_check ok" in first.output
    assert _check_copy(target)["articles"] == 5 and _check_copy(target)["digests"] == 1
    assert sorted(p.name for p in target.parent.iterdir()) == ["backup.db"]  # no temp file left
    target.write_bytes(b"an older backup")
    Path(f"{target}-wal").write_bytes(b"stale")
    refused = runner.invoke(cli, [*base, str(target)])
    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert target.read_bytes() == b"an older backup"
    forced = runner.invoke(cli, [*base, str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    assert _check_copy(target)["articles"] == 5
    assert not Path(f"{target}-wal").exists()  # a stale WAL would corrupt the new copy


@pytest.mark.parametrize("where", ["missing-dir/b.db", "live", "dir"])
def test_backup_refuses_impossible_targets(tmp_path: Path, where: str) -> None:
    archive = build_archive(tmp_path)
    (tmp_path / "dir").mkdir()
    target = {"missing-dir/b.db": tmp_path / "missing-dir" / "b.db", "live": archive.db}.get(
        where, tmp_path / "dir"
    )
    before = _sha(archive.db)
    args = ["--home", str(archive.home), "--db", str(archive.db), "backup", str(target), "--force"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (1, 2) and "Traceback" not in result.output, result.output
    assert _sha(archive.db) == before


WRITER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=10)
while True:
    conn.execute("INSERT INTO crawl_errors (site, kind) VALUES ('w', 'timeout')")
    conn.commit()
"""


def test_backup_completes_while_another_process_keeps_writing(tmp_path: Path) -> None:
    archive = build_archive(tmp_path)
    store = open_store(archive.db)
    with store.write():  # about 1,000 pages, copied one page per step below
        filler = [("herald", f"https://f.test/{n}", "timeout", "x" * 200) for n in range(15_000)]
        store.db.conn.executemany(
            "INSERT INTO crawl_errors (site, url, kind, message) VALUES (?, ?, ?, ?)", filler
        )
    store.close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(archive.db)])
    try:
        _wait_for(lambda: _count(archive.db, "crawl_errors WHERE site = 'w'") > 10, deadline=20)
        done: list[db_backup.BackupResult] = []
        copier = threading.Thread(
            target=lambda: done.append(
                db_backup.backup(archive.db, tmp_path / "b.db", step_pages=1)
            ),
            daemon=True,
        )
        copier.start()
        copier.join(timeout=30)  # without one snapshot, every commit restarts the copy
    finally:
        writer.kill()
        writer.wait()
    assert done and done[0].integrity == "ok"
    assert _check_copy(tmp_path / "b.db")["articles"] == 5


def test_backup_during_a_crawl_is_consistent(sample_site: SampleSite, tmp_path: Path) -> None:
    home = write_home(tmp_path / "home", sample_site.base_url, settings="extract_workers = 1\n")
    db = tmp_path / "live.db"
    sample_site.set_route("/herald/view/2015020401.html", hang=4)  # keeps the crawl open
    env = {**os.environ, "PYTHONUTF8": "1"}
    env.pop("PRESSMON_HOME", None)
    crawl = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--home", str(home), "--db", str(db), "crawl"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    try:
        _wait_for(lambda: _articles(db) >= 5, deadline=60)
        result = db_backup.backup(db, tmp_path / "copy.db")
        assert crawl.poll() is None, "the crawl ended before the backup"
    finally:
        _, stderr = crawl.communicate(timeout=90)
    assert result.integrity == "ok" and "Traceback" not in stderr
    copied = _check_copy(tmp_path / "copy.db")
    assert copied["articles"] >= 5 and copied["crawls"] >= 1
    conn = sqlite3.connect(tmp_path / "copy.db")
    assert "running" in {row[0] for row in conn.execute("SELECT status FROM crawls")}
    conn.close()


def _count(db: Path, rows: str) -> int:
    """``SELECT count(*) FROM <rows>`` on a read-only connection (0 before the table exists)."""
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(db_backup.read_only_uri(db), uri=True, timeout=5)
        try:
            return int(conn.execute(f"SELECT count(*) FROM {rows}").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _articles(db: Path) -> int:
    return _count(db, "articles")


def _wait_for(ready: Callable[[], bool], deadline: float) -> None:
    end = time.monotonic() + deadline
    while not ready():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


# -- serve ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


Served = tuple[str, Path, "Archive"]
"""(base URL, database file, what it holds)."""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The archive (plus a failed last crawl of daily) served by ``pressmon serve``."""
    archive = build_archive(tmp_path)
    store = open_store(archive.db)
    _crawl(store, "daily", _ago(hours=1), "failed", errors=1)
    clusters = StoryClusters(store, 0.5, 30)
    _article(store, clusters, "copycat", f"{WIRE}\n\nMore soon.", WIRE_TITLE, _ago(seconds=0))
    store.close()
    port = _free_port()
    env = {**os.environ, "PYTHONUTF8": "1"}
    args = ["--home", str(archive.home), "--db", str(archive.db), "serve", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-m", "monitor", *args], cwd=REPO, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: server.poll() is not None or _up(base), deadline=30)
        assert server.poll() is None, server.communicate()[1][-3000:]
        yield base, archive.db, archive
    finally:
        server.terminate()
        server.communicate(timeout=10)


def _up(base: str) -> bool:
    try:
        return _get(f"{base}/-/versions.json")[0] == 200
    except OSError:
        return False


def _rows(base: str, path: str) -> list[dict]:
    status, body = _get(f"{base}{path}")
    assert status == 200, body[:500]
    return json.loads(body)


def test_serve_answers_canned_queries_and_full_text_search(served: Served) -> None:
    base, db, archive = served
    per_watchlist = _rows(base, "/m/watchlists_today.json?_shape=array")
    assert [(r["watchlist"], r["articles"], r["stories"]) for r in per_watchlist] == [
        ("thaad", 2, 2)
    ]
    hits = _rows(base, "/m/hits_today.json?_shape=array")
    assert sorted(r["site"] for r in hits) == ["copycat", "daily"]
    stories = _rows(base, "/m/largest_stories.json?_shape=array")
    assert [(r["cluster_id"], r["articles"], r["sites"], r["title"]) for r in stories] == [
        (archive.old_seed, 4, "copycat, daily, herald", SEED_TITLE)
    ]
    failing = _rows(base, "/m/failing_sites.json?_shape=array")
    assert [(r["site"], r["failure_type"], r["errors_by_kind"]) for r in failing] == [
        ("daily", "blocked", "http_403 1")
    ]
    with closing(sqlite3.connect(db)) as conn, conn:  # the live file: served as it changes
        conn.execute(
            "INSERT INTO channels (subscriber, channel, url_hash, state, reason, since) "
            "VALUES ('desk', 1, 'abc', 'disabled', 'HTTP 410 (permanent): gone', '2026-03-02')"
        )
    channels = _rows(base, "/m/troubled_channels.json?_shape=array")
    assert [(r["subscriber"], r["channel"], r["state"], r["failed"]) for r in channels] == [
        ("desk", 1, "disabled", 0)
    ]
    found = _rows(base, "/m/articles.json?_search=ministry&_shape=array&_col=title")
    assert found and {r["id"] for r in found} <= {1, 2, 3, 4, 5, 6}


def test_serve_is_read_only(served: Served) -> None:
    base, db, _ = served
    before = _sha(db)
    status, body = _get(f"{base}/m.json?sql=DELETE+FROM+articles")
    assert status == 400 and b"SELECT" in body
    status, _ = _get(f"{base}/m.json?sql=SELECT+count(*)+FROM+articles&_shape=array")
    assert status == 200
    assert _sha(db) == before and _articles(db) == 6


def test_serve_without_the_web_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = build_archive(tmp_path)
    monkeypatch.setitem(sys.modules, "datasette", None)
    monkeypatch.setitem(sys.modules, "datasette.app", None)
    args = ["--home", str(archive.home), "--db", str(archive.db), "serve"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "install press-monitor[web]" in result.stderr


def test_serve_refuses_a_missing_or_broken_database(tmp_path: Path) -> None:
    home = _home(tmp_path)
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not sqlite" * 100)
    for db, message in ((tmp_path / "none.db", "no database at"), (broken, "cannot read")):
        result = CliRunner().invoke(cli, ["--home", str(home), "--db", str(db), "serve"])
        assert result.exit_code == 1 and message in result.stderr, result.output


def test_today_is_the_local_day_of_the_configured_timezone() -> None:
    evening_utc = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # already the 11th in Seoul
    assert day_start("Asia/Seoul", evening_utc) == "2026-03-10T15:00:00Z"
    assert day_start("UTC", evening_utc) == "2026-03-10T00:00:00Z"


@pytest.mark.parametrize("name", ["watchlists_today", "hits_today", "largest_stories"])
def test_canned_queries_start_from_recent_articles(store: Store, name: str) -> None:
    from monitor.cli_ops import CANNED_QUERIES

    store.db.conn.create_function("pressmon_day_start", 0, lambda: "2026-03-10T00:00:00Z")
    plan = [row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {CANNED_QUERIES[name]['sql']}")]
    assert "idx_articles_fetched_at" in " ".join(plan)
    scans = [step.split()[1] for step in plan if step.startswith("SCAN")]
    assert not {"articles", "a", "hits", "h"} & set(scans), plan


def test_serve_on_a_busy_port_exits_1(tmp_path: Path) -> None:
    archive = build_archive(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        args = ["--home", str(archive.home), "--db", str(archive.db), "serve", "--port", port]
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr


def test_the_served_database_refuses_a_write_connection(tmp_path: Path) -> None:
    import asyncio

    from monitor.cli_ops import datasette_app

    archive = build_archive(tmp_path)
    before = _sha(archive.db)
    ds = datasette_app(archive.db, "UTC")

    async def write() -> None:
        await ds.invoke_startup()
        await ds.get_database("m").execute_write("DELETE FROM articles")

    with pytest.raises(PermissionError, match="read-only"):
        asyncio.run(write())
    assert _sha(archive.db) == before and _articles(archive.db) == 5
