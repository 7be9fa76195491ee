"""Decoded HTML → article text and metadata.

:func:`extract_article` turns decoded HTML (see :func:`monitor.decode.decode_body`,
re-exported here) into an :class:`~monitor.items.Extracted`. Pure and Scrapy-free.
Pages that hold no article are classified first (bot challenge, JavaScript
shell, listing page, empty or non-HTML input) and come back with a
``skip_reason`` and empty text; no exception escapes it.

Conventions of the result: ``text`` is one paragraph per line, lines joined by
a single ``"\\n"``, no blank lines, whitespace collapsed, page furniture
removed (see :mod:`monitor.boilerplate`); ``published_at`` is ISO 8601 UTC
``YYYY-MM-DDTHH:MM:SSZ`` (a date without a time is midnight UTC; a time
without a zone is taken as UTC); ``date_source`` is ``meta`` (metadata tag or
JSON-LD), ``page`` (a date printed on the page) or ``url``.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import re
from collections.abc import Sequence
from datetime import UTC, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
from trafilatura import bare_extraction
from trafilatura.baseline import baseline
from trafilatura.settings import Document, Extractor, use_config

from monitor import clock
from monitor._dates import _find_date
from monitor._metadata import _author, _Meta, _read_meta, _script_language, _title
from monitor._pagetype import (
    _anchor_texts,
    _classify_raw,
    _listing_reason,
    _mostly_headlines,
    _skip,
)
from monitor._text import _clean_text, _page_text, _resplit
from monitor.boilerplate import content_hash, has_paywall, strip_furniture
from monitor.decode import Decoded, _primary, decode_body, strip_controls
from monitor.dedupe import shingle_hashes
from monitor.items import Extracted

__all__ = [
    "Decoded",
    "decode_body",
    "extract_article",
    "extract_page",
    "strip_controls",
    "strip_furniture",
    "word_count",
]

log = logging.getLogger(__name__)

_XML_DECL_TEXT = re.compile(r"^\s*<\?xml[^>]*>")

_FAILURES = (
    ValueError,
    TypeError,
    AttributeError,
    LookupError,
    UnicodeError,
    RecursionError,
    MemoryError,
    OverflowError,
    lxml.etree.LxmlError,
)

_PARSER = lxml.html.HTMLParser(
    huge_tree=True, remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False
)
# Built once; per page only the URL and the date window change (trafilatura's
# Extractor fixes ``max_date`` when it is built, so a long-lived one goes stale).
_CONFIG = use_config()
_CONFIG.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
_TEMPLATE = Extractor(config=_CONFIG, output_format="python", comments=False, with_metadata=True)

_LARGE_BODY = 5_000
_RESCUE_MIN = 250
_PARTIAL_CHARS = 250
_MIN_TEXT = 20
_MARKUP_SHARE = 0.01
_TEASER_CHARS = 1_500


def extract_page(
    html: str,
    url: str,
    language: str | None,
    boilerplate: tuple[str, ...],
    timezone: str | None = None,
) -> Extracted:
    """Picklable entry point for worker processes: :func:`extract_article` with positional args.

    An article also gets its ``content_hash`` and story ``shingles`` here, off the reactor.
    """
    found = extract_article(
        html, url, language=language, boilerplate=boilerplate, timezone=timezone
    )
    if found.skip_reason:
        return found
    return dataclasses.replace(
        found, content_hash=content_hash(found.text), shingles=shingle_hashes(found.text)
    )


def extract_article(
    html: str,
    url: str,
    *,
    language: str | None = None,
    boilerplate: Sequence[str] = (),
    timezone: str | None = None,
) -> Extracted:
    """Extract the article of one decoded page; never raises.

    ``language`` is the site's language (used when the page does not say);
    ``boilerplate`` the site's configured furniture lines; ``timezone`` the
    zone in which the site prints dates without a UTC offset (default UTC). A page without an
    article comes back with ``skip_reason`` (``challenge``, ``js_shell``,
    ``listing``, ``empty``, ``error``) and empty text; a short or paywalled
    article with ``partial=True``.
    """
    try:
        zone = ZoneInfo(timezone) if timezone else UTC
        return _extract(html or "", url, language, tuple(boilerplate), zone)
    except _FAILURES as exc:
        log.warning("%s: extraction failed (%s: %s)", url, type(exc).__name__, exc)
        return Extracted(skip_reason="error", detail=f"{type(exc).__name__}: {exc}")


def _extract(
    html: str, url: str, language: str | None, boilerplate: tuple[str, ...], zone: tzinfo
) -> Extracted:
    html = strip_controls(html)
    page_text = _page_text(html)
    skipped = _classify_raw(html, page_text, url)
    if skipped is not None:
        return skipped
    tree = _parse(html)
    meta = _read_meta(tree, url)
    anchors = _anchor_texts(tree) if tree is not None else {}
    why = _listing_reason(tree, meta, anchors) if tree is not None else None
    if why:
        return _skip(url, "listing", why)
    document = _run_trafilatura(tree, url)
    raw, detail = _raw_text(document, tree, html, page_text, url)
    text = _clean_text(raw, _title(document, meta), boilerplate)
    if len(text) < _MIN_TEXT:
        why = f"only {len(text)} characters of text" if text else "no article text on the page"
        return _skip(url, "empty", detail or why)
    if tree is not None and _mostly_headlines(text, tree, anchors):
        return _skip(url, "listing", "the extracted text is mostly headline links")
    found = Extracted(text=text, language=_primary(language), detail=detail)
    return _with_metadata(found, document, meta, (raw, page_text), url, zone)


def _with_metadata(
    found: Extracted,
    document: Document | None,
    meta: _Meta,
    texts: tuple[str, str],
    url: str,
    zone: tzinfo,
) -> Extracted:
    """``found`` (text, site language, detail) completed with the page's metadata.

    ``texts`` is the raw extracted text and the whole page's text.
    """
    raw, page_text = texts
    published_at, date_source = _find_date(meta, page_text, url, document, zone)
    return dataclasses.replace(
        found,
        title=_title(document, meta),
        author=_author(meta, document, found.text),
        published_at=published_at,
        date_source=date_source,
        language=meta.lang or _script_language(found.text) or found.language,
        partial=_is_partial(found.text, raw, page_text, meta),
        canonical_url=meta.canonical,
    )


def _parse(html: str) -> lxml.html.HtmlElement | None:
    """One lxml tree for classification and trafilatura (deep trees allowed up to 2048 levels)."""
    try:
        return lxml.html.document_fromstring(_XML_DECL_TEXT.sub("", html, count=1), parser=_PARSER)
    except (lxml.etree.ParserError, ValueError) as exc:
        log.debug("unparsable HTML: %s", exc)
        return None


def _run_trafilatura(tree: lxml.html.HtmlElement | None, url: str) -> Document | None:
    """trafilatura on our tree (never a string: htmldate would fetch a URL-like one, DATE-5)."""
    if tree is None:
        return None
    result = bare_extraction(tree, options=_options(url))
    return result if isinstance(result, Document) else None


def _options(url: str) -> Extractor:
    options = copy.copy(_TEMPLATE)
    options.url = options.source = url
    latest = clock.now() + timedelta(days=1)
    options.date_params = {
        "original_date": True,  # DATE-2: the published, not the modified date
        "extensive_search": False,  # no free-text guessing ("since 2006" → 2006-01-01)
        "max_date": latest.strftime("%Y-%m-%d"),
    }
    return options


def _raw_text(
    document: Document | None, tree: Any, html: str, page_text: str, url: str
) -> tuple[str, str | None]:
    """trafilatura's text, or a fallback for a big page it found nothing in (EXT-4)."""
    text = (document.text or "") if document is not None else ""
    if text.strip():
        return _resplit(text, page_text), None
    if len(html) < _LARGE_BODY or len(page_text) < _RESCUE_MIN:
        return "", None
    log.warning("%s: %d KB page but nothing extracted; using a fallback", url, len(html) // 1024)
    rescued = baseline(tree)[1] if tree is not None else ""
    if len(rescued.strip()) >= _RESCUE_MIN:
        return rescued, "fallback: trafilatura baseline (main extraction was empty)"
    if _looks_like_markup(page_text):
        return "", "nothing extracted; the page text is broken markup"
    return page_text, "fallback: tag-stripped page text (main extraction was empty)"


def _looks_like_markup(text: str) -> bool:
    """True when ``text`` is full of ``<``, ``>`` and ``=``: tags the page never closed."""
    return sum(text.count(char) for char in "<>=") > _MARKUP_SHARE * len(text)


def _is_partial(text: str, raw: str, page_text: str, meta: _Meta) -> bool:
    """A teaser (EXT-2): too short, or paywall wording in or around a short text."""
    if len(text) < _PARTIAL_CHARS or has_paywall(raw):
        return True
    return len(text) < _TEASER_CHARS and (has_paywall(page_text) or meta.paywalled)


_CJK_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


_WORD_TOKEN = re.compile(r"\S*?\w\S*")


def word_count(text: str) -> int:
    """Words in ``text``: whitespace tokens (Hangul words too), plus one per Han/Kana character.

    A token counts when it holds a word character (a lone dash does not).
    """
    cjk = len(_CJK_WORD.findall(text))
    rest = _CJK_WORD.sub(" ", text) if cjk else text
    return cjk + len(_WORD_TOKEN.findall(rest))
