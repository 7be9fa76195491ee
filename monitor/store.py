"""The SQLite store: every read and write of Press Monitor's one database file.

All SQL lives here. Connections use WAL and a busy timeout (DB-1); every write
that reads first runs inside :meth:`Store.write`, a ``BEGIN IMMEDIATE``
transaction (DB-2), so an article and everything recorded with it commit
together or not at all (DB-4, DB-5).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from monitor import clock
from monitor.errors import StoreError
from monitor.schema import FUNNEL, MIGRATIONS, ensure_fts, missing_fts_triggers
from monitor.textnorm import Folded, fold_sections, index_text

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
ERROR_RETRY_LIMIT = 3


@dataclass(frozen=True)
class ArticleRecord:
    """One article as it is written to the ``articles`` table."""

    url: str
    site: str
    title: str | None
    author: str | None
    published_at: str | None
    date_source: str | None
    fetched_at: str
    language: str | None
    text: str
    content_hash: str
    word_count: int
    partial: bool = False
    encoding_suspect: bool = False


def open_store(path: Path | str) -> Store:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        db = Database(conn)
        _configure(db)
        store = Store(db, path)
        store.migrate()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: cannot open the database: {exc}") from exc
    return store


def _configure(db: Database) -> None:
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA journal_size_limit = 67108864")


class Store:
    """A connection to the database with the operations the product needs."""

    def __init__(self, db: Database, path: Path) -> None:
        self.db = db
        self.path = path

    # -- transactions and schema -------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Store]:
        """One ``BEGIN IMMEDIATE`` transaction; nested calls join the outer one."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def migrate(self) -> None:
        """Apply pending migrations under one write lock; repair FTS triggers (DB-6)."""
        with self.write():
            MIGRATIONS.apply(self.db)
            if missing_fts_triggers(self.db):
                log.warning("%s: full-text triggers were missing; rebuilding", self.path)
                ensure_fts(self.db)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The first column of the first row of ``sql`` (None when no row)."""
        row = self.db.execute(sql, list(params)).fetchone()
        return row[0] if row else None

    def rows(self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()) -> list[dict]:
        """All rows of ``sql`` as dicts."""
        cursor = self.db.execute(sql, params if isinstance(params, Mapping) else list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # -- crawls ------------------------------------------------------------

    def start_crawl(self, site: str) -> int:
        """Open a ``crawls`` row; rows of ``site`` left ``running`` by a killed crawl → aborted."""
        now = clock.now_iso()
        with self.write():
            self.db.execute(
                "UPDATE crawls SET status = 'aborted', finished_at = ? "
                "WHERE site = ? AND status = 'running'",
                [now, site],
            )
            return int(
                self.db["crawls"]
                .insert({"site": site, "started_at": now, "status": "running"})
                .last_pk
            )

    def finish_crawl(
        self,
        crawl_id: int,
        status: str,
        counts: Mapping[str, int],
        failure: str | None = None,
        stats: Mapping[str, Any] | None = None,
    ) -> None:
        """Close a ``crawls`` row with its funnel counts and failure type."""
        values: dict[str, Any] = {k: int(counts.get(k, 0)) for k in (*FUNNEL, "pages")}
        values.update(
            status=status,
            failure=failure,
            finished_at=clock.now_iso(),
            stats=json.dumps(dict(stats or {}), sort_keys=True, default=str),
        )
        with self.write():
            self.db["crawls"].update(crawl_id, values)

    def crawl(self, crawl_id: int) -> dict:
        """One ``crawls`` row."""
        return dict(self.db["crawls"].get(crawl_id))

    # -- incremental crawling ----------------------------------------------

    def should_fetch(self, url: str, announced: str | None = None) -> bool:
        """Whether the canonical ``url`` needs fetching.

        Not when it is stored (as an article or one of its URLs) or its last
        fetch settled it, unless a feed or sitemap ``announced`` a newer version
        than that fetch; an error is retried on a few later crawls.
        """
        row = self.db.execute(
            "SELECT outcome, last_fetched, attempts FROM seen_urls WHERE url = ?", [url]
        ).fetchone()
        if row is None:
            return self.article_id_for_url(url) is None
        outcome, last_fetched, attempts = row
        if outcome == "error":
            return int(attempts or 0) < ERROR_RETRY_LIMIT
        return bool(announced and last_fetched and announced > last_fetched)

    def mark_seen(
        self,
        url: str,
        site: str,
        outcome: str,
        *,
        kind: str | None = None,
        status: int | None = None,
        article_id: int | None = None,
    ) -> None:
        """Record the outcome of fetching ``url`` (errors count their attempts)."""
        now = clock.now_iso()
        self.db.execute(
            "INSERT INTO seen_urls (url, site, outcome, kind, status, article_id, "
            "first_fetched, last_fetched, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET outcome = excluded.outcome, kind = excluded.kind, "
            "status = excluded.status, article_id = coalesce(excluded.article_id, article_id), "
            "last_fetched = excluded.last_fetched, "
            "attempts = CASE WHEN excluded.outcome != 'error' THEN 0 "
            "WHEN excluded.kind IN ('http_429', 'robots_unavailable') THEN attempts "
            "ELSE attempts + 1 END",
            [
                url,
                site,
                outcome,
                kind,
                status,
                article_id,
                now,
                now,
                1 if outcome == "error" else 0,
            ],
        )

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified stored for a feed, sitemap or listing URL."""
        row = self.db.execute(
            "SELECT etag, last_modified FROM http_cache WHERE url = ?", [url]
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_validators(
        self,
        url: str,
        site: str,
        kind: str,
        *,
        etag: str | None,
        last_modified: str | None,
        status: int,
        links: int,
    ) -> None:
        """Remember a source's validators for the next conditional GET."""
        self.db["http_cache"].upsert(
            {
                "url": url,
                "site": site,
                "kind": kind,
                "etag": etag,
                "last_modified": last_modified,
                "status": status,
                "links": links,
                "fetched_at": clock.now_iso(),
            },
            pk="url",
        )

    def record_error(
        self,
        crawl_id: int | None,
        site: str,
        url: str,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        page: bool = True,
    ) -> None:
        """A ``crawl_errors`` row; for a page also its ``seen_urls`` outcome."""
        self.db["crawl_errors"].insert(
            {
                "crawl_id": crawl_id,
                "site": site,
                "url": url,
                "kind": kind,
                "message": message[:2000],
                "at": clock.now_iso(),
            }
        )
        if page:
            outcome = "not_article" if kind in NOT_ARTICLE_KINDS else "error"
            self.mark_seen(url, site, outcome, kind=kind, status=status)

    # -- articles ----------------------------------------------------------

    def article_id_for_url(self, url: str) -> int | None:
        """The article stored under ``url`` (its own URL or any URL seen for it)."""
        found = self.scalar("SELECT id FROM articles WHERE url = ?", [url])
        if found is None:
            found = self.scalar("SELECT article_id FROM article_urls WHERE url = ?", [url])
        return found

    def article_id_for_hash(self, content_hash: str) -> int | None:
        """The first article stored with exactly this text."""
        return self.scalar(
            "SELECT id FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1", [content_hash]
        )

    def insert_article(self, record: ArticleRecord, folded: Folded | None = None) -> int:
        """Store a new article (its own story until dedupe says otherwise); returns its id.

        ``folded`` is the article's title and text folded, if the caller has it.
        """
        values = {
            **record.__dict__,
            "partial": int(record.partial),
            "encoding_suspect": int(record.encoding_suspect),
        }
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        article_id = int(
            self.scalar(
                f"INSERT INTO articles ({names}) VALUES ({marks}) RETURNING id",  # noqa: S608
                list(values.values()),
            )
        )
        self.db.execute("UPDATE articles SET cluster_id = ? WHERE id = ?", [article_id, article_id])
        self.add_article_url(record.url, article_id, record.site)
        self._index(article_id, record.title, record.text, new=True, folded=folded)
        return article_id

    def _index(
        self,
        article_id: int,
        title: str | None,
        text: str,
        *,
        new: bool = False,
        folded: Folded | None = None,
    ) -> None:
        """(Re)write the article's row of ``search_index`` (its folded title and text)."""
        folded = folded or fold_sections([title or "", text])
        body = index_text(folded.folded)
        if not new:
            self.db.execute("DELETE FROM search_index WHERE rowid = ?", [article_id])
        self.db.execute("INSERT INTO search_index (rowid, body) VALUES (?, ?)", [article_id, body])

    def add_article_url(self, url: str, article_id: int, site: str) -> None:
        """Remember that ``url`` (on ``site``) shows ``article_id``; first sighting wins."""
        self.db.execute(
            "INSERT OR IGNORE INTO article_urls (url, article_id, site, first_seen) "
            "VALUES (?, ?, ?, ?)",
            [url, article_id, site, clock.now_iso()],
        )

    def article(self, article_id: int) -> dict:
        """One ``articles`` row."""
        return dict(self.db["articles"].get(article_id))

    # -- learned boilerplate -----------------------------------------------

    def learn_lines(self, site: str, lines: Mapping[str, str], min_pages: int) -> set[str]:
        """Count one more page for each candidate line; return keys learned just now.

        Lines are looked up by key only (never a scan of the site's lines), so the
        cost per page does not grow with the archive.
        """
        if not lines:
            return set()
        self.db.conn.executemany(
            "INSERT INTO boilerplate_lines (site, key, line, pages) VALUES (?, ?, ?, 1) "
            "ON CONFLICT(site, key) DO UPDATE SET pages = pages + 1",
            [(site, key, line[:500]) for key, line in lines.items()],
        )
        keys = list(lines)
        marks = ", ".join("?" for _ in keys)
        rows = self.db.execute(
            f"UPDATE boilerplate_lines SET learned_at = ? WHERE site = ? AND key IN ({marks}) "  # noqa: S608
            "AND pages >= ? AND learned_at IS NULL RETURNING key",
            [clock.now_iso(), site, *keys, min_pages],
        ).fetchall()
        return {row[0] for row in rows}

    def learned_lines(self, site: str, min_pages: int) -> dict[str, str]:
        """Key → line of every line seen on at least ``min_pages`` pages of ``site``."""
        rows = self.db.execute(
            "SELECT key, line FROM boilerplate_lines WHERE site = ? AND pages >= ?",
            [site, min_pages],
        ).fetchall()
        return dict(rows)

    def articles_containing(self, site: str, line: str) -> list[tuple[int, str]]:
        """(id, text) of ``site``'s articles whose text contains ``line``."""
        return self.db.execute(
            "SELECT id, text FROM articles WHERE site = ? AND instr(text, ?) > 0", [site, line]
        ).fetchall()

    def replace_text(self, article_id: int, text: str, word_count: int) -> None:
        """Rewrite an article's stored text (after newly learned boilerplate)."""
        self.db.execute(
            "UPDATE articles SET text = ?, word_count = ? WHERE id = ?",
            [text, word_count, article_id],
        )
        self._index(
            article_id, self.scalar("SELECT title FROM articles WHERE id = ?", [article_id]), text
        )

    def other_outlets(self, cluster_id: int, exclude_article_id: int | None = None) -> list[dict]:
        """Who else carried the story: its other articles, and exact copies on other sites.

        Each entry is ``{"site", "url", "title", "article_id"}``, by article id
        then URL; an exact copy (a URL of another site recorded for an article)
        carries the title of the article it copies. Used by digests and alerts
        ("also carried by").
        """
        rows = self.rows(
            "SELECT a.site, a.url, a.title, a.id AS article_id FROM articles a "
            "WHERE a.cluster_id = :cluster AND a.id IS NOT :exclude "
            "UNION ALL SELECT u.site, u.url, a.title, a.id FROM article_urls u "
            "JOIN articles a ON a.id = u.article_id "
            "WHERE a.cluster_id = :cluster AND u.site != a.site ORDER BY article_id, url",
            {"cluster": cluster_id, "exclude": exclude_article_id},
        )
        unique: dict[str, dict] = {}
        for row in rows:
            unique.setdefault(row["url"], row)
        return list(unique.values())

    def cluster_size(self, cluster_id: int) -> int:
        """Number of stored articles in the story."""
        return int(self.scalar("SELECT count(*) FROM articles WHERE cluster_id = ?", [cluster_id]))

    def url_owner(self, url: str) -> tuple[int, str] | None:
        """(article id, the article's site) for ``url``: its own URL or one seen for it."""
        row = self.db.execute("SELECT id, site FROM articles WHERE url = ?", [url]).fetchone()
        if row is None:
            row = self.db.execute(
                "SELECT a.id, a.site FROM article_urls u JOIN articles a ON a.id = u.article_id "
                "WHERE u.url = ?",
                [url],
            ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def revise_article(
        self, article_id: int, record: ArticleRecord, folded: Folded | None = None
    ) -> int:
        """Keep the current version in ``article_revisions``, then store ``record`` over it.

        The id, URL, site, cluster and first ``fetched_at`` stay; returns the
        revision's id.
        """
        revision = self.scalar(
            "INSERT INTO article_revisions (article_id, title, text, content_hash, fetched_at) "
            "SELECT id, title, text, content_hash, coalesce(updated_at, fetched_at) "
            "FROM articles WHERE id = ? RETURNING id",
            [article_id],
        )
        self.db.execute(
            "UPDATE articles SET title = ?, author = ?, published_at = ?, date_source = ?, "
            "language = ?, text = ?, content_hash = ?, word_count = ?, partial = ?, "
            "encoding_suspect = ?, updated_at = ? WHERE id = ?",
            [
                record.title,
                record.author,
                record.published_at,
                record.date_source,
                record.language,
                record.text,
                record.content_hash,
                record.word_count,
                int(record.partial),
                int(record.encoding_suspect),
                record.fetched_at,
                article_id,
            ],
        )
        self._index(article_id, record.title, record.text, folded=folded)
        return int(revision)

    def revisions(self, article_id: int) -> list[dict]:
        """Earlier versions of an article, oldest first."""
        return self.rows(
            "SELECT * FROM article_revisions WHERE article_id = ? ORDER BY id", [article_id]
        )


NOT_ARTICLE_KINDS = frozenset({"listing", "empty", "js_shell", "not_html", "disallowed", "offsite"})
