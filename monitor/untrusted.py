"""Scraped text is untrusted: links only http/https, spreadsheet formulas defused.

Shared by every export and message that shows scraped text (SEC-2, SEC-3).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f]")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


def safe_href(url: str | None) -> str | None:
    """``url`` when it is an absolute http/https URL fit for an href, else None (SEC-2)."""
    if not url or _UNSAFE_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def clean_text(text: str | None) -> str:
    """One line of text: whitespace runs become one space, control characters go."""
    return _SPACE.sub(" ", _NOT_XML.sub("", text or "")).strip()


def neutralise(cell: Any) -> Any:
    """A CSV cell a spreadsheet cannot read as a formula: ``'`` before = + - @ TAB CR NUL."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell
