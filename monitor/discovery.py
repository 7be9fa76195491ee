"""Discovery: turn feed, sitemap and listing-page bodies into candidate URLs (no Scrapy).

XML is never trusted: entities are not resolved and nothing is loaded from the network or
the disk (FEED-1, FEED-2), gzip is inflated under a hard cap (FEED-7), and only http(s)
links come out (SEC-2). Links are absolute with the fragment dropped, not canonicalised:
that is :func:`monitor.urls.canonical_url`'s job, at dedupe time.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import feedparser
import lxml.html
from lxml import etree

from monitor._links import Link, _clean, _unique
from monitor._sitemaps import SitemapResult, parse_sitemap
from monitor._sniff import _DOCTYPE, _SNIFF_BYTES, sniff_kind
from monitor.clock import iso
from monitor.urls import resolve_link

__all__ = [
    "FeedResult",
    "Link",
    "SitemapResult",
    "page_links",
    "parse_feed",
    "parse_sitemap",
    "sniff_kind",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedResult:
    """What :func:`parse_feed` found: entry links, the feed format and what went wrong."""

    links: tuple[Link, ...]
    format: str  # 'rss' | 'atom' | 'rdf' | '' (not a feed)
    error: str | None  # None | 'not_a_feed' (FEED-4) | 'malformed' | 'empty'
    malformed: bool  # bozo: parsed with recovery (FEED-3: the entries are still used)


def parse_feed(body: bytes, url: str) -> FeedResult:
    """Entry links of an RSS 2.0, Atom or RDF feed, resolved against the feed ``url``.

    A malformed feed gives its recovered entries with ``malformed=True`` (FEED-3); an
    unparseable date gives ``updated=None`` (FEED-5); non-http(s) links are dropped (SEC-2).
    """
    kind = sniff_kind(body, None)
    if kind in ("html", "sitemap"):
        return FeedResult((), "", "not_a_feed", False)
    parsed = feedparser.parse(_strip_doctype(body), response_headers=_headers(url))
    bozo = bool(parsed.get("bozo"))
    fmt = _feed_format(str(parsed.get("version") or ""))
    links = _unique(_entry_link(entry, url) for entry in parsed.entries)
    error = _feed_error(len(parsed.entries), kind, fmt, bozo)
    if bozo:
        logger.info("feed %s parsed with recovery: %s", url, parsed.get("bozo_exception"))
    return FeedResult(links, fmt, error, bozo)


def page_links(html: str, url: str) -> list[Link]:
    """Every ``<a href>`` and ``<link rel=next>`` of an HTML page, in document order.

    Links are resolved against ``<base href>`` (or ``url``), only http(s) kept, fragments
    dropped and duplicates merged (``rel_next`` and the first non-empty anchor text win).
    """
    document = _parse_html(html)
    if document is None:
        return []
    base = _base_url(document, url)
    found: dict[str, Link] = {}
    for element in document.iter("a", "link"):
        link = _element_link(element, base)
        if link is not None:
            found[link.url] = _merge(found.get(link.url), link)
    return list(found.values())


def _strip_doctype(body: bytes) -> bytes:
    """The body without its DOCTYPE (and any entity declarations in it), belt and braces
    on top of feedparser's own doctype handling (FEED-1, FEED-2)."""
    head = _DOCTYPE.sub(b"", body[:_SNIFF_BYTES], count=1)
    return head + body[_SNIFF_BYTES:]


def _headers(url: str) -> dict[str, str]:
    """Response headers that make feedparser resolve relative links against the feed URL."""
    return {"content-location": url, "content-type": "application/xml"}


def _feed_format(version: str) -> str:
    """feedparser's ``version`` (``rss20``, ``atom10``, ``rss10`` …) as rss/atom/rdf/''."""
    if version.startswith("atom"):
        return "atom"
    if version in ("rss090", "rss10"):
        return "rdf"
    return "rss" if version.startswith("rss") else ""


def _feed_error(entries: int, kind: str, fmt: str, bozo: bool) -> str | None:
    """Why a feed gave no entries: not a feed at all, broken, or a valid empty feed."""
    if entries:
        return None
    if kind != "feed" and not fmt:
        return "not_a_feed"
    if bozo:
        return "malformed"
    return "empty" if fmt else "not_a_feed"


def _entry_link(entry: feedparser.FeedParserDict, base: str) -> Link | None:
    """The entry's alternate link as a :class:`Link`, or ``None`` when it is not http(s)."""
    href = entry.get("link")
    url = resolve_link(href, base) if isinstance(href, str) else None
    if url is None:
        return None
    # dict.get: FeedParserDict's own mapping of updated to published warns
    moment = dict.get(entry, "updated_parsed") or dict.get(entry, "published_parsed")
    return Link(url, _struct_iso(moment), _clean(entry.get("title")))


def _struct_iso(moment: time.struct_time | None) -> str | None:
    """A feedparser UTC ``struct_time`` as ISO UTC, ``None`` when missing or impossible."""
    if moment is None:
        return None
    try:
        return iso(datetime(*moment[:6], tzinfo=UTC))
    except (TypeError, ValueError, OverflowError):
        return None


def _parse_html(html: str) -> lxml.html.HtmlElement | None:
    """The parsed document, ``None`` when there is nothing to parse."""
    if not html.strip():
        return None
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        return lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError):
        return None


def _base_url(document: lxml.html.HtmlElement, url: str) -> str:
    """The first ``<base href>`` resolved against ``url``, else ``url``."""
    for base in document.iter("base"):
        href = base.get("href")
        if href:
            return resolve_link(href, url) or url
    return url


def _element_link(element: lxml.html.HtmlElement, base: str) -> Link | None:
    """``<a href>`` (any rel) or ``<link rel=next>`` as a :class:`Link`; others ``None``."""
    href = element.get("href")
    rel_next = "next" in (element.get("rel") or "").lower().split()
    if not href or (element.tag == "link" and not rel_next):
        return None
    url = resolve_link(href, base)
    if url is None:
        return None
    title = None
    if element.tag == "a":
        title = _clean(element.text_content()) or _clean(element.get("title"))
    return Link(url, None, title, rel_next)


def _merge(seen: Link | None, link: Link) -> Link:
    """A repeated page link: the first position, ``rel_next`` if either, the first title."""
    if seen is None:
        return link
    return replace(seen, title=seen.title or link.title, rel_next=seen.rel_next or link.rel_next)
