"""ExtractPipeline: runs extraction off the reactor, in a process pool."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from typing import Any, Self

from scrapy.crawler import Crawler

from monitor.config import Site
from monitor.items import Extracted, Page
from monitor.pool import ExtractPool, InlinePool
from monitor.urls import preferred_url

log = logging.getLogger(__name__)


class _SharedPool:
    """One extraction pool per process, shared by every crawler in it."""

    pool: ExtractPool | InlinePool | None = None
    users = 0

    @classmethod
    def acquire(cls, workers: int, timeout: float) -> ExtractPool | InlinePool:
        if cls.pool is None:
            cls.pool = (
                InlinePool(timeout=timeout)
                if workers == 1
                else ExtractPool(workers=workers, timeout=timeout)
            )
        cls.users += 1
        return cls.pool

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users <= 0 and cls.pool is not None:
            cls.pool.close()
            cls.pool = None


class ExtractPipeline:
    """Fills ``Page.extracted``; a page that hangs or crashes a worker is recorded, not lost."""

    def __init__(self, crawler: Crawler, workers: int, timeout: float) -> None:
        self.crawler = crawler
        self.workers = workers
        self.timeout = timeout
        self.pool: ExtractPool | InlinePool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from the ``MONITOR_EXTRACT_*`` settings."""
        return cls(
            crawler,
            crawler.settings.getint("MONITOR_EXTRACT_WORKERS", 0),
            crawler.settings.getfloat("MONITOR_EXTRACT_TIMEOUT", 30.0),
        )

    def open_spider(self) -> None:
        """Start (or join) the process pool."""
        self.pool = _SharedPool.acquire(self.workers, self.timeout)

    def close_spider(self) -> None:
        """Leave the pool (the last user shuts it down)."""
        _SharedPool.release()
        self.pool = None

    async def process_item(self, item: Any) -> Any:
        """Extract a ``Page``; other items pass through."""
        if not isinstance(item, Page) or item.extracted is not None:
            return item
        assert self.pool is not None
        spider = self.crawler.spider
        site = spider.site if spider is not None else None
        boilerplate = tuple(site.boilerplate) if site is not None else ()
        timezone = site.timezone if site is not None else None
        future = self.pool.submit(item.html, item.url, item.language_hint, boilerplate, timezone)
        item.extracted = await _outcome(future, item.url)
        if site is not None:
            _prefer_declared_url(item, site, tuple(getattr(spider, "extra_tracking", ())))
        stat = item.extracted.skip_reason or "article"
        self.crawler.stats.inc_value(f"monitor/extract/{stat}")
        return item


def _prefer_declared_url(page: Page, site: Site, tracking: tuple[str, ...]) -> None:
    """Store the article under its rel=canonical / og:url when that names it on the same site."""
    declared = page.extracted.canonical_url if page.extracted else None
    preferred = preferred_url(page.url, declared, site, tracking)
    if preferred != page.url:
        page.seen_as = [page.url, *page.seen_as]
        page.url = preferred


async def _outcome(future: concurrent.futures.Future[Extracted], url: str) -> Extracted:
    try:
        return await asyncio.wrap_future(future)
    except concurrent.futures.TimeoutError:
        log.warning("%s: extraction timed out; the worker was replaced", url)
        return Extracted(skip_reason="extraction_timeout", detail="extraction timed out")
    except Exception as exc:  # a crashed worker (pebble ProcessExpired) or a bug in extraction
        log.warning("%s: extraction failed: %s", url, exc)
        return Extracted(skip_reason="extraction_failed", detail=f"{type(exc).__name__}: {exc}")
