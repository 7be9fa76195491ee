"""An article's published date (DATE-1…DATE-5), for :mod:`monitor.extract`.

Metadata first, then a labelled date printed on the page, then trafilatura's
(htmldate's) guess, then a bare Korean date; the result is UTC and never in
the future or before 1990.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from trafilatura.settings import Document

from monitor import clock
from monitor._metadata import _Meta

log = logging.getLogger(__name__)

_OLDEST_YEAR = 1990
_META_DATE_KEYS = (
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "article.published",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
    "citation_publication_date",
)
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_MONTH = rf"(?:{'|'.join(_MONTH_NAMES)})[a-z]*\.?"
_CLOCK = r"(?:\s*(?:[-–—,|@]|at)?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?)?"
_EN_DATE = re.compile(
    r"\b(?:first\s+)?(?:published|posted|created)\b\s*(?:on|at)?\s*:?\s*"
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    rf"(?:(?P<mon>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?|(?P<day2>\d{{1,2}})\s+(?P<mon2>{_MONTH}))"
    rf",?\s+(?P<year>\d{{4}}){_CLOCK}",
    re.IGNORECASE,
)
_YMD = (
    r"(?P<year>\d{4})\s*[-./년年]\s*(?P<month>\d{1,2})\s*[-./월月]\s*(?P<day>\d{1,2})\s*[일日]?\.?"
)
_KO_CLOCK = (
    r"(?:\s*(?:\([월화수목금토일]\))?\s*(?P<ampm>오전|오후|am|pm)?"
    r"\s*(?P<hour>\d{1,2}):(?P<minute>\d{2}))?"
)
_LABELLED_DATE = re.compile(
    r"(?:published|posted|기사\s*입력|입력|등록|발행|게재|작성일?|发布时间|发布|公開日?)\s*(?:일시)?\s*[:：]?\s*"
    + _YMD
    + _KO_CLOCK,
    re.IGNORECASE,
)
_KO_DATE = re.compile(
    r"(?P<year>\d{4})년\s*(?P<month>\d{1,2})월\s*(?P<day>\d{1,2})일" + _KO_CLOCK, re.IGNORECASE
)
_LOOSE_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(Z|[+-]\d{2}:?\d{2})?"
)


def _find_date(
    meta: _Meta, page_text: str, url: str, document: Document | None, zone: tzinfo = UTC
) -> tuple[str | None, str | None]:
    """The published date and where it came from (DATE-1…DATE-4).

    A date printed without a UTC offset is read in ``zone``, the site's time zone.
    """
    moment = _meta_date(meta, zone)
    if moment is not None:
        return clock.iso(moment), "meta"
    moment = _text_date(page_text, (_EN_DATE, _LABELLED_DATE), zone)
    if moment is not None:
        return clock.iso(moment), "page"
    moment = _trafilatura_date(document, page_text, url, zone)
    if moment is not None:
        return clock.iso(moment), "url" if _in_url(url, moment) else "page"
    moment = _text_date(page_text, (_KO_DATE,), zone)
    return (clock.iso(moment), "page") if moment is not None else (None, None)


def _meta_date(meta: _Meta, zone: tzinfo = UTC) -> datetime | None:
    """article:published_time, then JSON-LD datePublished, then other metadata tags."""
    values = [meta.tags.get("article:published_time")]
    values += [obj.get("datePublished") for obj in meta.linked_data]
    values += [meta.tags.get(key) for key in _META_DATE_KEYS]
    for value in values:
        moment = _plausible(_parse_when(value), zone) if isinstance(value, str) else None
        if moment is not None:
            return moment
    return None


def _text_date(
    text: str, patterns: Sequence[re.Pattern[str]], zone: tzinfo = UTC
) -> datetime | None:
    for pattern in patterns:
        for match in pattern.finditer(text):
            moment = _plausible(_from_match(match), zone)
            if moment is not None:
                return moment
    return None


def _trafilatura_date(
    document: Document | None, page_text: str, url: str, zone: tzinfo = UTC
) -> datetime | None:
    """htmldate's date via trafilatura, unless it is a 1st nobody wrote (DATE-1).

    htmldate turns a bare year ("© 2019") or month into the 1st of January or
    of the month: such false precision is dropped unless the day is printed
    on the page or in the URL.
    """
    value = document.date if document is not None else None
    moment = _plausible(_parse_when(value), zone) if value else None
    if moment is None or moment.day != 1:
        return moment
    if _explicit_first(page_text, moment) or _in_url(url, moment):
        return moment
    log.debug("%s: dropping date %s, a 1st not printed on the page", url, value)
    return None


def _explicit_first(text: str, moment: datetime) -> bool:
    """True when the page prints the 1st of ``moment``'s month as a full date."""
    y, m = moment.year, moment.month
    name = rf"{_MONTH_NAMES[m - 1]}[a-z]*\.?"
    pattern = (
        rf"{y}\s*[-./]\s*0?{m}\s*[-./]\s*0?1(?!\d)|{name}\s+1(?:st)?,?\s+{y}"
        rf"|(?<!\d)1(?:st)?\s+{name},?\s+{y}|{y}\s*[년年]\s*{m}\s*[월月]\s*1\s*[일日]"
    )
    return bool(re.search(pattern, text, re.IGNORECASE))


def _in_url(url: str, moment: datetime) -> bool:
    path = urlsplit(url).path + "?" + urlsplit(url).query
    y, m, d = moment.year, moment.month, moment.day
    forms = (f"{y}/{m:02d}/{d:02d}", f"{y}-{m:02d}-{d:02d}", f"{y}{m:02d}{d:02d}", f"{y}/{m}/{d}/")
    return any(form in path for form in forms)


def _parse_when(value: str) -> datetime | None:
    """ISO 8601 (strict or loose) or RFC 2822; None when it is no valid date."""
    value = value.strip()
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    match = _LOOSE_ISO.search(value)
    if match:
        return _from_iso_parts(match)
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _from_iso_parts(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, zone = match.groups()
    day_part = f"{year}-{int(month):02d}-{int(day):02d}"
    text = f"{day_part}T{int(hour or 0):02d}:{minute or '00'}:{second or '00'}"
    if zone:
        text += "+00:00" if zone == "Z" else zone
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _from_match(match: re.Match[str]) -> datetime | None:
    """A datetime from a text-date match (named groups year, mon/month, day, hour, minute, ampm)."""
    found = {key: value for key, value in match.groupdict().items() if value}
    name = (found.get("mon") or found.get("mon2") or "")[:3].lower()
    month = _MONTHS.get(name) or int(found.get("month", 0))
    hour = int(found.get("hour", 0))
    ampm = found.get("ampm", "").lower().replace(".", "")
    if ampm in ("pm", "오후") and hour < 12:
        hour += 12
    elif ampm in ("am", "오전") and hour == 12:
        hour = 0
    day = int(found.get("day") or found.get("day2") or 0)
    try:
        return datetime(int(found["year"]), month, day, hour, int(found.get("minute", 0)))
    except (KeyError, ValueError):
        return None


def _plausible(moment: datetime | None, zone: tzinfo = UTC) -> datetime | None:
    """``moment`` in UTC if it is a possible publication date (DATE-4), else None.

    A naive ``moment`` is local time in ``zone``.
    """
    if moment is None:
        return None
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
    if moment.year < _OLDEST_YEAR or moment > clock.now() + timedelta(days=1):
        return None
    return moment
