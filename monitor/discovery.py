"""Discovery: turn feed, sitemap and listing-page bodies into candidate URLs (no Scrapy).

XML is never trusted: entities are not resolved and nothing is loaded from the network or
the disk (FEED-1, FEED-2), gzip is inflated under a hard cap (FEED-7), and only http(s)
links come out (SEC-2). Links are absolute with the fragment dropped, not canonicalised:
that is :func:`monitor.urls.canonical_url`'s job, at dedupe time.
"""

from __future__ import annotations

import logging
import re
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import feedparser
import lxml.html
from lxml import etree

from monitor.clock import iso
from monitor.urls import is_http_url, resolve_link

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

GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_BYTES = 64 * 1024
_ROOT_KINDS = {"rss": "feed", "feed": "feed", "rdf": "feed", "urlset": "sitemap"}
_ROOT_KINDS |= {"sitemapindex": "sitemap"}
_ROOT_KINDS |= dict.fromkeys(("html", "head", "body", "title", "meta", "div", "p"), "html")
_PROLOG = re.compile(
    rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE\s+([\w:.-]*)[^\[>]*(?:\[.*?\])?\s*>)", re.S | re.I
)
_ROOT = re.compile(rb"\s*<([A-Za-z_][\w:.-]*)")
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>", re.S | re.I)
_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{2}))?")


@dataclass(frozen=True)
class Link:
    """A candidate URL found in a feed, a sitemap or a listing page."""

    url: str  # absolute, fragment dropped (NOT canonicalised here)
    updated: str | None = None  # ISO UTC of the entry's updated/published/lastmod, when parseable
    title: str | None = None
    rel_next: bool = False  # for listing links: <a rel="next"> / <link rel="next">


@dataclass(frozen=True)
class FeedResult:
    """What :func:`parse_feed` found: entry links, the feed format and what went wrong."""

    links: tuple[Link, ...]
    format: str  # 'rss' | 'atom' | 'rdf' | '' (not a feed)
    error: str | None  # None | 'not_a_feed' (FEED-4) | 'malformed' | 'empty'
    malformed: bool  # bozo: parsed with recovery (FEED-3: the entries are still used)


@dataclass(frozen=True)
class SitemapResult:
    """What :func:`parse_sitemap` found: page URLs (urlset) or child sitemaps (index)."""

    urls: tuple[Link, ...]
    sitemaps: tuple[Link, ...]
    error: str | None  # None | 'not_a_sitemap' | 'malformed' | 'too_large'


def sniff_kind(body: bytes, content_type: str | None) -> str:
    """``'feed'``, ``'sitemap'``, ``'html'`` or ``'other'``, from the body's root element
    (the body wins over ``content_type``, so an HTML page at a feed URL shows: FEED-4)."""
    head = _head(body)
    root = _root_name(head)
    if root is not None:
        kind = _ROOT_KINDS.get(root.rpartition(":")[2].lower())
        if kind is not None:
            return kind
    elif _url_lines(head.decode("utf-8", "replace")):
        return "sitemap"
    return "html" if "html" in (content_type or "").lower() else "other"


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


def parse_sitemap(body: bytes, url: str, max_size: int = 32 * 1024 * 1024) -> SitemapResult:
    """Page URLs of a ``<urlset>`` (Google News sitemaps included) or child sitemaps of a
    ``<sitemapindex>``; a plain-text sitemap (one URL per line) is accepted too.

    Gzip (by magic bytes) is inflated to at most ``max_size`` bytes, else ``'too_large'``
    (FEED-7). A self-referencing index is returned as is: the crawl's dupefilter ends loops.
    """
    if body.startswith(GZIP_MAGIC):
        try:
            inflated = _gunzip(body, max_size)
        except zlib.error:
            return SitemapResult((), (), "malformed")
        if inflated is None:
            logger.warning("sitemap %s inflates beyond %d bytes, dropped", url, max_size)
            return SitemapResult((), (), "too_large")
        body = inflated
    if len(body) > max_size:
        return SitemapResult((), (), "too_large")
    if sniff_kind(body, None) in ("html", "feed"):
        return SitemapResult((), (), "not_a_sitemap")
    if not _head(body).lstrip().startswith(b"<"):
        return _text_sitemap(body, url)
    return _xml_sitemap(body, url)


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


# --- sniffing -------------------------------------------------------------------------------


def _head(body: bytes) -> bytes:
    """The first bytes of ``body`` (inflated when gzip), UTF-16 recoded to UTF-8, no BOM."""
    if body.startswith(GZIP_MAGIC):
        try:
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, _SNIFF_BYTES)
        except zlib.error:
            return b""
    head = body[:_SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    return head.removeprefix(b"\xef\xbb\xbf")


def _root_name(head: bytes) -> str | None:
    """The name of the first element, skipping the XML declaration, comments and DOCTYPE
    (whose name stands in when the document is cut off before its root)."""
    position, doctype = 0, None
    while (match := _PROLOG.match(head, position)) and match.end() > position:
        position, doctype = match.end(), match.group(1) or doctype
    root = _ROOT.match(head, position)
    name = root.group(1) if root else doctype
    return name.decode("ascii", "replace") if name else None


def _url_lines(text: str) -> list[str]:
    """The http(s) URLs of a plain-text sitemap, one per non-blank line."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and is_http_url(line)]


# --- feeds ----------------------------------------------------------------------------------


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


# --- sitemaps -------------------------------------------------------------------------------


def _gunzip(data: bytes, limit: int) -> bytes | None:
    """Inflate ``data`` incrementally; ``None`` as soon as the output passes ``limit`` bytes,
    so a gzip bomb costs at most ``limit`` bytes of work (FEED-7). A cut-off stream gives
    what it holds."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    output = bytearray()
    pending = data
    while not inflater.eof:
        chunk = inflater.decompress(pending, limit + 1 - len(output))
        output += chunk
        if len(output) > limit:
            return None
        pending = inflater.unconsumed_tail
        if not chunk and not pending:
            break
    if not output:
        raise zlib.error("gzip stream holds no data")
    return bytes(output)


def _text_sitemap(body: bytes, url: str) -> SitemapResult:
    """A robots-style plain-text sitemap: one absolute URL per line."""
    lines = _url_lines(body.decode("utf-8-sig", "replace"))
    links = _unique(_link(line, url) for line in lines)
    return SitemapResult(links, (), None if links else "not_a_sitemap")


def _xml_sitemap(body: bytes, url: str) -> SitemapResult:
    """A ``<urlset>`` or ``<sitemapindex>``, parsed without resolving any entity; one that
    declares entities (no sitemap needs to: FEED-1, FEED-2) is refused as malformed."""
    doctype = _DOCTYPE.search(body[:_SNIFF_BYTES])
    if doctype and b"<!ENTITY" in doctype.group().upper():
        logger.warning("sitemap %s declares XML entities, refused", url)
        return SitemapResult((), (), "malformed")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        return SitemapResult((), (), "malformed")
    name = _local(root)
    if name not in ("urlset", "sitemapindex"):
        return SitemapResult((), (), "not_a_sitemap")
    entries = _unique(
        _sitemap_entry(child, url) for child in root if _local(child) in ("url", "sitemap")
    )
    error = "malformed" if len(parser.error_log) and not entries else None
    return (
        SitemapResult(entries, (), error) if name == "urlset" else SitemapResult((), entries, error)
    )


def _sitemap_entry(entry: etree._Element, base: str) -> Link | None:
    """``<url>``/``<sitemap>``: loc, lastmod (else news:publication_date), news:title."""
    fields = _fields(entry)
    loc = fields.get("loc")
    if not loc:
        return None
    updated = _parse_date(fields.get("lastmod")) or _parse_date(fields.get("publication_date"))
    return _link(loc, base, updated, _clean(fields.get("title")))


def _fields(entry: etree._Element) -> dict[str, str]:
    """Text of the entry's children by local name; a ``news:news`` child is looked into."""
    fields: dict[str, str] = {}
    for child in entry:
        for element in child.iter() if _local(child) == "news" else (child,):
            text = _text(element)
            if text:
                fields.setdefault(_local(element), text)
    return fields


def _text(element: etree._Element) -> str | None:
    """The element's own text, ``None`` when it holds an unresolved entity reference."""
    if any(child.tag is etree.Entity for child in element):
        return None
    return (element.text or "").strip() or None


def _local(element: etree._Element) -> str:
    """The element's local name, without namespace; '' for comments and entities."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2].rpartition(":")[2]


def _parse_date(text: str | None) -> str | None:
    """A W3C datetime (``2024-05-01``, ``2024-05-01T10:00+09:00``) or RFC 822 date as
    ISO UTC; ``None`` when it cannot be read (FEED-5)."""
    if not text:
        return None
    if match := _YEAR_MONTH.fullmatch(text):
        text = f"{match[1]}-{match[2] or '01'}-01"
    try:
        return iso(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        pass
    try:
        return iso(parsedate_to_datetime(text))
    except (TypeError, ValueError, OverflowError):
        return None


# --- HTML -----------------------------------------------------------------------------------


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


# --- shared ---------------------------------------------------------------------------------


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
