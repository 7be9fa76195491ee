"""Config files (TOML) → validated, frozen objects.

The TOML files under the config directory (``--home``) are the one source of
settings: ``settings.toml``, ``sites/*.toml``, ``watchlists/*.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CrawlSettings:
    """How one site is crawled; ``[crawl]`` in settings, overridable per site."""

    schedule: str = "*/30 * * * *"
    delay: float = 1.0
    concurrency: int = 4
    max_pages: int = 2000
    depth: int = 3
    timeout_minutes: int = 30


@dataclass(frozen=True)
class DedupeSettings:
    """Near-duplicate detection (``[dedupe]``)."""

    threshold: float = 0.5
    window_days: int = 30


@dataclass(frozen=True)
class AlertSettings:
    """Alert delivery retries (``[alerts]``)."""

    backoff_seconds: int = 60
    give_up_hours: int = 72


@dataclass(frozen=True)
class Settings:
    """``settings.toml``: every key optional."""

    database: str = "monitor.db"
    timezone: str = "UTC"
    digest_time: str = "07:00"
    user_agent: str = "PressMonitor/0.1 (+https://github.com/press-monitor/press-monitor)"
    tracking_params: tuple[str, ...] = ()
    learn_boilerplate_min_pages: int = 5
    extract_timeout: float = 30.0
    extract_workers: int = 0
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    dedupe: DedupeSettings = field(default_factory=DedupeSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    path: Path | None = None


@dataclass(frozen=True)
class Site:
    """One ``sites/<name>.toml``: where a site's articles are found."""

    name: str
    path: Path
    start_urls: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    article_urls: tuple[re.Pattern[str], ...] = ()
    listing_urls: tuple[re.Pattern[str], ...] = ()
    domains: tuple[str, ...] = ()
    language: str | None = None
    boilerplate: tuple[str, ...] = ()
    charset: str | None = None
    enabled: bool = True
    crawl: CrawlSettings = field(default_factory=CrawlSettings)

    def is_article_url(self, url: str) -> bool:
        """True when ``url`` matches one of the site's ``article_urls``."""
        return any(pattern.search(url) for pattern in self.article_urls)

    def is_listing_url(self, url: str) -> bool:
        """True when ``url`` matches one of the site's ``listing_urls``."""
        return any(pattern.search(url) for pattern in self.listing_urls)


@dataclass(frozen=True)
class Watchlist:
    """One ``watchlists/<name>.toml``."""

    name: str
    path: Path
    description: str = ""
    terms: tuple[str, ...] = ()
    query: str | None = None
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """Everything loaded from one config directory."""

    home: Path
    settings: Settings
    sites: dict[str, Site]
    watchlists: dict[str, Watchlist]

    @property
    def db_path(self) -> Path:
        """The SQLite file: ``settings.database`` relative to ``home``."""
        return (self.home / self.settings.database).resolve()
