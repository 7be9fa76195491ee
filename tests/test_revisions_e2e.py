"""Revisions end to end: a changed page fetched again updates its article, never adds one."""

from __future__ import annotations

from pathlib import Path

from monitor.samplesite import SampleSite, sample_site_root
from monitor.store import open_store
from tests.conftest import pressmon, write_home

ARTICLE = "/herald/view/2015020401.html"
FEED_ONLY = "/herald/view/2015020603.html"


def revised_page(root: Path, path: str, old: str, new: str) -> str:
    return (root / "www" / path.lstrip("/")).read_text(encoding="utf-8").replace(old, new)


def test_refetch_and_feed_updates_make_revisions(tmp_path: Path) -> None:
    root = sample_site_root()
    with SampleSite(root) as server:
        home = write_home(tmp_path / "home", server.base_url)
        db = tmp_path / "m.db"
        base = ["--home", str(home), "--db", str(db)]
        assert pressmon(*base, "crawl").returncode == 0
        store = open_store(db)
        before = store.scalar("SELECT count(*) FROM articles")
        seed_id = store.article_id_for_url(server.base_url + ARTICLE)
        seed_cluster = store.article(seed_id)["cluster_id"]
        store.close()

        body = revised_page(
            root,
            ARTICLE,
            "hotline between the two ministries",
            "hotline between the two defence ministries",
        )
        server.set_route(ARTICLE, body=body, content_type="text/html; charset=utf-8")
        refetch = pressmon(
            *base, "crawl", "--site", "herald", "--refetch", server.base_url + ARTICLE
        )
        assert refetch.returncode == 0, refetch.stderr[-2000:]

        feed = (root / "www" / "herald" / "rss.xml").read_text(encoding="utf-8")
        page = revised_page(
            root,
            FEED_ONLY,
            "<p>Train tickets",
            "<p>Correction: an earlier version of this story misstated the date of the "
            "vote.</p><p>Train tickets",
        )
        server.set_route(FEED_ONLY, body=page, content_type="text/html; charset=utf-8")
        newer = _bump_pubdate(feed, FEED_ONLY)
        server.set_route("/herald/rss.xml", body=newer, content_type="application/rss+xml")
        updated = pressmon(*base, "crawl", "--site", "herald")
        assert updated.returncode == 0, updated.stderr[-2000:]

    store = open_store(db)
    assert store.scalar("SELECT count(*) FROM articles") == before
    seed = store.article(seed_id)
    assert "two defence ministries" in seed["text"], refetch.stdout
    assert seed["cluster_id"] == seed_cluster
    assert len(store.revisions(seed_id)) == 1
    feed_only = store.article_id_for_url(server.base_url + FEED_ONLY)
    assert "Correction: an earlier version" in store.article(feed_only)["text"]
    assert len(store.revisions(feed_only)) == 1
    crawls = store.rows("SELECT articles_new, duplicates FROM crawls ORDER BY id")
    store.close()
    assert all(c["articles_new"] == 0 and c["duplicates"] == 0 for c in crawls[2:])


def _bump_pubdate(feed: str, path: str) -> str:
    """Give the feed item linking ``path`` a pubDate later than any fetch."""
    start = feed.index(path)
    open_tag = feed.index("<pubDate>", start)
    close_tag = feed.index("</pubDate>", open_tag)
    return feed[:open_tag] + "<pubDate>Tue, 01 Jan 2036 00:00:00 +0000" + feed[close_tag:]
