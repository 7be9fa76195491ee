"""What one crawl did: its funnel counts and its verdict (Scrapy-free)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from monitor.ingest import Ingester
from monitor.items import FetchError, Page, SourceFetched
from monitor.store import NOT_ARTICLE_KINDS

SHUTDOWN_REASONS = frozenset({"shutdown", "cancelled"})


class CrawlTally:
    """Counts a crawl's outcomes as its items are stored, and judges the crawl."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.error_kinds: Counter[str] = Counter()
        self.source_errors: Counter[str] = Counter()
        self._pending_stats: Counter[str] = Counter()

    def add(self, ingester: Ingester, item: Page | FetchError | SourceFetched) -> None:
        """Store one item through ``ingester`` and count what became of it."""
        if isinstance(item, Page):
            self._add_page(ingester, item)
        elif isinstance(item, FetchError):
            self._add_error(ingester, item)
        else:
            self._add_source(ingester, item)

    def _add_page(self, ingester: Ingester, page: Page) -> None:
        outcome = ingester.ingest(page)
        if outcome.outcome in ("article", "duplicate"):
            self._count("extracted")
        if outcome.outcome == "article" and outcome.kind in ("new", "near_duplicate"):
            self._count("articles_new")
            if outcome.matched:
                self._count("matched")
            if outcome.kind == "near_duplicate":
                self._count("near_duplicates")
        elif outcome.outcome == "article" and outcome.kind == "revised":
            self._count("revised")
        elif outcome.outcome == "duplicate":
            self._count("duplicates")
        elif outcome.outcome == "not_article":
            self._count("skipped")
            self.error_kinds[outcome.kind or "not_article"] += 1
        elif outcome.outcome == "error":
            self._count("errors")
            self.error_kinds[outcome.kind or "error"] += 1

    def _add_error(self, ingester: Ingester, error: FetchError) -> None:
        ingester.store.record_error(
            ingester.crawl_id,
            error.site,
            error.url,
            error.kind,
            error.message,
            status=error.status,
            page=error.page,
        )
        if error.page and error.kind in NOT_ARTICLE_KINDS:
            self._count("skipped")
        else:
            self._count("errors")
        (self.error_kinds if error.page else self.source_errors)[error.kind] += 1

    def _add_source(self, ingester: Ingester, source: SourceFetched) -> None:
        self._count("sources_ok")
        if source.status == 304:
            return
        ingester.store.save_validators(
            source.url,
            source.site,
            source.kind,
            etag=source.etag,
            last_modified=source.last_modified,
            status=source.status,
            links=source.links,
        )

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Counts that stand or fall with one transaction: an error undoes them."""
        saved = [c.copy() for c in self._counters()]
        try:
            yield
        except BaseException:
            self.counts, self.error_kinds, self.source_errors, self._pending_stats = saved
            raise

    def _counters(self) -> tuple[Counter[str], ...]:
        return self.counts, self.error_kinds, self.source_errors, self._pending_stats

    def _count(self, key: str) -> None:
        self.counts[key] += 1
        self._pending_stats[key] += 1

    def drain_stats(self) -> dict[str, int]:
        """Counts added since the last call (for Scrapy's stats collector)."""
        pending, self._pending_stats = dict(self._pending_stats), Counter()
        return pending

    def funnel(self, stats: Mapping[str, Any]) -> dict[str, int]:
        """The ``crawls`` funnel columns, from these counts and the spider's stats."""
        return {
            "pages": int(stats.get("downloader/response_count", 0)),
            "listings": int(stats.get("monitor/listings", 0)),
            "discovered": int(stats.get("monitor/discovered", 0)),
            "fetched": int(stats.get("monitor/fetched", 0)),
            "extracted": self.counts["extracted"],
            "articles_new": self.counts["articles_new"],
            "duplicates": self.counts["duplicates"],
            "matched": self.counts["matched"],
            "errors": self.counts["errors"],
        }

    def verdict(self, reason: str) -> tuple[str, str | None]:
        """(status, failure type) of the crawl that closed for ``reason``."""
        if reason in SHUTDOWN_REASONS:
            return "aborted", reason
        if not self.counts["sources_ok"] and self.source_errors:
            return "failed", _failure_name(self.source_errors.most_common(1)[0][0])
        pages = self.counts["extracted"] + self.counts["errors"] + self.counts["skipped"]
        if pages and not self.counts["extracted"] and self.counts["errors"]:
            return "failed", _failure_name(self.error_kinds.most_common(1)[0][0])
        empty = Counter({k: n for k, n in self.error_kinds.items() if k in EXTRACTION_EMPTY})
        if pages and not self.counts["extracted"] and empty:
            return "failed", empty.most_common(1)[0][0]  # article pages, but no article in any
        return "ok", None

    def summary(self) -> dict[str, Any]:
        """Counts and error kinds, for the closing summary."""
        return {
            "counts": dict(self.counts),
            "error_kinds": dict(self.error_kinds),
            "source_errors": dict(self.source_errors),
        }


EXTRACTION_EMPTY = frozenset({"empty", "js_shell", "not_html"})
"""Article pages that held no article: a crawl of only these failed (extraction empty)."""


def _failure_name(kind: str) -> str:
    return "robots" if kind in ("disallowed", "robots_unavailable") else kind
