"""What a fetched body is (feed, sitemap, HTML or other), from its first bytes."""

from __future__ import annotations

import re
import zlib

from monitor.urls import is_http_url

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
