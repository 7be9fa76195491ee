"""StorePipeline: writes pages, errors and sources to SQLite, in batched transactions."""

from __future__ import annotations

import logging
import time
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from monitor.crawlrun import CrawlTally
from monitor.ingest import Ingester
from monitor.items import FetchError, Page, SourceFetched
from monitor.store import Store, open_store

log = logging.getLogger(__name__)

BATCH_SIZE = 50
BATCH_SECONDS = 1.0


class StorePipeline:
    """The single writer of a crawl: a batch of items commits together or not at all."""

    def __init__(self, crawler: Crawler, min_pages: int) -> None:
        self.crawler = crawler
        self.min_pages = min_pages
        self.store: Store | None = None
        self.ingester: Ingester | None = None
        self.tally = CrawlTally()
        self.buffer: list[Any] = []
        self.last_flush = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from settings; finish the ``crawls`` row when the spider closes."""
        pipeline = cls(crawler, crawler.settings.getint("MONITOR_BOILERPLATE_MIN_PAGES", 5))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        """Open the store and the ``crawls`` row."""
        spider = self.crawler.spider
        assert spider is not None
        self.store = open_store(spider.db_path)
        crawl_id = self.store.start_crawl(spider.site.name)
        self.ingester = Ingester(self.store, crawl_id, min_pages=self.min_pages)
        spider.crawl_id = crawl_id

    def process_item(self, item: Any) -> Any:
        """Buffer the item; flush when the batch is full or old."""
        if isinstance(item, Page | FetchError | SourceFetched):
            self.buffer.append(item)
            if len(self.buffer) >= BATCH_SIZE or time.monotonic() - self.last_flush > BATCH_SECONDS:
                self.flush()
        return item

    def flush(self) -> None:
        """Write the buffered items in one transaction."""
        if not self.buffer or self.store is None or self.ingester is None:
            return
        batch, self.buffer = self.buffer, []
        with self.store.write():
            for item in batch:
                self.tally.add(self.ingester, item)
        self.last_flush = time.monotonic()
        for key, value in self.tally.drain_stats().items():
            self.crawler.stats.inc_value(f"monitor/{key}", value)

    def close_spider(self) -> None:
        """Write what is left."""
        self.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close the ``crawls`` row with its funnel, status and failure type."""
        if self.store is None or self.ingester is None:
            return
        stats = self.crawler.stats.get_stats()
        status, failure = self.tally.verdict(reason)
        counts = self.tally.funnel(stats)
        self.store.finish_crawl(
            self.ingester.crawl_id or 0,
            status,
            counts,
            failure,
            stats=_plain(stats) | {"finish_reason": reason, **self.tally.summary()},
        )
        self.store.close()
        self.store = None


def _plain(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stats.items() if isinstance(v, int | float | str)}
