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

from spiders.middlewares import RateLimited, RedirectLoop

_BY_TYPE: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, TimeoutError, TCPTimedOutError), "timeout"),
    ((CannotResolveHostError, DNSLookupError), "dns"),
    ((DownloadConnectionRefusedError,), "connection"),
    ((ResponseDataLossError,), "dataloss"),
    ((DownloadCancelledError,), "too_large"),  # DOWNLOAD_MAXSIZE reached while downloading
    ((DownloadFailedError,), "connection"),
)


def classify_failure(failure: Failure) -> tuple[str, int | None, str]:
    """(kind, HTTP status or None, message) for a failed request."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"http_{status}", status, f"HTTP {status}"
    if isinstance(exc, RateLimited):
        return f"http_{exc.status}", exc.status, str(exc)
    if isinstance(exc, RedirectLoop):
        return "redirect_loop", None, str(exc)
    if isinstance(exc, IgnoreRequest):
        return _ignored(str(exc))
    if isinstance(exc, DownloadCancelledError) and not str(exc).strip():
        # the streaming body passed DOWNLOAD_MAXSIZE (no Content-Length to refuse it by)
        return "too_large", None, "download cancelled: body larger than DOWNLOAD_MAXSIZE"
    for types, kind in _BY_TYPE:
        if isinstance(exc, types):
            return kind, None, _message(exc)
    if "TLS" in type(exc).__name__ or "SSL" in type(exc).__name__:
        return "tls", None, _message(exc)
    return "connection", None, _message(exc)


def _ignored(message: str) -> tuple[str, int | None, str]:
    """Scrapy's own IgnoreRequest reasons, by their message."""
    lowered = message.lower()
    if "robots.txt answered http" in lowered:
        # robots.txt itself failed (5xx): refused for this crawl only, retried later (NET-10)
        return "robots_unavailable", None, message
    if "robots.txt" in lowered:
        return "disallowed", None, message if ":" in message else "forbidden by robots.txt"
    if "download_maxsize" in lowered or "max size" in lowered or "too large" in lowered:
        # HttpCompressionMiddleware: a compression bomb, stopped while inflating (NET-6)
        return "too_large", None, message or "response too large"
    if "redirect" in lowered:
        return "redirect_loop", None, message
    return "ignored", None, message or "request ignored"


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
