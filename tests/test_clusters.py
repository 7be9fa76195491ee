"""Story clusters over a real SQLite file: joining, windows, restarts, outlets, upkeep."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from monitor import _lsh
from monitor.clusters import ClusterMatch, StoryClusters
from monitor.samplesite import SampleSite, sample_site_root
from monitor.store import ArticleRecord, Store, open_store
from tests._stories import (
    EXTRA_PARAGRAPH,
    KOREAN,
    KOREAN_TITLE,
    SAME_TOPIC,
    SAME_TOPIC_TITLE,
    SEED,
    SEED_TITLE,
    WIRE,
    WIRE_TITLE,
    paragraphs,
    with_paragraph,
    words_changed,
)
from tests.conftest import REPO, manifest, pressmon, write_home

DAY1 = "2015-02-04T12:00:00Z"


@pytest.fixture
def clusters(store: Store) -> StoryClusters:
    return StoryClusters(store, threshold=0.5, window_days=30)


def add(
    clusters: StoryClusters,
    url: str,
    text: str,
    title: str | None = "A story",
    *,
    site: str = "herald",
    at: str = DAY1,
) -> ClusterMatch:
    """Store an article as the ingester does, and assign its story."""
    store = clusters.store
    with store.write():
        article_id = store.insert_article(
            ArticleRecord(
                url=url, site=site, title=title, author=None, published_at=None,
                date_source=None, fetched_at=at, language="en", text=text,
                content_hash=url, word_count=len(text.split()),
            )
        )  # fmt: skip
        return clusters.assign(article_id, text, title, at)


def cluster_ids(store: Store) -> dict[int, int]:
    return dict(store.db.execute("SELECT id, cluster_id FROM articles").fetchall())


# -- joining --------------------------------------------------------------------------------


def test_a_wire_copy_on_another_outlet_joins_the_first_articles_story(
    clusters: StoryClusters,
) -> None:
    first = add(clusters, "https://herald.test/1", SEED, SEED_TITLE)
    copy = add(clusters, "https://daily.test/1", WIRE, WIRE_TITLE, site="daily")
    assert not first.joined and first.cluster_id == first.article_id
    assert copy.joined and copy.signal == "text"
    assert (copy.cluster_id, copy.matched_id) == (first.article_id, first.article_id)
    assert copy.similarity > 0.9
    assert cluster_ids(clusters.store) == {first.article_id: 1, copy.article_id: 1}
    assert clusters.cluster_size(first.article_id) == 2


VARIANTS = {
    "re-headlined update": (
        with_paragraph(SEED, EXTRA_PARAGRAPH, 1),
        "UPDATE: Seoul, Beijing to open defense hotline",
    ),
    "10% of words changed": (words_changed(SEED, 10), "China worried over THAAD"),
    "dropped paragraph, new headline": (
        "\n\n".join(paragraphs(SEED)[1:]),
        "Beijing voices THAAD worry",
    ),
    "same headline with the outlet's name": (SEED, f"{SEED_TITLE} - Yonhap"),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_of_the_story_join_it(clusters: StoryClusters, variant: str) -> None:
    text, title = VARIANTS[variant]
    first = add(clusters, "https://herald.test/1", SEED, SEED_TITLE)
    assert add(clusters, "https://other.test/1", text, title).cluster_id == first.cluster_id, (
        variant
    )


def test_a_same_topic_story_and_the_korean_edition_stay_apart(clusters: StoryClusters) -> None:
    add(clusters, "https://herald.test/1", SEED, SEED_TITLE)
    other = add(clusters, "https://herald.test/2", SAME_TOPIC, SAME_TOPIC_TITLE)
    korean = add(clusters, "https://daily.test/ko", KOREAN, KOREAN_TITLE, site="daily")
    assert not other.joined and other.cluster_id == other.article_id
    assert not korean.joined and korean.cluster_id == korean.article_id


def test_an_excerpt_under_the_same_headline_joins_by_title(clusters: StoryClusters) -> None:
    """Three paragraphs of the story share too few shingles for LSH; the title finds them."""
    first = add(clusters, "https://herald.test/1", SEED, SEED_TITLE)
    excerpt = "\n\n".join(paragraphs(SEED)[:3])
    match = add(clusters, "https://brief.test/1", excerpt, f"(LEAD) {SEED_TITLE}")
    assert match.cluster_id == first.cluster_id and match.similarity == 1.0


def test_a_recurring_headline_over_different_stories_does_not_join(
    clusters: StoryClusters,
) -> None:
    add(clusters, "https://herald.test/1", SEED, "Defense news roundup for today")
    other = add(clusters, "https://herald.test/2", SAME_TOPIC, "Defense news roundup for today")
    assert not other.joined


def test_the_first_articles_cluster_id_never_changes(clusters: StoryClusters) -> None:
    first = add(clusters, "https://herald.test/1", SEED, SEED_TITLE)
    other = add(clusters, "https://herald.test/2", SAME_TOPIC, SAME_TOPIC_TITLE)
    before = cluster_ids(clusters.store)
    add(clusters, "https://daily.test/1", WIRE, WIRE_TITLE, site="daily")
    add(clusters, "https://daily.test/2", words_changed(WIRE, 12), "China voices THAAD worry")
    after = cluster_ids(clusters.store)
    assert {k: after[k] for k in before} == before
    assert set(after.values()) == {first.article_id, other.article_id}


def test_a_cached_text_never_stands_in_for_another_article_with_its_id(store: Store) -> None:
    """A rolled-back batch frees ids; another process may store a different article under one."""
    ours, theirs = StoryClusters(store), StoryClusters(store)
    with pytest.raises(RuntimeError), store.write():
        reused = add(ours, "https://herald.test/1", SEED, SEED_TITLE).article_id
        raise RuntimeError("the batch is rolled back")
    assert add(theirs, "https://herald.test/2", SAME_TOPIC, SEED_TITLE).article_id == reused
    assert not add(ours, "https://daily.test/1", WIRE, SEED_TITLE).joined


def test_a_revised_article_is_matched_on_its_new_text_and_keeps_its_story(
    clusters: StoryClusters,
) -> None:
    first = add(clusters, "https://herald.test/1", SEED, SEED_TITLE)
    with clusters.store.write():
        clusters.refresh(first.article_id, SAME_TOPIC, SAME_TOPIC_TITLE)
    assert not add(clusters, "https://daily.test/1", WIRE, WIRE_TITLE).joined
    copy = add(clusters, "https://daily.test/2", words_changed(SAME_TOPIC, 12), "Other")
    assert copy.cluster_id == first.cluster_id == cluster_ids(clusters.store)[first.article_id]
    assert clusters.store.scalar("SELECT count(*) FROM lsh_recent") == 3 * clusters.bands


def test_an_article_with_no_words_is_its_own_story(clusters: StoryClusters) -> None:
    match = add(clusters, "https://herald.test/1", "— … —", SEED_TITLE)
    assert match == ClusterMatch(match.article_id, match.article_id)


# -- the window -----------------------------------------------------------------------------


def test_a_copy_outside_the_window_starts_a_new_story(clusters: StoryClusters) -> None:
    add(clusters, "https://herald.test/1", SEED, SEED_TITLE, at="2015-01-01T00:00:00Z")
    late = add(clusters, "https://daily.test/1", WIRE, WIRE_TITLE, at="2015-02-01T00:00:01Z")
    assert not late.joined
    inside = add(clusters, "https://daily.test/2", WIRE, WIRE_TITLE, at="2015-01-30T00:00:00Z")
    assert inside.joined


def test_a_wider_window_reaches_further(store: Store) -> None:
    wide = StoryClusters(store, threshold=0.5, window_days=60)
    first = add(wide, "https://herald.test/1", SEED, SEED_TITLE, at="2015-01-01T00:00:00Z")
    late = add(wide, "https://daily.test/1", WIRE, WIRE_TITLE, at="2015-02-20T00:00:00Z")
    assert late.cluster_id == first.cluster_id


# -- restarts and settings ------------------------------------------------------------------

RESTARTED = """
import sys
from monitor.clusters import StoryClusters
from monitor.store import ArticleRecord, open_store
store = open_store(sys.argv[1])
clusters = StoryClusters(store, threshold=0.5, window_days=30)
text = sys.stdin.read()
with store.write():
    article_id = store.insert_article(ArticleRecord(
        url="https://daily.test/later", site="daily", title="China worried over THAAD",
        author=None, published_at=None, date_source=None, fetched_at="2015-02-06T00:00:00Z",
        language="en", text=text, content_hash="later", word_count=0))
    match = clusters.assign(article_id, text, "China worried", "2015-02-06T00:00:00Z")
print(match.cluster_id)
"""


def test_a_copy_added_by_a_new_process_joins_the_stored_story(
    clusters: StoryClusters, tmp_path: Path
) -> None:
    first = add(clusters, "https://herald.test/1", SEED, SEED_TITLE)
    add(clusters, "https://herald.test/2", SAME_TOPIC, SAME_TOPIC_TITLE)
    clusters.store.close()
    done = subprocess.run(
        [sys.executable, "-c", RESTARTED, str(tmp_path / "m.db")],
        input=WIRE, capture_output=True, text=True, cwd=REPO, check=True,
    )  # fmt: skip
    assert int(done.stdout) == first.cluster_id


def test_a_new_threshold_rebuilds_the_buckets_and_keeps_the_stories(store: Store) -> None:
    usual = StoryClusters(store, threshold=0.5)
    first = add(usual, "https://herald.test/1", SEED, SEED_TITLE)
    stricter = StoryClusters(store, threshold=0.8)
    config = dict(store.db.execute("SELECT key, value FROM lsh_config").fetchall())
    assert (stricter.bands, stricter.rows) != (usual.bands, usual.rows)
    assert config["banding"] == f"{stricter.bands}x{stricter.rows}"
    assert store.scalar("SELECT count(*) FROM lsh_buckets") == stricter.bands
    assert add(stricter, "https://daily.test/1", WIRE, WIRE_TITLE).cluster_id == first.cluster_id
    assert not add(stricter, "https://daily.test/2", words_changed(SEED, 10), "Other").joined


def test_a_new_signature_scheme_recomputes_the_signatures(store: Store) -> None:
    first = add(StoryClusters(store), "https://herald.test/1", SEED, SEED_TITLE)
    store.db.execute("UPDATE article_signatures SET signature = zeroblob(512)")
    store.db.execute("UPDATE lsh_config SET value = 'old-scheme' WHERE key = 'signature'")
    rebuilt = StoryClusters(store)
    assert add(rebuilt, "https://daily.test/1", WIRE, WIRE_TITLE).cluster_id == first.cluster_id


# -- other outlets ---------------------------------------------------------------------------


def test_other_outlets_lists_the_storys_other_articles_and_exact_copies(
    clusters: StoryClusters,
) -> None:
    first = add(clusters, "https://herald.test/1", SEED, SEED_TITLE)
    copy = add(clusters, "https://daily.test/1", WIRE, WIRE_TITLE, site="daily")
    add(clusters, "https://herald.test/2", SAME_TOPIC, SAME_TOPIC_TITLE)
    store = clusters.store
    store.add_article_url("https://wire.test/copy", first.article_id, "wire")
    store.add_article_url("https://herald.test/1?utm_source=rss", first.article_id, "herald")
    others = clusters.other_outlets(first.cluster_id, exclude_article_id=first.article_id)
    assert others == [
        {"site": "wire", "url": "https://wire.test/copy", "title": SEED_TITLE, "article_id": 1},
        {"site": "daily", "url": "https://daily.test/1", "title": WIRE_TITLE, "article_id": 2},
    ]
    everyone = [o["url"] for o in clusters.other_outlets(first.cluster_id)]
    assert everyone == ["https://herald.test/1", "https://wire.test/copy", "https://daily.test/1"]
    assert copy.cluster_id == first.cluster_id


def test_cluster_size_counts_stored_articles(clusters: StoryClusters) -> None:
    first = add(clusters, "https://herald.test/1", SEED, SEED_TITLE)
    assert clusters.cluster_size(first.cluster_id) == 1
    add(clusters, "https://daily.test/1", WIRE, WIRE_TITLE)
    assert clusters.cluster_size(first.cluster_id) == 2
    assert clusters.cluster_size(999) == 0


# -- upkeep ----------------------------------------------------------------------------------


def index_rows(store: Store) -> tuple[int, int, int]:
    return tuple(
        store.scalar(f"SELECT count(*) FROM {table}")
        for table in ("article_signatures", "lsh_buckets", "lsh_recent")
    )


def test_prune_forgets_old_articles_but_keeps_their_stories(clusters: StoryClusters) -> None:
    old = add(clusters, "https://herald.test/1", SEED, SEED_TITLE, at="2015-01-01T00:00:00Z")
    new = add(clusters, "https://herald.test/2", SAME_TOPIC, at="2015-01-20T00:00:00Z")
    bands = clusters.bands
    assert index_rows(clusters.store) == (2, 0, 2 * bands)
    assert clusters.prune("2015-01-10T00:00:00Z") == 1
    assert index_rows(clusters.store) == (1, 0, bands)
    copy = add(clusters, "https://daily.test/1", WIRE, WIRE_TITLE, at="2015-01-21T00:00:00Z")
    assert not copy.joined
    assert cluster_ids(clusters.store)[old.article_id] == old.article_id
    assert new.cluster_id == new.article_id


def test_the_buffer_is_merged_and_the_window_pruned_as_articles_arrive(
    clusters: StoryClusters, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_lsh, "MERGE_EVERY", 2)
    add(clusters, "https://herald.test/1", SEED, SEED_TITLE, at="2015-01-01T00:00:00Z")
    add(clusters, "https://herald.test/2", SAME_TOPIC, at="2015-01-02T00:00:00Z")
    assert index_rows(clusters.store) == (2, 2 * clusters.bands, 0)
    add(clusters, "https://herald.test/3", KOREAN, KOREAN_TITLE, at="2015-03-01T00:00:00Z")
    later = add(clusters, "https://daily.test/1", WIRE, WIRE_TITLE, at="2015-03-02T00:00:00Z")
    assert index_rows(clusters.store) == (2, 2 * clusters.bands, 0)  # January pruned
    assert not later.joined
    copy = add(clusters, "https://daily.test/2", words_changed(WIRE, 12), at="2015-03-02T01:00:00Z")
    assert copy.cluster_id == later.cluster_id  # found in lsh_buckets after the merge


def test_assigning_reads_only_through_indexes(clusters: StoryClusters) -> None:
    """Per-article cost must not grow with the archive: no statement scans a table."""
    add(clusters, "https://herald.test/1", SEED, SEED_TITLE)
    add(clusters, "https://herald.test/2", SAME_TOPIC, SAME_TOPIC_TITLE)
    statements: list[str] = []
    store = clusters.store
    store.db.conn.set_trace_callback(statements.append)
    add(clusters, "https://daily.test/1", WIRE, SEED_TITLE, site="daily")
    store.db.conn.set_trace_callback(None)
    scans = []
    for sql in statements:
        if sql.split()[0].upper() in ("SELECT", "WITH", "UPDATE", "DELETE"):
            plan = store.db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
            scans += [row[3] for row in plan if row[3].startswith("SCAN ") and _is_table(row[3])]
    assert len(statements) > 5 and scans == []


def _is_table(detail: str) -> bool:
    """SCAN of a stored table (not of a CTE of bound values)."""
    name = detail.split()[1]
    return name not in ("k", "h") and "CONSTANT ROWS" not in detail


# -- end to end ------------------------------------------------------------------------------


def test_a_crawl_clusters_the_wire_copy_with_the_seed_and_nothing_else(tmp_path: Path) -> None:
    with SampleSite(sample_site_root()) as server:
        home = write_home(tmp_path / "home", server.base_url)
        done = pressmon("--home", str(home), "--db", str(tmp_path / "m.db"), "crawl")
    assert done.returncode == 0, done.stderr[-3000:]
    store = open_store(tmp_path / "m.db")
    rows = store.rows("SELECT url, cluster_id FROM articles")
    stats = [row["stats"] for row in store.rows("SELECT stats FROM crawls")]
    store.close()
    by_path = {urlsplit(row["url"]).path: row["cluster_id"] for row in rows}
    stories: dict[int, set[str]] = {}
    for path, cluster in by_path.items():
        stories.setdefault(cluster, set()).add(path)
    shared = [paths for paths in stories.values() if len(paths) > 1]
    assert shared == [
        {
            "/herald/view/2015020401.html",
            "/daily/news/2015/02/04/china-voices-worry-over-us-missile-shield.html",
        }
    ]
    expected = {p["path"] for p in manifest() if p["outcome"] == "article"}
    assert set(by_path) == expected
    assert sum('"near_duplicates": 1' in s for s in stats) == 1
