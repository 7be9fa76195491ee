"""Time in one format: timezone-aware UTC, stored as ISO 8601 with a ``Z``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def now() -> datetime:
    """The current time, timezone-aware UTC (one place for tests to patch)."""
    return datetime.now(tz=UTC)


def iso(moment: datetime) -> str:
    """``moment`` as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    """:func:`now` formatted by :func:`iso`."""
    return iso(now())


def parse_iso(text: str) -> datetime:
    """Parse a stored ISO 8601 timestamp back to an aware UTC datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_iso_or_none(text: str | None) -> datetime | None:
    """:func:`parse_iso`, or None for a missing or unreadable timestamp."""
    try:
        return parse_iso(text) if text else None
    except (TypeError, ValueError):
        return None


def at_local(day: date, moment: time, timezone: str) -> datetime:
    """Local ``day`` at ``moment`` in ``timezone``, as an aware UTC datetime."""
    return datetime.combine(day, moment, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar day ``moment`` falls on in ``timezone``."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def local_day_start(day: date, timezone: str, shift: int = 0) -> str:
    """The UTC timestamp at which local ``day`` (plus ``shift`` days) begins in ``timezone``."""
    return iso(at_local(day + timedelta(days=shift), time(0), timezone))
