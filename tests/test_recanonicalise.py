"""monitor._recanonicalise: the migration that re-canonicalises URLs stored by earlier versions."""

from __future__ import annotations

import pytest

from monitor._recanonicalise import recanonicalise
from monitor.store import ArticleRecord, Store
from tests.conftest import search_rows

ZERO = dict.fromkeys(
    (
        "articles",
        "articles_merged",
        "article_urls",
        "article_urls_merged",
        "seen_urls",
        "seen_urls_merged",
        "http_cache",
        "http_cache_merged",
    ),
    0,
)


def add_article(store: Store, url: str, text: str, fetched_at: str = "2015-02-04T12:00:00Z") -> int:
    """An article stored the way earlier versions did: under ``url`` exactly as given."""
    record = ArticleRecord(
        url=url,
        site="herald",
        title=f"Title {text.split()[0]}",
        author=None,
        published_at="2015-02-04T11:14:00Z",
        date_source="meta",
        fetched_at=fetched_at,
        language="en",
        text=text,
        content_hash=f"h-{url}",
        word_count=len(text.split()),
    )
    with store.write():
        return store.insert_article(record)


def add_seen(store: Store, url: str, outcome: str, **values: object) -> int:
    row = {"url": url, "site": "herald", "outcome": outcome, **values}
    return int(store.db["seen_urls"].insert(row).last_pk)


def urls_of(store: Store, table: str) -> list[str]:
    return [row[0] for row in store.db.execute(f"SELECT url FROM {table} ORDER BY url")]


def article_urls(store: Store) -> dict[str, int]:
    return dict(store.db.execute("SELECT url, article_id FROM article_urls").fetchall())


# --- articles --------------------------------------------------------------------------


def test_article_urls_are_rewritten_and_ids_kept(store: Store) -> None:
    cases = {
        "HTTPS://WWW.Example.COM:443/a?utm_source=rss#top": "https://www.example.com/a",
        "http://example.com:80/b?z=1&a=2": "http://example.com/b?a=2&z=1",
        "https://example.com/c?id=7&fbclid=x&gclid=y": "https://example.com/c?id=7",
        "https://example.com/%7euser/./d": "https://example.com/~user/d",
        "https://Bücher.example/e": "https://xn--bcher-kva.example/e",
        "https://example.com/already": "https://example.com/already",
    }
    ids = {old: add_article(store, old, f"word{n} THAAD") for n, old in enumerate(cases)}
    counts = recanonicalise(store.db)
    for old, new in cases.items():
        assert store.article(ids[old])["url"] == new
    assert counts["articles"] == 5 and counts["articles_merged"] == 0
    assert set(article_urls(store)) == set(cases.values())
    assert article_urls(store)["https://www.example.com/a"] == ids[next(iter(cases))]


def test_colliding_articles_the_oldest_takes_the_url(store: Store) -> None:
    first = add_article(store, "https://example.com/a?utm_source=x", "first THAAD story")
    second = add_article(store, "https://EXAMPLE.com/a?fbclid=1", "second THAAD story")
    third = add_article(store, "https://example.com/a#comments", "third THAAD story")
    counts = recanonicalise(store.db)
    assert store.article(first)["url"] == "https://example.com/a"
    assert store.article(second)["url"] == "https://EXAMPLE.com/a?fbclid=1"
    assert store.article(third)["url"] == "https://example.com/a#comments"
    assert article_urls(store)["https://example.com/a"] == first
    assert store.article_id_for_url("https://example.com/a") == first
    assert counts["articles"] == 1 and counts["articles_merged"] == 2
    assert counts["article_urls_merged"] == 2


def test_a_younger_article_holding_the_canonical_url_gives_it_to_the_oldest(store: Store) -> None:
    oldest = add_article(store, "https://Example.com/a", "oldest THAAD story")
    younger = add_article(store, "https://example.com/a", "younger THAAD story")
    recanonicalise(store.db)
    assert store.article(oldest)["url"] == "https://example.com/a"
    assert store.article(younger)["url"] == "https://Example.com/a"
    assert article_urls(store) == {"https://example.com/a": oldest}


def test_a_variant_pointing_elsewhere_follows_the_article_that_owns_the_url(store: Store) -> None:
    other = add_article(store, "https://example.com/b", "other THAAD")
    store.db["article_urls"].insert({"url": "https://Example.com/a", "article_id": other})
    owner = add_article(store, "https://example.com/a?utm_medium=x", "owner THAAD")
    recanonicalise(store.db)
    assert article_urls(store) == {"https://example.com/a": owner, "https://example.com/b": other}


def test_search_still_finds_the_articles(store: Store) -> None:
    first = add_article(store, "https://Example.com/a?utm_source=x", "hotline THAAD story")
    second = add_article(store, "https://example.com/a", "another hotline report")
    recanonicalise(store.db)
    found = {row["id"]: row["url"] for row in search_rows(store, "hotline")}
    assert found == {first: "https://example.com/a", second: "https://Example.com/a?utm_source=x"}
    integrity = "INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)"
    store.db.execute(integrity)


def test_unparseable_urls_are_left_alone(store: Store) -> None:
    odd = add_article(store, "not a url", "odd THAAD")
    recanonicalise(store.db)
    assert store.article(odd)["url"] == "not a url"


# --- seen_urls, article_urls, http_cache -----------------------------------------------


def test_seen_urls_merge_keeps_the_earliest_row_and_the_best_outcome(store: Store) -> None:
    earliest = add_seen(
        store,
        "https://example.com/a?utm_source=1",
        "error",
        kind="timeout",
        attempts=2,
        first_fetched="2015-02-01T00:00:00Z",
        last_fetched="2015-02-01T00:00:00Z",
    )
    add_seen(
        store,
        "https://EXAMPLE.com/a",
        "article",
        article_id=9,
        status=200,
        first_fetched="2015-02-02T00:00:00Z",
        last_fetched="2015-02-03T00:00:00Z",
    )
    add_seen(store, "https://example.com/a#x", "duplicate", last_fetched="2015-02-02T00:00:00Z")
    counts = recanonicalise(store.db)
    rows = list(store.db["seen_urls"].rows)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == earliest and row["url"] == "https://example.com/a"
    assert (row["outcome"], row["article_id"], row["status"], row["kind"]) == (
        "article",
        9,
        200,
        None,
    )
    assert row["first_fetched"] == "2015-02-01T00:00:00Z"
    assert row["last_fetched"] == "2015-02-03T00:00:00Z"
    assert row["attempts"] == 0
    assert counts["seen_urls"] == 1 and counts["seen_urls_merged"] == 2


@pytest.mark.parametrize(
    ("outcomes", "kept"),
    [
        (["error", "not_article"], "not_article"),
        (["not_article", "duplicate"], "duplicate"),
        (["duplicate", "article", "error"], "article"),
        (["error", "error"], "error"),
    ],
)
def test_seen_urls_outcome_order(store: Store, outcomes: list[str], kept: str) -> None:
    for n, outcome in enumerate(outcomes):
        add_seen(store, f"https://example.com/a?utm_id={n}", outcome, attempts=n + 1)
    recanonicalise(store.db)
    rows = list(store.db["seen_urls"].rows)
    assert [row["outcome"] for row in rows] == [kept]
    assert rows[0]["attempts"] == (len(outcomes) if kept == "error" else 0)


def test_seen_urls_that_differ_really_stay_apart(store: Store) -> None:
    add_seen(store, "https://example.com/a?id=1&utm_source=x", "article")
    add_seen(store, "https://example.com/a?id=2", "article")
    add_seen(store, "https://example.com/ampere-record", "article")
    recanonicalise(store.db)
    assert urls_of(store, "seen_urls") == [
        "https://example.com/a?id=1",
        "https://example.com/a?id=2",
        "https://example.com/ampere-record",
    ]


def test_article_urls_merge_keeps_the_earliest(store: Store) -> None:
    a = add_article(store, "https://example.com/a", "a THAAD")
    b = add_article(store, "https://example.com/b", "b THAAD")
    store.db["article_urls"].insert_all(
        [
            {"url": "https://example.com/x?utm_source=1", "article_id": a, "site": "herald"},
            {"url": "https://EXAMPLE.com/x", "article_id": b, "site": "herald"},
        ]
    )
    counts = recanonicalise(store.db)
    assert article_urls(store)["https://example.com/x"] == a
    assert counts["article_urls"] == 1 and counts["article_urls_merged"] == 1


def test_http_cache_merge_keeps_the_earliest(store: Store) -> None:
    for n, url in enumerate(
        ["https://Example.com/feed?b=2&a=1", "https://example.com/feed?a=1&b=2#x"]
    ):
        store.save_validators(
            url, "herald", "feed", etag=f"e{n}", last_modified=None, status=200, links=1
        )
    store.save_validators(
        "https://example.com/other",
        "herald",
        "feed",
        etag="o",
        last_modified=None,
        status=200,
        links=1,
    )
    counts = recanonicalise(store.db)
    assert urls_of(store, "http_cache") == [
        "https://example.com/feed?a=1&b=2",
        "https://example.com/other",
    ]
    assert store.validators("https://example.com/feed?a=1&b=2") == ("e0", None)
    assert counts["http_cache"] == 1 and counts["http_cache_merged"] == 1


# --- as a migration --------------------------------------------------------------------


def populate(store: Store) -> None:
    add_article(store, "https://example.com/a?utm_source=x", "first THAAD")
    add_article(store, "https://example.com/a", "second THAAD")
    add_article(store, "HTTP://Example.com:80/b?z=1&a=2#top", "third THAAD")
    add_seen(store, "https://example.com/a?fbclid=1", "article")
    add_seen(store, "https://example.com/a", "duplicate")
    store.save_validators(
        "https://Example.com/feed",
        "herald",
        "feed",
        etag="e",
        last_modified=None,
        status=200,
        links=1,
    )


def snapshot(store: Store) -> dict[str, list[tuple]]:
    tables = ("articles", "article_urls", "seen_urls", "http_cache")
    return {t: store.db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def test_second_run_changes_nothing(store: Store) -> None:
    populate(store)
    first = recanonicalise(store.db)
    before = snapshot(store)
    assert first != ZERO
    assert recanonicalise(store.db) == ZERO
    assert snapshot(store) == before


def test_runs_inside_the_migration_transaction(store: Store) -> None:
    populate(store)
    with store.write():
        recanonicalise(store.db)
    assert not store.db.conn.in_transaction
    assert urls_of(store, "http_cache") == ["https://example.com/feed"]
    assert "http://example.com/b?a=2&z=1" in urls_of(store, "articles")


def test_a_failure_rolls_everything_back(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    populate(store)
    before = snapshot(store)

    def broken(db: object) -> dict[str, int]:
        raise RuntimeError("disk full")

    monkeypatch.setattr("monitor._recanonicalise._http_cache", broken)
    with pytest.raises(RuntimeError), store.write():
        recanonicalise(store.db)
    assert snapshot(store) == before
