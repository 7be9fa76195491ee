"""Config files (TOML) → validated, frozen objects.

The TOML files under the config directory (``--home``) are the one source of
settings: ``settings.toml``, ``sites/*.toml``, ``watchlists/*.toml``. The
per-key checks live in :mod:`monitor._config_checks`, the file reading in
:mod:`monitor._config_toml`.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor._config_checks import (
    _ALERT_CHECKS,
    _CRAWL_CHECKS,
    _DEDUPE_CHECKS,
    _REGEX_KEYS,
    _SETTINGS_CHECKS,
    _SITE_CHECKS,
    _SITE_HINTS,
    _SLUG_HELP,
    _SOURCE_KEYS,
    _URL_KEYS,
    _WATCHLIST_CHECKS,
    _WATCHLIST_HINTS,
    BASE_URL,
    SLUG,
    Check,
    _table,
    validate_cron,
)
from monitor._config_toml import _check_table, _read, _Source, _toml_files
from monitor.errors import ConfigError
from monitor.query import QuerySyntaxError, parse_query, parse_term
from monitor.subscribers import Subscriber, load_subscribers

__all__ = [
    "AlertSettings",
    "Config",
    "CrawlSettings",
    "DedupeSettings",
    "Settings",
    "Site",
    "Watchlist",
    "load_config",
    "load_settings",
    "load_site",
    "load_sites",
    "load_watchlist",
    "load_watchlists",
    "resolve_home",
    "validate_cron",
]


@dataclass(frozen=True)
class CrawlSettings:
    """How one site is crawled; ``[crawl]`` in settings, overridable per site."""

    schedule: str = "*/30 * * * *"
    delay: float = 1.0
    concurrency: int = 4
    max_pages: int = 2000
    depth: int = 3
    timeout_minutes: int = 30
    download_timeout: float = 30.0


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
    timezone: str | None = None
    enabled: bool = True
    fold_hosts: bool = False  # www./m./amp. hosts and AMP paths are one site (monitor.urls)
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
    sites: tuple[str, ...] = ()  # site names; empty = every site
    languages: tuple[str, ...] = ()  # language codes; empty = every language


@dataclass(frozen=True)
class Config:
    """Everything loaded from one config directory."""

    home: Path
    settings: Settings
    sites: dict[str, Site]
    watchlists: dict[str, Watchlist]
    subscribers: dict[str, Subscriber] = field(default_factory=dict)  # secrets not filled in

    @property
    def db_path(self) -> Path:
        """The SQLite file: ``settings.database`` relative to ``home``."""
        return (self.home / self.settings.database).resolve()


# The [crawl], [dedupe] and [alerts] tables of settings.toml, each with its dataclass.
_SETTINGS_TABLES: dict[str, tuple[type[Any], dict[str, Check]]] = {
    "crawl": (CrawlSettings, _CRAWL_CHECKS),
    "dedupe": (DedupeSettings, _DEDUPE_CHECKS),
    "alerts": (AlertSettings, _ALERT_CHECKS),
}
_SETTINGS_TOP: dict[str, Check] = {**_SETTINGS_CHECKS, **dict.fromkeys(_SETTINGS_TABLES, _table)}
_SETTINGS_HINTS = {
    key: f"did you mean '{key}' under [{table}]?"
    for table, (_, checks) in _SETTINGS_TABLES.items()
    for key in checks
}


def resolve_home(home: str | Path | None) -> Path:
    """The config directory: ``home`` (``--home``), else ``$PRESSMON_HOME``, else ``./data``."""
    origin = "given by --home"
    if home is None or str(home) == "":
        env = os.environ.get("PRESSMON_HOME", "")
        home, origin = (env, "from $PRESSMON_HOME") if env else ("data", "the default")
    path = Path(home).expanduser()
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "not found"
        raise ConfigError(
            path, f"config directory {what} ({origin}); pass --home DIR or set $PRESSMON_HOME"
        )
    return path


def load_settings(path: Path) -> Settings:
    """``settings.toml``; a missing file means all defaults, and so does an empty one."""
    path = Path(path)
    if not path.exists():
        return Settings()
    src = _read(path)
    values = _check_table(src, src.data, _SETTINGS_TOP, hints=_SETTINGS_HINTS)
    for name, (cls, checks) in _SETTINGS_TABLES.items():
        if name in values:
            values[name] = cls(**_check_table(src, values[name], checks, where=name))
    return Settings(**values, path=path)


def load_site(path: Path, defaults: CrawlSettings, *, base_url: str | None = None) -> Site:
    """One ``sites/<name>.toml``, with ``{base_url}`` filled in and ``[crawl]`` merged."""
    path = Path(path)
    src = _read(path, base_url.rstrip("/") if base_url else None)
    values = _check_table(src, _fill_base_url(src), _SITE_CHECKS, hints=_SITE_HINTS)
    _require_sources(src, values)
    if "name" not in values:
        if not SLUG.match(path.stem):
            raise src.error(f"the file name is no slug: add name = {_SLUG_HELP}")
        values["name"] = path.stem
    overrides = {key: values.pop(key) for key in _CRAWL_CHECKS if key in values}
    values.setdefault("domains", _hosts(values))
    return Site(path=path, crawl=dataclasses.replace(defaults, **overrides), **values)


def _fill_base_url(src: _Source) -> dict[str, Any]:
    """The site's keys with ``{base_url}`` replaced (escaped in regexes)."""
    data = dict(src.data)
    for key in (*_URL_KEYS, *_REGEX_KEYS):
        value = data.get(key)
        if not isinstance(value, list):
            continue
        if src.base_url is None:
            template = next((v for v in value if isinstance(v, str) and BASE_URL in v), None)
            if template is not None:
                message = (
                    f"'{key}' uses the {BASE_URL} placeholder: this is a template site, "
                    "loaded only with a base URL (as `pressmon demo` does)"
                )
                raise src.error(message, key, item=template)
            continue
        fill = re.escape(src.base_url) if key in _REGEX_KEYS else src.base_url
        data[key] = [v.replace(BASE_URL, fill) if isinstance(v, str) else v for v in value]
    return data


def _require_sources(src: _Source, values: dict[str, Any]) -> None:
    if not any(values.get(key) for key in _SOURCE_KEYS):
        key = next((key for key in _SOURCE_KEYS if key in values), None)
        message = "a site needs at least one of start_urls, feeds or sitemaps (where to look)"
        raise src.error(message, key)
    if not values.get("article_urls"):
        message = "a site needs at least one article_urls regex (which links are articles)"
        raise src.error(message, "article_urls" if "article_urls" in values else None)


def _hosts(values: dict[str, Any]) -> tuple[str, ...]:
    """The lower-case hosts of every start URL, feed and sitemap, without ports."""
    urls = [url for key in _SOURCE_KEYS for url in values.get(key, ())]
    return tuple(dict.fromkeys(urlsplit(url).hostname or "" for url in urls))


def load_sites(
    directory: Path, defaults: CrawlSettings, *, base_url: str | None = None
) -> dict[str, Site]:
    """Every ``*.toml`` in ``directory`` by site name (sorted); a missing directory has none."""
    sites: dict[str, Site] = {}
    for path in _toml_files(Path(directory)):
        site = load_site(path, defaults, base_url=base_url)
        if site.name in sites:
            message = f"site name '{site.name}' is already used by {sites[site.name].path}"
            raise _read(path).error(message, "name")
        sites[site.name] = site
    return dict(sorted(sites.items()))


def load_watchlist(path: Path) -> Watchlist:
    """One ``watchlists/<name>.toml``; its name is the file name without ``.toml``."""
    path = Path(path)
    src = _read(path)
    if not SLUG.match(path.stem):
        raise src.error(f"the file name is the watchlist's name: make it {_SLUG_HELP}")
    values = _check_table(src, src.data, _WATCHLIST_CHECKS, hints=_WATCHLIST_HINTS)
    if not values.get("terms") and not values.get("query"):
        key = next((key for key in ("terms", "query") if key in values), None)
        raise src.error('a watchlist needs terms or a query, e.g. terms = ["THAAD"]', key)
    _check_rules(src, values)
    return Watchlist(name=path.stem, path=path, **values)


def _check_rules(src: _Source, values: dict[str, Any]) -> None:
    """Every term and exclusion must be matchable and the query must parse."""
    for key in ("terms", "exclude"):
        for term in values.get(key, ()):
            try:
                parse_term(term)
            except QuerySyntaxError as err:
                raise src.error(f"{err.message} (in {term!r})", key, item=term) from None
    if values.get("query"):
        try:
            parse_query(values["query"])
        except QuerySyntaxError as err:
            message = f"{err.message}, at column {err.column} of the query:\n{err.pointer()}"
            raise src.error(message, "query") from None


def load_watchlists(directory: Path) -> dict[str, Watchlist]:
    """Every ``*.toml`` in ``directory`` by name (sorted); a missing directory has none."""
    return {path.stem: load_watchlist(path) for path in _toml_files(Path(directory))}


def load_config(
    home: Path | str | None, *, base_url: str | None = None, sites_dir: Path | None = None
) -> Config:
    """All config under ``home`` (see :func:`resolve_home`), validated.

    ``sites_dir`` replaces ``home/sites`` (the demo's sample sites, whose
    ``{base_url}`` is filled with ``base_url``); the check that watchlists name
    only known sites applies to ``home/sites`` alone.
    """
    root = resolve_home(home)
    settings = load_settings(root / "settings.toml")
    sites = load_sites(sites_dir or root / "sites", settings.crawl, base_url=base_url)
    watchlists = load_watchlists(root / "watchlists")
    if sites_dir is None:
        _check_watchlist_sites(watchlists, sites)
    subscribers = load_subscribers(root, watchlists)
    return Config(root, settings, sites, watchlists, subscribers)


def _check_watchlist_sites(watchlists: dict[str, Watchlist], sites: dict[str, Site]) -> None:
    for watchlist in watchlists.values():
        for name in watchlist.sites:
            if name not in sites:
                close = difflib.get_close_matches(name, list(sites), n=1)
                hint = f"did you mean '{close[0]}'?" if close else "sites: " + ", ".join(sites)
                message = f"unknown site '{name}' in sites ({hint})"
                raise _read(watchlist.path).error(message, "sites", item=name)
