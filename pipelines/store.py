"""StorePipeline: writes pages, errors and sources to SQLite, in batched transactions.

A batch the disk refuses (full, failing: DB-10) rolls back whole; the crawl then
stops with that failure instead of dropping page after page. The pages of the
refused and later batches were never recorded as seen, so the next crawl
fetches them again: nothing is lost, and the crawl's row says why it failed.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spiders import Spider
from scrapy.utils.defer import deferred_from_coro

from monitor.config import DedupeSettings
from monitor.crawlrun import CrawlTally
from monitor.disk import storage_failure
from monitor.ingest import Ingester
from monitor.items import FetchError, Page, SourceFetched
from monitor.outbox import Outbox
from monitor.store import Store, open_store
from monitor.tagging import tagger_for

log = logging.getLogger(__name__)

BATCH_SIZE = 50
BATCH_SECONDS = 1.0


class StorePipeline:
    """The single writer of a crawl: a batch of items commits together or not at all."""

    def __init__(
        self,
        crawler: Crawler,
        min_pages: int,
        dedupe: DedupeSettings = DedupeSettings(),  # noqa: B008 (frozen, immutable)
    ) -> None:
        self.crawler = crawler
        self.min_pages = min_pages
        self.dedupe = dedupe
        self.store: Store | None = None
        self.ingester: Ingester | None = None
        self.tally = CrawlTally()
        self.buffer: list[Any] = []
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pressmon-store")
        self.pending: list[tuple[Future[dict[str, int]], int]] = []
        self.last_flush = time.monotonic()
        self.failure: str | None = None  # the disk refused a batch: disk_full, io_error
        self.unwritten = 0  # items not stored because of it (fetched again next crawl)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from settings; finish the ``crawls`` row when the spider closes."""
        settings = crawler.settings
        dedupe = DedupeSettings(
            threshold=settings.getfloat("MONITOR_DEDUPE_THRESHOLD", DedupeSettings.threshold),
            window_days=settings.getint("MONITOR_DEDUPE_WINDOW_DAYS", DedupeSettings.window_days),
        )
        pipeline = cls(crawler, settings.getint("MONITOR_BOILERPLATE_MIN_PAGES", 5), dedupe)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        """Open the store and the ``crawls`` row."""
        spider = self.crawler.spider
        assert spider is not None
        self.store = open_store(spider.db_path)
        crawl_id = self.store.start_crawl(spider.site.name)
        watchlists = tuple(spider.config.watchlists.values())
        self.ingester = Ingester(
            self.store,
            crawl_id,
            min_pages=self.min_pages,
            dedupe=self.dedupe,
            tagger=tagger_for(watchlists),
            outbox=Outbox(self.store, getattr(spider.config, "subscribers", {})),
        )
        spider.crawl_id = crawl_id

    def process_item(self, item: Any) -> Any:
        """Buffer the item; flush when the batch is full or old."""
        if isinstance(item, Page | FetchError | SourceFetched):
            self.buffer.append(item)
            if len(self.buffer) >= BATCH_SIZE or time.monotonic() - self.last_flush > BATCH_SECONDS:
                self.flush()
        return item

    def flush(self) -> None:
        """Hand the buffered items to the writer thread, to commit in one transaction.

        SQLite does its work (full-text indexing included) with the GIL released,
        so the reactor keeps fetching while a batch is written; batches are
        written one at a time, in order.
        """
        self._collect()
        if self.failure is not None:
            self.unwritten += len(self.buffer)
            self.buffer = []
        if not self.buffer or self.store is None or self.ingester is None:
            return
        batch, self.buffer = self.buffer, []
        self.pending.append((self.writer.submit(self._write, batch), len(batch)))
        self.last_flush = time.monotonic()

    def _write(self, batch: list[Any]) -> dict[str, int]:
        assert self.store is not None and self.ingester is not None
        with self.tally.batch(), self.store.write():  # the counts only if it commits
            for item in batch:
                self.tally.add(self.ingester, item)
        return self.tally.drain_stats()

    def _collect(self, wait: bool = False) -> None:
        """Count what finished batches stored; a batch the disk refused stops the crawl
        (any other error is raised)."""
        for entry in [e for e in self.pending if wait or e[0].done()]:
            self.pending.remove(entry)
            future, size = entry
            try:
                stored = future.result()
            except (sqlite3.Error, OSError) as exc:
                kind = storage_failure(exc)
                if kind is None:
                    raise
                self._refused(kind, exc, size)
                continue
            for key, value in stored.items():
                self.crawler.stats.inc_value(f"monitor/{key}", value)

    def _refused(self, kind: str, exc: BaseException, size: int) -> None:
        """The disk refused a batch: count its items and stop the crawl, once."""
        self.unwritten += size
        if self.failure is not None:
            return
        self.failure = kind
        log.error("crawl stopped: the database refused a write (%s): %s", kind, exc)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            closing = deferred_from_coro(engine.close_spider_async(reason=kind))
            closing.addErrback(lambda failure: log.error("stopping the crawl: %s", failure))

    def close_spider(self) -> None:
        """Write what is left and wait for it."""
        self.flush()
        self.writer.shutdown(wait=True)
        self._collect(wait=True)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close the ``crawls`` row with its funnel, status and failure type."""
        if self.store is None or self.ingester is None:
            return
        stats = self.crawler.stats.get_stats()
        status, failure = self.tally.verdict(reason)
        if self.failure is not None:
            status, failure = "failed", self.failure
        counts = self.tally.funnel(stats)
        extra = {"finish_reason": reason, "unwritten": self.unwritten, **self.tally.summary()}
        try:
            self.store.finish_crawl(
                self.ingester.crawl_id or 0, status, counts, failure, stats=_plain(stats) | extra
            )
        except (sqlite3.Error, OSError) as exc:  # the row stays running: aborted at next start
            log.error("the crawl's row could not be closed (%s): %s", storage_failure(exc), exc)
        self.store.close()
        self.store = None


def _plain(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stats.items() if isinstance(v, int | float | str)}
