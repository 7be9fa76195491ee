"""What a page's head says about itself (meta tags, JSON-LD, canonical URL), and the
title, author and language of an article, for :mod:`monitor.extract`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from trafilatura.settings import Document

from monitor._text import _SPACE
from monitor.decode import _SCRIPTS, _primary


@dataclass(frozen=True)
class _Meta:
    """What the page's head says about itself."""

    tags: dict[str, str] = field(default_factory=dict)
    linked_data: tuple[dict[str, Any], ...] = ()
    title: str | None = None
    lang: str | None = None
    canonical: str | None = None
    og_type: str | None = None

    @property
    def is_article(self) -> bool:
        """True when the page declares itself an article (og:type, published time, JSON-LD)."""
        if self.og_type == "article" or "article:published_time" in self.tags:
            return True
        return any(_is_article_type(obj) for obj in self.linked_data)

    @property
    def paywalled(self) -> bool:
        """True when JSON-LD says the content is not free (``isAccessibleForFree: false``)."""
        return any(
            str(obj.get("isAccessibleForFree", "")).lower() == "false" for obj in self.linked_data
        )


def _read_meta(tree: lxml.html.HtmlElement | None, url: str) -> _Meta:
    if tree is None:
        return _Meta()
    tags = _meta_tags(tree)
    title = tree.findtext(".//title")
    return _Meta(
        tags=tags,
        linked_data=tuple(_linked_data(tree)),
        title=_SPACE.sub(" ", title).strip() if title else None,
        lang=_primary(tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")),
        canonical=_canonical(tree, tags, url),
        og_type=(tags.get("og:type") or "").lower() or None,
    )


def _meta_tags(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """``<meta>`` name/property/itemprop (lower case) → content, first one wins."""
    tags: dict[str, str] = {}
    for element in tree.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop") or ""
        value = (element.get("content") or "").strip()
        if key.strip() and value:
            tags.setdefault(key.strip().lower(), value)
    for element in tree.xpath('//*[@itemprop="datePublished"]'):
        value = element.get("datetime") or element.get("content")
        if value:
            tags.setdefault("datepublished", value.strip())
    return tags


def _linked_data(tree: lxml.html.HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts (``@graph`` flattened)."""
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack[:0] = item
            elif isinstance(item, dict):
                yield item
                stack.extend(item[key] for key in ("@graph", "mainEntity") if key in item)


def _is_article_type(obj: dict[str, Any]) -> bool:
    kinds = obj.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and k.lower().endswith(("article", "posting")) for k in kinds)


def _canonical(tree: lxml.html.HtmlElement, tags: dict[str, str], url: str) -> str | None:
    """``<link rel=canonical>``, else ``og:url``, made absolute; None if neither is usable."""
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel and link.get("href"):
            return _absolute(url, link.get("href", ""))
    og_url = tags.get("og:url")
    return _absolute(url, og_url) if og_url else None


def _absolute(base: str, href: str) -> str | None:
    try:
        full = urljoin(base, href.strip())
        parts = urlsplit(full)
    except ValueError:
        return None
    return full if parts.scheme in ("http", "https") and parts.netloc else None


def _title(document: Document | None, meta: _Meta) -> str | None:
    for value in (document.title if document else None, meta.tags.get("og:title"), meta.title):
        if value and value.strip():
            return _SPACE.sub(" ", value).strip()
    return None


_AUTHOR_CUT = re.compile(
    r"\s*\b(?:published|updated|posted|입력|수정|기사입력)\b.*$", re.IGNORECASE
)
_BYLINE = re.compile(
    r"^(?:[Bb]y|[Ww]ritten [Bb]y)\s+(?P<name>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3})"
    r"\s*(?:\(|,|$|\s+and\s)"
)
_KO_BYLINE = re.compile(r"^(?P<name>[가-힣]{2,4})\s*(?:기자|특파원)(?=\s|$|\W)")
_AUTHOR_KEYS = (
    "author",
    "article:author",
    "dc.creator",
    "byl",
    "parsely-author",
    "sailthru.author",
)


def _author(meta: _Meta, document: Document | None, text: str) -> str | None:
    """Metadata author, else a byline in the text ("By …", "… 기자"), else trafilatura's guess."""
    candidates = [meta.tags.get(key) for key in _AUTHOR_KEYS]
    candidates += [*_ld_authors(meta.linked_data), _byline(text)]
    candidates.append(document.author if document is not None else None)
    return next(filter(None, map(_clean_author, candidates)), None)


def _ld_authors(objects: Sequence[dict[str, Any]]) -> Iterator[str]:
    for obj in objects:
        author = obj.get("author")
        people = author if isinstance(author, list) else [author]
        names = [p.get("name") if isinstance(p, dict) else p for p in people]
        joined = ", ".join(name for name in names if isinstance(name, str) and name.strip())
        if joined:
            yield joined


def _byline(text: str) -> str | None:
    lines = text.split("\n")
    for line in [*reversed(lines[-3:]), *lines[:3]]:
        match = _BYLINE.match(line) or _KO_BYLINE.match(line)
        if match:
            return match.group("name")
    return None


def _clean_author(value: str | None) -> str | None:
    if not value:
        return None
    name = _AUTHOR_CUT.sub("", _SPACE.sub(" ", value)).strip()
    name = re.sub(r"^(?:by|written by)\s+", "", name, flags=re.IGNORECASE).strip(" ,;|-")
    if not name or len(name) > 100 or "://" in name or re.search(r"\d", name):
        return None
    return name


_HANGUL = _SCRIPTS["ko"]
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = _SCRIPTS["zh"]
_LETTER = re.compile(r"[^\W\d_]")


def _script_language(text: str) -> str | None:
    """A language guessed from the script: Hangul → ko, Kana → ja, Han → zh."""
    letters = len(_LETTER.findall(text))
    if not letters:
        return None
    hangul, kana, han = (len(p.findall(text)) for p in (_HANGUL, _KANA, _HAN))
    if hangul >= 0.2 * letters:
        return "ko"
    if kana >= 0.05 * letters and kana + han >= 0.3 * letters:
        return "ja"
    return "zh" if han >= 0.3 * letters else None
