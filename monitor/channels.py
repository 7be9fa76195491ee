"""Sending one message through one apprise URL, and telling a retry from a permanent failure.

Each channel (one notify URL) is its own :class:`apprise.Apprise`, so a result
belongs to one channel (ALR-6). A JSON webhook (``json://``, ``jsons://``) is
the exception: apprise only reads its URL, and :func:`monitor.webhook.send_webhook`
sends it, because apprise's plugin follows redirects, waits 4 s for an answer
and cannot pass on ``Retry-After``. Every other scheme (form, xml, mailto,
slack…) is sent by apprise. The delivery id rides along as a header: an
e-mail gets ``X-Delivery-Id``, a JSON/form/XML webhook ``Idempotency-Key``,
so a receiver can drop the one repeat at-least-once delivery allows (ALR-4).
E-mail gets the HTML body (apprise adds the plain-text alternative), every
other channel the Markdown body. An SMTP 5xx reply or an HTTP 410 is permanent;
anything else (4xx SMTP, a refused connection, a timeout, other HTTP errors) is
worth a retry. Apprise's own log lines can hold a channel's URL, secrets and
all: they are captured per send and kept from our log handlers; the error text
returned here still needs :func:`monitor.subscribers.redact` before it is shown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from monitor.messages import Message

log = logging.getLogger(__name__)

EMAIL_SCHEMES = frozenset({"mailto", "mailtos"})
JSON_SCHEMES = frozenset({"json", "jsons"})
WEBHOOK_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
ERROR_LIMIT = 500
UNUSABLE_URL = "apprise cannot use this URL (unknown scheme or form)"
APPRISE_LOGGER = "apprise"
_SMTP_CODE = re.compile(r"\((\d{3}), b?['\"]")
_HTTP_CODE = re.compile(r"error=(\d{3})")


@dataclass(frozen=True)
class SendResult:
    """One send's outcome: ``ok``, else ``error`` and whether a retry is pointless.

    ``gone``: the endpoint said it is gone for good (HTTP 410), so the channel is
    disabled; ``retry_after``: the seconds the endpoint asked to be left alone
    (``Retry-After``), which the channel's next attempt waits at least.
    """

    ok: bool
    permanent: bool = False
    error: str = ""
    gone: bool = False
    retry_after: float | None = None


Sender = Callable[[str, Message, int | None], SendResult]
"""``(url, message, delivery_id) -> SendResult``: :func:`send_apprise`, or a fake in tests."""


def scheme(url: str) -> str:
    """The URL's scheme, lower case (``mailto``, ``json``, ``slack``…); "" when there is none."""
    return url.split("://", 1)[0].lower() if "://" in url else ""


def describe_channel(index: int, url: str) -> str:
    """``channel 1 (json)``: how a channel is named wherever the URL must not show."""
    return f"channel {index} ({scheme(url) or 'unknown'})"


def tagged_url(url: str, delivery_id: int | None) -> str:
    """``url`` with the delivery id as a header argument (e-mail and webhooks)."""
    if delivery_id is None:
        return url
    kind = scheme(url)
    if kind in EMAIL_SCHEMES:
        header = "X-Delivery-Id"
    elif kind in WEBHOOK_SCHEMES:
        header = "Idempotency-Key"
    else:
        return url
    base, hash_mark, fragment = url.partition("#")
    joiner = "&" if "?" in base else "?"
    if base.endswith(("?", "&")):
        joiner = ""
    return f"{base}{joiner}+{header}={int(delivery_id)}{hash_mark}{fragment}"


def send_apprise(url: str, message: Message, delivery_id: int | None = None) -> SendResult:
    """Send ``message`` through the one apprise ``url``, tagged with ``delivery_id``.

    A json:// or jsons:// URL goes to :func:`monitor.webhook.send_webhook` instead.
    """
    if scheme(url) in JSON_SCHEMES:
        from monitor.webhook import send_webhook  # it imports this module

        return send_webhook(url, message, delivery_id)
    import apprise  # only the commands that send need it (it takes a while to import)
    from apprise import NotifyFormat

    email = scheme(url) in EMAIL_SCHEMES
    body, body_format = (
        (message.html, NotifyFormat.HTML) if email else (message.markdown, NotifyFormat.MARKDOWN)
    )
    with apprise_lines() as lines:
        notifier = apprise.Apprise()
        if not notifier.add(tagged_url(url, delivery_id)):
            return SendResult(False, error=UNUSABLE_URL)
        try:
            ok = bool(notifier.notify(title=message.title, body=body, body_format=body_format))
        except Exception as exc:  # a plugin's bug must not stop the other channels
            lines.append(f"{type(exc).__name__}: {exc}")
            ok = False
    return SendResult(True) if ok else failure(lines)


def failure(lines: list[str]) -> SendResult:
    """A failed send's result from apprise's log lines: its gist, and whether it is permanent."""
    text = " / ".join(dict.fromkeys(line for line in lines if line)) or "apprise reported failure"
    smtp = _SMTP_CODE.search(text)
    http = _HTTP_CODE.search(text)
    gone = False  # HTTP 410, the one permanent HTTP answer: the endpoint is gone
    if smtp:
        permanent = smtp.group(1).startswith("5")
        prefix = f"SMTP {smtp.group(1)} ({'permanent' if permanent else 'temporary'})"
    elif http:
        permanent = gone = http.group(1) == "410"
        prefix = f"HTTP {http.group(1)} ({'permanent' if permanent else 'temporary'})"
    else:
        permanent, prefix = False, "temporary"
    return SendResult(False, permanent, clip(f"{prefix}: {text}"), gone=gone)


def clip(text: str) -> str:
    """``text`` cut to :data:`ERROR_LIMIT` characters, an ellipsis marking the cut."""
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"


class _Lines(logging.Handler):
    """Keeps the gist of apprise's log: warnings, errors and the socket exceptions."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        text = " ".join(record.getMessage().split())
        if record.levelno >= logging.WARNING or text.startswith("Socket Exception"):
            self.lines.append(text)


@contextmanager
def apprise_lines() -> Iterator[list[str]]:
    """Apprise's log lines while the block runs, kept from every other handler."""
    logger = logging.getLogger(APPRISE_LOGGER)
    lines: list[str] = []
    handler = _Lines(lines)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
