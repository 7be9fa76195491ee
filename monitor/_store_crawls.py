"""The crawl bookkeeping of :class:`monitor.store.Store`: runs, fetch decisions, errors.

A crawl opens a ``crawls`` row and closes it with its funnel counts. Every page it
fetches leaves a ``seen_urls`` outcome, which decides whether a later crawl fetches the
URL again (an error only a few times), and every feed, sitemap or listing keeps its
validators in ``http_cache`` for the next conditional GET. These are the tables that
let a crawl be incremental, apart from the articles themselves
(:mod:`monitor._store_articles`). :class:`CrawlTables` is a part of ``Store``, not a
store of its own: it writes through the same connection, inside the caller's
transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from monitor import clock
from monitor.schema import FUNNEL

if TYPE_CHECKING:
    from monitor.store import StoreCore
else:
    StoreCore = object

ERROR_RETRY_LIMIT = 3
NOT_ARTICLE_KINDS = frozenset({"listing", "empty", "js_shell", "not_html", "disallowed", "offsite"})


class CrawlTables(StoreCore):
    """The ``crawls``, ``seen_urls``, ``http_cache`` and ``crawl_errors`` operations of
    ``Store``.
    """

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
