"""Crawl health in ``pressmon status``: failure types in user words, the silent flag, exit 1.

The failure types come from real crawls of the sample-site server, each site of
one ``pressmon crawl`` pointed at a path that misbehaves in its own way; the
silent flag from hand-inserted articles and a fixed ``now``.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import clock
from monitor.cli import cli
from monitor.config import load_config
from monitor.health import (
    FAILURE_TYPES,
    Activity,
    daily_counts,
    describe_failure,
    is_failing,
    largest_stories,
    site_activity,
)
from monitor.samplesite import SampleSite
from monitor.site_status import status_rows, unhealthy
from monitor.store import ArticleRecord, Store, open_store
from tests.conftest import pressmon

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

# -- failure types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "ftype", "label"),
    [
        ("robots", "robots", "robots-blocked"),
        ("http_401", "blocked", "blocked (HTTP 401)"),
        ("http_403", "blocked", "blocked (HTTP 403)"),
        ("http_429", "rate_limited", "rate-limited (HTTP 429)"),
        ("http_404", "not_found", "not found (HTTP 404)"),
        ("http_410", "not_found", "not found (HTTP 410)"),
        ("http_503", "server_error", "server error (HTTP 503)"),
        ("timeout", "timeout", "timeout"),
        ("dns", "connection", "DNS/connection (dns)"),
        ("connection", "connection", "DNS/connection (connection)"),
        ("feed_not_a_feed", "not_a_feed", "empty or HTML instead of feed"),
        ("feed_empty", "not_a_feed", "empty or HTML instead of feed"),
        ("sitemap_malformed", "not_a_feed", "empty or HTML instead of feed"),
        ("empty", "extraction_empty", "extraction empty"),
        ("extraction_failed", "extraction_empty", "extraction empty"),
        ("challenge", "challenge", "bot challenge (HTTP 200)"),
        ("too_large", "other", "too_large"),
        ("http_418", "other", "http_418"),
    ],
)
def test_a_failure_kind_in_user_words(kind: str, ftype: str, label: str) -> None:
    failure = describe_failure(kind, {kind: 1})
    assert failure is not None
    assert (failure.type, failure.label, failure.kind) == (ftype, label, kind)
    assert failure.type in FAILURE_TYPES


@pytest.mark.parametrize(
    ("failure", "kinds", "ftype", "label"),
    [
        ("time_limit", {}, "time_limit", "crawl time limit reached"),
        ("time_limit", {"http_403": 1}, "time_limit", "crawl time limit reached"),
        ("timeout", {"timeout": 2}, "timeout", "timeout"),
        ("crashed", {}, "crashed", "crawl process crashed"),
        ("shutdown", {}, "interrupted", "interrupted (service stopped)"),
    ],
)
def test_what_the_scheduler_records_for_a_killed_crawl(
    failure: str, kinds: dict[str, int], ftype: str, label: str
) -> None:
    found = describe_failure(failure, kinds)
    assert found is not None and (found.type, found.label) == (ftype, label)


def test_without_a_failure_column_the_most_common_error_kind_names_it() -> None:
    failure = describe_failure(None, {"timeout": 1, "http_403": 3})
    assert failure is not None and failure.type == "blocked"
    assert describe_failure(None, {}) is None


def test_failing_means_the_last_crawl_failed_or_every_source_did() -> None:
    every_source = json.dumps({"counts": {}, "source_errors": {"http_403": 2}})
    one_source_ok = json.dumps({"counts": {"sources_ok": 1}, "source_errors": {"http_403": 1}})
    assert is_failing({"status": "failed", "stats": None})
    assert is_failing({"status": "ok", "stats": every_source})
    assert not is_failing({"status": "ok", "stats": one_source_ok})
    assert not is_failing({"status": "aborted", "stats": every_source})
    assert not is_failing({"status": "ok", "stats": "not json"})
    assert not is_failing(None)


# -- from real crawls -----------------------------------------------------------------------

CHALLENGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    "<h1>Checking your browser before accessing the site.</h1>"
    "<p>Enable JavaScript and cookies to continue</p></body></html>"
)
NOT_A_FEED = (
    "<!DOCTYPE html><html><head><title>Our new website</title></head><body>"
    "<h1>Welcome to our redesigned home page</h1><p>News moved.</p></body></html>"
)
HERALD_SEED = "/herald/view/2015020401.html"


def _rss(links: list[str]) -> str:
    items = "".join(f"<item><title>Story</title><link>{url}</link></item>" for url in links)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _feed(site: SampleSite, path: str, links: list[str]) -> str:
    site.set_route(path, body=_rss(links), content_type="application/rss+xml")
    return site.url(path)


def _misbehave(site: SampleSite) -> dict[str, tuple[str, str]]:
    """Site name → (feed URL, extra config); each feed path answers in its own broken way."""
    base = site.base_url
    site.set_route("/robots.txt", body="User-agent: *\nDisallow: /t/robots/\n")
    for name, status in (("blocked", 403), ("ratelimited", 429), ("servererror", 500)):
        site.set_route(f"/t/{name}/feed.xml", status=status)
    site.set_route("/t/notafeed/feed.xml", body=NOT_A_FEED, content_type="text/html")
    site.set_route("/t/timeout/feed.xml", hang=3, body=_rss([]))
    site.set_route("/t/challenge/art/1.html", body=CHALLENGE)
    return {
        "blocked": (f"{base}/t/blocked/feed.xml", ""),
        "ratelimited": (f"{base}/t/ratelimited/feed.xml", ""),
        "servererror": (f"{base}/t/servererror/feed.xml", ""),
        "notafeed": (f"{base}/t/notafeed/feed.xml", ""),
        "timeout": (f"{base}/t/timeout/feed.xml", "download_timeout = 0.5\n"),
        "robots": (_feed(site, "/t/robots/feed.xml", []), ""),
        "notfound": (f"{base}/t/notfound/feed.xml", ""),
        "connection": (f"http://127.0.0.1:{_free_port()}/feed.xml", ""),
        "challenge": (_feed(site, "/t/challenge/feed.xml", [f"{base}/t/challenge/art/1.html"]), ""),
        "healthy": (_feed(site, "/t/healthy/feed.xml", [site.url(HERALD_SEED)]), ""),
    }


def _write_sites(home: Path, sites: dict[str, tuple[str, str]]) -> None:
    (home / "sites").mkdir(parents=True)
    (home / "settings.toml").write_text("extract_workers = 1\n", encoding="utf-8")
    for name, (feed, extra) in sites.items():
        (home / "sites" / f"{name}.toml").write_text(
            f'name = "{name}"\nfeeds = ["{feed}"]\n'
            f"article_urls = ['/t/{name}/art/\\d+\\.html$', '/herald/view/\\d{{10}}\\.html$']\n"
            f"delay = 0\ntimeout_minutes = 1\n{extra}",
            encoding="utf-8",
        )


EXPECTED = {
    "blocked": ("blocked", "blocked (HTTP 403)"),
    "ratelimited": ("rate_limited", "rate-limited (HTTP 429)"),
    "servererror": ("server_error", "server error (HTTP 500)"),
    "notafeed": ("not_a_feed", "empty or HTML instead of feed"),
    "timeout": ("timeout", "timeout"),
    "robots": ("robots", "robots-blocked"),
    "notfound": ("not_found", "not found (HTTP 404)"),
    "connection": ("connection", "DNS/connection (connection)"),
    "challenge": ("challenge", "bot challenge (HTTP 200)"),
}


def test_status_names_why_each_crawled_site_fails_and_exits_1(
    sample_site: SampleSite, tmp_path: Path
) -> None:
    home, db = tmp_path / "home", tmp_path / "m.db"
    _write_sites(home, _misbehave(sample_site))
    crawled = pressmon("--home", str(home), "--db", str(db), "crawl", timeout=90)
    assert crawled.returncode == 1, crawled.stderr[-3000:]
    assert "Traceback" not in crawled.stderr
    result = pressmon("--home", str(home), "--db", str(db), "status", "--json")
    assert result.returncode == 1, result.stderr
    rows = {row["site"]: row for row in json.loads(result.stdout)}
    found = {s: (r["failure_type"], r["failure_label"]) for s, r in rows.items() if r["failing"]}
    assert found == EXPECTED
    assert all(rows[s]["health"] == "failing" for s in EXPECTED)
    healthy = rows["healthy"]
    assert (healthy["health"], healthy["failure_type"], healthy["silent"]) == ("ok", None, False)
    assert healthy["last_crawl"]["articles_new"] == 1 and healthy["new_24h"] == 1
    text = pressmon("--home", str(home), "--db", str(db), "status")
    assert text.returncode == 1
    assert "failing: blocked (HTTP 403)" in text.stdout
    assert "failing: bot challenge (HTTP 200)" in text.stdout
    assert "failed (feed_not_a_feed)" in text.stdout


# -- the silent flag ------------------------------------------------------------------------


def _add(store: Store, site: str, at: datetime, n: int = 1) -> None:
    """``n`` articles of ``site`` fetched at ``at`` (distinct URLs and texts)."""
    with store.write():
        for _ in range(n):
            number = store.scalar("SELECT count(*) FROM articles") + 1
            store.insert_article(
                ArticleRecord(
                    url=f"https://{site}.test/{number}", site=site, title=f"Story {number}",
                    author=None, published_at=None, date_source=None, fetched_at=clock.iso(at),
                    language="en", text=f"Text of story {number}.", content_hash=f"h{number}",
                    word_count=4,
                )
            )  # fmt: skip


def _history(store: Store, site: str, per_day: list[int], last_24h: int) -> None:
    """Articles on each of the 7 days before the last 24 hours, then in those 24 hours."""
    for days_ago, count in enumerate(per_day, start=1):
        _add(store, site, NOW - timedelta(days=days_ago, hours=6), count)
    _add(store, site, NOW - timedelta(hours=3), last_24h)


@pytest.mark.parametrize(
    ("per_day", "last_24h", "median", "silent"),
    [
        ([8, 8, 8, 8, 8, 8, 8], 1, 8, True),  # 1 < 8/4
        ([8, 8, 8, 8, 8, 8, 8], 2, 8, False),  # exactly a quarter is not silent
        ([8, 8, 8, 8, 8, 8, 8], 0, 8, True),
        ([3, 3, 3, 3, 3, 3, 3], 0, 3, False),  # median under 4: never silent
        ([0, 0, 0, 20, 20, 20, 20], 0, 20, True),  # the median, not the mean
        ([0, 0, 0, 0, 20, 20, 20], 0, 0, False),
        ([4, 4, 4, 4, 4, 4, 4], 0, 4, True),  # a median of exactly 4 counts
    ],
)
def test_silent_below_a_quarter_of_the_median_day(
    store: Store, per_day: list[int], last_24h: int, median: int, silent: bool
) -> None:
    _history(store, "herald", per_day, last_24h)
    activity = site_activity(store, "herald", NOW)
    assert activity == Activity(last_24h, median)
    assert activity.silent is silent


def test_window_edges_are_24_hour_steps_back_from_now(store: Store) -> None:
    _add(store, "herald", NOW + timedelta(minutes=5))  # after now: counts as new
    _add(store, "herald", NOW - timedelta(days=1))  # first second of the last 24 h
    _add(store, "herald", NOW - timedelta(days=1, seconds=1))  # the day before
    _add(store, "herald", NOW - timedelta(days=3, hours=12), 2)
    _add(store, "herald", NOW - timedelta(days=8))  # oldest second counted
    _add(store, "herald", NOW - timedelta(days=8, seconds=1))  # too old
    _add(store, "daily", NOW - timedelta(hours=1))  # another site
    assert daily_counts(store, "herald", NOW) == [2, 1, 0, 2, 0, 0, 0, 1]


def test_the_activity_query_reads_only_the_site_time_index(store: Store) -> None:
    from monitor.health import _ACTIVITY_SQL

    params = {"site": "x", **{f"d{d}": "2026" for d in range(1, 9)}}
    plan = " ".join(r[3] for r in store.db.execute(f"EXPLAIN QUERY PLAN {_ACTIVITY_SQL}", params))
    assert "COVERING INDEX idx_articles_site_fetched_at" in plan and "SCAN" not in plan


def _home(tmp_path: Path, *, daily_enabled: bool = True) -> Path:
    home = tmp_path / "home"
    (home / "sites").mkdir(parents=True)
    (home / "settings.toml").write_text("", encoding="utf-8")
    for name, enabled in (("herald", True), ("daily", daily_enabled)):
        (home / "sites" / f"{name}.toml").write_text(
            f'name = "{name}"\nstart_urls = ["http://127.0.0.1:9/{name}/"]\n'
            f"article_urls = ['/{name}/view/\\d+']\nenabled = {str(enabled).lower()}\n",
            encoding="utf-8",
        )
    return home


def _crawled_ok(store: Store, *sites: str) -> None:
    for site in sites:
        crawl_id = store.start_crawl(site)
        store.finish_crawl(crawl_id, "ok", {"articles_new": 1, "fetched": 1, "matched": 1})


def test_status_rows_flag_a_silent_enabled_site_only(tmp_path: Path) -> None:
    home = _home(tmp_path, daily_enabled=False)
    store = open_store(tmp_path / "m.db")
    _history(store, "herald", [10] * 7, 1)
    _history(store, "daily", [10] * 7, 0)
    _crawled_ok(store, "herald", "daily")
    rows = {r["site"]: r for r in status_rows(store, load_config(home), now=NOW)}
    store.close()
    herald, daily = rows["herald"], rows["daily"]
    assert (herald["health"], herald["silent"], herald["new_24h"], herald["median_7d"]) == (
        "silent",
        True,
        1,
        10,
    )
    assert herald["health_text"] == "silent: 1 in 24 h vs median 10"
    assert (daily["silent"], daily["health"]) == (False, "ok")  # disabled: never silent
    assert unhealthy(list(rows.values())) == ["herald"]


def test_status_exits_1_for_a_silent_site_and_0_when_all_are_healthy(tmp_path: Path) -> None:
    home, db = _home(tmp_path), tmp_path / "m.db"
    store = open_store(db)
    now = clock.now()
    for days_ago in range(1, 8):
        _add(store, "herald", now - timedelta(days=days_ago, hours=1), 8)
        _add(store, "daily", now - timedelta(days=days_ago, hours=1), 8)
    _add(store, "daily", now - timedelta(hours=1), 8)
    _crawled_ok(store, "herald", "daily")
    store.close()
    runner = CliRunner()
    args = ["--home", str(home), "--db", str(db), "status"]
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 1, result.output
    rows = {row["site"]: row for row in json.loads(result.output)}
    keys = {"health", "health_text", "failure_type", "failure_label", "silent", "new_24h"}
    assert keys | {"median_7d", "failing", "last_crawl"} <= set(rows["herald"])
    assert (rows["herald"]["health"], rows["daily"]["health"]) == ("silent", "ok")
    text = runner.invoke(cli, args)
    assert text.exit_code == 1 and "silent: 0 in 24 h vs median 8" in text.output
    assert "matched" in text.output  # the whole funnel is shown
    store = open_store(db)
    _add(store, "herald", now - timedelta(minutes=5), 2)  # exactly a quarter: healthy again
    store.close()
    assert runner.invoke(cli, [*args, "--json"]).exit_code == 0


def test_a_failing_disabled_site_does_not_fail_status(tmp_path: Path) -> None:
    home, db = _home(tmp_path, daily_enabled=False), tmp_path / "m.db"
    store = open_store(db)
    crawl_id = store.start_crawl("daily")
    store.finish_crawl(crawl_id, "failed", {"errors": 2}, failure="http_403")
    _crawled_ok(store, "herald")
    store.close()
    result = CliRunner().invoke(cli, ["--home", str(home), "--db", str(db), "status", "--json"])
    assert result.exit_code == 0, result.output
    daily = next(row for row in json.loads(result.output) if row["site"] == "daily")
    assert (daily["failing"], daily["failure_type"], daily["enabled"]) == (True, "blocked", False)


def test_largest_stories_title_a_story_by_its_earliest_stored_article(store: Store) -> None:
    _add(store, "herald", NOW, 3)
    with store.write():
        store.db.execute("UPDATE articles SET cluster_id = 1")  # one story of three
        store.db.execute("DELETE FROM articles WHERE id = 1")  # its first article pruned
    stories = largest_stories(store)
    assert stories == [{"cluster_id": 1, "size": 2, "sites": "herald", "title": "Story 2"}]
