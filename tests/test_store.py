"""The SQLite store: schema, transactions, incremental bookkeeping, search."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.schema import missing_fts_triggers
from monitor.site_status import last_crawls
from monitor.store import (
    ERROR_RETRY_LIMIT,
    ArticleRecord,
    Store,
    open_store,
)
from tests.conftest import search_rows


def record(url: str, text: str = "Body text about THAAD.", **extra) -> ArticleRecord:
    values = dict(
        url=url,
        site="herald",
        title="Title",
        author=None,
        published_at="2015-02-04T11:14:00Z",
        date_source="meta",
        fetched_at="2015-02-04T12:00:00Z",
        language="en",
        text=text,
        content_hash=f"h-{url}",
        word_count=len(text.split()),
    )
    values.update(extra)
    return ArticleRecord(**values)


def test_new_database_has_the_public_tables_in_wal_mode(store: Store) -> None:
    names = set(store.db.table_names())
    assert {
        "articles",
        "article_urls",
        "article_revisions",
        "seen_urls",
        "crawls",
        "crawl_errors",
        "articles_fts",
        "http_cache",
        "boilerplate_lines",
    } <= names
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA busy_timeout") >= 5000
    assert not missing_fts_triggers(store.db)


def test_reopening_applies_no_migration_twice(tmp_path: Path) -> None:
    open_store(tmp_path / "m.db").close()
    store = open_store(tmp_path / "m.db")
    names = [r["name"] for r in store.rows("SELECT name FROM _sqlite_migrations")]
    assert names == sorted(set(names))
    store.close()


def test_lost_fts_triggers_are_rebuilt_and_search_stays_in_sync(tmp_path: Path) -> None:
    store = open_store(tmp_path / "m.db")
    for name in ("articles_ai", "articles_ad", "articles_au"):
        store.db.execute(f"DROP TRIGGER {name}")
    store.close()
    store = open_store(tmp_path / "m.db")
    with store.write():
        store.insert_article(record("https://x.test/a", "Seoul agreed to a hotline"))
    assert [r["url"] for r in search_rows(store, "hotline")] == ["https://x.test/a"]
    store.close()


def test_insert_article_is_its_own_story_and_knows_its_url(store: Store) -> None:
    with store.write():
        article_id = store.insert_article(record("https://x.test/a"))
    row = store.article(article_id)
    assert row["cluster_id"] == article_id
    assert store.article_id_for_url("https://x.test/a") == article_id
    assert store.article_id_for_hash("h-https://x.test/a") == article_id


def test_a_failed_batch_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError), store.write():
        store.insert_article(record("https://x.test/a"))
        store.insert_article(record("https://x.test/a"))
    assert store.scalar("SELECT count(*) FROM articles") == 0


def test_should_fetch_follows_the_outcome_of_the_last_fetch(store: Store) -> None:
    url = "https://x.test/a"
    assert store.should_fetch(url)
    with store.write():
        store.mark_seen(url, "herald", "article")
    assert not store.should_fetch(url)
    assert store.should_fetch(url, announced="2999-01-01T00:00:00Z")
    assert not store.should_fetch(url, announced="2000-01-01T00:00:00Z")


def test_errors_are_retried_on_a_few_later_crawls_only(store: Store) -> None:
    url = "https://x.test/broken"
    for attempt in range(ERROR_RETRY_LIMIT):
        assert store.should_fetch(url), attempt
        with store.write():
            store.record_error(None, "herald", url, "http_500", "HTTP 500", status=500)
    assert not store.should_fetch(url)
    assert store.scalar("SELECT attempts FROM seen_urls WHERE url = ?", [url]) == 3


def test_not_article_pages_are_settled_at_once(store: Store) -> None:
    with store.write():
        store.record_error(None, "herald", "https://x.test/list", "listing", "a listing")
    assert not store.should_fetch("https://x.test/list")


def test_source_errors_do_not_mark_the_url_seen(store: Store) -> None:
    with store.write():
        store.record_error(
            None, "herald", "https://x.test/rss", "http_403", "feed: 403", page=False
        )
    assert store.should_fetch("https://x.test/rss")
    assert store.scalar("SELECT count(*) FROM crawl_errors") == 1


def test_validators_round_trip(store: Store) -> None:
    assert store.validators("https://x.test/rss") == (None, None)
    with store.write():
        store.save_validators(
            "https://x.test/rss",
            "herald",
            "feed",
            etag='"abc"',
            last_modified="Wed, 04 Feb 2015 11:00:00 GMT",
            status=200,
            links=3,
        )
    assert store.validators("https://x.test/rss") == ('"abc"', "Wed, 04 Feb 2015 11:00:00 GMT")


def test_a_crawl_left_running_is_aborted_by_the_next_start(store: Store) -> None:
    first = store.start_crawl("herald")
    other = store.start_crawl("daily")
    second = store.start_crawl("herald")
    assert store.crawl(first)["status"] == "aborted"
    assert store.crawl(other)["status"] == "running"
    store.finish_crawl(second, "ok", {"articles_new": 3, "pages": 9})
    row = store.crawl(second)
    assert (row["status"], row["articles_new"], row["pages"]) == ("ok", 3, 9)
    assert {r["site"]: r["id"] for r in last_crawls(store)} == {"daily": other, "herald": second}


def test_learned_lines_cross_the_threshold_once(store: Store) -> None:
    lines = {"k1": "MOST POPULAR", "k2": "Back to List"}
    learned = []
    with store.write():
        for _ in range(6):
            learned.append(store.learn_lines("herald", lines, min_pages=5))
    assert learned[:4] == [set()] * 4
    assert learned[4] == {"k1", "k2"}
    assert learned[5] == set()
    assert store.learned_lines("herald", 5) == lines
    assert store.learned_lines("daily", 5) == {}


def test_committed_rows_survive_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    script = (
        "import os, sys\n"
        "from monitor.store import open_store, ArticleRecord\n"
        f"s = open_store({str(db)!r})\n"
        "for i in range(20):\n"
        "    with s.write():\n"
        "        s.insert_article(ArticleRecord(url=f'https://x.test/{i}', site='h', title='t',"
        " author=None, published_at=None, date_source=None, fetched_at='2015-01-01T00:00:00Z',"
        " language='en', text=f'text {i}', content_hash=str(i), word_count=2))\n"
        "s.db.conn.execute('BEGIN IMMEDIATE')\n"
        's.db.execute("INSERT INTO crawls (site, started_at, status) '
        "VALUES ('h', 'x', 'running')\")\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], check=False)
    assert proc.returncode == -9
    store = open_store(db)
    assert store.scalar("SELECT count(*) FROM articles") == 20
    assert store.scalar("SELECT count(*) FROM crawls") == 0
    assert store.scalar("PRAGMA integrity_check") == "ok"
    store.close()


def test_concurrent_read_then_write_transactions_never_fail_busy(tmp_path: Path) -> None:
    """DB-2: BEGIN IMMEDIATE makes two writers queue instead of failing with SQLITE_BUSY."""
    db = tmp_path / "busy.db"
    open_store(db).close()
    script = (
        "import sys\n"
        "from monitor.store import open_store\n"
        f"s = open_store({str(db)!r})\n"
        "for i in range(150):\n"
        "    url = f'https://x.test/{sys.argv[1]}/{i}'\n"
        "    with s.write():\n"
        "        if s.should_fetch(url):\n"
        "            s.mark_seen(url, 'h', 'article')\n"
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script, name], stderr=subprocess.PIPE, text=True)
        for name in ("a", "b", "c")
    ]
    errors = [w.communicate(timeout=120)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], errors
    store = open_store(db)
    assert store.scalar("SELECT count(*) FROM seen_urls") == 450
    store.close()


@pytest.mark.parametrize("kind", ["http_429", "robots_unavailable"])
def test_deferred_errors_never_use_up_their_retries(store: Store, kind: str) -> None:
    """NET-2 / NET-10: a URL deferred by the site is tried again on every later crawl."""
    url = "https://x.test/later"
    for _ in range(ERROR_RETRY_LIMIT + 2):
        assert store.should_fetch(url)
        with store.write():
            store.record_error(None, "herald", url, kind, "come back later")
    assert store.should_fetch(url)


def test_search_follows_text_changes_but_not_other_updates(store: Store) -> None:
    with store.write():
        article_id = store.insert_article(record("https://x.test/a", "The old hotline text"))
        store.replace_text(article_id, "A brand new ceasefire text", 5)
        store.db.execute("UPDATE articles SET cluster_id = 99 WHERE id = ?", [article_id])
    assert search_rows(store, "hotline") == []
    assert [r["id"] for r in search_rows(store, "ceasefire")] == [article_id]
    assert store.scalar("SELECT count(*) FROM articles_fts") == 1


def test_a_revision_keeps_the_previous_version_and_the_identity(store: Store) -> None:
    with store.write():
        article_id = store.insert_article(record("https://x.test/a", "First version of the story"))
        revised = record(
            "https://x.test/a",
            "Second version with a ceasefire",
            title="Title (updated)",
            content_hash="h2",
            fetched_at="2015-02-05T09:00:00Z",
        )
        store.revise_article(article_id, revised)
    row = store.article(article_id)
    assert (row["title"], row["content_hash"], row["updated_at"]) == (
        "Title (updated)",
        "h2",
        "2015-02-05T09:00:00Z",
    )
    assert (row["url"], row["cluster_id"], row["fetched_at"]) == (
        "https://x.test/a",
        article_id,
        "2015-02-04T12:00:00Z",
    )
    [old] = store.revisions(article_id)
    assert (old["title"], old["text"], old["fetched_at"]) == (
        "Title",
        "First version of the story",
        "2015-02-04T12:00:00Z",
    )
    assert [r["id"] for r in search_rows(store, "ceasefire")] == [article_id]
    assert store.url_owner("https://x.test/a") == (article_id, "herald")
    assert store.url_owner("https://x.test/none") is None


def test_a_foundation_database_is_migrated_without_changing_ids(tmp_path: Path) -> None:
    """Issue 3: a file written by the foundation version (0001 only) opens and is upgraded."""
    from sqlite_utils import Database

    from monitor.schema import MIGRATIONS

    path = tmp_path / "old.db"
    old = Database(path)
    MIGRATIONS.apply(old, stop_before="0002_story_clusters")
    for n, url in enumerate(
        ["https://News.test:443/a?utm_source=rss&b=2&a=1#top", "https://news.test/b"], start=7
    ):
        old["articles"].insert(
            {
                "id": n,
                "url": url,
                "site": "news",
                "title": f"T{n}",
                "fetched_at": "2015-02-04T12:00:00Z",
                "text": f"text {n}",
                "content_hash": f"h{n}",
                "cluster_id": n,
            }
        )
    old.close()
    store = open_store(path)
    rows = store.rows("SELECT id, url, cluster_id FROM articles ORDER BY id")
    assert rows == [
        {"id": 7, "url": "https://news.test/a?a=1&b=2", "cluster_id": 7},
        {"id": 8, "url": "https://news.test/b", "cluster_id": 8},
    ]
    applied = [r["name"] for r in store.rows("SELECT name FROM _sqlite_migrations")]
    assert applied == [
        "0001_foundation",
        "0002_story_clusters",
        "0003_recanonicalise",
        "0004_hits",
        "0005_search_index",
        "0006_digests",
        "0007_deliveries",
        "0008_channels",
    ]
    assert {"article_signatures", "lsh_buckets"} <= set(store.db.table_names())
    store.close()


def test_the_search_index_is_built_for_articles_stored_before_it(tmp_path: Path) -> None:
    store = open_store(tmp_path / "m.db")
    with store.write():
        store.insert_article(record("https://x.test/ko", "정부는 THAAD를 배치했다"))
        store.db.execute("DROP TABLE search_index")
        store.db.execute("DELETE FROM _sqlite_migrations WHERE name = '0005_search_index'")
    store.close()
    store = open_store(tmp_path / "m.db")
    assert [row["url"] for row in search_rows(store, "THAAD")] == ["https://x.test/ko"]
    store.close()
