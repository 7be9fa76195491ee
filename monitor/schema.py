"""The SQLite schema, as versioned migrations (the schema is a public interface).

Each migration is applied once, in order, recorded in ``_sqlite_migrations``;
`monitor.store.open_store` applies pending ones under one write lock.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("pressmon")
FUNNEL = (
    "listings",
    "discovered",
    "fetched",
    "extracted",
    "articles_new",
    "duplicates",
    "matched",
    "errors",
)
"""The crawl funnel columns of ``crawls``, in the order a page moves through them."""
FTS_TRIGGERS = ("articles_ai", "articles_ad", "articles_au")


@MIGRATIONS(name="0001_foundation")
def _foundation(db: Database) -> None:
    """Articles, the URLs they were seen under, crawl bookkeeping and search."""
    _create_articles(db)
    _create_crawl_tables(db)
    _create_cache_tables(db)
    ensure_fts(db)


def _create_articles(db: Database) -> None:
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "site": str,
            "title": str,
            "author": str,
            "published_at": str,
            "date_source": str,
            "fetched_at": str,
            "updated_at": str,
            "language": str,
            "text": str,
            "content_hash": str,
            "cluster_id": int,
            "word_count": int,
            "partial": int,
            "encoding_suspect": int,
        },
        pk="id",
        not_null={"url", "site", "fetched_at", "text", "content_hash"},
        defaults={"partial": 0, "encoding_suspect": 0, "word_count": 0},
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["site", "fetched_at"])
    db["articles"].create_index(["fetched_at"])
    db["articles"].create_index(["cluster_id"])
    db["article_urls"].create(
        {"id": int, "url": str, "article_id": int, "site": str, "first_seen": str},
        pk="id",
        not_null={"url", "article_id"},
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_urls"].create_index(["url"], unique=True)
    db["article_urls"].create_index(["article_id"])
    db["article_revisions"].create(
        {
            "id": int,
            "article_id": int,
            "title": str,
            "text": str,
            "content_hash": str,
            "fetched_at": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_revisions"].create_index(["article_id"])


def _create_crawl_tables(db: Database) -> None:
    db["crawls"].create(
        {
            "id": int,
            "site": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "pages": int,
            "listings": int,
            "discovered": int,
            "fetched": int,
            "extracted": int,
            "articles_new": int,
            "duplicates": int,
            "matched": int,
            "errors": int,
            "failure": str,
            "stats": str,
        },
        pk="id",
        not_null={"site", "started_at", "status"},
        defaults=dict.fromkeys(("pages", *FUNNEL), 0),
    )
    db["crawls"].create_index(["site", "started_at"])
    db["crawl_errors"].create(
        {
            "id": int,
            "crawl_id": int,
            "site": str,
            "url": str,
            "kind": str,
            "message": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id")],
    )
    db["crawl_errors"].create_index(["crawl_id"])
    db["crawl_errors"].create_index(["site", "kind"])
    db["seen_urls"].create(
        {
            "id": int,
            "url": str,
            "site": str,
            "outcome": str,
            "kind": str,
            "status": int,
            "article_id": int,
            "first_fetched": str,
            "last_fetched": str,
            "attempts": int,
        },
        pk="id",
        not_null={"url", "outcome"},
        defaults={"attempts": 0},
    )
    db["seen_urls"].create_index(["url"], unique=True)
    db["seen_urls"].create_index(["site", "outcome"])


def _create_cache_tables(db: Database) -> None:
    db["http_cache"].create(
        {
            "url": str,
            "site": str,
            "kind": str,
            "etag": str,
            "last_modified": str,
            "fetched_at": str,
            "status": int,
            "links": int,
        },
        pk="url",
    )
    db["boilerplate_lines"].create(
        {"site": str, "key": str, "line": str, "pages": int, "learned_at": str},
        pk=("site", "key"),
    )


_UPDATE_TRIGGER = """
CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "text" ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "text")
    VALUES ('delete', old.rowid, old."title", old."text");
  INSERT INTO "articles_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
END
"""


def ensure_fts(db: Database) -> None:
    """(Re)create the FTS5 index over articles and its sync triggers (DB-6).

    The update trigger fires only when the title or text changes, so setting
    ``cluster_id`` or other columns does not re-index the article.
    """
    db["articles"].enable_fts(
        ["title", "text"],
        fts_version="FTS5",
        create_triggers=True,
        replace=True,
        tokenize="unicode61 remove_diacritics 2",
    )
    db.execute('DROP TRIGGER IF EXISTS "articles_au"')
    db.execute(_UPDATE_TRIGGER)


def missing_fts_triggers(db: Database) -> list[str]:
    """Names of FTS sync triggers that are missing (empty when search is in sync)."""
    present = {trigger.name for trigger in db.triggers}
    return [name for name in FTS_TRIGGERS if name not in present]


@MIGRATIONS(name="0002_story_clusters")
def _story_clusters(db: Database) -> None:
    """The near-duplicate index: MinHash signatures and LSH buckets within the window.

    ``article_signatures`` holds one row per article of the dedupe window (its
    MinHash signature and normalised-title key); ``lsh_buckets`` one row per
    article and band, clustered on (band, bucket) so a lookup reads only the
    matching keys (the window is checked on the signature's ``fetched_at``);
    ``lsh_config`` names the signature scheme and banding the rows were built
    with. Rows older than the window are pruned.
    """
    db["article_signatures"].create(
        {
            "article_id": int,
            "cluster_id": int,
            "fetched_at": str,
            "title_key": str,
            "signature": bytes,
        },
        pk="article_id",
        not_null={"fetched_at", "signature"},
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_signatures"].create_index(["fetched_at"])
    db["article_signatures"].create_index(["title_key", "fetched_at"])
    for table in ("lsh_buckets", "lsh_recent"):
        db.execute(
            f"CREATE TABLE {table} (band INTEGER NOT NULL, bucket INTEGER NOT NULL, "
            "article_id INTEGER NOT NULL, PRIMARY KEY (band, bucket, article_id)) WITHOUT ROWID"
        )
    db["lsh_config"].create({"key": str, "value": str}, pk="key", not_null={"value"})


@MIGRATIONS(name="0003_recanonicalise")
def _recanonicalise_urls(db: Database) -> None:
    """Rewrite URLs stored by earlier versions with today's canonical rules (ids kept)."""
    from monitor._recanonicalise import recanonicalise  # imports urls, which imports config

    recanonicalise(db)


@MIGRATIONS(name="0004_hits")
def _hits(db: Database) -> None:
    """Watchlist hits: one row per article and watchlist, with what matched and where.

    ``terms`` is a JSON list of the matched terms as the watchlist writes them;
    ``strength`` counts each occurrence once and a title occurrence three times;
    ``where`` lists the places matched (``title``, ``lead``, ``body``), comma-separated;
    ``snippet`` is about 200 characters around the strongest match, matches in ``[[ ]]``.
    """
    db["hits"].create(
        {
            "id": int,
            "article_id": int,
            "watchlist": str,
            "terms": str,
            "count": int,
            "strength": int,
            "where": str,
            "snippet": str,
            "tagged_at": str,
        },
        pk="id",
        not_null={"article_id", "watchlist", "terms"},
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["hits"].create_index(["article_id", "watchlist"], unique=True)
    db["hits"].create_index(["watchlist", "article_id"])


@MIGRATIONS(name="0005_search_index")
def _search_index(db: Database) -> None:
    """``search_index``: FTS5 over each article's folded text, what search narrows with.

    Its rowid is the article's id; its text is the title and text folded by the
    matching rules, every Hangul/CJK character a token (monitor.textnorm.index_text),
    so it finds every article the matcher can match, where ``articles_fts`` (raw
    text) misses full-width, decomposed or particle-attached forms.
    """
    from monitor.textnorm import fold_sections, index_text

    db.execute(
        "CREATE VIRTUAL TABLE search_index USING fts5(body, "
        "tokenize = 'unicode61 remove_diacritics 0')"
    )
    rows = db.execute("SELECT id, title, text FROM articles").fetchall()
    db.conn.executemany(
        "INSERT INTO search_index (rowid, body) VALUES (?, ?)",
        (
            (article_id, index_text(fold_sections([title or "", text or ""]).folded))
            for article_id, title, text in rows
        ),
    )


@MIGRATIONS(name="0006_digests")
def _digests(db: Database) -> None:
    """Daily digests: one row per (date, watchlist); rebuilding a digest replaces its row.

    ``date`` is the local day the digest is dated (``YYYY-MM-DD``); ``markdown``
    and ``json`` are the digest as exported (DESIGN.md's JSON shape).
    """
    db["digests"].create(
        {
            "id": int,
            "date": str,
            "watchlist": str,
            "generated_at": str,
            "article_count": int,
            "markdown": str,
            "json": str,
        },
        pk="id",
        not_null={"date", "watchlist", "generated_at"},
        defaults={"article_count": 0},
    )
    db["digests"].create_index(["date", "watchlist"], unique=True)


@MIGRATIONS(name="0007_deliveries")
def _deliveries(db: Database) -> None:
    """The alert outbox: one row per (subscriber, channel, kind, ref), never two.

    ``kind`` is ``story`` (``ref`` = cluster id), ``digest`` (``ref`` =
    ``date/watchlist``) or ``health`` (``ref`` = ``site/state/since``); ``channel``
    is the index of the subscriber's notify URL. ``status`` goes ``pending`` →
    ``sent`` or ``failed``; an attempt is recorded (``attempts``,
    ``next_attempt_at``) before sending. ``last_error`` never holds a secret.
    ``message_id`` is the delivery id of the message a sent row went out in
    (a batch's lowest id; the id receivers saw as ``X-Delivery-Id`` /
    ``Idempotency-Key``).
    ``site_health`` remembers each site's last judged state, so a health alert
    goes out once per change.
    """
    db["deliveries"].create(
        {
            "id": int,
            "subscriber": str,
            "channel": int,
            "kind": str,
            "ref": str,
            "watchlist": str,
            "article_id": int,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
            "message_id": int,
        },
        pk="id",
        not_null={"subscriber", "channel", "kind", "ref", "status", "created_at"},
        defaults={"status": "pending", "attempts": 0},
    )
    db["deliveries"].create_index(["subscriber", "channel", "kind", "ref"], unique=True)
    db["deliveries"].create_index(["status", "next_attempt_at"])
    db["deliveries"].create_index(["subscriber", "channel", "sent_at"])
    db["site_health"].create(
        {"site": str, "state": str, "detail": str, "since": str}, pk="site", not_null={"state"}
    )


@MIGRATIONS(name="0008_channels")
def _channels(db: Database) -> None:
    """What the dispatcher knows of each subscriber channel (one notify URL).

    ``state`` is ``ok``, ``retrying`` (a temporary failure: nothing goes to the
    channel before ``paused_until``, the later of its backoff and the endpoint's
    ``Retry-After``), ``failing`` (a permanent rejection such as SMTP 550; sends
    go on, a success clears it) or ``disabled`` (HTTP 410 Gone: nothing is sent
    until ``pressmon alerts enable`` or a changed URL). ``url_hash`` fingerprints
    the URL as written in ``subscribers.toml``: a state recorded for another URL
    no longer applies. ``reason`` is the last error, secrets redacted.
    """
    db["channels"].create(
        {
            "subscriber": str,
            "channel": int,
            "url_hash": str,
            "state": str,
            "reason": str,
            "since": str,
            "paused_until": str,
            "last_sent_at": str,
            "last_failed_at": str,
        },
        pk=("subscriber", "channel"),
        not_null={"subscriber", "channel", "url_hash", "state", "since"},
    )
