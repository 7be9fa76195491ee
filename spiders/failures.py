"""Scrapy download failures → the error kinds recorded in ``crawl_errors``."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

_BY_TYPE: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, TimeoutError, TCPTimedOutError), "timeout"),
    ((CannotResolveHostError, DNSLookupError), "dns"),
    ((DownloadConnectionRefusedError,), "connection"),
    ((ResponseDataLossError,), "dataloss"),
    ((DownloadCancelledError,), "too_large"),
    ((DownloadFailedError,), "connection"),
)


def classify_failure(failure: Failure) -> tuple[str, int | None, str]:
    """(kind, HTTP status or None, message) for a failed request."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"http_{status}", status, f"HTTP {status}"
    if isinstance(exc, IgnoreRequest):
        return _ignored(str(exc))
    for types, kind in _BY_TYPE:
        if isinstance(exc, types):
            return kind, None, _message(exc)
    if "TLS" in type(exc).__name__ or "SSL" in type(exc).__name__:
        return "tls", None, _message(exc)
    return "connection", None, _message(exc)


def _ignored(message: str) -> tuple[str, int | None, str]:
    lowered = message.lower()
    if "robots.txt" in lowered:
        return "disallowed", None, "forbidden by robots.txt"
    if "max size" in lowered or "maxsize" in lowered or "too large" in lowered:
        return "too_large", None, message or "response too large"
    if "retry-after" in lowered:
        return "http_429", 429, message
    return "ignored", None, message or "request ignored"


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
