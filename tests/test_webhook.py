"""The JSON webhook sender against a real HTTP endpoint on 127.0.0.1 (Standard Webhooks).

The payload and headers are compared with what apprise itself posts for the
same URL, and each kind of answer (2xx, a redirect, 410, 429/503 with or
without ``Retry-After``, 500, no answer in time, nobody listening) with the
result the dispatcher gets. No error text may hold the URL or its secrets.
"""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote

import apprise
import pytest
import requests
from apprise import NotifyFormat

from monitor.channels import UNUSABLE_URL, SendResult, send_apprise, tagged_url
from monitor.messages import Message
from monitor.webhook import (
    MAX_RETRY_AFTER,
    answer_result,
    retry_after_seconds,
    send_webhook,
    unsent_reason,
)
from tests._receivers import HookReceiver, free_port

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
MESSAGE = Message(
    title=" [hotline] THAAD – café ✓ ",
    html="<p>unused</p>",
    markdown="**THAAD** \\<b\\> story – café ✓\n\n[Read](https://example.org/a?b=1&c=2)\n\n",
)
SECRET = "s3cr3t"


@pytest.fixture
def hook() -> Iterator[HookReceiver]:
    receiver = HookReceiver().start()
    yield receiver
    receiver.stop()


def fixed_now() -> datetime:
    return NOW


def send(url: str, delivery_id: int | None = 7, **kwargs: float) -> SendResult:
    return send_webhook(url, MESSAGE, delivery_id, now=fixed_now, **kwargs)


# -- what is sent ----------------------------------------------------------------------------


def test_a_200_is_delivered_once_with_the_idempotency_key(hook: HookReceiver) -> None:
    assert send(hook.url()) == SendResult(True)
    [call] = hook.requests
    assert call.path == "/hook"
    assert call.headers["Idempotency-Key"] == "7"
    assert call.headers["Content-Type"] == "application/json"
    assert call.headers["User-Agent"] == "Press Monitor"
    assert call.body == {
        "version": "1.0",
        "title": MESSAGE.title.strip(),
        "message": MESSAGE.markdown.rstrip(),
        "attachments": [],
        "type": "info",
    }


def test_no_delivery_id_no_idempotency_key(hook: HookReceiver) -> None:
    assert send(hook.url(), None).ok
    assert "Idempotency-Key" not in hook.hooks[0].headers


@pytest.mark.parametrize(
    "options",
    [
        "",
        "?+X-Custom=1&-param=v&:title=subject&:extra=yes&:type=",
        "?format=html",
        "?format=text",
    ],
)
def test_the_request_is_the_one_apprise_sends(hook: HookReceiver, options: str) -> None:
    url = hook.url("/hook/path" + options)
    notifier = apprise.Apprise()
    assert notifier.add(tagged_url(url, 7))
    sent = notifier.notify(
        title=MESSAGE.title, body=MESSAGE.markdown, body_format=NotifyFormat.MARKDOWN
    )
    assert sent
    assert send(url).ok
    theirs, ours = hook.requests
    assert ours.path == theirs.path
    assert ours.body == theirs.body
    assert ours.headers.pop("User-Agent") == "Press Monitor"
    assert theirs.headers.pop("User-Agent") == "Apprise"
    assert ours.headers.pop("webhook-id") == "7"  # Standard Webhooks headers: ours only
    assert ours.headers.pop("webhook-timestamp").isdigit()
    assert ours.headers == theirs.headers


def test_headers_params_and_payload_options_are_honoured(hook: HookReceiver) -> None:
    url = hook.url("/hook?+X-Custom=1&-param=v&:title=subject&:type=&:source=pm")
    assert send(url).ok
    [call] = hook.hooks
    assert call.path == "/hook?param=v"
    assert call.headers["X-Custom"] == "1"
    assert call.body["subject"] == MESSAGE.title.strip()
    assert call.body["source"] == "pm"
    assert "title" not in call.body and "type" not in call.body


def test_user_and_password_go_as_basic_auth(hook: HookReceiver) -> None:
    url = f"json://desk:pa%3Ass@127.0.0.1:{hook.port}/hook"
    assert send(url).ok
    expected = base64.b64encode(b"desk:pa:ss").decode()
    assert hook.hooks[0].headers["Authorization"] == f"Basic {expected}"


# -- how the answer is read --------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_never_followed(hook: HookReceiver, status: int) -> None:
    hook.status, hook.reply_headers = status, {"Location": "/moved"}
    result = send(hook.url())
    assert not result.ok and not result.permanent and not result.gone
    assert result.error.startswith(f"HTTP {status} (temporary): ")
    assert result.error.endswith("; redirect not followed")
    assert [call.path for call in hook.requests] == ["/hook"]


def test_410_is_gone_for_good(hook: HookReceiver) -> None:
    hook.status = 410
    assert send(hook.url()) == SendResult(
        False,
        permanent=True,
        error="HTTP 410 (permanent): Gone; endpoint gone; channel disabled",
        gone=True,
    )


def test_429_asks_to_wait_retry_after_seconds(hook: HookReceiver) -> None:
    hook.status, hook.reply_headers = 429, {"Retry-After": "120"}
    assert send(hook.url()) == SendResult(
        False,
        error="HTTP 429 (temporary): Too Many Requests; retry after 120 s",
        retry_after=120,
    )


def test_503_with_an_http_date_counts_from_now(hook: HookReceiver) -> None:
    later = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    hook.status, hook.reply_headers = 503, {"Retry-After": later}
    result = send(hook.url())
    assert result.retry_after == 90 and not result.permanent
    assert result.error == "HTTP 503 (temporary): Service Unavailable; retry after 90 s"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (503, "HTTP 503 (temporary): Service Unavailable"),
        (500, "HTTP 500 (temporary): Internal Server Error"),
        (404, "HTTP 404 (temporary): Not Found"),
    ],
)
def test_other_errors_are_temporary(hook: HookReceiver, status: int, error: str) -> None:
    hook.status = status
    assert send(hook.url()) == SendResult(False, error=error)


def test_no_answer_in_time_is_a_timeout(hook: HookReceiver) -> None:
    hook.delay = 1.5
    start = time.monotonic()
    result = send(hook.url(), timeout=0.3)
    assert time.monotonic() - start < 1.2
    assert result == SendResult(False, error="temporary: timed out after 0.3 s")


def test_nobody_listening_is_a_refused_connection() -> None:
    result = send(f"json://127.0.0.1:{free_port()}/hook")
    assert result == SendResult(False, error="temporary: connection refused")


def test_tls_to_a_plain_http_endpoint_fails_the_handshake(hook: HookReceiver) -> None:
    result = send(f"jsons://127.0.0.1:{hook.port}/hook")
    assert result == SendResult(False, error="temporary: TLS handshake failed")


@pytest.mark.parametrize("url", ["json://", "json://127.0.0.1/x?method=nope", "mailto://a@b.org"])
def test_a_url_apprise_cannot_use_is_a_temporary_failure(url: str) -> None:
    assert send(url) == SendResult(False, error=UNUSABLE_URL)


def secret_url(port: int) -> str:
    bearer = quote(f"Bearer {SECRET}")
    return f"json://desk:{SECRET}pw@127.0.0.1:{port}/hook/{SECRET}?+Authorization={bearer}"


@pytest.mark.parametrize(
    ("status", "headers", "delay"),
    [
        (302, {"Location": f"/{SECRET}"}, 0.0),
        (410, {"X-Echo": SECRET}, 0.0),
        (429, {"Retry-After": SECRET}, 0.0),
        (500, {"X-Echo": SECRET}, 0.0),
        (200, {}, 1.0),
    ],
)
def test_no_error_text_holds_the_url_or_its_secrets(
    hook: HookReceiver, status: int, headers: dict[str, str], delay: float
) -> None:
    hook.status, hook.reply_headers, hook.delay = status, headers, delay
    results = [
        send(secret_url(hook.port), timeout=0.3),
        send(secret_url(free_port())),
        send(secret_url(hook.port).replace("json://", "jsons://")),
    ]
    assert hook.requests and SECRET in hook.requests[0].path
    for result in results:
        assert not result.ok and result.error
        for leak in (SECRET, "desk", "127.0.0.1", str(hook.port), "/hook", "Bearer"):
            assert leak not in result.error


# -- the dispatcher's sender routes json:// here ---------------------------------------------------


def test_send_apprise_routes_json_urls_to_the_webhook_sender(hook: HookReceiver) -> None:
    hook.status, hook.reply_headers = 429, {"Retry-After": "120"}
    result = send_apprise(hook.url(), MESSAGE, 3)
    assert result.retry_after == 120 and result.error.startswith("HTTP 429 (temporary)")
    hook.status = 200
    assert send_apprise(hook.url(), MESSAGE, 3) == SendResult(True)
    assert hook.hooks[0].headers["User-Agent"] == "Press Monitor"
    assert hook.hooks[0].headers["Idempotency-Key"] == "3"


def test_send_apprise_keeps_other_webhooks_on_apprise() -> None:
    port = free_port()
    json_result = send_apprise(f"json://127.0.0.1:{port}/hook", MESSAGE, 3)
    form_result = send_apprise(f"form://127.0.0.1:{port}/hook", MESSAGE, 3)
    assert json_result.error == "temporary: connection refused"
    assert form_result.error.startswith("temporary: A Connection error occurred sending Form")


# -- pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120),
        (" 7 ", 7),
        ("0", 0),
        ("86401", MAX_RETRY_AFTER),
        ("9" * 5000, MAX_RETRY_AFTER),
        ("Mon, 02 Mar 2026 09:31:30 GMT", 90),
        ("Monday, 02-Mar-26 09:31:30 GMT", 90),
        ("Mon Mar  2 09:31:30 2026", 90),
        ("Mon, 02 Mar 2026 09:00:00 GMT", 0),
        ("Mon, 09 Mar 2026 09:30:00 GMT", MAX_RETRY_AFTER),
        ("-5", None),
        ("1.5", None),
        ("2 minutes", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_seconds(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_retry_after_counts_a_naive_now_as_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    assert retry_after_seconds("Mon, 02 Mar 2026 09:31:30 GMT", naive) == 90


@pytest.mark.parametrize(
    ("status", "retry_after", "result"),
    [
        (200, None, SendResult(True)),
        (204, 30, SendResult(True)),
        (
            301,
            30,
            SendResult(
                False,
                error="HTTP 301 (temporary): Moved Permanently; redirect not followed; "
                "retry after 30 s",
                retry_after=30,
            ),
        ),
        (
            410,
            60,
            SendResult(
                False,
                permanent=True,
                error="HTTP 410 (permanent): Gone; endpoint gone; channel disabled; "
                "retry after 60 s",
                gone=True,
                retry_after=60,
            ),
        ),
        (
            502,
            0.2,
            SendResult(
                False, error="HTTP 502 (temporary): Bad Gateway; retry after 1 s", retry_after=0.2
            ),
        ),
        (599, None, SendResult(False, error="HTTP 599 (temporary): unknown status")),
    ],
)
def test_answer_result(status: int, retry_after: float | None, result: SendResult) -> None:
    assert answer_result(status, retry_after) == result


def test_unsent_reasons_name_the_cause_not_the_url() -> None:
    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as exc:
            raise requests.ConnectionError("http://s3cr3t@host.example/") from exc
    except requests.ConnectionError as exc:
        assert unsent_reason(exc, 15) == "host name not resolved"
    assert unsent_reason(requests.ReadTimeout("x"), 15) == "timed out after 15 s"
    assert unsent_reason(requests.exceptions.InvalidURL("x"), 15) == "request failed (InvalidURL)"
