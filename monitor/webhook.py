"""Sending a message to a JSON webhook (``json://``, ``jsons://``) the Standard Webhooks way.

Apprise's JSON plugin only tells "sent" from "failed": it follows redirects,
cannot pass on ``Retry-After`` and gives up on an answer after 4 s. So the
URL is still read by apprise, and every option of a json URL (``+Header=…``,
``-param=…``, ``:field=…`` to add, rename or drop a payload field, ``method=``,
``verify=``, ``format=``, a user and password) means what it means there, and
the payload is the one apprise would post; but the request and the reading of
its answer are ours, as the Standard Webhooks spec asks
(https://www.standardwebhooks.com/): a 2xx is delivered; a 410 means the
endpoint is gone for good, so the channel is disabled; a redirect is never
followed (it could send the payload anywhere); everything else (429, 5xx,
other 4xx, a timeout, a refused connection) is worth a retry, after at least
the ``Retry-After`` the endpoint asked for (capped at a day). The wait for an
answer is :data:`WEBHOOK_TIMEOUT` (the spec says 15 to 30 s).

Error texts hold the status, its standard reason phrase and a fixed
explanation only: never the URL, its credentials, the headers or the
response body, which may reflect a secret back.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import socket
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

import requests

from monitor import clock
from monitor.channels import (
    JSON_SCHEMES,
    UNUSABLE_URL,
    SendResult,
    apprise_lines,
    clip,
    scheme,
    tagged_url,
)
from monitor.messages import Message
from monitor.signing import SigningSecretError, signing_key, split_signing, webhook_headers

if TYPE_CHECKING:
    from apprise.plugins.custom_json import NotifyJSON

WEBHOOK_TIMEOUT = 15
"""Seconds to wait for the connection and for the answer."""
MAX_RETRY_AFTER = 86400
"""The longest ``Retry-After`` honoured, in seconds: a day."""
USER_AGENT = "Press Monitor"
_DELTA_SECONDS = re.compile(r"[0-9]+")
_CONNECTION_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (socket.gaierror, "host name not resolved"),
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (ssl.SSLCertVerificationError, "TLS certificate not trusted"),
    (ssl.SSLError, "TLS handshake failed"),
)


def send_webhook(
    url: str,
    message: Message,
    delivery_id: int | None = None,
    *,
    timeout: float = WEBHOOK_TIMEOUT,
    now: Callable[[], datetime] | None = None,
) -> SendResult:
    """POST ``message`` to the json:// ``url`` (``Idempotency-Key``: ``delivery_id``),
    with the Standard Webhooks headers, signed when the URL has ``sign=``.

    ``now`` gives the ``webhook-timestamp`` and the time an HTTP-date
    ``Retry-After`` is counted from.
    """
    moment = (now or clock.now)()
    url, secret = split_signing(url)
    try:
        key = signing_key(secret) if secret is not None else None
    except SigningSecretError as err:
        return SendResult(False, error=str(err))
    plugin = parse_json_url(tagged_url(url, delivery_id))
    if plugin is None:
        return SendResult(False, error=UNUSABLE_URL)
    body = json.dumps(payload(plugin, message))
    message_id = str(delivery_id) if delivery_id is not None else f"test-{int(moment.timestamp())}"
    signed = webhook_headers(message_id, int(moment.timestamp()), body, key)
    try:
        response = _request(plugin, body, signed, timeout)
    except (requests.RequestException, ValueError) as exc:
        return SendResult(False, error=clip(f"temporary: {unsent_reason(exc, timeout)}"))
    with response:
        wait = retry_after_seconds(response.headers.get("Retry-After"), moment)
        return answer_result(response.status_code, wait)


def parse_json_url(url: str) -> NotifyJSON | None:
    """Apprise's JSON plugin object for ``url``; None if apprise cannot use it.

    Apprise logs what it dislikes about a URL, URL and all: that is kept quiet.
    """
    if scheme(url) not in JSON_SCHEMES:
        return None
    import apprise  # only the commands that send need it (it takes a while to import)

    with apprise_lines():
        plugin = apprise.Apprise.instantiate(url)
    return cast("NotifyJSON | None", plugin)  # json and jsons are the JSON plugin's schemes


def payload(plugin: NotifyJSON, message: Message) -> dict[str, Any]:
    """The JSON body apprise posts for ``message``, with the URL's ``:field=`` extras applied."""
    title, body = _content(plugin, message)
    fields: dict[str, Any] = {
        "version": plugin.json_version,
        "title": title,
        "message": body,
        "attachments": [],
        "type": "info",
    }
    for key, value in plugin.payload_extras.items():
        if key not in fields:
            fields[key] = value  # :key=value adds a field
            continue
        if value:
            fields[value] = fields[key]  # :title=subject renames one (as apprise does it)
        del fields[key]  # :type= drops one
    return fields


def _content(plugin: NotifyJSON, message: Message) -> tuple[str, str]:
    """Title and Markdown body as apprise hands them to the plugin (``format=`` converts)."""
    from apprise import NotifyFormat
    from apprise.conversion import convert_between

    source = NotifyFormat.MARKDOWN
    resolve = getattr(plugin, "resolve_format", None)  # apprise 1 has one format per plugin
    target = resolve(source) if resolve else plugin.notify_format
    return message.title.strip(), convert_between(source, target, message.markdown).rstrip()


def _request(
    plugin: NotifyJSON, body: str, signed: dict[str, str], timeout: float
) -> requests.Response:
    """Send ``body``; the body of the answer is never read (``stream``)."""
    origin = f"{'https' if plugin.secure else 'http'}://{plugin.host}"
    port = f":{plugin.port}" if isinstance(plugin.port, int) else ""
    auth = (plugin.user, plugin.password or "") if plugin.user else None
    headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json"}
    headers |= plugin.headers | signed
    return requests.request(
        plugin.method,
        f"{origin}{port}{plugin.fullpath}",
        data=body.encode("utf-8"),
        params=plugin.params,
        headers=headers,
        auth=auth,
        verify=plugin.verify_certificate,
        timeout=timeout,
        allow_redirects=False,
        stream=True,
    )


def answer_result(status: int, retry_after: float | None = None) -> SendResult:
    """The outcome of an HTTP answer, as Standard Webhooks reads it.

    2xx: delivered. 410: gone for good. Anything else is worth a retry, a
    redirect included (it is never followed), no sooner than ``retry_after``.
    """
    if 200 <= status < 300:
        return SendResult(True)
    gone = status == HTTPStatus.GONE
    notes = [_phrase(status)]
    if 300 <= status < 400:
        notes.append("redirect not followed")
    if gone:
        notes.append("endpoint gone; channel disabled")
    if retry_after is not None:
        notes.append(f"retry after {math.ceil(retry_after)} s")
    kind = "permanent" if gone else "temporary"
    error = clip(f"HTTP {status} ({kind}): {'; '.join(notes)}")
    return SendResult(False, permanent=gone, error=error, gone=gone, retry_after=retry_after)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """The seconds a ``Retry-After`` header asks for, at most :data:`MAX_RETRY_AFTER`.

    Delta-seconds (``120``) or an HTTP-date counted from ``now`` (a date
    already past asks for 0). None when the header is missing or unreadable
    (a negative number is not delta-seconds).
    """
    text = (value or "").strip()
    if not text:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        return min(float(text), MAX_RETRY_AFTER)
    moment = _http_date(text)
    if moment is None:
        return None
    seconds = (moment - _aware(now)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _http_date(text: str) -> datetime | None:
    """An HTTP-date (``Wed, 21 Oct 2015 07:28:00 GMT``) as aware UTC, or None."""
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return _aware(moment)


def _aware(moment: datetime) -> datetime:
    """``moment`` with its zone; a naive one is taken as UTC (as :mod:`monitor.clock` does)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def unsent_reason(exc: BaseException, timeout: float) -> str:
    """Why a request got no answer, in a few fixed words (exception texts hold the URL)."""
    if isinstance(exc, requests.Timeout):
        return f"timed out after {timeout:g} s"
    links = list(_chain(exc))
    for kind, reason in _CONNECTION_REASONS:
        if any(isinstance(link, kind) for link in links):
            return reason
    return f"request failed ({type(exc).__name__})"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps (causes, urllib3 ``reason``s, arguments)."""
    todo, seen = [exc], set[int]()
    while todo:
        link = todo.pop()
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        inner = (link.__cause__, link.__context__, getattr(link, "reason", None), *link.args)
        todo.extend(item for item in inner if isinstance(item, BaseException))


def _phrase(status: int) -> str:
    """The standard reason phrase (the server's own could carry anything)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "unknown status"
