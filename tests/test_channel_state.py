"""A channel's standing (monitor.channel_state) as the dispatcher keeps it.

Jittered backoff (ALR-1), a channel paused by a failure or a ``Retry-After``,
an SMTP 5xx marking the address failing (ALR-2), an HTTP 410 disabling the
channel and telling its owner (ALR-5). Fake clock and recording sender as in
test_alerts.py; the real receivers are in test_alerts_e2e.py.
"""

from __future__ import annotations

from datetime import timedelta

from monitor import clock
from monitor.alerts import Summary, backoff_seconds
from monitor.channel_state import Channels, channel_rows, enable, fingerprint, parse_subject
from monitor.channels import SendResult
from monitor.store import Store
from tests.conftest import Clock
from tests.test_alerts import (
    NOW,
    SECRET,
    FakeSender,
    add_story,
    make_config,
    rows,
    run,
    subscriber,
)

GONE = SendResult(False, permanent=True, gone=True, error=f"HTTP 410 (permanent): {SECRET}")
REJECTED = SendResult(False, permanent=True, error="SMTP 550 (permanent): No such user")


def states(store: Store) -> dict[tuple[str, int], tuple[str, str | None]]:
    return {
        (r["subscriber"], r["channel"]): (r["state"], r["paused_until"])
        for r in store.rows("SELECT * FROM channels")
    }


def health_rows(store: Store) -> list[tuple[str, int, str]]:
    query = "SELECT subscriber, channel, ref FROM deliveries WHERE kind = 'health' ORDER BY id"
    return [(r["subscriber"], r["channel"], r["ref"]) for r in store.rows(query)]


# -- jitter (ALR-1) ------------------------------------------------------------------------


def test_backoff_jitter_takes_up_to_a_fifth_off_never_adds() -> None:
    assert backoff_seconds(60, 1, 0.0) == 60
    assert backoff_seconds(60, 1, 0.5) == 54
    assert backoff_seconds(60, 1, 0.999) == 48
    assert backoff_seconds(60, 50, 0.5) == 3240  # the one-hour cap, less a tenth
    assert backoff_seconds(60, 50, 0.0) == 3600
    assert backoff_seconds(1, 1, 0.999) == 1  # never zero
    assert backoff_seconds(60, 1, 7.0) == 48  # a spread out of range is clamped


def test_channels_that_fail_together_retry_apart(store: Store, fake_clock: Clock) -> None:
    config = make_config(subscriber(channels=2))
    add_story(store, config, 1)
    spreads = iter([0.0, 0.75])
    failing = FakeSender(lambda url: SendResult(False, error="temporary: connection refused"))
    run(store, config, failing, NOW, jitter=lambda: next(spreads))
    waits = [clock.parse_iso(r["next_attempt_at"]) - NOW for r in rows(store)]
    assert waits == [timedelta(seconds=60), timedelta(seconds=51)]


# -- a paused channel ---------------------------------------------------------------------


def test_a_failing_channel_pauses_its_other_messages_until_its_next_attempt(
    store: Store, fake_clock: Clock
) -> None:
    config = make_config(subscriber(channels=1))
    for n in (1, 2, 3):
        add_story(store, config, n)
    sender = FakeSender(lambda url: SendResult(False, error="temporary: connection refused"))
    assert run(store, config, sender, NOW) == Summary(retrying=1, held=2)
    assert states(store) == {("desk", 0): ("retrying", "2026-03-02T09:01:00Z")}
    assert [r["attempts"] for r in rows(store)] == [1, 0, 0]
    assert run(store, config, sender, NOW + timedelta(seconds=30)) == Summary(held=2)
    assert len(sender.sent) == 1  # the pause holds: no attempt burnt on a dead endpoint
    sender.answer = lambda url: SendResult(True)
    summary = run(store, config, sender, NOW + timedelta(seconds=61))
    assert summary == Summary(sent=3, messages=3)
    assert states(store) == {("desk", 0): ("ok", None)}
    assert health_rows(store) == []  # an outage and its end are not news to the owner


def test_retry_after_postpones_the_rows_and_pauses_the_channel(
    store: Store, fake_clock: Clock
) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    add_story(store, config, 2)
    throttled = SendResult(False, error="HTTP 429 (temporary): slow down", retry_after=600)
    sender = FakeSender(lambda url: throttled)
    assert run(store, config, sender, NOW) == Summary(retrying=1, held=1)
    until = "2026-03-02T09:10:00Z"
    assert rows(store)[0]["next_attempt_at"] == until
    assert states(store) == {("desk", 0): ("retrying", until)}
    sender.answer = lambda url: SendResult(True)
    assert run(store, config, sender, NOW + timedelta(minutes=9)) == Summary(held=1)
    assert run(store, config, sender, NOW + timedelta(minutes=10)).sent == 2


def test_a_retry_after_shorter_than_the_backoff_does_not_shorten_it(
    store: Store, fake_clock: Clock
) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    throttled = SendResult(False, error="HTTP 503 (temporary)", retry_after=5)
    run(store, config, FakeSender(lambda url: throttled), NOW)
    assert rows(store)[0]["next_attempt_at"] == "2026-03-02T09:01:00Z"


def test_send_now_ignores_a_pause(store: Store, fake_clock: Clock) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    add_story(store, config, 2)
    throttled = SendResult(False, error="HTTP 429 (temporary)", retry_after=3600)
    sender = FakeSender(lambda url: throttled)
    run(store, config, sender, NOW)
    sender.answer = lambda url: SendResult(True)
    assert run(store, config, sender, NOW, ignore_backoff=True) == Summary(sent=2, messages=2)


def test_rows_held_by_a_paused_channel_fail_after_give_up_hours(
    store: Store, fake_clock: Clock
) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    add_story(store, config, 2)
    throttled = SendResult(False, error="HTTP 429 (temporary): slow down", retry_after=86400)
    sender = FakeSender(lambda url: throttled)
    for hours in (0, 24, 48):  # the endpoint asks for a day's rest, each time
        assert run(store, config, sender, NOW + timedelta(hours=hours)) == Summary(
            retrying=1, held=1
        )
    summary = run(store, config, sender, NOW + timedelta(hours=72, seconds=1))
    assert summary == Summary(failed=2)
    assert len(sender.sent) == 4  # story 1 only: story 2 waited behind it throughout
    held = rows(store)[1]
    assert held["status"] == "failed" and held["attempts"] == 0
    assert held["last_error"].startswith("gave up after 72 hours: channel paused until")


# -- a rejected address (ALR-2) -------------------------------------------------------------


def test_a_permanent_rejection_marks_the_channel_failing_until_a_success(
    store: Store, fake_clock: Clock
) -> None:
    desk = subscriber(channels=2)
    ops = subscriber("ops", channels=1, watchlists=(), health=True)
    config = make_config(desk, ops)
    add_story(store, config, 1)
    sender = FakeSender(lambda url: REJECTED if "/desk/0/" in url else SendResult(True))
    assert run(store, config, sender, NOW) == Summary(sent=1, failed=1, messages=1)
    assert states(store)[("desk", 0)] == ("failing", None)
    since = clock.iso(NOW)
    ref = f"channel:desk:0/failing/{since}"
    assert health_rows(store) == [("desk", 1, ref), ("ops", 0, ref)]  # never the failing one
    [row] = channel_rows(store, config.subscribers)[:1]
    assert (row["state"], row["reason"]) == ("failing", "SMTP 550 (permanent): No such user")

    add_story(store, config, 2)  # a failing address is still tried
    later = NOW + timedelta(minutes=1)
    summary = run(store, config, FakeSender(), later)
    assert summary == Summary(sent=4, messages=4)  # story 2 on both channels, 2 health alerts
    assert states(store)[("desk", 0)] == ("ok", None)
    recovered = f"channel:desk:0/recovered/{clock.iso(later)}"
    assert health_rows(store)[2:] == [("desk", 1, recovered), ("ops", 0, recovered)]


def test_the_owner_hears_of_a_failing_channel_in_plain_words(
    store: Store, fake_clock: Clock
) -> None:
    desk = subscriber(channels=2)
    config = make_config(desk)
    add_story(store, config, 1)
    run(
        store,
        config,
        FakeSender(lambda url: REJECTED if "/desk/0/" in url else SendResult(True)),
        NOW,
    )
    sender = FakeSender()
    run(store, config, sender, NOW + timedelta(minutes=1))
    [sent] = sender.sent
    assert sent.url.startswith("json://127.0.0.1:9/desk/1/")
    title = "alerts to desk channel 0 (json) is failing: SMTP 550 (permanent): No such user"
    assert sent.message.title == title
    assert "Since 2026-03-02 09:00 (UTC)." in sent.message.markdown
    assert "pressmon alerts channels" in sent.message.markdown


# -- a gone endpoint (ALR-5) --------------------------------------------------------------


def test_http_410_disables_the_channel_and_tells_the_owner(store: Store, fake_clock: Clock) -> None:
    desk = subscriber(channels=2)
    ops = subscriber("ops", channels=1, watchlists=(), health=True)
    config = make_config(desk, ops)
    add_story(store, config, 1)
    sender = FakeSender(lambda url: GONE if "/desk/0/" in url else SendResult(True))
    assert run(store, config, sender, NOW) == Summary(sent=1, failed=1, messages=1)
    assert states(store)[("desk", 0)] == ("disabled", None)
    reason = store.scalar("SELECT reason FROM channels WHERE channel = 0")
    assert reason == "HTTP 410 (permanent): ***" and SECRET not in reason  # redacted
    ref = f"channel:desk:0/disabled/{clock.iso(NOW)}"
    assert health_rows(store) == [("desk", 1, ref), ("ops", 0, ref)]

    add_story(store, config, 2)
    everyone = FakeSender()
    summary = run(store, config, everyone, NOW + timedelta(minutes=1))
    assert summary == Summary(sent=3, held=1, messages=3)  # story 2 on channel 1, two alerts
    assert not any("/desk/0/" in s.url for s in everyone.sent)
    titles = {s.message.title for s in everyone.sent}
    assert "alerts to desk channel 0 (json) is disabled: HTTP 410 (permanent): ***" in titles
    alert = next(s for s in everyone.sent if "disabled" in s.message.title)
    assert "pressmon alerts enable desk" in alert.message.markdown


def test_a_disabled_channel_holds_its_rows_until_enabled_or_given_up(
    store: Store, fake_clock: Clock
) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    run(store, config, FakeSender(lambda url: GONE), NOW)
    add_story(store, config, 2)
    add_story(store, config, 3)
    assert run(store, config, FakeSender(), NOW + timedelta(minutes=5)) == Summary(held=2)
    assert enable(store, "desk", 0) == 1
    assert enable(store, "desk", 0) == 0
    sender = FakeSender()
    assert run(store, config, sender, NOW + timedelta(minutes=6)) == Summary(sent=2, messages=2)

    add_story(store, config, 4)
    run(store, config, FakeSender(lambda url: GONE), NOW + timedelta(minutes=7))
    add_story(store, config, 5)
    summary = run(store, config, FakeSender(), NOW + timedelta(hours=73))
    assert summary == Summary(failed=1)
    assert rows(store)[-1]["last_error"].startswith("gave up after 72 hours: channel disabled")


def test_a_changed_url_starts_the_channel_afresh(store: Store, fake_clock: Clock) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    run(store, config, FakeSender(lambda url: GONE), NOW)
    add_story(store, config, 2)
    moved = subscriber(channels=1)
    moved = type(moved)(**{**moved.__dict__, "notify": ("json://127.0.0.1:9/new/${HOOK_TOKEN}",)})
    fixed = make_config(moved)
    assert Channels(store, fixed.subscribers).get("desk", 0) is None
    assert channel_rows(store, fixed.subscribers)[0]["state"] == "ok"
    assert run(store, fixed, FakeSender(), NOW + timedelta(minutes=1)) == Summary(
        sent=1, messages=1
    )
    recorded = store.scalar("SELECT url_hash FROM channels")
    assert recorded == fingerprint("json://127.0.0.1:9/new/${HOOK_TOKEN}")


def test_a_channel_subject_names_subscriber_and_index() -> None:
    assert parse_subject("channel:desk:1") == ("desk", 1)
    assert parse_subject("channel:my-desk:12") == ("my-desk", 12)
    assert parse_subject("herald") is None
    assert parse_subject("channel:desk:x") is None
    assert parse_subject("channel::1") is None
