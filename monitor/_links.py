"""The :class:`Link` value shared by feed, sitemap and listing-page discovery."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.urls import resolve_link


@dataclass(frozen=True)
class Link:
    """A candidate URL found in a feed, a sitemap or a listing page."""

    url: str  # absolute, fragment dropped (NOT canonicalised here)
    updated: str | None = None  # ISO UTC of the entry's updated/published/lastmod, when parseable
    title: str | None = None
    rel_next: bool = False  # for listing links: <a rel="next"> / <link rel="next">


def _link(
    href: str, base: str, updated: str | None = None, title: str | None = None
) -> Link | None:
    """A :class:`Link` for ``href`` when it resolves to an http(s) URL."""
    url = resolve_link(href, base)
    return Link(url, updated, title) if url else None


def _clean(text: object) -> str | None:
    """Whitespace collapsed; ``None`` for empty or non-text values."""
    if not isinstance(text, str):
        return None
    return " ".join(text.split()) or None


def _unique(links: Iterable[Link | None]) -> tuple[Link, ...]:
    """The links without ``None`` and without repeats of a URL, first one kept."""
    found: dict[str, Link] = {}
    for link in links:
        if link is not None:
            found.setdefault(link.url, link)
    return tuple(found.values())
