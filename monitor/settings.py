"""Scrapy settings, derived from the TOML config (the one source of settings).

This module is Scrapy's settings module (``scrapy.cfg``), holding only the
fixed, product-wide choices; :func:`crawl_settings` derives the per-site ones
from :class:`monitor.config.Config`. Components are named as strings so
``monitor`` imports nothing from ``spiders`` or ``pipelines``.
"""

from __future__ import annotations

from typing import Any

from monitor.config import Config, Site

BOT_NAME = "pressmon"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.store.StorePipeline": 900,
}
DOWNLOADER_MIDDLEWARES = {
    # robots.txt with the RFC 9309 policy: a 5xx robots.txt disallows the host (NET-10)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.robots.RobotsPolicyMiddleware": 100,
    "spiders.middlewares.RetryAfterMiddleware": 560,
    # redirect loops and redirects to self end in a recorded outcome (NET-5)
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "spiders.middlewares.LoopSafeRedirectMiddleware": 600,
}

ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
"""No remote-control server: nobody outside needs to steer a crawl (CFG-1)."""
HTTPCACHE_ENABLED = False
DEPTH_LIMIT = 0
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_GIVE_UP_LOG_LEVEL = "INFO"
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True
REDIRECT_MAX_TIMES = 10
METAREFRESH_ENABLED = True
URLLENGTH_LIMIT = 2083
CONCURRENT_REQUESTS = 32
CONCURRENT_ITEMS = 1
"""A page yields one item; Scrapy starts this many tasks per callback output (cheap at 1)."""
LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

MONITOR_RETRY_AFTER_MAX = 120
"""Longest Retry-After (seconds) a crawl waits for before deferring the URL (NET-2)."""


def crawl_settings(config: Config, site: Site, *, max_pages: int | None = None) -> dict[str, Any]:
    """Scrapy settings for one crawl of ``site``: its politeness and budgets."""
    crawl = site.crawl
    return {
        "USER_AGENT": config.settings.user_agent,
        "DOWNLOAD_DELAY": crawl.delay,
        "AUTOTHROTTLE_START_DELAY": max(crawl.delay, 0.01),
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, crawl.delay * 10),
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency),
        "CLOSESPIDER_PAGECOUNT": max_pages if max_pages is not None else crawl.max_pages,
        "CLOSESPIDER_TIMEOUT": crawl.timeout_minutes * 60,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "MONITOR_EXTRACT_TIMEOUT": config.settings.extract_timeout,
        "MONITOR_EXTRACT_WORKERS": config.settings.extract_workers,
        "MONITOR_BOILERPLATE_MIN_PAGES": config.settings.learn_boilerplate_min_pages,
        "MONITOR_DEDUPE_THRESHOLD": config.settings.dedupe.threshold,
        "MONITOR_DEDUPE_WINDOW_DAYS": config.settings.dedupe.window_days,
    }
