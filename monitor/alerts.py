"""The alert dispatcher: due outbox rows → messages → apprise channels, at least once.

Scrapy-free; the time (``now``) and the sender are injected, so tests drive it
with a fake clock and real local receivers. For every message of the plan
(:mod:`monitor.alert_batches`):

1. the attempt is recorded and committed first (``attempts`` + 1,
   ``next_attempt_at`` = now + backoff: ``backoff_seconds`` doubled per attempt,
   capped at an hour, less a random part of up to a fifth so that channels that
   failed together do not retry in step (ALR-1));
2. the message goes out through the subscriber's one channel, carrying its
   delivery id (the lowest id of its rows);
3. its rows are marked ``sent`` in another transaction; or the error, with every
   secret redacted, is recorded and the rows wait for their next attempt (at
   least the endpoint's ``Retry-After``), unless the failure is permanent (SMTP
   5xx, HTTP 410, the content is gone) or the rows are older than
   ``give_up_hours``: then they are ``failed``.

The outcome is also the channel's (:mod:`monitor.channel_state`): after a
temporary failure the channel's other messages wait for its next attempt; a
channel that is disabled (HTTP 410) or paused holds its rows, which fail once
older than ``give_up_hours``; a channel turning failing or disabled queues a
health alert to the health subscribers and the owner's other channels.

A crash between 2 and 3 repeats that one message at the next run, with the same
delivery id, so the receiver can drop it; nothing else repeats, nothing is lost.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import quote, quote_plus

from monitor import clock
from monitor.alert_batches import Batch, RecentMessages, plan_deliveries
from monitor.alert_store import (
    ContentMissingError,
    Delivery,
    claim,
    due_deliveries,
    load_digest,
    load_health,
    load_story,
    mark_sent,
    messages_since,
    missing_articles,
    postpone,
    record_error,
)
from monitor.channel_state import Channels, ChannelState, parse_subject
from monitor.channels import Sender, SendResult, describe_channel, send_apprise
from monitor.config import Config
from monitor.errors import ConfigError
from monitor.messages import (
    FOOTER,
    Message,
    channel_message,
    digest_message,
    health_message,
    story_message,
)
from monitor.outbox import Outbox
from monitor.store import Store
from monitor.subscribers import redact

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600
JITTER = 0.2
"""A retry waits between (1 - JITTER) and all of its nominal backoff."""
Jitter = Callable[[], float]
"""A number in [0, 1) per attempt: ``random.random``; tests pass ``lambda: 0.0``."""
AfterSend = Callable[[Batch], None]
"""Called after a channel accepted a message and before its rows are marked (tests: crash)."""
HealthWatch = Callable[[Store, Config, datetime], int]
"""Writes ``health`` rows for sites whose health changed (``monitor.health_watch``)."""


def backoff_seconds(first: int, attempts: int, spread: float = 0.0) -> int:
    """The wait after attempt number ``attempts``: ``first``, doubled each attempt, ≤ 1 hour,
    less ``JITTER`` × ``spread`` (0 ≤ spread < 1) of it."""
    nominal = min(MAX_BACKOFF_SECONDS, first * 2 ** min(max(attempts - 1, 0), 12))
    return max(1, round(nominal * (1 - JITTER * min(max(spread, 0.0), 1.0))))


@dataclass
class Summary:
    """What one dispatch did, counted in deliveries (``messages``: sends that succeeded)."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0
    messages: int = 0

    def line(self) -> str:
        """``alerts: 3 sent (2 messages), 1 retrying, 0 failed, 2 held``."""
        messages = f"{self.messages} message{'' if self.messages == 1 else 's'}"
        return (
            f"alerts: {self.sent} sent ({messages}), {self.retrying} retrying, "
            f"{self.failed} failed, {self.held} held"
        )


def dispatch(
    store: Store,
    config: Config,
    now: datetime,
    *,
    environ: Mapping[str, str] | None = None,
    ignore_backoff: bool = False,
    sender: Sender = send_apprise,
    watch_health: HealthWatch | None = None,
    after_send: AfterSend | None = None,
    jitter: Jitter = random.random,
) -> Summary:
    """Note site health changes (``watch_health``), then send what is due at ``now``."""
    if watch_health is not None:
        watch_health(store, config, now)
    dispatcher = Dispatcher(
        store, config, environ=environ, sender=sender, after_send=after_send, jitter=jitter
    )
    return dispatcher.run(now, ignore_backoff=ignore_backoff)


class Dispatcher:
    """Sends the due deliveries of one store to the configured subscribers."""

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        environ: Mapping[str, str] | None = None,
        sender: Sender = send_apprise,
        after_send: AfterSend | None = None,
        jitter: Jitter = random.random,
    ) -> None:
        self.store = store
        self.config = config
        self.environ = environ
        self.sender = sender
        self.after_send = after_send
        self.jitter = jitter
        self.timezone = config.settings.timezone
        self.alerts = config.settings.alerts
        self.channels = Channels(store, config.subscribers)

    def run(self, now: datetime, *, ignore_backoff: bool = False) -> Summary:
        """Plan the due rows (``ignore_backoff``: every pending row) and send each message."""
        rows = due_deliveries(self.store, now, ignore_backoff=ignore_backoff)
        subscribers = self.config.subscribers
        plan = plan_deliveries(rows, subscribers, now, self.timezone, self._recent(now))
        summary = Summary(held=len(plan.held))
        if plan.orphans:
            record_error(self.store, [(row.id, why, True) for row, why in plan.orphans])
            summary.failed += len(plan.orphans)
            log.warning("alerts: %d deliveries failed: no such channel", len(plan.orphans))
        for batch in plan.batches:
            self.deliver(batch, now, summary, ignore_pause=ignore_backoff)
        return summary

    def _recent(self, now: datetime) -> RecentMessages:
        since = now - timedelta(hours=1)
        return lambda name, channel: messages_since(self.store, name, channel, since)

    def _backoff(self, attempts: int) -> int:
        return backoff_seconds(self.alerts.backoff_seconds, attempts, self.jitter())

    def deliver(
        self, batch: Batch, now: datetime, summary: Summary, *, ignore_pause: bool = False
    ) -> None:
        """Record the attempt, send, then mark: one message (one batch of rows)."""
        name = batch.subscriber.name
        blocked = self.channels.blocked(name, batch.channel, now, ignore_pause=ignore_pause)
        if blocked is not None:
            self._hold(batch, blocked, now, summary)
            return
        claimed = claim(self.store, batch.rows, now, self._backoff)
        if not claimed:
            return  # another dispatcher took them meanwhile
        batch = self._without_gone(replace(batch, rows=tuple(claimed)), summary)
        if not batch.rows:
            return
        result = self._send(batch)
        if isinstance(result, SendResult):  # no message to send: the channel is not to blame
            self._failed(batch, self._redacted(batch, result), now, summary)
            return
        result = self._redacted(batch, self.sender(*result, batch.delivery_id))
        self._note_channel(batch, result, now)
        if not result.ok:
            self._failed(batch, result, now, summary)
            return
        if self.after_send is not None:
            self.after_send(batch)
        mark_sent(self.store, [row.id for row in batch.rows], clock.iso(now), batch.delivery_id)
        summary.sent += len(batch.rows)
        summary.messages += 1
        name, channel, kind = batch.subscriber.name, self._channel(batch), batch.kind
        log.info("alerts: %s %s: sent delivery %d (%s)", name, channel, batch.delivery_id, kind)

    def _without_gone(self, batch: Batch, summary: Summary) -> Batch:
        """``batch`` without the stories whose article is gone (those rows fail)."""
        if batch.kind != "story":
            return batch
        gone = missing_articles(self.store, [row.article_id for row in batch.rows])
        dropped = [row for row in batch.rows if row.article_id in gone]
        if dropped:
            why = "the story's article is no longer stored"
            record_error(self.store, [(row.id, why, True) for row in dropped])
            summary.failed += len(dropped)
        return replace(batch, rows=tuple(row for row in batch.rows if row not in dropped))

    def _send(self, batch: Batch) -> tuple[str, Message] | SendResult:
        """The channel's URL and the message; or why there is none (a failed result)."""
        try:
            url = batch.subscriber.urls(self.environ)[batch.channel]
            message = self.compose(batch)
        except ConfigError as err:
            return SendResult(False, error=err.message)
        except ContentMissingError as err:
            return SendResult(False, permanent=True, error=str(err))
        except Exception as exc:  # a bug in one message must not block the other channels
            log.exception("alerts: delivery %d: cannot compose the message", batch.delivery_id)
            return SendResult(False, error=f"cannot compose the message: {exc!r}")
        return url, message

    def _redacted(self, batch: Batch, result: SendResult) -> SendResult:
        if result.ok:
            return result
        secrets = secret_forms(batch.subscriber.secrets(self.environ))
        return replace(result, error=redact(result.error, secrets))

    def _hold(self, batch: Batch, why: str, now: datetime, summary: Summary) -> None:
        """The channel takes nothing now: its rows wait, those past ``give_up_hours`` fail."""
        outcomes = [self._outcome(row, why, False, now) for row in batch.rows]
        expired = [outcome for outcome in outcomes if outcome[2]]
        if expired:
            record_error(self.store, expired)
        summary.failed += len(expired)
        summary.held += len(outcomes) - len(expired)

    def _note_channel(self, batch: Batch, result: SendResult, now: datetime) -> None:
        """Record the outcome as the channel's; alert on a channel turning bad or good."""
        name, index = batch.subscriber.name, batch.channel
        with self.store.write():
            if result.ok:
                change = self.channels.sent(name, index, now)
            else:
                state, until = self._channel_state(batch, result, now)
                change = self.channels.failed(
                    name, index, now, result.error, state=state, until=until
                )
            if change is not None:
                Outbox(self.store, self.config.subscribers).channel(name, index, change.ref)
        if change is not None:
            log.warning("alerts: %s %s %s", name, self._channel(batch), _change_text(change))

    def _channel_state(
        self, batch: Batch, result: SendResult, now: datetime
    ) -> tuple[str, str | None]:
        """``(state, paused_until)`` after a failed send; a ``Retry-After`` postpones the rows."""
        if result.gone:
            return "disabled", None
        if result.permanent:
            return "failing", None
        until = max(row.next_attempt_at or clock.iso(now) for row in batch.rows)
        if result.retry_after:
            asked = clock.iso(now + timedelta(seconds=result.retry_after))
            if asked > until:
                until = asked
                postpone(self.store, [row.id for row in batch.rows], until)
        return "retrying", until

    def compose(self, batch: Batch) -> Message:
        """The message for ``batch``, read from the store (ContentMissingError: it is gone)."""
        footer = f"{FOOTER[:-1]} (delivery {batch.delivery_id})."
        first = batch.rows[0]
        if batch.kind == "story":
            watchlists = batch.subscriber.watchlists
            stories = [load_story(self.store, row, watchlists) for row in batch.rows]
            return story_message(stories, self.timezone, reason=batch.reason, footer=footer)
        if batch.kind == "digest":
            digest, markdown = load_digest(self.store, first.ref)
            return digest_message(digest, markdown, footer=footer)
        if batch.kind == "health":
            site, state, detail, since = load_health(self.store, first.ref)
            channel = parse_subject(site)
            if channel is not None:
                name, label = channel[0], self._label(*channel)
                return channel_message(
                    name, label, state, detail, since, self.timezone, footer=footer
                )
            return health_message(site, state, detail, since, self.timezone, footer=footer)
        raise ContentMissingError(f"unknown delivery kind {batch.kind!r}")

    def _failed(self, batch: Batch, result: SendResult, now: datetime, summary: Summary) -> None:
        """Record the (redacted) error; give up on permanent failures and on old rows."""
        error = result.error
        outcomes = [self._outcome(row, error, result.permanent, now) for row in batch.rows]
        record_error(self.store, outcomes)
        given_up = sum(1 for _, _, give_up in outcomes if give_up)
        summary.failed += given_up
        summary.retrying += len(outcomes) - given_up
        log.warning(
            "alerts: %s %s: delivery %d not sent (%s): %s",
            batch.subscriber.name,
            self._channel(batch),
            batch.delivery_id,
            "failed" if given_up else "will retry",
            error,
        )

    def _outcome(
        self, row: Delivery, error: str, permanent: bool, now: datetime
    ) -> tuple[int, str, bool]:
        """``(id, error, give_up)``: a permanent failure, or a row past ``give_up_hours``."""
        hours = self.alerts.give_up_hours
        if permanent or now - clock.parse_iso(row.created_at) <= timedelta(hours=hours):
            return row.id, error, permanent
        return row.id, f"gave up after {hours} hours: {error}", True

    def _channel(self, batch: Batch) -> str:
        return describe_channel(batch.channel, batch.subscriber.notify[batch.channel])

    def _label(self, name: str, index: int) -> str:
        """``channel 1 (json)`` of subscriber ``name``, as far as the config still has it."""
        owner = self.config.subscribers.get(name)
        if owner is None or not 0 <= index < len(owner.notify):
            return f"channel {index}"
        return describe_channel(index, owner.notify[index])


def _change_text(change: ChannelState) -> str:
    """``is now disabled: HTTP 410 …`` for the log."""
    if change.state == "recovered":
        return "has recovered"
    return f"is now {change.state}: {change.reason or ''}".rstrip(": ")


def secret_forms(secrets: list[str]) -> list[str]:
    """Each secret as written and as it appears inside a URL (percent-encoded)."""
    forms = [form for secret in secrets for form in (secret, quote(secret, safe=""))]
    forms += [quote_plus(secret) for secret in secrets]
    return list(dict.fromkeys(forms))
