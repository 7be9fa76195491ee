"""Which due deliveries go out now, and as how many messages: the dispatcher's plan.

Pure: no database, no clock, no network. Rows are planned per (subscriber,
channel), each channel on its own, so one channel never holds back another:

- a ``story`` row of a subscriber in its quiet hours (local time) is held, not
  attempted; once they end, the story rows created during them go out with the
  channel's other due story rows as one message;
- with ``max_per_hour``, when the due story rows would take the channel past it
  (counting the messages of the last hour), they go out as one message;
- ``digest`` and ``health`` rows go out one message each, never held;
- rows of a disabled subscriber wait; rows of a subscriber or channel that is no
  longer configured are orphans, which the dispatcher marks failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from monitor import clock
from monitor.alert_store import Delivery
from monitor.subscribers import Subscriber

RecentMessages = Callable[[str, int], int]
"""``(subscriber, channel) -> messages sent to it in the last hour``."""


@dataclass(frozen=True)
class Batch:
    """The rows one message carries (more than one: a batch of stories, for ``reason``)."""

    subscriber: Subscriber
    channel: int
    kind: str
    rows: tuple[Delivery, ...]
    reason: str | None = None  # quiet_hours or rate_limit, for a batch of stories

    @property
    def delivery_id(self) -> int:
        """The id the message carries: the lowest of its rows."""
        return min(row.id for row in self.rows)


@dataclass
class Plan:
    """Messages to send now, rows held back, rows no channel can take any more."""

    batches: list[Batch] = field(default_factory=list)
    held: list[Delivery] = field(default_factory=list)
    orphans: list[tuple[Delivery, str]] = field(default_factory=list)


def plan_deliveries(
    rows: Sequence[Delivery],
    subscribers: Mapping[str, Subscriber],
    now: datetime,
    timezone: str,
    recent: RecentMessages,
) -> Plan:
    """The plan for ``rows`` (due, pending) at ``now``, quiet hours read in ``timezone``."""
    plan = Plan()
    zone = ZoneInfo(timezone)
    for (name, channel), group in _by_channel(rows).items():
        subscriber = subscribers.get(name)
        problem = orphan_reason(subscriber, name, channel)
        if problem is not None:
            plan.orphans += [(row, problem) for row in group]
        elif subscriber is not None and not subscriber.enabled:
            plan.held += group
        elif subscriber is not None:
            batches, held = plan_channel(subscriber, channel, group, now, zone, recent)
            plan.batches += batches
            plan.held += held
    plan.batches.sort(key=lambda batch: batch.delivery_id)
    return plan


def _by_channel(rows: Sequence[Delivery]) -> dict[tuple[str, int], list[Delivery]]:
    groups: dict[tuple[str, int], list[Delivery]] = {}
    for row in rows:
        groups.setdefault((row.subscriber, row.channel), []).append(row)
    return groups


def orphan_reason(subscriber: Subscriber | None, name: str, channel: int) -> str | None:
    """Why no configured channel can take the rows of (``name``, ``channel``), if so."""
    if subscriber is None:
        return f"subscriber '{name}' is no longer in subscribers.toml"
    if not 0 <= channel < len(subscriber.notify):
        return f"subscriber '{name}' has no channel {channel} any more"
    return None


def plan_channel(
    subscriber: Subscriber,
    channel: int,
    rows: Sequence[Delivery],
    now: datetime,
    zone: ZoneInfo,
    recent: RecentMessages,
) -> tuple[list[Batch], list[Delivery]]:
    """One channel's messages and held rows."""
    stories = [row for row in rows if row.kind == "story"]
    others = [Batch(subscriber, channel, row.kind, (row,)) for row in rows if row.kind != "story"]
    if stories and subscriber.in_quiet_hours(now.astimezone(zone).time()):
        return others, stories
    return others + story_batches(subscriber, channel, stories, zone, recent), []


def story_batches(
    subscriber: Subscriber,
    channel: int,
    stories: Sequence[Delivery],
    zone: ZoneInfo,
    recent: RecentMessages,
) -> list[Batch]:
    """One message per story, or one for them all after quiet hours or past the hourly limit."""
    reason = None
    if len(stories) > 1:
        limit = subscriber.max_per_hour
        if any(_created_in_quiet_hours(subscriber, row, zone) for row in stories):
            reason = "quiet_hours"
        elif limit is not None and recent(subscriber.name, channel) + len(stories) > limit:
            reason = "rate_limit"
    if reason is not None:
        return [Batch(subscriber, channel, "story", tuple(stories), reason)]
    return [Batch(subscriber, channel, "story", (row,)) for row in stories]


def _created_in_quiet_hours(subscriber: Subscriber, row: Delivery, zone: ZoneInfo) -> bool:
    created = clock.parse_iso(row.created_at).astimezone(zone)
    return subscriber.in_quiet_hours(created.time())
