"""Each subscriber channel's standing, so a bad endpoint is handled as one, not per row.

A channel is one notify URL of a subscriber. The dispatcher reads the
``channels`` table once per run and records every outcome in it:

- a success makes the channel ``ok``;
- a temporary failure makes it ``retrying`` and pauses it until its next attempt
  (the backoff, or the endpoint's ``Retry-After`` when that is later): the
  channel's other messages wait with it instead of each hammering the endpoint
  and burning an attempt;
- a permanent rejection of the message (SMTP 5xx: a bad address) makes it
  ``failing``: shown by ``status`` and ``alerts channels``, sends go on, and the
  next success clears it (ALR-2);
- an endpoint that says it is gone (HTTP 410) makes it ``disabled``: nothing is
  sent to it until ``pressmon alerts enable`` or a new URL in ``subscribers.toml``
  (ALR-5).

A state belongs to the URL as written (``url_hash``): edit the URL and the old
state no longer applies. The states that call for the owner's attention
(``failing``, ``disabled``, and ``recovered`` from failing) are returned, so the
dispatcher can queue health alerts for them in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from monitor import clock
from monitor.channels import scheme
from monitor.store import Store
from monitor.subscribers import Subscriber

STATES = ("ok", "retrying", "failing", "disabled")
_UPSERT = (
    "INSERT INTO channels (subscriber, channel, url_hash, state, reason, since, paused_until, "
    "last_sent_at, last_failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (subscriber, channel) DO UPDATE SET url_hash = excluded.url_hash, "
    "state = excluded.state, reason = excluded.reason, since = excluded.since, "
    "paused_until = excluded.paused_until, last_sent_at = excluded.last_sent_at, "
    "last_failed_at = excluded.last_failed_at"
)


def fingerprint(url: str) -> str:
    """A short hash of a notify URL as written (``${VAR}`` unfilled, so no secret in it)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ChannelState:
    """One ``channels`` row."""

    subscriber: str
    channel: int
    url_hash: str
    state: str
    reason: str | None
    since: str
    paused_until: str | None = None
    last_sent_at: str | None = None
    last_failed_at: str | None = None

    @property
    def ref(self) -> str:
        """How a health delivery names this channel's change: ``channel:NAME:N/STATE/SINCE``."""
        return f"{channel_subject(self.subscriber, self.channel)}/{self.state}/{self.since}"


def channel_subject(name: str, channel: int) -> str:
    """``channel:desk:1``: a channel as the subject of a ``health`` delivery."""
    return f"channel:{name}:{channel}"


def parse_subject(subject: str) -> tuple[str, int] | None:
    """``(name, channel)`` of a ``channel:NAME:N`` subject; None for a site's name."""
    kind, _, rest = subject.partition(":")
    name, _, index = rest.rpartition(":")
    if kind != "channel" or not name or not index.isdigit():
        return None
    return name, int(index)


def load_states(store: Store) -> list[ChannelState]:
    """Every row of ``channels``."""
    fields = ", ".join(ChannelState.__dataclass_fields__)
    rows = store.rows(f"SELECT {fields} FROM channels ORDER BY subscriber, channel")  # noqa: S608
    return [ChannelState(**row) for row in rows]


class Channels:
    """The channel states of one store as one dispatch sees and changes them."""

    def __init__(self, store: Store, subscribers: Mapping[str, Subscriber]) -> None:
        self.store = store
        self.subscribers = subscribers
        self.states = {(s.subscriber, s.channel): s for s in load_states(store)}

    def get(self, name: str, channel: int) -> ChannelState | None:
        """The state of a configured channel, if one is recorded for its current URL."""
        state = self.states.get((name, channel))
        url = self._url(name, channel)
        if state is None or url is None or state.url_hash != fingerprint(url):
            return None
        return state

    def blocked(self, name: str, channel: int, now: datetime, *, ignore_pause: bool) -> str | None:
        """Why nothing may go to the channel at ``now`` (None: it may)."""
        state = self.get(name, channel)
        if state is None:
            return None
        if state.state == "disabled":
            return f"channel disabled since {state.since}: {state.reason or 'no reason recorded'}"
        paused = state.paused_until
        if not ignore_pause and paused is not None and paused > clock.iso(now):
            return f"channel paused until {paused}: {state.reason or 'retrying'}"
        return None

    def sent(self, name: str, channel: int, now: datetime) -> ChannelState | None:
        """A message went out: the channel is ``ok``. The state to alert on (``recovered``)."""
        before = self.get(name, channel)
        at = clock.iso(now)
        if before is not None and before.state == "ok" and before.paused_until is None:
            self._save(replace(before, last_sent_at=at))
            return None
        since = at if before is None or before.state != "ok" else before.since
        failed_at = before.last_failed_at if before else None
        self._save(self._new(name, channel, "ok", None, since, None, at, failed_at))
        if before is not None and before.state == "failing":
            return replace(self.states[(name, channel)], state="recovered")
        return None

    def failed(
        self, name: str, channel: int, now: datetime, reason: str, *, state: str, until: str | None
    ) -> ChannelState | None:
        """A send failed: ``state`` is ``retrying`` (paused ``until``), ``failing`` or
        ``disabled``. The new state when it calls for an alert (entering failing/disabled)."""
        before = self.get(name, channel)
        if state == "retrying" and before is not None and before.state == "failing":
            state = "failing"  # a bad address stays flagged through an outage
        at = clock.iso(now)
        since = before.since if before is not None and before.state == state else at
        sent_at = before.last_sent_at if before else None
        self._save(self._new(name, channel, state, reason, since, until, sent_at, at))
        changed = before is None or before.state != state
        return (
            self.states[(name, channel)] if changed and state in ("failing", "disabled") else None
        )

    def _new(
        self,
        name: str,
        channel: int,
        state: str,
        reason: str | None,
        since: str,
        until: str | None,
        sent_at: str | None,
        failed_at: str | None,
    ) -> ChannelState:
        url_hash = fingerprint(self._url(name, channel) or "")
        return ChannelState(
            name, channel, url_hash, state, reason, since, until, sent_at, failed_at
        )

    def _save(self, state: ChannelState) -> None:
        with self.store.write():
            self.store.db.execute(
                _UPSERT, [getattr(state, f) for f in ChannelState.__dataclass_fields__]
            )
        self.states[(state.subscriber, state.channel)] = state

    def _url(self, name: str, channel: int) -> str | None:
        subscriber = self.subscribers.get(name)
        if subscriber is None or not 0 <= channel < len(subscriber.notify):
            return None
        return subscriber.notify[channel]


def enable(store: Store, name: str, channel: int | None = None) -> int:
    """Clear the disabled/failing/retrying state of ``name``'s channels (one, or all); the count."""
    sql = "DELETE FROM channels WHERE subscriber = ?"
    params: list[object] = [name]
    if channel is not None:
        sql += " AND channel = ?"
        params.append(channel)
    with store.write():
        return store.db.execute(sql + " AND state != 'ok'", params).rowcount


def channel_reason(store: Store, name: str, channel: int, state: str, since: str) -> str | None:
    """The recorded reason of a channel's state, while it is still in that state."""
    return store.scalar(
        "SELECT reason FROM channels WHERE subscriber = ? AND channel = ? AND state = ? "
        "AND since = ?",
        [name, channel, state, since],
    )


def channel_rows(store: Store, subscribers: Mapping[str, Subscriber]) -> list[dict]:
    """Every configured channel with its state (``ok`` when none is recorded for its URL)."""
    channels = Channels(store, subscribers)
    rows = []
    for subscriber in subscribers.values():
        for index, url in enumerate(subscriber.notify):
            state = channels.get(subscriber.name, index)
            rows.append(
                {
                    "subscriber": subscriber.name,
                    "channel": index,
                    "scheme": scheme(url),
                    "enabled": subscriber.enabled,
                    "state": state.state if state else "ok",
                    "since": state.since if state else None,
                    "reason": state.reason if state else None,
                    "paused_until": state.paused_until if state else None,
                    "last_sent_at": state.last_sent_at if state else None,
                    "last_failed_at": state.last_failed_at if state else None,
                }
            )
    return rows


def troubled(rows: list[dict]) -> list[dict]:
    """The channels of enabled subscribers that are failing or disabled."""
    return [r for r in rows if r["enabled"] and r["state"] in ("failing", "disabled")]
