"""The config schema: one check per key, the key tables, and the hints for unknown keys.

A check takes ``(key, value)`` and returns the value (converted) or raises
:class:`_Invalid`; :mod:`monitor._config_toml` turns that into a
:class:`~monitor.errors.ConfigError` pointing at the line.
"""

from __future__ import annotations

import codecs
import difflib
import json
import math
import re
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from apscheduler.triggers.cron import CronTrigger

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


def validate_cron(expr: str) -> None:
    """Raise ``ValueError`` saying why ``expr`` is not a crontab line.

    Five fields (minute hour day month weekday) as in crontab, or six with a
    leading seconds field (second minute hour day month weekday) for schedules
    finer than a minute. APScheduler 3 reads day-of-week numbers from Monday = 0
    where cron reads Sunday = 0 (agronholm/apscheduler#286), so numbers in that
    field are refused: names (``mon-fri``) mean the same to both.
    """
    parts = expr.split()
    if len(parts) not in (5, 6):
        raise ValueError(
            "expected 5 fields (minute hour day month weekday), or 6 with a leading "
            f"seconds field (second minute hour day month weekday), got {len(parts)}"
        )
    if re.search(r"\d", parts[-1]):
        raise ValueError(
            "write the day of week as names (mon-fri, sun), not numbers: "
            "APScheduler 3 counts 0 as Monday, cron counts 0 as Sunday"
        )
    try:
        cron_trigger(expr, "UTC")
    except ValueError as err:
        raise ValueError(str(err)) from None


def cron_trigger(expr: str, timezone: str) -> CronTrigger:
    """The APScheduler trigger of a 5-field crontab line, or of a 6-field one (seconds first).

    ``expr`` is assumed valid (see :func:`validate_cron`); times are read in ``timezone``.
    """
    parts = expr.split()
    if len(parts) == 5:
        return CronTrigger.from_crontab(expr, timezone=timezone)
    second, minute, hour, day, month, day_of_week = parts
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=day_of_week,
        timezone=timezone,
    )


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
    "download_timeout": _number("a number > 0", lambda v: v > 0),
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
    "timezone": _timezone,
    "enabled": _flag,
    "fold_hosts": _flag,
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
_SITE_HINTS = {
    "crawl": "crawl overrides go at the top level of a site file, e.g. delay = 0",
    **{key: "that is a settings.toml key" for key in ("timezone", "digest_time", "database")},
}
_WATCHLIST_HINTS = {"name": "a watchlist is named after its file: hotline.toml is 'hotline'"}
