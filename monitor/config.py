"""Config files (TOML) → validated, frozen objects.

The TOML files under the config directory (``--home``) are the one source of
settings: ``settings.toml``, ``sites/*.toml``, ``watchlists/*.toml``.
"""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import json
import math
import os
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from apscheduler.triggers.cron import CronTrigger

from monitor.errors import ConfigError


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
    sites: tuple[str, ...] = ()  # site names; empty = every site
    languages: tuple[str, ...] = ()  # language codes; empty = every language


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


# --- the schema: one check per key ---------------------------------------------------------

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
BASE_URL = "{base_url}"
_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_HOST = re.compile(r"^[\w.:-]+$")
_SLUG_HELP = "a slug (lower-case letters, digits, '-' and '_'), e.g. \"koreaherald\""

Check = Callable[[str, Any], Any]


class _Invalid(Exception):
    """A value failed its check; ``item`` is the list element at fault, if any."""

    def __init__(self, message: str, item: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.item = item


def _show(value: Any) -> str:
    """``value`` as the user wrote it in TOML, shortened."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, list):
        text = "[" + ", ".join(_show(item) for item in value) + "]"
    elif isinstance(value, dict):
        text = "a table"
    else:
        text = str(value)
    return text if len(text) <= 70 else text[:67] + "..."


def _must(key: str, expected: str, value: Any, item: str | None = None) -> _Invalid:
    return _Invalid(f"'{key}' must be {expected}, got {_show(value)}", item)


def _integer(minimum: int) -> Check:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise _must(key, f"an integer >= {minimum}", value)
        return value

    return check


def _number(expected: str, accept: Callable[[float], bool]) -> Check:
    def check(key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _must(key, expected, value)
        if not math.isfinite(value) or not accept(value):
            raise _must(key, expected, value)
        return float(value)

    return check


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _must(key, "a string", value)
    return value


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _must(key, "a non-empty string", value)
    return value


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _must(key, "true or false", value)
    return value


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        raise _Invalid(
            f"'{key}' must be a list of strings, got {_show(value)} (write [{_show(value)}])"
        )
    if not isinstance(value, list):
        raise _must(key, "a list of non-empty strings", value)
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise _must(key, "a list of non-empty strings", value)
    return tuple(value)


def _table(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _must(key, f"a table ([{key}])", value)
    return value


def _slug(key: str, value: Any) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise _must(key, _SLUG_HELP, value)
    return value


def _each(check: Check, expected: str) -> Check:
    """A list of strings, each of which must pass ``check(key, item)``."""

    def check_list(key: str, value: Any) -> tuple[Any, ...]:
        items = _strings(key, value)
        result = []
        for item in items:
            try:
                result.append(check(key, item))
            except ValueError:
                raise _must(key, expected, item, item) from None
        return tuple(result)

    return check_list


def _slug_item(key: str, value: str) -> str:
    if not SLUG.match(value):
        raise ValueError(value)
    return value


def _language_code(key: str, value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError(value)
    return value


def _language(key: str, value: Any) -> str:
    if not isinstance(value, str) or not _LANGUAGE.match(value):
        raise _must(key, 'a language code such as "en", "ko" or "zh-Hans"', value)
    return value


def _url(key: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(value)
    parts.port  # noqa: B018 - raises ValueError on a bad port
    return value


def _host(key: str, value: str) -> str:
    parts = urlsplit(value if "://" in value else "//" + value)
    host = parts.hostname or ""
    if not _HOST.match(host) or parts.path.strip("/") or parts.query:
        raise ValueError(value)
    parts.port  # noqa: B018 - raises ValueError on a bad port
    return host


def _regexes(key: str, value: Any) -> tuple[re.Pattern[str], ...]:
    patterns = []
    for item in _strings(key, value):
        try:
            patterns.append(re.compile(item))
        except re.error as err:
            raise _Invalid(f"bad regex in {key}: '{item}' ({err})", item) from None
    return tuple(patterns)


def _timezone(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _must(key, 'an IANA time zone name such as "Asia/Seoul" or "UTC"', value)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(value, zoneinfo.available_timezones(), n=1)
        hint = f"did you mean '{close[0]}'?" if close else 'an IANA name such as "Asia/Seoul"'
        raise _Invalid(f"unknown timezone '{value}' ({hint})") from None
    return value


def _clock(key: str, value: Any) -> str:
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise _must(key, 'HH:MM (24-hour, in quotes, e.g. "07:00")', value)
    return value


def _cron(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _must(key, 'a cron expression in quotes, e.g. "*/30 * * * *"', value)
    try:
        validate_cron(value)
    except ValueError as err:
        raise _Invalid(f"'{key}' is not a valid cron expression: {err}") from None
    return value


def _charset(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _must(key, 'a codec name such as "euc-kr"', value)
    try:
        codecs.lookup(value)
    except LookupError:
        hint = 'a Python codec name such as "euc-kr", "cp949", "gb18030" or "utf-8"'
        raise _Invalid(f"unknown charset '{value}' (expected {hint})") from None
    return value


_CRAWL_CHECKS: dict[str, Check] = {
    "schedule": _cron,
    "delay": _number("a number >= 0", lambda v: v >= 0),
    "concurrency": _integer(1),
    "max_pages": _integer(1),
    "depth": _integer(0),
    "timeout_minutes": _integer(1),
}
_DEDUPE_CHECKS: dict[str, Check] = {
    "threshold": _number("a number > 0 and <= 1", lambda v: 0 < v <= 1),
    "window_days": _integer(1),
}
_ALERT_CHECKS: dict[str, Check] = {
    "backoff_seconds": _integer(1),
    "give_up_hours": _integer(1),
}
_SETTINGS_CHECKS: dict[str, Check] = {
    "database": _text,
    "timezone": _timezone,
    "digest_time": _clock,
    "user_agent": _text,
    "tracking_params": _strings,
    "learn_boilerplate_min_pages": _integer(2),
    "extract_timeout": _number("a number > 0", lambda v: v > 0),
    "extract_workers": _integer(0),
}
_SETTINGS_TABLES: dict[str, tuple[type[Any], dict[str, Check]]] = {
    "crawl": (CrawlSettings, _CRAWL_CHECKS),
    "dedupe": (DedupeSettings, _DEDUPE_CHECKS),
    "alerts": (AlertSettings, _ALERT_CHECKS),
}
_SETTINGS_TOP: dict[str, Check] = {**_SETTINGS_CHECKS, **dict.fromkeys(_SETTINGS_TABLES, _table)}
_SOURCE_KEYS = ("start_urls", "feeds", "sitemaps")
_URL_KEYS = (*_SOURCE_KEYS, "domains")
_REGEX_KEYS = ("article_urls", "listing_urls")
_URLS = _each(_url, "a list of http(s) URLs with a host")
_SITE_CHECKS: dict[str, Check] = {
    "name": _slug,
    "start_urls": _URLS,
    "feeds": _URLS,
    "sitemaps": _URLS,
    "article_urls": _regexes,
    "listing_urls": _regexes,
    "domains": _each(_host, 'a list of host names such as "example.com"'),
    "language": _language,
    "boilerplate": _strings,
    "charset": _charset,
    "enabled": _flag,
    **_CRAWL_CHECKS,
}
_WATCHLIST_CHECKS: dict[str, Check] = {
    "description": _string,
    "terms": _strings,
    "query": _text,
    "exclude": _strings,
    "sites": _each(_slug_item, 'a list of site names (slugs such as "koreaherald")'),
    "languages": _each(_language_code, 'a list of language codes such as "en"'),
}
_SETTINGS_HINTS = {
    key: f"did you mean '{key}' under [{table}]?"
    for table, (_, checks) in _SETTINGS_TABLES.items()
    for key in checks
}
_SITE_HINTS = {
    "crawl": "crawl overrides go at the top level of a site file, e.g. delay = 0",
    **{key: "that is a settings.toml key" for key in ("timezone", "digest_time", "database")},
}
_WATCHLIST_HINTS = {"name": "a watchlist is named after its file: hotline.toml is 'hotline'"}


# --- reading a file and pointing at a line -------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?([^\]]*)\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(r"^\s*([\w\"' .-]+?)\s*=")
_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def _key_line(text: str, table: str, key: str) -> int | None:
    """The line that sets ``key`` inside ``[table]`` ("" = top level), or its own ``[header]``."""
    want = (*_dotted(table), key) if table else (key,)
    current: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), 1):
        if header := _HEADER.match(line):
            current = _dotted(header.group(1))
            if current == want:
                return number
        elif (assign := _ASSIGN.match(line)) and current + _dotted(assign.group(1)) == want:
            return number
    return None


def _item_line(text: str, start: int, items: list[str]) -> int:
    """The line, from ``start`` to the next key, that holds one of ``items`` (else ``start``)."""
    forms = {form for item in items for form in (item, item.replace("\\", "\\\\"))}
    lines = text.splitlines()
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if number > start and (_HEADER.match(line) or _ASSIGN.match(line)):
            break
        if any(form and form in line for form in forms):
            return number
    return start


@dataclass(frozen=True)
class _Source:
    """One parsed TOML file, kept with its text to point errors at lines."""

    path: Path
    text: str
    data: dict[str, Any]
    base_url: str | None = None

    def error(
        self, message: str, key: str | None = None, *, table: str = "", item: str | None = None
    ) -> ConfigError:
        """A ConfigError at the line of ``key`` (and of ``item``, for a list element)."""
        line = _key_line(self.text, table, key) if key else None
        if line is not None and item is not None:
            items = [item]
            if self.base_url:
                items += [item.replace(re.escape(self.base_url), BASE_URL)]
                items += [item.replace(self.base_url, BASE_URL)]
            line = _item_line(self.text, line, items)
        dotted = f"{table}.{key}" if table and key else key
        return ConfigError(self.path, message, line=line, key=dotted)


def _read(path: Path, base_url: str | None = None) -> _Source:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(path, f"cannot read the file: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(path, "not UTF-8 text (save TOML files as UTF-8)", line=line) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _syntax_error(path, text, err) from None
    return _Source(path, text, data, base_url)


def _syntax_error(path: Path, text: str, err: tomllib.TOMLDecodeError) -> ConfigError:
    """TOML's own message, its location moved to ``FILE:LINE``, plus a hint."""
    message, line, column = str(err), getattr(err, "lineno", None), getattr(err, "colno", None)
    if match := _AT.search(message):
        message = message[: match.start()]
        if match.group(1):
            line, column = line or int(match.group(1)), column or int(match.group(2))
    if line is None:  # "at end of document"
        line = max(1, len(text.splitlines()))
    where = f" at column {column}" if column else ""
    hint = ""
    if "'\\'" in message or "escape" in message.lower():
        hint = " (write regexes in single quotes, e.g. '\\d+', where a backslash is literal)"
    elif "overwrite" in message or "twice" in message:
        hint = " (a key or table is set twice)"
    return ConfigError(path, f"invalid TOML: {message}{where}{hint}", line=line)


def _check_table(
    src: _Source,
    table: dict[str, Any],
    checks: dict[str, Check],
    *,
    where: str = "",
    hints: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Each key of ``table`` through its check; unknown keys are an error with a hint."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in checks:
            raise src.error(_unknown_key(key, checks, hints or {}), key, table=where)
        try:
            values[key] = checks[key](key, value)
        except _Invalid as bad:
            raise src.error(bad.message, key, table=where, item=bad.item) from None
    return values


def _unknown_key(key: str, known: dict[str, Check], hints: dict[str, str]) -> str:
    if key in hints:
        return f"unknown key '{key}' ({hints[key]})"
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "valid keys: " + ", ".join(known)
    return f"unknown key '{key}' ({hint})"


def _toml_files(directory: Path) -> Iterator[Path]:
    """The ``*.toml`` files of ``directory``, by name; none when it does not exist."""
    if not directory.exists():
        return
    if not directory.is_dir():
        raise ConfigError(directory, "not a directory")
    for path in sorted(directory.iterdir()):
        if path.suffix == ".toml" and path.is_file() and not path.name.startswith("."):
            yield path


# --- public API ------------------------------------------------------------------------------


def validate_cron(expr: str) -> None:
    """Raise ``ValueError`` saying why ``expr`` is not a 5-field crontab line.

    APScheduler 3 reads day-of-week numbers from Monday = 0 where cron reads
    Sunday = 0 (agronholm/apscheduler#286), so numbers in that field are refused:
    names (``mon-fri``) mean the same to both.
    """
    parts = expr.split()
    if len(parts) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(parts)}")
    if re.search(r"\d", parts[4]):
        raise ValueError(
            "write the day of week as names (mon-fri, sun), not numbers: "
            "APScheduler 3 counts 0 as Monday, cron counts 0 as Sunday"
        )
    try:
        CronTrigger.from_crontab(expr, timezone="UTC")
    except ValueError as err:
        raise ValueError(str(err)) from None


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
    return Watchlist(name=path.stem, path=path, **values)


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
    return Config(home=root, settings=settings, sites=sites, watchlists=watchlists)


def _check_watchlist_sites(watchlists: dict[str, Watchlist], sites: dict[str, Site]) -> None:
    for watchlist in watchlists.values():
        for name in watchlist.sites:
            if name not in sites:
                close = difflib.get_close_matches(name, list(sites), n=1)
                hint = f"did you mean '{close[0]}'?" if close else "sites: " + ", ".join(sites)
                message = f"unknown site '{name}' in sites ({hint})"
                raise _read(watchlist.path).error(message, "sites", item=name)
