"""Pages that hold no article, for :mod:`monitor.extract`: non-HTML input, bot
challenges (NET-3), JavaScript shells, empty pages and listing pages (EXT-1).
"""

from __future__ import annotations

import html as htmllib
import json
import logging
import re
from typing import Any

import lxml.etree
import lxml.html

from monitor._metadata import _Meta
from monitor._text import _SPACE, _collapse
from monitor.boilerplate import normalize_line
from monitor.items import Extracted

log = logging.getLogger(__name__)

_HTML_TAG = re.compile(
    r"<(?:!doctype|html|head|body|div|p|article|main|section|span|table|title|meta|h[1-6]|a|br"
    r"|ul|li|font|center|img|form|script)\b",
    re.IGNORECASE,
)
_TITLE = re.compile(r"<title\b[^<>]*>([^<]*)", re.IGNORECASE)


def _skip(url: str, reason: str, detail: str) -> Extracted:
    log.info("%s: no article (%s): %s", url, reason, detail)
    return Extracted(skip_reason=reason, detail=detail)


_CHALLENGE_TEXT_MAX = 1_500
_CHALLENGE_TITLES = (
    "just a moment",
    "attention required",
    "ddos-guard",
    "checking your browser",
    "one more step",
    "access denied",
    "request unsuccessful",
    "pardon our interruption",
    "are you a robot",
    "human verification",
)
_CHALLENGE_MARKERS = (
    "checking if the site connection is secure",
    "checking your browser before accessing",
    "enable javascript and cookies to continue",
    "cf-browser-verification",
    "cf_chl_opt",
    "cf-chl-",
    "/cdn-cgi/challenge-platform/h/",
    "ddos-guard",
    "incapsula incident id",
    "_incapsula_resource",
    "verify you are human",
    "please verify you are a human",
    "sorry, you have been blocked",
    "px-captcha",
    "captcha-delivery.com",
)
_SHELL_TEXT_MAX = 200
_ROOT_DIV = re.compile(
    r"<div\b[^<>]*\bid=[\"']?(?:root|app|__next|__nuxt|main-app|svelte)[\"']?[^<>]*>\s*</div>",
    re.IGNORECASE,
)
_NOSCRIPT_JS = re.compile(r"<noscript\b[^<>]*>.{0,500}?javascript", re.IGNORECASE | re.DOTALL)


def _classify_raw(html: str, page_text: str, url: str) -> Extracted | None:
    """Pages recognisable before parsing: non-HTML, bot challenges, JavaScript shells."""
    why = _not_html(html)
    if why:
        return _skip(url, "empty", why)
    if _is_challenge(html, page_text):
        return _skip(url, "challenge", "bot challenge or block page (NET-3)")
    if _is_js_shell(html, page_text):
        return _skip(url, "js_shell", "the page needs JavaScript to show its content")
    return None


def _not_html(html: str) -> str | None:
    """Why ``html`` is not an HTML page (EXT-3), or None."""
    head = html[:4096].lstrip("\ufeff \t\r\n")
    if not head:
        return "empty page"
    if head.startswith("%PDF-"):
        return "a PDF document, not HTML"
    if head[0] in "{[" and _is_json(html):
        return "a JSON document, not HTML"
    if not _HTML_TAG.search(html):
        noise = head.count("\ufffd") + len(re.findall(r"[\x80-\x9f]", head))
        return "binary data, not HTML" if noise * 10 > len(head) else "no HTML markup"
    return None


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _is_challenge(html: str, page_text: str) -> bool:
    """Cloudflare, DDoS-Guard, Imperva… interstitials: short pages with known markers (NET-3).

    A known title is enough; otherwise one marker on an almost empty page, or
    two on a short one (an article quoting a challenge message is no challenge).
    """
    if len(page_text) > _CHALLENGE_TEXT_MAX:
        return False
    lowered = html[:200_000].lower()
    match = _TITLE.search(lowered, 0, 20_000)
    title = _SPACE.sub(" ", htmllib.unescape(match.group(1))).strip() if match else ""
    if title.startswith(_CHALLENGE_TITLES):
        return True
    markers = sum(1 for marker in _CHALLENGE_MARKERS if marker in lowered)
    return markers >= 2 or (markers == 1 and len(page_text) < _SHELL_TEXT_MAX)


def _is_js_shell(html: str, page_text: str) -> bool:
    """Almost no text, plus an empty app root, a "enable JavaScript" notice or scripts."""
    if len(page_text) >= _SHELL_TEXT_MAX:
        return False
    if _ROOT_DIV.search(html) or _NOSCRIPT_JS.search(html):
        return True
    return len(page_text) < _SHELL_TEXT_MAX // 4 and "<script" in html.lower()


# -- listing pages (EXT-1) ---------------------------------------------------

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")
_NOT_TEXT = frozenset({"script", "style", "noscript", "template", "svg", "a", "select", "button"})
_LINK_SKIP = ("#", "javascript:", "mailto:", "tel:")


def _anchor_texts(tree: lxml.html.HtmlElement) -> dict[Any, str]:
    """Every ``<a>`` of the page → its text, whitespace collapsed (read once, used thrice)."""
    return {anchor: _text_of(anchor) for anchor in tree.iter("a")}


def _listing_reason(
    tree: lxml.html.HtmlElement, meta: _Meta, anchors: dict[Any, str] | None = None
) -> str | None:
    """Why the page looks like an index/section page, or None for an article.

    An article has one long block of running text; a listing has many headline
    links and only short teasers. A page that declares itself an article must
    show much stronger listing evidence (a "MOST POPULAR" box is not one).
    ``anchors`` is :func:`_anchor_texts` of ``tree`` (computed when not given).
    """
    anchors = _anchor_texts(tree) if anchors is None else anchors
    links = _headline_links(anchors)
    if links < 4:
        return None
    # The longest block a listing may have: at this length or more the page is an article.
    if meta.is_article:
        if links < 15:
            return None
        limit = 200
    elif meta.og_type == "website":
        limit = 800
    elif links >= 6:
        limit = 300
    else:
        return None
    block = _longest_block(tree, anchors, limit)
    if block >= limit:
        return None
    return f"{links} headline links, longest text block {block} characters"


def _text_of(element: Any) -> str:
    return _collapse(element.text_content())


def _is_headline(text: str) -> bool:
    return len(text) >= 15 and (text.count(" ") >= 2 or len(_CJK.findall(text)) >= 8)


def _headline_links(anchors: dict[Any, str]) -> int:
    hrefs = set()
    for anchor, text in anchors.items():
        href = (anchor.get("href") or "").strip()
        if href and not href.lower().startswith(_LINK_SKIP) and _is_headline(text):
            hrefs.add(href)
    return len(hrefs)


def _longest_block(tree: lxml.html.HtmlElement, anchors: dict[Any, str], limit: int) -> int:
    """The longest run of non-link text in one element, outside headline items.

    Exact when it is below ``limit``; otherwise some block of at least ``limit``
    (the search stops there). The parents of ``<p>`` elements are tried first.
    """
    body = tree.find("body")
    root = body if body is not None else tree
    marked = _holding_headlines(root, anchors)
    sizes: dict[Any, int] = {}
    for paragraph in root.iter("p"):
        parent = paragraph.getparent()
        if paragraph is not root and parent not in sizes:
            size = sizes[parent] = _block_len(parent, marked, anchors)
            if size >= limit:
                return size
    longest = max(sizes.values(), default=0)
    for element in root.iter(lxml.etree.Element):
        if element not in sizes:
            size = _block_len(element, marked, anchors)
            if size >= limit:
                return size
            longest = max(longest, size)
    return longest


def _holding_headlines(root: Any, anchors: dict[Any, str]) -> set[Any]:
    """Every element that is or contains a headline link (lxml keeps these proxies stable)."""
    marked: set[Any] = set()
    for anchor in root.iter("a"):
        if not _is_headline(anchors[anchor]):
            continue
        marked.add(anchor)
        for ancestor in anchor.iterancestors():
            if ancestor in marked:
                break
            marked.add(ancestor)
    return marked


def _block_len(element: Any, marked: set[Any], anchors: dict[Any, str]) -> int:
    """Non-link text of ``element`` and of its children that hold no headline link.

    When headline items alternate with the counted children (headline, teaser,
    headline, teaser…) the element is a list, and only its longest part counts.
    """
    if element.tag in _NOT_TEXT:
        return 0
    parts = [_direct_len(element)]
    headlines = 0
    for child in element:
        if child in marked:
            headlines += 1
        elif isinstance(child.tag, str) and child.tag not in _NOT_TEXT:
            parts.append(_unlinked_len(child, anchors))
    if headlines >= 3 and headlines * 2 >= len(parts) - 1:
        return max(parts)
    return sum(parts)


def _direct_len(element: Any) -> int:
    tails = sum(len((child.tail or "").strip()) for child in element)
    return len((element.text or "").strip()) + tails


def _unlinked_len(element: Any, anchors: dict[Any, str]) -> int:
    linked = sum(len(anchors[anchor]) for anchor in element.iter("a"))
    return max(len(_text_of(element)) - linked, 0)


def _mostly_headlines(
    text: str, tree: lxml.html.HtmlElement, anchors: dict[Any, str] | None = None
) -> bool:
    """True when most of the extracted text is the page's own headline links (EXT-1)."""
    anchors = _anchor_texts(tree) if anchors is None else anchors
    headlines = {normalize_line(t) for t in anchors.values() if _is_headline(t)}
    if not headlines:
        return False
    linked = [line for line in text.split("\n") if normalize_line(line) in headlines]
    return len(linked) >= 5 and sum(map(len, linked)) * 2 >= len(text)
