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


def local_day_start(day: date, timezone: str, shift: int = 0) -> str:
    """The UTC timestamp at which local ``day`` (plus ``shift`` days) begins in ``timezone``."""
    start = datetime.combine(day + timedelta(days=shift), time(0), tzinfo=ZoneInfo(timezone))
    return iso(start)
