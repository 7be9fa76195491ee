"""Daily digests: which articles a digest covers, built per watchlist and stored.

The digest dated D covers articles first discovered (``fetched_at``) from D−1
at ``digest_time`` to D at ``digest_time``, local time (DESIGN.md, "Digests").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def window(day: date, timezone: str, digest_time: str) -> tuple[datetime, datetime]:
    """The UTC start and end of the digest dated ``day``: D−1 and D at ``digest_time``, local."""
    return _at(day - timedelta(days=1), timezone, digest_time), _at(day, timezone, digest_time)


def latest_complete_day(now: datetime, timezone: str, digest_time: str) -> date:
    """The date of the newest digest whose window has ended at ``now``."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    if _at(today, timezone, digest_time) <= now:
        return today
    return today - timedelta(days=1)


def _at(day: date, timezone: str, digest_time: str) -> datetime:
    """``day`` at local ``digest_time`` ("HH:MM") in ``timezone``, as an aware UTC datetime."""
    hour, minute = (int(part) for part in digest_time.split(":"))
    local = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)
