"""Standard Webhooks headers and signatures on our JSON webhooks (monitor.signing).

Every signed request a real HTTP receiver on 127.0.0.1 gets is checked with
``standardwebhooks``, the specification's own Python library, so the test does
not share our reading of the spec.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from monitor.alerts import Summary, dispatch
from monitor.errors import ConfigError
from monitor.messages import Message
from monitor.secret_scan import has_literal_secret
from monitor.signing import SigningSecretError, signing_key, split_signing, webhook_headers
from monitor.store import Store
from monitor.subscribers import Subscriber, check_urls
from monitor.webhook import send_webhook
from tests._receivers import HookReceiver
from tests.conftest import Clock
from tests.test_alerts import add_story, make_config

KEY = bytes(range(32))
SECRET = "whsec_" + base64.b64encode(KEY).decode()
MESSAGE = Message("Hotline agreed", "<p>html</p>", "**Hotline agreed** between the ministries\n")


@pytest.fixture
def hook() -> Iterator[HookReceiver]:
    receiver = HookReceiver().start()
    yield receiver
    receiver.stop()


def signed_url(hook: HookReceiver, secret: str = SECRET, extra: str = "") -> str:
    return hook.url(f"/hook?sign={quote(secret, safe='')}{extra}")


# -- the parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "rest", "secret"),
    [
        ("json://h/p?sign=whsec_abc&-a=b", "json://h/p?-a=b", "whsec_abc"),
        ("json://h/p?-a=b&sign=whsec_abc", "json://h/p?-a=b", "whsec_abc"),
        ("json://h/p?sign=whsec_a%2Bb%3D", "json://h/p", "whsec_a+b="),
        ("json://h/p?sign=x#frag", "json://h/p#frag", "x"),
        ("json://h/p?+X-Sign=1", "json://h/p?+X-Sign=1", None),
        ("json://h/p", "json://h/p", None),
    ],
)
def test_sign_is_taken_out_of_the_url(url: str, rest: str, secret: str | None) -> None:
    assert split_signing(url) == (rest, secret)


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        (base64.b64encode(KEY).decode(), "must be a whsec_"),
        ("whsec_not base64!", "followed by base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "under 16 bytes"),
    ],
)
def test_a_bad_signing_secret_is_refused_without_showing_it(secret: str, why: str) -> None:
    with pytest.raises(SigningSecretError) as refused:
        signing_key(secret)
    assert why in str(refused.value) and secret.removeprefix("whsec_") not in str(refused.value)


def test_unpadded_base64_is_accepted_as_the_spec_s_libraries_do() -> None:
    assert signing_key(SECRET.rstrip("=")) == KEY


def test_headers_without_a_key_carry_no_signature() -> None:
    headers = webhook_headers("7", 1_700_000_000, "{}", None)
    assert headers == {"webhook-id": "7", "webhook-timestamp": "1700000000"}


# -- on the wire ----------------------------------------------------------------------------


def test_a_signed_webhook_verifies_with_the_reference_library(hook: HookReceiver) -> None:
    assert send_webhook(signed_url(hook, extra="&+X-Custom=1"), MESSAGE, 7).ok
    [call] = hook.hooks
    assert call.path == "/hook"  # sign= never reaches the receiver
    assert call.headers["webhook-id"] == "7" == call.headers["Idempotency-Key"]
    assert call.headers["X-Custom"] == "1"
    assert Webhook(SECRET).verify(call.raw, call.headers) == call.body
    assert call.body["title"] == "Hotline agreed"


def test_a_changed_body_or_another_secret_does_not_verify(hook: HookReceiver) -> None:
    assert send_webhook(signed_url(hook), MESSAGE, 7).ok
    [call] = hook.hooks
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(call.raw.replace(b"Hotline", b"Hotlime"), call.headers)
    other = "whsec_" + base64.b64encode(bytes(32)).decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(call.raw, call.headers)


def test_an_unsigned_webhook_still_has_the_id_and_timestamp(hook: HookReceiver) -> None:
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert send_webhook(hook.url(), MESSAGE, 7, now=lambda: moment).ok
    [call] = hook.hooks
    assert call.headers["webhook-id"] == "7"
    assert call.headers["webhook-timestamp"] == str(int(moment.timestamp()))
    assert "webhook-signature" not in call.headers


def test_a_test_message_gets_an_id_of_its_own(hook: HookReceiver) -> None:
    assert send_webhook(signed_url(hook), MESSAGE, None).ok
    [call] = hook.hooks
    assert call.headers["webhook-id"].startswith("test-")
    assert Webhook(SECRET).verify(call.raw, call.headers) == call.body


def test_a_bad_secret_fails_the_send_without_a_request(hook: HookReceiver) -> None:
    result = send_webhook(signed_url(hook, "whsec_###"), MESSAGE, 7)
    assert not result.ok and "sign= must be whsec_ followed by base64" in result.error
    assert hook.requests == []


# -- from the outbox ------------------------------------------------------------------------


def subscriber_signing(hook: HookReceiver) -> Subscriber:
    notify = (hook.url("/press?sign=${SIGN_SECRET}"),)
    return Subscriber("desk", Path("subscribers.toml"), 1, notify, watchlists=("hotline",))


def test_the_dispatcher_signs_with_the_secret_from_the_environment(
    store: Store, hook: HookReceiver, fake_clock: Clock
) -> None:
    config = make_config(subscriber_signing(hook))
    add_story(store, config, 1)
    fake_clock.now = datetime.now(UTC)  # the reference library checks the timestamp is recent
    summary = dispatch(store, config, fake_clock.now, environ={"SIGN_SECRET": SECRET})
    assert summary == Summary(sent=1, messages=1)
    [call] = hook.hooks
    assert Webhook(SECRET).verify(call.raw, call.headers)["title"].startswith("[hotline]")


def test_check_refuses_a_sign_value_that_is_not_a_secret(hook: HookReceiver) -> None:
    desk = subscriber_signing(hook)
    check_urls({"desk": desk}, {"SIGN_SECRET": SECRET})
    with pytest.raises(ConfigError) as refused:
        check_urls({"desk": desk}, {"SIGN_SECRET": "hunter2-plain"})
    assert "channel 0 (json): sign= must be a whsec_" in str(refused.value)
    assert "hunter2-plain" not in str(refused.value)


def test_a_signing_secret_written_in_the_file_is_a_literal_secret() -> None:
    assert has_literal_secret(f"json://hooks.example.org/press?sign={quote(SECRET, safe='')}")
    assert not has_literal_secret("json://hooks.example.org/press?sign=${SIGN_SECRET}")
