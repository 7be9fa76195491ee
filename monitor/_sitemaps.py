"""Sitemaps (XML ``<urlset>``/``<sitemapindex>``, plain text, gzip) into candidate URLs.

Entities are never resolved (FEED-1, FEED-2) and gzip is inflated under a hard
cap (FEED-7). Re-exported by :mod:`monitor.discovery`.
"""

from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from lxml import etree

from monitor._links import Link, _clean, _link, _unique
from monitor._sniff import _DOCTYPE, _SNIFF_BYTES, GZIP_MAGIC, _head, _url_lines, sniff_kind
from monitor.clock import iso

logger = logging.getLogger(__name__)

_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{2}))?")


@dataclass(frozen=True)
class SitemapResult:
    """What :func:`parse_sitemap` found: page URLs (urlset) or child sitemaps (index)."""

    urls: tuple[Link, ...]
    sitemaps: tuple[Link, ...]
    error: str | None  # None | 'not_a_sitemap' | 'malformed' | 'too_large'


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
