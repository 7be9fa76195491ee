"""Alerts end to end: real SMTP and webhook receivers on 127.0.0.1, the real CLI.

E-mail goes through apprise's mailto URL to aiosmtpd, webhooks through json://
to an http.server; ``pressmon`` runs in a subprocess. The secret of the test
subscriber sits in the webhook's path (``${HOOK_TOKEN}``): it must never reach
``alerts list``, ``alerts channels``, ``status`` or a log.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.samplesite import SampleSite
from monitor.store import Store, open_store
from tests._receivers import HookReceiver, MailReceiver, wait_until
from tests.conftest import REPO, pressmon, write_home
from tests.test_alerts import add_story

SECRET = "tok-9f8e7d6c5b"
ENV = {"HOOK_TOKEN": SECRET}
HOSTILE = "<img src=x onerror=alert(1)> {{ 7*7 }} Bad\r\nBcc: evil@example.org"


@pytest.fixture
def mail() -> Iterator[MailReceiver]:
    receiver = MailReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def hook() -> Iterator[HookReceiver]:
    receiver = HookReceiver()
    yield receiver
    receiver.stop()


def subscribers_toml(hook: HookReceiver, mail: MailReceiver, **extra: str) -> str:
    """``desk``: a webhook (secret in its path) and an e-mail address, both watchlists."""
    lines = [
        "[[subscriber]]",
        'name = "desk"',
        f'notify = ["{hook.url("/press/${HOOK_TOKEN}")}", "{mail.url()}"]',
        'watchlists = ["missile-defense", "hotline"]',
        *(f"{key} = {value}" for key, value in extra.items()),
    ]
    return "\n".join(lines) + "\n"


def make_home(tmp_path: Path, base_url: str, subscribers: str) -> tuple[Path, Path]:
    home = write_home(tmp_path / "home", base_url)
    (home / "subscribers.toml").write_text(subscribers, encoding="utf-8")
    return home, tmp_path / "m.db"


def alerts(home: Path, db: Path, *args: str, env: dict[str, str] | None = None):
    """``pressmon alerts ARGS`` in a subprocess, with the secret set unless ``env`` says."""
    return pressmon("--home", str(home), "--db", str(db), "alerts", *args, env=env or ENV)


def deliveries(db: Path) -> list[dict]:
    store = open_store(db)
    try:
        return store.rows("SELECT * FROM deliveries ORDER BY id")
    finally:
        store.close()


def stories(home: Path, db: Path, *titles: str) -> None:
    """Store articles whose deliveries are written as a crawl writes them."""
    config = load_config(home)
    store = open_store(db)
    try:
        for n, title in enumerate(titles, 1):
            add_story(store, config, n, title=title)
    finally:
        store.close()


def listing(home: Path, db: Path, *args: str) -> list[dict]:
    result = alerts(home, db, "list", "--json", *args)
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout and "://" not in result.stdout  # no secret, no URL
    return json.loads(result.stdout)


# -- across outlets --------------------------------------------------------------------------


def test_each_story_reaches_each_channel_once_across_outlets(
    tmp_path: Path, sample_site: SampleSite, hook: HookReceiver, mail: MailReceiver
) -> None:
    hook.start(), mail.start()
    home, db = make_home(tmp_path, sample_site.base_url, subscribers_toml(hook, mail))
    crawl = pressmon("--home", str(home), "--db", str(db), "crawl")
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    store = open_store(db)
    expected = wanted_stories(store)
    store.close()
    assert len(expected) >= 2 and any(len(sites) == 2 for sites in expected.values())

    sent = alerts(home, db, "send")
    assert sent.returncode == 0, sent.stderr
    n = len(expected)
    assert sent.stdout.strip() == f"alerts: {2 * n} sent ({2 * n} messages), 0 retrying, " + (
        "0 failed, 0 held"
    )
    rows = deliveries(db)
    assert sorted(int(r["ref"]) for r in rows if r["channel"] == 0) == sorted(expected)
    by_id = {r["id"]: r for r in rows}
    keys = [int(h.headers["Idempotency-Key"]) for h in hook.hooks]
    ids = [int(m.message["X-Delivery-Id"]) for m in mail.mails]
    assert sorted(keys) == sorted(r["id"] for r in rows if r["channel"] == 0)
    assert sorted(ids) == sorted(r["id"] for r in rows if r["channel"] == 1)
    assert {h.path for h in hook.hooks} == {f"/press/{SECRET}"}
    assert {m.rcpt_tos for m in mail.mails} == {("desk@example.org",)}
    for key, call in zip(keys, hook.hooks, strict=True):
        check_outlets(expected[int(by_id[key]["ref"])], call.body["message"])
    for delivery_id, received in zip(ids, mail.mails, strict=True):
        check_outlets(expected[int(by_id[delivery_id]["ref"])], received.part("plain"))

    retag = pressmon("--home", str(home), "--db", str(db), "retag")
    assert retag.returncode == 0, retag.stderr
    again = alerts(home, db, "send", "--now")
    assert again.stdout.startswith("alerts: 0 sent (0 messages), 0 retrying, 0 failed")
    assert len(deliveries(db)) == len(rows) and len(hook.hooks) == len(mail.mails) == n
    assert {r["status"] for r in listing(home, db)} == {"sent"}


def wanted_stories(store: Store) -> dict[int, set[str]]:
    """Story (cluster) → the sites that carried it, for the stories desk's watchlists hit."""
    stories: dict[int, set[str]] = {}
    for row in store.rows(
        "SELECT DISTINCT a.cluster_id FROM articles a JOIN hits h ON h.article_id = a.id "
        "WHERE h.watchlist IN ('missile-defense', 'hotline')"
    ):
        cluster = int(row["cluster_id"])
        outlets = store.other_outlets(cluster)
        stories[cluster] = {o["site"] for o in outlets}
    return stories


def check_outlets(sites: set[str], body: str) -> None:
    """A story carried by two outlets names the other one under "Also carried by"."""
    if len(sites) > 1:
        also = body.split("Also carried by:", 1)[1]
        assert any(f"{site}:" in also for site in sites), body
    else:
        assert "Also carried by" not in body


# -- outages, failures, a crash ----------------------------------------------------------------


def test_an_outage_keeps_deliveries_pending_until_the_channels_return(
    tmp_path: Path, hook: HookReceiver, mail: MailReceiver
) -> None:
    home, db = make_home(tmp_path, "http://127.0.0.1:9", subscribers_toml(hook, mail))
    stories(home, db, "Hotline story one", "Hotline story two")
    before = time.time()
    down = alerts(home, db, "send")
    assert down.returncode == 0, down.stderr
    # one attempt per channel; each channel's second story waits with it, unattempted
    assert down.stdout.strip() == "alerts: 0 sent (0 messages), 2 retrying, 0 failed, 2 held"
    rows = listing(home, db, "--status", "pending")
    assert len(rows) == 4 and sorted(r["attempts"] for r in rows) == [0, 0, 1, 1]
    tried = [row for row in rows if row["attempts"] == 1]
    for row in tried:  # 60 s less up to a fifth of jitter
        wait = time.mktime(time.strptime(row["next_attempt_at"], "%Y-%m-%dT%H:%M:%SZ"))
        assert 45 <= wait - time.timezone - before <= 65
    errors = {r["channel"]: r["last_error"] for r in tried}
    assert errors[0] == "temporary: connection refused"  # never the URL
    assert errors[1].startswith("temporary: Connection error while submitting email")
    text = alerts(home, db, "list")
    assert SECRET not in text.stdout and "://" not in text.stdout
    assert text.stdout.startswith("id  subscriber  ch  kind   ref  status   tries  next attempt")
    assert "    error: temporary: connection refused" in text.stdout
    assert SECRET not in down.stderr

    assert alerts(home, db, "send").stdout.startswith("alerts: 0 sent (0 messages), 0 retrying")
    hook.start(), mail.start()
    back = alerts(home, db, "send", "--now")
    assert back.stdout.strip() == "alerts: 4 sent (4 messages), 0 retrying, 0 failed, 0 held"
    assert alerts(home, db, "send", "--now").stdout.startswith("alerts: 0 sent")
    assert sorted(int(h.headers["Idempotency-Key"]) for h in hook.hooks) == [1, 3]
    assert sorted(int(m.message["X-Delivery-Id"]) for m in mail.mails) == [2, 4]


def test_smtp_451_is_retried_and_550_fails_at_once(
    tmp_path: Path, hook: HookReceiver, mail: MailReceiver
) -> None:
    hook.start(), mail.start()
    home, db = make_home(tmp_path, "http://127.0.0.1:9", subscribers_toml(hook, mail))
    stories(home, db, "Hotline story")
    mail.reply = "451 Try later"
    first = alerts(home, db, "send")
    assert first.returncode == 0
    assert first.stdout.strip() == "alerts: 1 sent (1 message), 1 retrying, 0 failed, 0 held"
    [row] = listing(home, db, "--status", "pending")
    assert row["last_error"].startswith(
        "SMTP 451 (temporary): Socket Exception: (451, b'Try later')"
    )
    mail.reply = "550 No such user"
    second = alerts(home, db, "send", "--now")
    assert second.returncode == 1
    assert second.stdout.strip() == "alerts: 0 sent (0 messages), 0 retrying, 1 failed, 0 held"
    [row] = listing(home, db, "--status", "failed")
    assert row["attempts"] == 2 and row["channel"] == 1
    assert row["last_error"].startswith("SMTP 550 (permanent): Socket Exception: (550, b'No such")
    assert len(hook.hooks) == 1 and mail.mails == []

    # the address is marked failing (ALR-2), status says so, the owner's webhook hears of it
    shown = alerts(home, db, "channels", "--json")
    states = {r["channel"]: (r["state"], r["reason"]) for r in json.loads(shown.stdout)}
    assert states[0] == ("ok", None)
    assert states[1][0] == "failing" and states[1][1].startswith("SMTP 550 (permanent)")
    status = pressmon("--home", str(home), "--db", str(db), "status")
    assert status.returncode == 1
    assert "alerts: desk channel 1 (mailto) failing since " in status.stdout
    assert alerts(home, db, "send").stdout.startswith("alerts: 1 sent (1 message)")
    title = hook.hooks[-1].body["title"]
    assert title.startswith("alerts to desk channel 1 (mailto) is failing: SMTP 550")
    mail.reply = None
    stories(home, db, "Hotline story", "Second hotline story")
    assert alerts(home, db, "send").stdout.startswith("alerts: 2 sent (2 messages)")
    assert json.loads(alerts(home, db, "channels", "--json").stdout)[1]["state"] == "ok"


def test_retry_after_pauses_the_webhook_channel(
    tmp_path: Path, hook: HookReceiver, mail: MailReceiver
) -> None:
    hook.start(), mail.start()
    home, db = make_home(tmp_path, "http://127.0.0.1:9", subscribers_toml(hook, mail))
    stories(home, db, "Hotline story", "Second hotline story")
    hook.status, hook.reply_headers = 429, {"Retry-After": "600"}
    before = time.time()
    first = alerts(home, db, "send")
    assert first.stdout.strip() == "alerts: 2 sent (2 messages), 1 retrying, 0 failed, 1 held"
    assert len(hook.requests) == 1  # the second story waits behind the first
    [tried] = [r for r in listing(home, db, "--status", "pending") if r["attempts"] == 1]
    assert tried["last_error"].startswith("HTTP 429 (temporary)")
    wait = time.mktime(time.strptime(tried["next_attempt_at"], "%Y-%m-%dT%H:%M:%SZ"))
    assert 595 <= wait - time.timezone - before <= 605
    [channel] = [
        c for c in json.loads(alerts(home, db, "channels", "--json").stdout) if c["channel"] == 0
    ]
    assert (channel["state"], channel["paused_until"]) == ("retrying", tried["next_attempt_at"])
    hook.status, hook.reply_headers = 200, {}
    assert alerts(home, db, "send").stdout.startswith("alerts: 0 sent (0 messages), 0 retrying")
    back = alerts(home, db, "send", "--now")
    assert back.stdout.strip() == "alerts: 2 sent (2 messages), 0 retrying, 0 failed, 0 held"
    assert sorted(int(h.headers["Idempotency-Key"]) for h in hook.hooks) == [1, 3]


def test_http_410_disables_the_webhook_until_enabled(
    tmp_path: Path, hook: HookReceiver, mail: MailReceiver
) -> None:
    hook.start(), mail.start()
    home, db = make_home(tmp_path, "http://127.0.0.1:9", subscribers_toml(hook, mail))
    stories(home, db, "Hotline story")
    hook.status = 410
    first = alerts(home, db, "send")
    assert first.returncode == 1
    assert first.stdout.strip() == "alerts: 1 sent (1 message), 0 retrying, 1 failed, 0 held"
    table = alerts(home, db, "channels")
    assert table.returncode == 0 and SECRET not in table.stdout and "://" not in table.stdout
    assert table.stdout.splitlines()[0].split() == [
        "subscriber", "ch", "scheme", "state", "since", "paused", "until", "last", "sent"
    ]  # fmt: skip
    assert "desk        0   json    disabled" in table.stdout
    assert "    error: HTTP 410 (permanent)" in table.stdout
    status = pressmon("--home", str(home), "--db", str(db), "status")
    assert status.returncode == 1
    assert "(then: pressmon alerts enable desk --channel 0)" in status.stdout

    hook.status = 200  # it would answer now, but the channel stays disabled
    stories(home, db, "Hotline story", "Second hotline story")
    second = alerts(home, db, "send")
    assert second.stdout.strip() == "alerts: 2 sent (2 messages), 0 retrying, 0 failed, 1 held"
    notice = next(m for m in mail.mails if "disabled" in m.message["Subject"])
    assert notice.message["Subject"].startswith("alerts to desk channel 0 (json) is disabled")
    assert "pressmon alerts enable desk" in notice.part("plain")
    assert hook.hooks == []

    tested = alerts(home, db, "test", "desk")  # the endpoint works again: say how to enable
    assert tested.returncode == 0, tested.stdout
    assert "note: channel 0 is disabled since " in tested.stdout
    assert "now that it works: pressmon alerts enable desk --channel 0" in tested.stdout
    hook.hooks.clear()  # the test message

    unknown = alerts(home, db, "enable", "nobody")
    assert unknown.returncode == 2 and "unknown subscriber 'nobody'" in unknown.stderr
    assert alerts(home, db, "enable", "desk", "--channel", "5").returncode == 2
    enabled = alerts(home, db, "enable", "desk", "--channel", "0")
    assert enabled.stdout.strip() == "desk: 1 channel enabled again"
    third = alerts(home, db, "send")
    assert third.stdout.strip() == "alerts: 1 sent (1 message), 0 retrying, 0 failed, 0 held"
    assert [h.body["title"] for h in hook.hooks] == ["[hotline] Second hotline story"]

    # the story the 410 failed is dead-lettered until queued again
    assert alerts(home, db, "retry", "--channel", "0").returncode == 2  # needs --subscriber
    again = alerts(home, db, "retry", "--subscriber", "desk", "--channel", "0")
    assert again.stdout.strip() == "1 failed delivery queued again"
    assert alerts(home, db, "send").stdout.startswith("alerts: 1 sent (1 message)")
    assert hook.hooks[-1].body["title"] == "[hotline] Hotline story"
    assert hook.hooks[-1].headers["Idempotency-Key"] == "1"  # the same delivery id as before
    assert alerts(home, db, "retry").stdout.strip() == "0 failed deliveries queued again"
    assert len(listing(home, db, "--subscriber", "desk")) == 5
    assert listing(home, db, "--subscriber", "nobody") == []
    assert [r["id"] for r in listing(home, db, "--subscriber", "desk", "--limit", "2")] == [5, 4]


CRASH = """
import os, signal, sys
from monitor import clock
from monitor.alerts import dispatch
from monitor.config import load_config
from monitor.store import open_store

def crash(batch):
    os.kill(os.getpid(), signal.SIGKILL)  # after the channel accepted, before the mark

home, db = sys.argv[1:3]
dispatch(open_store(db), load_config(home), clock.now(), after_send=crash)
"""


def test_a_crash_between_send_and_mark_repeats_one_message_with_its_id(
    tmp_path: Path, hook: HookReceiver, mail: MailReceiver
) -> None:
    hook.start(), mail.start()
    home, db = make_home(tmp_path, "http://127.0.0.1:9", subscribers_toml(hook, mail))
    stories(home, db, "Hotline story one", "Hotline story two")
    killed = subprocess.run(
        [sys.executable, "-c", CRASH, str(home), str(db)],
        cwd=REPO,
        env={**os.environ, **ENV},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    assert [int(h.headers["Idempotency-Key"]) for h in hook.hooks] == [1]
    assert [(r["status"], r["attempts"]) for r in deliveries(db)] == [
        ("pending", 1),
        ("pending", 0),
        ("pending", 0),
        ("pending", 0),
    ]
    after = alerts(home, db, "send", "--now")
    assert after.stdout.strip() == "alerts: 4 sent (4 messages), 0 retrying, 0 failed, 0 held"
    assert [int(h.headers["Idempotency-Key"]) for h in hook.hooks] == [1, 1, 3]
    assert hook.hooks[0].body == hook.hooks[1].body
    assert sorted(int(m.message["X-Delivery-Id"]) for m in mail.mails) == [2, 4]
    assert {r["status"] for r in deliveries(db)} == {"sent"}


# -- untrusted text ----------------------------------------------------------------------------


def test_a_hostile_headline_injects_no_header_and_no_markup(
    tmp_path: Path, hook: HookReceiver, mail: MailReceiver
) -> None:
    hook.start(), mail.start()
    home, db = make_home(tmp_path, "http://127.0.0.1:9", subscribers_toml(hook, mail))
    stories(home, db, f"Hotline {HOSTILE}")
    assert alerts(home, db, "send").returncode == 0
    [received] = mail.mails
    message = received.message
    assert received.rcpt_tos == ("desk@example.org",)
    headers = received.raw.split(b"\r\n\r\n", 1)[0]
    assert message["Bcc"] is None and b"\nBcc:" not in headers
    subject = str(message["Subject"])
    assert subject == "[hotline] Hotline <img src=x onerror=alert(1)> {{ 7*7 }} Bad Bcc: " + (
        "evil@example.org"
    )
    html = received.part("html")
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in html
    assert message["X-Delivery-Id"] == "2"
    [call] = hook.hooks
    assert "\n" not in call.body["title"] and "\r" not in call.body["title"]
    assert "\\<img src=x onerror=alert(1)\\>" in call.body["message"]


# -- alerts test, secrets, the service ------------------------------------------------------------


def test_alerts_test_reaches_every_channel_and_writes_nothing(
    tmp_path: Path, hook: HookReceiver, mail: MailReceiver
) -> None:
    hook.start(), mail.start()
    home, db = make_home(tmp_path, "http://127.0.0.1:9", subscribers_toml(hook, mail))
    result = alerts(home, db, "test", "desk")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "desk channel 0 (json): ok",
        "desk channel 1 (mailto): ok",
    ]
    assert hook.hooks[0].body["title"] == "Press Monitor test message for desk"
    assert str(mail.mails[0].message["Subject"]) == "Press Monitor test message for desk"
    assert "X-Delivery-Id" not in mail.mails[0].message
    hook.stop()
    failed = alerts(home, db, "test", "desk")
    assert failed.returncode == 1
    lines = failed.stdout.splitlines()
    assert lines[0] == "desk channel 0 (json): failed: temporary: connection refused"
    assert lines[1] == "desk channel 1 (mailto): ok"
    assert SECRET not in failed.stdout + failed.stderr
    assert not db.exists() or deliveries(db) == []
    unknown = alerts(home, db, "test", "nobody")
    assert unknown.returncode == 2 and "unknown subscriber 'nobody' (known: desk)" in unknown.stderr


def test_commands_that_send_need_the_secrets(
    tmp_path: Path, hook: HookReceiver, mail: MailReceiver
) -> None:
    home, db = make_home(tmp_path, "http://127.0.0.1:9", subscribers_toml(hook, mail))
    stories(home, db, "Hotline story")
    for args in (("send",), ("test", "desk")):
        result = alerts(home, db, *args, env={"HOOK_TOKEN": ""})
        assert result.returncode == 2, result.stderr
        assert "environment variable ${HOOK_TOKEN} is not set" in result.stderr
        assert "Traceback" not in result.stderr
    listed = alerts(home, db, "list", env={"HOOK_TOKEN": ""})
    assert listed.returncode == 0 and listed.stdout.count(" pending") == 2
    run = pressmon("--home", str(home), "--db", str(db), "run", env={"HOOK_TOKEN": ""})
    assert run.returncode == 2
    assert "environment variable ${HOOK_TOKEN} is not set" in run.stderr


def test_the_service_sends_alerts_right_after_a_crawl(
    tmp_path: Path, sample_site: SampleSite, hook: HookReceiver, mail: MailReceiver
) -> None:
    hook.start(), mail.start()
    home, db = make_home(tmp_path, sample_site.base_url, subscribers_toml(hook, mail))
    (home / "settings.toml").write_text('[crawl]\nschedule = "*/2 * * * * *"\n', encoding="utf-8")
    log = (tmp_path / "run.log").open("wb")
    service = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--home", str(home), "--db", str(db), "run"],
        cwd=REPO,
        env={**os.environ, **ENV, "PYTHONUTF8": "1"},
        stdout=log,
        stderr=log,
    )
    try:
        wait_until(lambda: len(mail.mails) >= 2 and len(hook.hooks) >= 2, "alerts", 30)
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=60) == 0
    finally:
        if service.poll() is None:
            service.kill()
        log.close()
    text = (tmp_path / "run.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text and SECRET not in text
    rows = deliveries(db)
    assert {r["status"] for r in rows} == {"sent"}
    assert len(hook.hooks) == len(mail.mails) == len(rows) // 2
