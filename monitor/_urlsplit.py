"""Splitting a URL with clear errors, shared by :mod:`monitor.urls` and :mod:`monitor.hosts`.

``_split`` is ``urlsplit`` that rejects garbage, URLs without a host and, when asked, schemes
other than http(s) (SEC-2), with a message that says what was wrong.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

#: The only schemes a crawled or rendered link may have (SEC-2).
HTTP_SCHEMES = frozenset({"http", "https"})

_C0_OR_SPACE = "".join(chr(code) for code in range(0x21))  # stripped from both ends (WHATWG)


def _show(url: object) -> str:
    """``url`` for an error message, shortened."""
    text = repr(url)
    return text if len(text) <= 120 else text[:117] + "..."


def _split(url: str, http_only: bool = False) -> SplitResult:
    """``urlsplit`` that raises a clear ``ValueError`` for garbage, URLs without a host and,
    with ``http_only``, schemes other than http(s)."""
    if not isinstance(url, str):
        raise ValueError(f"a URL must be a string, got {type(url).__name__}")
    try:
        parts = urlsplit(url.strip(_C0_OR_SPACE))
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {_show(url)} ({exc})") from exc
    if http_only and parts.scheme not in HTTP_SCHEMES:
        raise ValueError(f"not an http(s) URL: {_show(url)}; only http and https are allowed")
    if not parts.netloc or "\\" in parts.netloc:
        raise ValueError(f"URL has no valid host: {_show(url)}; give an absolute http(s) URL")
    return parts
