"""End to end: a real crawl of the sample site on 127.0.0.1 into a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from monitor.samplesite import SampleSite, sample_site_root
from monitor.store import Store, open_store
from tests.conftest import furniture, manifest, pressmon, write_home

ERROR_KIND = {"listing": "listing", "error": "http_500", "challenge": "challenge"}


@dataclass
class Crawled:
    """Two crawls of the sample site, and what the server saw each time."""

    server: SampleSite
    db: Path
    home: Path
    first: object
    second: object
    first_requests: list[str]
    second_requests: list[str]
    second_responses: list[tuple[str, int]]

    def store(self) -> Store:
        return open_store(self.db)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("e2e")
    with SampleSite(sample_site_root()) as server:
        home = write_home(tmp / "home", server.base_url)
        db = tmp / "monitor.db"
        first = pressmon("--home", str(home), "--db", str(db), "crawl")
        first_requests = list(server.requests)
        first_responses = len(server.responses)
        second = pressmon("--home", str(home), "--db", str(db), "crawl")
        second_requests = list(server.requests[len(first_requests) :])
        second_responses = list(server.responses[first_responses:])
        yield Crawled(
            server, db, home, first, second, first_requests, second_requests, second_responses
        )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def pages(outcome: str) -> list[dict]:
    """Manifest pages with this outcome (listings: only those at article URLs)."""
    found = [p for p in manifest() if p["outcome"] == outcome]
    if outcome == "listing":
        found = [p for p in found if p.get("kind") == "article-url"]
    return found


def test_crawl_succeeds_with_a_summary(crawled: Crawled) -> None:
    assert crawled.first.returncode == 0, crawled.first.stderr[-3000:]
    assert "new articles" in crawled.first.stdout
    assert "Traceback" not in crawled.first.stderr


def test_exactly_the_expected_articles_are_stored(crawled: Crawled) -> None:
    store = crawled.store()
    stored = {path_of(r["url"]): r for r in store.rows("SELECT url, site, title FROM articles")}
    store.close()
    expected = {p["path"]: p for p in pages("article")}
    assert set(stored) == set(expected)
    for path, page in expected.items():
        assert stored[path]["site"] == page["site"], path
        if page.get("title"):
            assert stored[path]["title"] == page["title"], path


def test_the_tracking_copy_is_the_same_article(crawled: Crawled) -> None:
    store = crawled.store()
    for page in pages("duplicate"):
        original = store.article_id_for_url(crawled.server.base_url + page["same_as"])
        assert original is not None, page
    assert store.scalar("SELECT count(*) FROM articles WHERE url LIKE '%utm_%'") == 0
    store.close()


def test_robots_txt_is_obeyed(crawled: Crawled) -> None:
    disallowed = [p["path"] for p in pages("disallowed")]
    assert disallowed
    assert "/robots.txt" in {path_of(r) for r in crawled.first_requests}
    for request in crawled.first_requests + crawled.second_requests:
        assert not any(path_of(request).startswith(d) for d in disallowed), request


def test_no_furniture_reaches_stored_text(crawled: Crawled) -> None:
    lines = {line.strip().casefold() for line in furniture()}
    assert {"most popular", "back to list"} <= lines
    store = crawled.store()
    texts = store.rows("SELECT url, text FROM articles")
    store.close()
    for row in texts:
        for line in row["text"].split("\n"):
            assert line.strip().casefold() not in lines, (row["url"], line)
        for entry in furniture():
            if len(entry) >= 12:
                assert entry not in row["text"], (row["url"], entry)


def test_must_contain_lines_survive(crawled: Crawled) -> None:
    store = crawled.store()
    for page in pages("article"):
        text = store.scalar(
            "SELECT title || char(10) || text FROM articles WHERE url = ?",
            [crawled.server.base_url + page["path"]],
        )
        for needle in page.get("must_contain", []):
            assert needle in text, (page["path"], needle)
    store.close()


def test_the_korean_page_is_readable_korean(crawled: Crawled) -> None:
    store = crawled.store()
    rows = store.rows(
        "SELECT text, language, encoding_suspect FROM articles WHERE text LIKE '%사드%'"
    )
    store.close()
    assert rows, "no stored article contains 사드"
    assert rows[0]["language"] == "ko"
    assert "\ufffd" not in rows[0]["text"]


def test_pages_without_articles_are_recorded_with_their_kind(crawled: Crawled) -> None:
    store = crawled.store()
    for outcome, kind in ERROR_KIND.items():
        for page in pages(outcome):
            url = crawled.server.base_url + page["path"]
            kinds = {
                r["kind"] for r in store.rows("SELECT kind FROM crawl_errors WHERE url = ?", [url])
            }
            assert kind in kinds, (page["path"], kinds)
            assert store.article_id_for_url(url) is None
    store.close()


def test_the_funnel_adds_up(crawled: Crawled) -> None:
    store = crawled.store()
    rows = store.rows("SELECT * FROM crawls ORDER BY id")
    articles = store.scalar("SELECT count(*) FROM articles")
    store.close()
    assert len(rows) == 4
    first, second = rows[:2], rows[2:]
    assert {r["status"] for r in rows} == {"ok"}
    assert sum(r["articles_new"] for r in first) == articles
    assert all(r["listings"] > 0 and r["discovered"] > 0 for r in first)
    assert sum(r["articles_new"] for r in second) == 0


def test_a_second_crawl_requests_no_article_page(crawled: Crawled) -> None:
    assert crawled.second.returncode == 0, crawled.second.stderr[-3000:]
    article_paths = {
        p["path"].split("?")[0]
        for outcome in ("article", "duplicate", "listing")
        for p in pages(outcome)
    }
    requested = {path_of(r).split("?")[0] for r in crawled.second_requests}
    assert requested, "the second crawl fetched nothing at all"
    assert not requested & article_paths


def test_status_reports_each_site(crawled: Crawled) -> None:
    result = pressmon("--home", str(crawled.home), "--db", str(crawled.db), "status", "--json")
    assert result.returncode == 0, result.stderr
    assert '"site": "herald"' in result.stdout and '"site": "daily"' in result.stdout


def test_search_finds_the_seed_story(crawled: Crawled) -> None:
    result = pressmon("--home", str(crawled.home), "--db", str(crawled.db), "search", "hotline")
    assert result.returncode == 0, result.stderr
    assert "China raises concerns over missile defense" in result.stdout
    korean = pressmon("--home", str(crawled.home), "--db", str(crawled.db), "search", "사드")
    assert "1 article" in korean.stdout or "article(s)" in korean.stdout


def test_the_second_crawl_uses_conditional_get(crawled: Crawled) -> None:
    sources = [(path, status) for path, status in crawled.second_responses if path != "/robots.txt"]
    assert sources
    assert {status for _, status in sources} == {304}, sources
    store = crawled.store()
    cached = store.scalar("SELECT count(*) FROM http_cache WHERE etag IS NOT NULL")
    store.close()
    assert cached >= len({path for path, _ in sources})


SEED = "/herald/view/2015020401.html"
WIRE_COPY = "/daily/news/2015/02/04/china-voices-worry-over-us-missile-shield.html"


def test_status_and_search_show_the_wire_story_as_one_story_of_two(crawled: Crawled) -> None:
    home, db = str(crawled.home), str(crawled.db)
    status = pressmon("--home", home, "--db", db, "status")
    assert "largest stories:" in status.stdout, status.stdout
    assert "2 articles" in status.stdout and "(1 shared)" in status.stdout
    found = pressmon("--home", home, "--db", db, "search", "missile")
    assert "[story of 2]" in found.stdout


def test_the_other_outlets_of_the_wire_story(crawled: Crawled) -> None:
    store = crawled.store()
    seed = store.article(store.article_id_for_url(crawled.server.base_url + SEED))
    others = store.other_outlets(seed["cluster_id"], exclude_article_id=seed["id"])
    store.close()
    assert [(o["site"], path_of(o["url"])) for o in others] == [("daily", WIRE_COPY)]


KOREAN = "/daily/news/2015/02/05/thaad-debate-korean-edition.html"
WATCHLISTS = ("missile-defense", "hotline")


def hits_by_path(crawled: Crawled) -> dict[tuple[str, str], dict]:
    store = crawled.store()
    rows = store.rows(
        'SELECT a.url, h.watchlist, h.terms, h.count, h.strength, h."where", h.snippet '
        "FROM hits h JOIN articles a ON a.id = h.article_id"
    )
    store.close()
    return {(path_of(row["url"]), row["watchlist"]): row for row in rows}


def test_the_seed_story_its_wire_copy_and_the_korean_page_are_tagged(crawled: Crawled) -> None:
    hits = hits_by_path(crawled)
    expected = {(path, name) for path in (SEED, WIRE_COPY, KOREAN) for name in WATCHLISTS}
    assert set(hits) == expected


def test_the_seed_story_hits_explain_themselves(crawled: Crawled) -> None:
    hits = hits_by_path(crawled)
    defense = hits[(SEED, "missile-defense")]
    # the terms, then the query's evidence: "missile shield" within 8 words of Seoul
    assert json.loads(defense["terms"]) == ["THAAD", "missile defense", "missile shield*", "Seoul"]
    assert defense["where"] == "title,lead,body"  # "missile defense" is in the headline
    assert defense["strength"] == defense["count"] + 2  # one title occurrence counts 3
    assert "[[missile shield]] program to the detriment of [[Seoul]]" in defense["snippet"]
    assert len(defense["snippet"]) <= 260
    hotline = hits[(SEED, "hotline")]
    assert json.loads(hotline["terms"]) == ["hotline*"]
    assert (hotline["count"], hotline["where"]) == (1, "body")
    assert "agreed to establish a [[hotline]] between the two ministries" in hotline["snippet"]


def test_the_korean_page_is_tagged_by_its_korean_terms(crawled: Crawled) -> None:
    hits = hits_by_path(crawled)
    defense = hits[(KOREAN, "missile-defense")]
    assert json.loads(defense["terms"]) == ["사드"]
    assert "[[사드]]를" in defense["snippet"] or "[[사드]]" in defense["snippet"]
    assert "[[핫라인]]" in hits[(KOREAN, "hotline")]["snippet"]


def test_no_furniture_reaches_a_snippet(crawled: Crawled) -> None:
    snippets = " ".join(row["snippet"] for row in hits_by_path(crawled).values())
    for line in furniture():
        assert line not in snippets


def test_the_funnel_counts_matched_articles_once(crawled: Crawled) -> None:
    store = crawled.store()
    matched = [row["matched"] for row in store.rows("SELECT matched FROM crawls ORDER BY id")]
    store.close()
    assert sum(matched[:2]) == 3 and sum(matched[2:]) == 0, matched  # second crawl: none new
