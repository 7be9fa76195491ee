"""Running crawls now, in this process (``pressmon crawl`` and ``pressmon demo``).

The launcher for Scrapy: spiders are named by string ("news"), so ``monitor``
imports nothing from ``spiders`` or ``pipelines``. One crawler per site, all in
one reactor; the reactor runs once per process.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.config import Config, Site
from monitor.disk import low_disk
from monitor.store import open_store

log = logging.getLogger(__name__)

Progress = Callable[[dict[str, dict[str, Any]]], None]


@dataclass(frozen=True)
class CrawlReport:
    """What the crawls of one run did, read back from the ``crawls`` table."""

    crawls: list[dict[str, Any]]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when no crawl failed."""
        return all(row["status"] == "ok" for row in self.crawls)

    def total(self, column: str) -> int:
        """A funnel column summed over the crawls."""
        return sum(int(row.get(column) or 0) for row in self.crawls)

    def skipped(self) -> int:
        """Pages that held no article (listing, empty, challenge…), summed."""
        return sum(_stat(row, "skipped") for row in self.crawls)


def run_crawls(
    config: Config,
    sites: Sequence[Site],
    db_path: Path,
    *,
    max_pages: int | None = None,
    refetch: Sequence[str] = (),
    progress: Progress | None = None,
    log_level: str = "INFO",
) -> CrawlReport:
    """Crawl ``sites`` now and block until done; returns their ``crawls`` rows.

    With too little free disk next to the database, no crawl starts: each site
    gets a ``failed`` row (``disk_full``) saying why (DB-10).
    """
    full = low_disk(db_path)
    if full is not None:
        return refuse_crawls(db_path, sites, full)
    from scrapy.crawler import AsyncCrawlerProcess  # the one place the CLI meets Scrapy
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setmodule("monitor.settings", priority="project")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    for handler in logging.getLogger().handlers:
        handler.setLevel(log_level)
    process = AsyncCrawlerProcess(settings)
    crawlers = []
    for site in sites:
        crawler = process.create_crawler("news")
        crawlers.append(crawler)
        urls = [u for u in refetch if site.is_article_url(u)]
        process.crawl(
            crawler,
            config=config,
            site=site.name,
            db=str(db_path),
            max_pages=max_pages,
            refetch=urls,
        )
    started = time.monotonic()
    if progress is not None:
        _watch(crawlers, progress)
    process.start()
    if progress is not None:
        progress(_snapshot(crawlers))  # the final figures, after the last flush
    return _report(db_path, crawlers, time.monotonic() - started)


def refuse_crawls(db_path: Path, sites: Sequence[Site], why: str) -> CrawlReport:
    """A ``failed``/``disk_full`` row for each site, crawled not at all because of ``why``."""
    log.error("no crawl started: %s", why)
    with open_store(db_path) as store:
        ids = [store.start_crawl(site.name) for site in sites]
        for crawl_id in ids:
            store.finish_crawl(crawl_id, "failed", {}, "disk_full", stats={"detail": why})
        return CrawlReport([store.crawl(crawl_id) for crawl_id in ids], 0.0)


def _watch(crawlers: list[Any], progress: Progress) -> None:
    from twisted.internet import task

    loop = task.LoopingCall(lambda: progress(_snapshot(crawlers)))
    loop.start(0.5, now=False)


def _snapshot(crawlers: list[Any]) -> dict[str, dict[str, Any]]:
    return {c.spider.site.name: c.stats.get_stats() for c in crawlers if c.spider}


def _report(db_path: Path, crawlers: list[Any], seconds: float) -> CrawlReport:
    ids = [getattr(c.spider, "crawl_id", None) for c in crawlers]
    store = open_store(db_path)
    try:
        rows = [store.crawl(i) for i in ids if i is not None]
    finally:
        store.close()
    return CrawlReport(rows, seconds)


def _stat(row: dict[str, Any], key: str) -> int:
    import json

    try:
        return int(json.loads(row.get("stats") or "{}").get("counts", {}).get(key, 0))
    except (ValueError, AttributeError):
        return 0


def is_terminal() -> bool:
    """Whether progress can be drawn live (stderr is a terminal)."""
    return sys.stderr.isatty()
