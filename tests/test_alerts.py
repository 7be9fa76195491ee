"""The alert dispatcher (monitor.alerts) with a fake clock and a recording sender.

Stories enter the outbox as they do in a crawl (the ingest step writes the hit
and its deliveries together); the sender records each message and answers as
the test says. Real SMTP and HTTP receivers are in test_alerts_e2e.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from monitor import alerts as alerts_module
from monitor import clock
from monitor.alert_store import claim, due_deliveries, messages_since, requeue
from monitor.alerts import Summary, backoff_seconds, dispatch
from monitor.channels import SendResult, failure, send_apprise, tagged_url
from monitor.config import AlertSettings, Config, Settings, load_config
from monitor.digest import Digest, save_digest
from monitor.errors import ConfigError
from monitor.exports import render_markdown
from monitor.ingest import Ingester
from monitor.matching import compile_rules
from monitor.messages import Message
from monitor.outbox import Outbox
from monitor.scheduler import Service
from monitor.store import Store
from monitor.subscribers import Subscriber
from monitor.tagging import Tagger
from tests._receivers import HookReceiver
from tests.conftest import CLOCK_START, Clock
from tests.test_ingest import page
from tests.test_scheduler import FakeLauncher, make_home

NOW = CLOCK_START
SECRET = "s3cret-Token"
ENV = {"HOOK_TOKEN": SECRET}
TAGGER = Tagger(
    [compile_rules("hotline", terms=["hotline*"]), compile_rules("thaad", terms=["THAAD"])]
)


def subscriber(name: str = "desk", channels: int = 2, **fields: object) -> Subscriber:
    notify = tuple(f"json://127.0.0.1:9/{name}/{n}/${{HOOK_TOKEN}}" for n in range(channels))
    values = {"watchlists": ("hotline",)} | fields
    return Subscriber(name=name, path=Path("subscribers.toml"), line=1, notify=notify, **values)


def make_config(*subscribers: Subscriber, timezone: str = "UTC") -> Config:
    settings = Settings(timezone=timezone, alerts=AlertSettings(backoff_seconds=60))
    return Config(Path("."), settings, {}, {}, {s.name: s for s in subscribers})


@dataclass
class Sent:
    url: str
    message: Message
    delivery_id: int | None


@dataclass
class FakeSender:
    """Records every send; ``answer(url)`` decides the result (default: accepted)."""

    answer: Callable[[str], SendResult] = lambda url: SendResult(True)
    sent: list[Sent] = field(default_factory=list)

    def __call__(self, url: str, message: Message, delivery_id: int | None) -> SendResult:
        self.sent.append(Sent(url, message, delivery_id))
        return self.answer(url)

    def ids(self) -> list[int | None]:
        return [s.delivery_id for s in self.sent]


def add_story(store: Store, config: Config, n: int, title: str | None = None) -> int:
    """A new article about a hotline (words of its own: never a near-duplicate)."""
    words = " ".join(f"w{n}x{i}" for i in range(80))
    text = f"The ministries agreed to open a hotline. {words}."
    outbox = Outbox(store, config.subscribers)
    ingester = Ingester(store, None, tagger=TAGGER, outbox=outbox)
    with store.write():
        outcome = ingester.ingest(
            page(f"https://herald.test/{n}", text, title=title or f"Hotline story {n}")
        )
    return int(outcome.article_id)


def run(store: Store, config: Config, sender: FakeSender, now: datetime, **kw: object) -> Summary:
    """One dispatch, without jitter unless ``kw`` brings one (so waits are exact)."""
    kw = {"jitter": lambda: 0.0} | kw
    return dispatch(store, config, now, environ=ENV, sender=sender, **kw)  # type: ignore[arg-type]


def rows(store: Store) -> list[dict]:
    return store.rows("SELECT * FROM deliveries ORDER BY id")


def failing(permanent: bool = False) -> Callable[[str], SendResult]:
    return lambda url: SendResult(False, permanent, f"HTTP 503 (temporary): refused by {url}")


# -- at least once -----------------------------------------------------------------------


def test_the_attempt_is_committed_before_the_send_and_the_row_marked_after(
    store: Store, fake_clock: Clock
) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    seen: list[tuple] = []

    def answer(url: str) -> SendResult:
        with closing(sqlite3.connect(store.path)) as other:  # what a crash now leaves behind
            query = "SELECT status, attempts, next_attempt_at FROM deliveries"
            seen.append(other.execute(query).fetchone())
        return SendResult(True)

    summary = run(store, config, FakeSender(answer), NOW)
    assert seen == [("pending", 1, "2026-03-02T09:01:00Z")]
    assert summary == Summary(sent=1, messages=1)
    [row] = rows(store)
    assert (row["status"], row["sent_at"], row["next_attempt_at"]) == ("sent", clock.iso(NOW), None)


def test_retries_back_off_doubling_to_an_hour_then_give_up(store: Store, fake_clock: Clock) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    sender = FakeSender(failing())
    waits, now = [], NOW
    for _ in range(9):
        summary = run(store, config, sender, now)
        assert summary.retrying == 1
        retry = clock.parse_iso(rows(store)[0]["next_attempt_at"])
        assert run(store, config, sender, retry - timedelta(seconds=1)) == Summary()
        waits.append(int((retry - now).total_seconds()))
        now = retry
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert rows(store)[0]["attempts"] == 9 and len(sender.sent) == 9
    summary = run(store, config, sender, NOW + timedelta(hours=72, seconds=1))
    assert summary.failed == 1
    [row] = rows(store)
    assert row["status"] == "failed"
    assert row["last_error"].startswith("gave up after 72 hours: HTTP 503 (temporary)")


def test_backoff_seconds() -> None:
    assert [backoff_seconds(60, n) for n in (1, 2, 3, 7, 8, 500)] == [
        60,
        120,
        240,
        3600,
        3600,
        3600,
    ]
    assert backoff_seconds(5, 1) == 5


def test_a_permanent_failure_fails_at_once_and_no_secret_is_stored(
    store: Store, fake_clock: Clock
) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    summary = run(store, config, FakeSender(failing(permanent=True)), NOW)
    assert summary == Summary(failed=1)
    [row] = rows(store)
    assert row["status"] == "failed" and row["next_attempt_at"] is None
    assert row["last_error"] == "HTTP 503 (temporary): refused by json://127.0.0.1:9/desk/0/***"
    assert run(store, config, FakeSender(), NOW + timedelta(days=1), ignore_backoff=True) == (
        Summary()
    )


def test_one_channel_failing_never_blocks_or_repeats_another(
    store: Store, fake_clock: Clock
) -> None:
    config = make_config(subscriber(channels=2))
    add_story(store, config, 1)
    add_story(store, config, 2)
    sender = FakeSender(lambda url: failing()(url) if "/0/" in url else SendResult(True))
    # channel 0 fails its first message; its second waits with it (no attempt burnt)
    assert run(store, config, sender, NOW) == Summary(sent=2, retrying=1, held=1, messages=2)
    sender.answer = lambda url: SendResult(True)
    assert run(store, config, sender, NOW, ignore_backoff=True) == Summary(sent=2, messages=2)
    by_channel = [s.url.split("/")[4] for s in sender.sent]
    assert sorted(by_channel) == ["0", "0", "0", "1", "1"]  # channel 1: once per story
    assert {r["status"] for r in rows(store)} == {"sent"}


def test_ignore_backoff_retries_waiting_rows_now(store: Store, fake_clock: Clock) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    run(store, config, FakeSender(failing()), NOW)
    sender = FakeSender()
    assert run(store, config, sender, NOW) == Summary()
    assert run(store, config, sender, NOW, ignore_backoff=True) == Summary(sent=1, messages=1)


def test_a_crash_after_the_send_repeats_that_message_only_with_the_same_id(
    store: Store, fake_clock: Clock
) -> None:
    config = make_config(subscriber(channels=1))
    for n in (1, 2, 3):
        add_story(store, config, n)
    sender = FakeSender()

    def crash(batch: object) -> None:
        raise SystemExit("killed between the send and the mark")

    with pytest.raises(SystemExit):
        run(store, config, sender, NOW, after_send=crash)
    assert [(r["status"], r["attempts"]) for r in rows(store)] == [
        ("pending", 1),
        ("pending", 0),
        ("pending", 0),
    ]
    run(store, config, sender, NOW + timedelta(minutes=1))
    assert sender.ids() == [1, 1, 2, 3]
    assert {r["status"] for r in rows(store)} == {"sent"}


def test_rows_claimed_by_another_dispatcher_are_not_sent_again(
    store: Store, fake_clock: Clock
) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    due = due_deliveries(store, NOW)
    assert len(claim(store, due, NOW, lambda n: 60)) == 1
    assert claim(store, due, NOW, lambda n: 60) == []


# -- quiet hours and the hourly limit --------------------------------------------------------


def test_quiet_hours_hold_stories_then_send_them_as_one_message(
    store: Store, fake_clock: Clock
) -> None:
    desk = subscriber(channels=2, quiet_hours=(time(22), time(7)))
    config = make_config(desk, timezone="Asia/Seoul")
    fake_clock.now = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 23:00 in Seoul
    for n in (1, 2, 3):
        add_story(store, config, n)
    sender = FakeSender()
    assert run(store, config, sender, fake_clock.advance(minutes=30)) == Summary(held=6)
    assert sender.sent == [] and {r["attempts"] for r in rows(store)} == {0}
    morning = fake_clock.advance(hours=7, minutes=30)  # 07:00 in Seoul
    assert run(store, config, sender, morning) == Summary(sent=6, messages=2)
    assert sorted(sender.ids()) == [1, 2]  # the lowest id of each channel's batch
    for sent in sender.sent:
        assert sent.message.title == "[hotline] 3 stories held during quiet hours"
        assert all(f"Hotline story {n}" in sent.message.markdown for n in (1, 2, 3))


def test_max_per_hour_batches_what_would_exceed_it(store: Store, fake_clock: Clock) -> None:
    config = make_config(subscriber(channels=1, max_per_hour=3))
    sender = FakeSender()
    add_story(store, config, 1)
    add_story(store, config, 2)
    assert run(store, config, sender, NOW) == Summary(sent=2, messages=2)
    assert messages_since(store, "desk", 0, NOW - timedelta(hours=1)) == 2  # distinct messages
    add_story(store, config, 3)
    add_story(store, config, 4)
    assert run(store, config, sender, fake_clock.advance(minutes=5)) == Summary(sent=2, messages=1)
    batch = sender.sent[-1]
    assert batch.message.title == "[hotline] 2 stories batched: the hourly limit was reached"
    assert batch.delivery_id == 3
    add_story(store, config, 5)
    assert run(store, config, sender, fake_clock.advance(minutes=61)) == Summary(sent=1, messages=1)
    assert sender.sent[-1].message.title == "[hotline] Hotline story 5"


# -- subscribers that changed, content that went --------------------------------------------------


def test_a_disabled_subscriber_waits_and_a_removed_channel_fails(
    store: Store, fake_clock: Clock
) -> None:
    config = make_config(subscriber("desk", channels=2), subscriber("off", channels=1))
    add_story(store, config, 1)
    later = make_config(subscriber("desk", channels=1), subscriber("off", 1, enabled=False))
    summary = run(store, later, FakeSender(), NOW)
    assert summary == Summary(sent=1, failed=1, held=1, messages=1)
    failed = [r for r in rows(store) if r["status"] == "failed"]
    assert [r["last_error"] for r in failed] == ["subscriber 'desk' has no channel 1 any more"]
    gone = make_config(subscriber("desk", channels=1))
    assert run(store, gone, FakeSender(), NOW).failed == 1
    assert rows(store)[-1]["last_error"] == "subscriber 'off' is no longer in subscribers.toml"


def test_a_story_whose_article_is_gone_fails(store: Store, fake_clock: Clock) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    store.db.execute("UPDATE deliveries SET article_id = 999")
    assert run(store, config, FakeSender(), NOW) == Summary(failed=1)
    assert rows(store)[0]["last_error"] == "the story's article is no longer stored"


def test_a_missing_secret_is_an_error_on_that_channel(store: Store, fake_clock: Clock) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1)
    summary = dispatch(store, config, NOW, environ={}, sender=FakeSender())
    assert summary == Summary(retrying=1)
    assert "environment variable ${HOOK_TOKEN} is not set" in rows(store)[0]["last_error"]


def test_a_message_that_cannot_be_composed_blocks_no_other(
    store: Store, fake_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(subscriber(channels=1))
    add_story(store, config, 1, title="Poison hotline story")
    add_story(store, config, 2)
    real = alerts_module.story_message

    def story_message(stories: list, *args: object, **kw: object) -> Message:
        if "Poison" in (stories[0].entry.title or ""):
            raise KeyError("a bug")
        return real(stories, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(alerts_module, "story_message", story_message)
    sender = FakeSender()
    assert run(store, config, sender, NOW) == Summary(sent=1, retrying=1, messages=1)
    assert sender.ids() == [2]
    assert rows(store)[0]["last_error"] == "cannot compose the message: KeyError('a bug')"


# -- digests and health -------------------------------------------------------------------------


def test_a_digest_row_sends_the_stored_digest(store: Store, fake_clock: Clock) -> None:
    analysts = subscriber("analysts", channels=1, mode="digest")
    config = make_config(analysts)
    digest = Digest(
        day=date(2026, 3, 2),
        watchlist="hotline",
        timezone="UTC",
        start=NOW - timedelta(days=1),
        end=NOW,
        generated_at=NOW,
    )
    save_digest(store, digest, render_markdown(digest))
    with store.write():
        Outbox(store, config.subscribers).digest("2026-03-02", "hotline")
    sender = FakeSender()
    assert run(store, config, sender, NOW) == Summary(sent=1, messages=1)
    message = sender.sent[0].message
    assert message.title == "[hotline] digest 2026-03-02: 0 stories"
    assert message.markdown == render_markdown(digest)


def test_a_health_row_says_what_happened_to_the_site(store: Store, fake_clock: Clock) -> None:
    ops = subscriber("ops", channels=1, watchlists=(), health=True)
    config = make_config(ops)
    since = clock.iso(NOW)
    with store.write():
        store.db["site_health"].insert(
            {"site": "herald", "state": "failing", "detail": "failing: timeout", "since": since}
        )
        Outbox(store, config.subscribers).health("herald", "failing", since)
        Outbox(store, config.subscribers).health("daily", "recovered", since)
    sender = FakeSender()
    assert run(store, config, sender, NOW).sent == 2
    titles = [s.message.title for s in sender.sent]
    assert titles == ["site herald is failing: timeout", "site daily has recovered"]


def test_dispatch_notes_health_changes_first(store: Store, fake_clock: Clock) -> None:
    config = make_config(subscriber("ops", channels=1, watchlists=(), health=True))

    def watch(store_: Store, config_: Config, now: datetime) -> int:
        with store_.write():
            return Outbox(store_, config_.subscribers).health("herald", "silent", clock.iso(now))

    sender = FakeSender()
    assert run(store, config, sender, NOW, watch_health=watch).sent == 1
    assert sender.sent[0].message.title == "site herald is silent"


# -- channels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "tagged"),
    [
        ("mailto://h:25?to=a@b.c", "mailto://h:25?to=a@b.c&+X-Delivery-Id=7"),
        ("mailtos://u:p@h", "mailtos://u:p@h?+X-Delivery-Id=7"),
        ("json://h/hook", "json://h/hook?+Idempotency-Key=7"),
        ("jsons://h/hook?x=1", "jsons://h/hook?x=1&+Idempotency-Key=7"),
        ("form://h/f?", "form://h/f?+Idempotency-Key=7"),
        ("xml://h/x", "xml://h/x?+Idempotency-Key=7"),
        ("slack://T/B/C", "slack://T/B/C"),
    ],
)
def test_the_delivery_id_rides_as_a_header_argument(url: str, tagged: str) -> None:
    assert tagged_url(url, 7) == tagged
    assert tagged_url(url, None) == url


@pytest.mark.parametrize(
    ("lines", "permanent", "start"),
    [
        (["Socket Exception: (451, b'Try later')"], False, "SMTP 451 (temporary): Socket"),
        (["Socket Exception: (550, b'No such user')"], True, "SMTP 550 (permanent): Socket"),
        (["Failed to send JSON POST notification: error=410."], True, "HTTP 410 (permanent)"),
        (["Failed to send JSON POST notification: error=500."], False, "HTTP 500 (temporary)"),
        (["A Connection error occurred"], False, "temporary: A Connection error occurred"),
        ([], False, "temporary: apprise reported failure"),
    ],
)
def test_failures_are_classified(lines: list[str], permanent: bool, start: str) -> None:
    result = failure(lines)
    assert not result.ok and result.permanent is permanent
    assert result.error.startswith(start)


# -- the service ----------------------------------------------------------------------------------


def service_home(tmp_path: Path, notify: str) -> Path:
    home = make_home(tmp_path)
    (home / "subscribers.toml").write_text(
        f'[[subscriber]]\nname = "desk"\nnotify = ["{notify}"]\nwatchlists = ["thaad"]\n',
        encoding="utf-8",
    )
    return home


def test_the_service_will_not_start_without_a_secret(tmp_path: Path) -> None:
    config = load_config(service_home(tmp_path, "json://127.0.0.1:9/${HOOK_TOKEN}"))
    service = Service(config, tmp_path / "m.db", launcher=FakeLauncher(), environ={})
    with pytest.raises(ConfigError, match=r"environment variable \$\{HOOK_TOKEN\} is not set"):
        service.start(paused=True)
    assert not service.scheduler.running


def test_a_reload_without_the_new_secret_is_refused(tmp_path: Path, caplog) -> None:
    home = service_home(tmp_path, "json://127.0.0.1:9/${HOOK_TOKEN}")
    service = Service(load_config(home), tmp_path / "m.db", launcher=FakeLauncher(), environ=ENV)
    service.start(paused=True)
    try:
        service_home(tmp_path, "json://127.0.0.1:9/${OTHER_TOKEN}")
        assert service.reload() is False
        assert "environment variable ${OTHER_TOKEN} is not set" in caplog.text
        assert service.config.subscribers["desk"].notify == ("json://127.0.0.1:9/${HOOK_TOKEN}",)
    finally:
        service.stop()


def test_the_service_dispatches_every_minute_and_after_each_crawl(
    tmp_path: Path, store: Store
) -> None:
    hook = HookReceiver().start()
    try:
        home = service_home(tmp_path, hook.url("/press/${HOOK_TOKEN}"))
        config = load_config(home)
        service = Service(config, store.path, launcher=FakeLauncher(), environ=ENV)
        service.start(paused=True)
        try:
            alerts_job = service.scheduler.get_job("alerts")
            assert alerts_job.func == service.dispatch_alerts
            assert alerts_job.trigger.interval == timedelta(minutes=1)
            add_story(store, config, 1, title="THAAD hotline story")
            service.crawl_site("herald")
            assert [h.path for h in hook.hooks] == [f"/press/{SECRET}"]
            assert hook.hooks[0].headers["Idempotency-Key"] == "1"
            add_story(store, config, 2, title="THAAD again")
            assert service.dispatch_alerts() == Summary(sent=1, messages=1)
        finally:
            service.stop()
    finally:
        hook.stop()


def test_a_url_apprise_cannot_use_is_a_failure_worth_a_retry() -> None:
    result = send_apprise("nonsense://x", Message("t", "<p>h</p>", "m"), 1)
    assert not result.ok and not result.permanent
    assert result.error == "apprise cannot use this URL (unknown scheme or form)"


def test_failed_deliveries_can_be_queued_again(store: Store, fake_clock: Clock) -> None:
    names = ("desk", "ops", "wire")
    config = make_config(*(subscriber(name, channels=1) for name in names))
    add_story(store, config, 1)
    run(store, config, FakeSender(failing(permanent=True)), NOW)
    assert [(r["subscriber"], r["status"]) for r in rows(store)] == [
        (name, "failed") for name in names
    ]
    later = NOW + timedelta(minutes=5)
    assert requeue(store, later, ids=[2]) == 1
    assert requeue(store, later, ids=[2]) == 0  # pending now: not failed
    assert requeue(store, later, subscriber="desk", channel=0) == 1
    assert [(r["status"], r["attempts"]) for r in rows(store)] == [
        ("pending", 0),
        ("pending", 0),
        ("failed", 1),
    ]
    assert rows(store)[0]["next_attempt_at"] == clock.iso(later)
    assert run(store, config, FakeSender(), later) == Summary(sent=2, messages=2)
    assert requeue(store, later) == 1  # all the rest: wire's
