"""The SQLite store: every read and write of Press Monitor's one database file.

All SQL lives here and in the two parts :class:`Store` is built from:
:mod:`monitor._store_crawls` (crawl runs, which URLs to fetch, validators for
conditional GETs, crawl errors) and :mod:`monitor._store_articles` (articles,
their URLs and search index, learned boilerplate, stories, revisions). This
module keeps what they share: opening the file, transactions, the schema and
plain queries. Callers see one ``Store`` and import everything from here.

A database on a network filesystem is refused (DB-9). Connections use WAL and
a busy timeout (DB-1); every write that reads first runs inside
:meth:`Store.write`, a ``BEGIN IMMEDIATE`` transaction (DB-2), so an article
and everything recorded with it commit together or not at all (DB-4, DB-5).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlite_utils import Database

from monitor._store_articles import ArticleRecord, ArticleTables
from monitor._store_crawls import ERROR_RETRY_LIMIT, NOT_ARTICLE_KINDS, CrawlTables
from monitor.disk import network_filesystem
from monitor.errors import StoreError
from monitor.schema import MIGRATIONS, ensure_fts, missing_fts_triggers

__all__ = [
    "BUSY_TIMEOUT_MS",
    "ERROR_RETRY_LIMIT",
    "NOT_ARTICLE_KINDS",
    "ArticleRecord",
    "Store",
    "open_store",
]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


class StoreCore(Protocol):
    """What the parts of :class:`Store` rely on: the connection, transactions and
    queries kept here, and the one article lookup the crawl part asks for.

    ``CrawlTables`` and ``ArticleTables`` name it as their base for type checkers
    only (at run time they derive from ``object``), so each type-checks on its own.
    """

    db: Database

    def write(self) -> AbstractContextManager[Any]: ...

    def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any: ...

    def rows(self, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()) -> list[dict]: ...

    def article_id_for_url(self, url: str) -> int | None: ...


def open_store(path: Path | str) -> Store:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
    path = Path(path)
    remote = network_filesystem(path)
    if remote is not None:
        raise StoreError(
            f"{path}: on a network filesystem ({remote}); SQLite's WAL mode needs a local "
            "disk (shared memory and locks do not work over the network): use a local path"
        )
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


class Store(CrawlTables, ArticleTables):
    """A connection to the database with the operations the product needs.

    The crawl and article operations come from its parts (:class:`CrawlTables`,
    :class:`ArticleTables`); the connection, transactions and queries are here.
    """

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

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

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
