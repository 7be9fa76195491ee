"""Ingest: extracted pages → articles, copies, recorded skips, learned boilerplate."""

from __future__ import annotations

from pathlib import Path

from monitor.config import DedupeSettings
from monitor.crawlrun import CrawlTally
from monitor.ingest import Ingester
from monitor.items import Extracted, Page
from monitor.store import Store, open_store
from tests._stories import (
    SAME_TOPIC,
    SAME_TOPIC_TITLE,
    SEED,
    SEED_TITLE,
    WIRE,
    WIRE_TITLE,
    words_changed,
)

FURNITURE = ["Subscribe to our newsletter today", "Follow the Seoul Herald on social media"]


def page(url: str, text: str, *, site: str = "herald", title: str = "A story", **extra) -> Page:
    fields = {"source_date": None, "source_date_kind": None, "seen_as": []} | extra
    return Page(
        url=url,
        site=site,
        html="<html></html>",
        fetched_at="2015-02-04T12:00:00Z",
        extracted=Extracted(
            text=text,
            title=title,
            published_at="2015-02-04T11:14:00Z",
            date_source="meta",
            language="en",
        ),
        **fields,
    )


def story(n: int) -> str:
    body = f"Paragraph {n} of a distinct story about topic number {n} with its own words."
    return "\n".join([body, f"Another line unique to story {n}.", *FURNITURE])


def ingest(store: Store, *pages: Page, min_pages: int = 3) -> list:
    ingester = Ingester(store, store.start_crawl("herald"), min_pages=min_pages)
    with store.write():
        return [ingester.ingest(p) for p in pages]


def test_a_new_page_becomes_an_article_with_all_its_urls(store: Store) -> None:
    seen_as = ["https://h.test/a?utm_source=rss"]
    [outcome] = ingest(store, page("https://h.test/a", story(1), seen_as=seen_as))
    assert (outcome.outcome, outcome.kind) == ("article", "new")
    assert store.article_id_for_url("https://h.test/a?utm_source=rss") == outcome.article_id
    assert not store.should_fetch("https://h.test/a?utm_source=rss")
    row = store.article(outcome.article_id)
    assert row["cluster_id"] == outcome.article_id
    assert row["published_at"] == "2015-02-04T11:14:00Z"
    assert row["word_count"] > 10


def test_a_feed_date_wins_over_the_page_date(store: Store) -> None:
    announced = page(
        "https://h.test/a",
        story(1),
        source_date="2015-02-04T10:00:00Z",
        source_date_kind="feed",
    )
    [outcome] = ingest(store, announced)
    row = store.article(outcome.article_id)
    assert (row["published_at"], row["date_source"]) == ("2015-02-04T10:00:00Z", "feed")


def test_the_same_text_elsewhere_is_a_duplicate_of_the_first(store: Store) -> None:
    first, copy = ingest(
        store,
        page("https://h.test/a", story(1)),
        page("https://d.test/b", story(1), site="daily"),
    )
    assert (copy.outcome, copy.article_id) == ("duplicate", first.article_id)
    assert store.scalar("SELECT count(*) FROM articles") == 1
    assert store.rows("SELECT site FROM article_urls WHERE url = 'https://d.test/b'") == [
        {"site": "daily"}
    ]
    assert store.scalar("SELECT outcome FROM seen_urls WHERE url = 'https://d.test/b'") == (
        "duplicate"
    )


def test_a_page_without_an_article_is_recorded_not_stored(store: Store) -> None:
    listing = page("https://h.test/list", "")
    listing.extracted = Extracted(skip_reason="listing", detail="15 headline links")
    challenge = page("https://h.test/c", "")
    challenge.extracted = Extracted(skip_reason="challenge")
    skipped, blocked = ingest(store, listing, challenge)
    assert (skipped.outcome, skipped.kind) == ("not_article", "listing")
    assert (blocked.outcome, blocked.kind) == ("error", "challenge")
    assert store.scalar("SELECT count(*) FROM articles") == 0
    kinds = {r["kind"] for r in store.rows("SELECT kind FROM crawl_errors")}
    assert kinds == {"listing", "challenge"}
    assert not store.should_fetch("https://h.test/list")
    assert store.should_fetch("https://h.test/c")  # a challenge may lift: retried later


def test_recurring_lines_are_learned_and_removed_everywhere(store: Store) -> None:
    outcomes = ingest(store, *(page(f"https://h.test/{n}", story(n)) for n in range(5)))
    texts = [store.article(o.article_id)["text"] for o in outcomes]
    for n, text in enumerate(texts):
        assert f"Another line unique to story {n}." in text
        for line in FURNITURE:
            assert line not in text, (n, line)


def test_learning_is_per_site_and_survives_a_restart(tmp_path: Path) -> None:
    store = open_store(tmp_path / "m.db")
    ingest(store, *(page(f"https://h.test/{n}", story(n)) for n in range(3)))
    store.close()
    store = open_store(tmp_path / "m.db")
    [later] = ingest(store, page("https://h.test/9", story(9)))
    [other_site] = ingest(store, page("https://d.test/9", story(19), site="daily"))
    assert FURNITURE[0] not in store.article(later.article_id)["text"]
    assert FURNITURE[0] in store.article(other_site.article_id)["text"]
    store.close()


def test_the_content_hash_is_taken_before_learned_removal(store: Store) -> None:
    first = ingest(store, *(page(f"https://h.test/{n}", story(n)) for n in range(4)))
    copy = ingest(store, page("https://d.test/copy", story(0), site="daily"))
    assert copy[0].outcome == "duplicate"
    assert copy[0].article_id == first[0].article_id


def test_an_already_stored_url_is_not_stored_again(store: Store) -> None:
    ingest(store, page("https://h.test/a", story(1)))
    [again] = ingest(store, page("https://h.test/a", story(1)))
    assert (again.outcome, again.kind) == ("article", "unchanged")
    assert store.scalar("SELECT count(*) FROM articles") == 1


def test_a_near_duplicate_is_a_new_article_of_the_earlier_story(store: Store) -> None:
    ingester = Ingester(store, store.start_crawl("herald"))
    tally = CrawlTally()
    with store.write():
        tally.add(ingester, page("https://h.test/a", SEED, title=SEED_TITLE))
        tally.add(ingester, page("https://d.test/b", WIRE, site="daily", title=WIRE_TITLE))
        tally.add(ingester, page("https://h.test/c", SAME_TOPIC, title=SAME_TOPIC_TITLE))
    assert tally.counts["articles_new"] == 3 and tally.counts["near_duplicates"] == 1
    assert tally.counts["duplicates"] == 0
    clusters = store.rows("SELECT id, cluster_id FROM articles ORDER BY id")
    assert [row["cluster_id"] for row in clusters] == [1, 1, 3]


def test_the_dedupe_settings_reach_the_clusters(store: Store) -> None:
    ingester = Ingester(store, None, dedupe=DedupeSettings(threshold=0.8, window_days=7))
    assert ingester.clusters.threshold == 0.8
    assert ingester.clusters.window.days == 7
    with store.write():
        ingester.ingest(page("https://h.test/a", SEED, title=SEED_TITLE))
        changed = ingester.ingest(page("https://d.test/b", words_changed(SEED, 10), site="daily"))
    assert (changed.outcome, changed.kind) == ("article", "new")


def test_a_changed_page_is_a_revision_not_a_new_story(store: Store) -> None:
    [first] = ingest(store, page("https://h.test/a", story(1), title="Talks open"))
    [again] = ingest(store, page("https://h.test/a", story(1), title="Talks open"))
    changed = story(1).replace("Another line", "A corrected line")
    [revised] = ingest(store, page("https://h.test/a", changed, title="Talks open (updated)"))
    assert (again.kind, revised.kind) == ("unchanged", "revised")
    assert revised.article_id == first.article_id
    assert store.scalar("SELECT count(*) FROM articles") == 1
    row = store.article(first.article_id)
    assert row["title"] == "Talks open (updated)" and "A corrected line" in row["text"]
    assert row["cluster_id"] == first.article_id
    assert [r["title"] for r in store.revisions(first.article_id)] == ["Talks open"]


def test_a_copy_url_on_another_site_with_new_text_is_not_a_revision(store: Store) -> None:
    first, copy = ingest(
        store,
        page("https://h.test/a", story(1)),
        page("https://d.test/b", story(1), site="daily"),
    )
    assert copy.outcome == "duplicate"
    [later] = ingest(store, page("https://d.test/b", story(2), site="daily"))
    assert later.outcome == "article" and later.article_id != first.article_id
    assert store.revisions(first.article_id) == []


def test_a_crawl_whose_article_pages_all_hold_no_article_failed(store: Store) -> None:
    """A site turned into a JavaScript shell: pages fetched, nothing extracted."""
    ingester = Ingester(store, store.start_crawl("herald"))
    tally = CrawlTally()
    shell = Extracted(skip_reason="js_shell", detail="a script-only page")
    with store.write():
        for n in range(3):
            tally.add(
                ingester,
                Page(
                    url=f"https://h.test/{n}",
                    site="herald",
                    html="<html>",
                    fetched_at="2015-02-04T12:00:00Z",
                    extracted=shell,
                ),
            )
    assert tally.verdict("finished") == ("failed", "js_shell")
    with store.write():
        tally.add(ingester, page("https://h.test/a", SEED, title=SEED_TITLE))
    assert tally.verdict("finished") == ("ok", None)  # one article is enough
