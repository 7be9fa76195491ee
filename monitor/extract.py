"""Page bytes → decoded HTML → article text and metadata.

Two steps, both pure and Scrapy-free:

* :func:`decode_body` turns response bytes into text: site override > BOM >
  HTTP header > ``<meta>`` charset > detection > UTF-8, with WHATWG label
  mapping (``euc-kr`` → cp949, ``gb2312`` → gb18030, ``shift_jis`` → cp932,
  ``iso-8859-1`` → cp1252) and a mojibake check (ENC-1…ENC-6).
* :func:`extract_article` turns decoded HTML into an :class:`~monitor.items.Extracted`.
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
import html as htmllib
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import lxml.etree
import lxml.html
from trafilatura import bare_extraction
from trafilatura.baseline import baseline
from trafilatura.settings import Document, Extractor, use_config
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
    to_unicode,
)

from monitor import clock
from monitor.boilerplate import PAYWALL, normalize_line, strip_furniture
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

# -- decoding -----------------------------------------------------------------

_C0 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_META_TAG = re.compile(r"<meta\b[^<>]*>", re.IGNORECASE)
_XML_DECL = re.compile(r"\s*<\?xml[^>]*?encoding\s*=\s*[\"']?([\w-]+)", re.IGNORECASE)
_TAG_BYTES = re.compile(rb"<[^<>]*>")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_UTF8_LEAD = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
_UTF8_MIN = 4
_META_SCAN = 64 * 1024
_SNIFF_SAMPLE = 32 * 1024
_BAD_RATIO = 0.02
_MISMATCH_MIN = 50
_SCRIPTS = {
    "ko": re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"),
    "ja": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]"),
    "zh": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"),
}
_DETECTOR_LANGUAGE = {"ko": "Korean", "ja": "Japanese", "zh": "Chinese"}
_LATIN_LANGUAGES = frozenset(
    ["en", "fr", "de", "es", "it", "pt", "nl", "da", "sv", "no", "nb", "fi", "ca", "id", "ms"]
)


@dataclass(frozen=True)
class Decoded:
    """Decoded page text, the codec used, and how it was chosen.

    ``source`` is ``override``, ``bom``, ``header``, ``meta``, ``detected`` or
    ``default``. ``suspect`` flags likely mojibake: the declared charset did
    not decode cleanly, replacement characters remain, or the script does not
    match the site's language.
    """

    text: str
    encoding: str
    suspect: bool
    source: str


def strip_controls(text: str) -> str:
    """``text`` without C0 control characters other than tab, newline and carriage return."""
    return _C0.sub("", text)


def decode_body(
    body: bytes,
    content_type: str | None = None,
    *,
    override: str | None = None,
    language: str | None = None,
) -> Decoded:
    """Decode a response body the way a browser would, and flag likely mojibake.

    ``override`` is the site's configured charset (wins over everything);
    ``language`` the site's language, used to break detection ties and to
    notice mojibake (a Korean site without Hangul).
    """
    forced = resolve_encoding(override) if override else None
    if forced:
        return _finish(to_unicode(body, forced), forced, "override", language)
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom:
        return _finish(to_unicode(body[len(bom) :], bom_encoding), bom_encoding, "bom", language)
    declared = _declared(body, content_type)
    if not declared:
        return _undeclared(body, language)
    return _from_declared(body, declared, language)


def _finish(
    text: str, encoding: str, source: str, language: str | None, suspect: bool = False
) -> Decoded:
    suspect = suspect or _bad_ratio(text) > _BAD_RATIO or _script_mismatch(text, language)
    return Decoded(strip_controls(text), encoding, suspect, source)


def _declared(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """(source, codec) pairs the page declares, header first, without repeats."""
    found = [("header", http_content_type_encoding(content_type)), ("meta", _meta_encoding(body))]
    result: list[tuple[str, str]] = []
    for source, encoding in found:
        if encoding and encoding not in {known for _, known in result}:
            result.append((source, encoding))
    return result


def _meta_encoding(body: bytes) -> str | None:
    """The charset of the first ``<meta>`` (or XML declaration) that names one.

    Scans the first 64 KB, not just 1–4 KB: pages put long menus or comments
    before their ``<meta>``.
    """
    head = body[:_META_SCAN].decode("latin-1")
    label = next(filter(None, map(html_body_declared_encoding, _META_TAG.findall(head))), None)
    if label is None and (match := _XML_DECL.match(head)):
        label = resolve_encoding(match.group(1))
    if label and label.startswith(("utf-16", "utf-32")):
        return "utf-8"  # WHATWG: a meta that could be read as ASCII is not UTF-16
    return label


def _from_declared(body: bytes, declared: list[tuple[str, str]], language: str | None) -> Decoded:
    """Use the first declared charset that decodes cleanly; fall back to the others, then sniff."""
    if declared[0][1] != "utf-8" and _clearly_utf8(body):
        source = "meta" if ("meta", "utf-8") in declared else "detected"
        return _finish(body.decode("utf-8"), "utf-8", source, language)
    tried: list[tuple[float, str, str, str]] = []
    for source, encoding in _candidates(body, declared, language):
        if any(encoding == known for _, _, known, _ in tried):
            continue
        text = to_unicode(body, encoding)
        ratio = _bad_ratio(text)
        if ratio <= _BAD_RATIO:
            return _finish(text, encoding, source, language, suspect=bool(tried))
        log.debug(
            "charset %s (%s) leaves %.0f%% replacement characters", encoding, source, ratio * 100
        )
        tried.append((ratio, source, encoding, text))
    _, source, encoding, text = min(tried, key=lambda attempt: attempt[0])
    return _finish(text, encoding, source, language, suspect=True)


def _candidates(
    body: bytes, declared: list[tuple[str, str]], language: str | None
) -> Iterator[tuple[str, str]]:
    yield from declared
    sniffed = _sniff(body, language)
    if sniffed:
        yield "detected", sniffed


def _undeclared(body: bytes, language: str | None) -> Decoded:
    if body.isascii():
        return _finish(body.decode("ascii"), "utf-8", "default", language)
    if _is_utf8(body):
        return _finish(body.decode("utf-8"), "utf-8", "detected", language)
    sniffed = _sniff(body, language)
    encoding = sniffed or "utf-8"
    return _finish(
        to_unicode(body, encoding), encoding, "detected" if sniffed else "default", language
    )


def _sniff(body: bytes, language: str | None) -> str | None:
    """Detect the charset from the non-ASCII part of ``body`` (ENC-4).

    A long ASCII prefix (menus, scripts) fools detectors, so the sample starts
    at the first non-ASCII byte, is cut at a character boundary and has its
    tags removed.
    """
    first = _HIGH_BYTE.search(body)
    if first is None:
        return None
    sample = body[first.start() : first.start() + _SNIFF_SAMPLE]
    if len(body) > first.start() + _SNIFF_SAMPLE:
        sample = sample[: max(sample.rfind(b"<"), sample.rfind(b"\n"), 1)]
    sample = _TAG_BYTES.sub(b" ", sample)
    guess = _pick(list(charset_normalizer.from_bytes(sample)), _primary(language), sample)
    return resolve_encoding(guess) if guess else None


def _pick(matches: list[Any], language: str | None, sample: bytes) -> str | None:
    """The detector's codec, preferring one that fits the site's language.

    For a Latin-script site a single-byte guess becomes cp1252 when the sample
    decodes with it: detectors pick cp1250 or mac-roman on short Western texts.
    """
    wanted = _DETECTOR_LANGUAGE.get(language or "")
    for match in matches:
        if wanted and (match.language == wanted or wanted in match.languages):
            return str(match.encoding)
    if not matches:
        return None
    best = str(matches[0].encoding)
    if language in _LATIN_LANGUAGES and _single_byte(best) and _decodes(sample, "cp1252"):
        return "cp1252"
    return best


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _bad_ratio(text: str) -> float:
    """Share of U+FFFD among the non-ASCII characters of ``text``."""
    bad = text.count("\ufffd")
    if not bad:
        return 0.0
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return bad / max(non_ascii, 1)


def _script_mismatch(text: str, language: str | None) -> bool:
    """True when a CJK-language page has plenty of non-ASCII text but little of its script."""
    script = _SCRIPTS.get(_primary(language) or "")
    if script is None:
        return False
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return non_ascii >= _MISMATCH_MIN and len(script.findall(text)) < 0.3 * non_ascii


def _is_utf8(body: bytes) -> bool:
    """True when ``body`` has non-ASCII bytes and all of it is valid UTF-8."""
    return not body.isascii() and _decodes(body, "utf-8")


def _clearly_utf8(body: bytes) -> bool:
    """Valid UTF-8 with several multi-byte characters: never an accident of another codec."""
    multibyte = len(_UTF8_LEAD.findall(body, 0, _SNIFF_SAMPLE * 8))
    return multibyte >= _UTF8_MIN and _decodes(body, "utf-8")


@lru_cache(maxsize=64)
def _single_byte(encoding: str) -> bool:
    """True for codecs that map each high byte to one character (cp1252, koi8-r, latin-…)."""
    try:
        text = bytes(range(0xA1, 0xFF)).decode(encoding, "replace")
    except LookupError:
        return False
    return len(text) == 0xFF - 0xA1 and text.count("\ufffd") < 8


def _primary(language: str | None) -> str | None:
    """``'ko-KR'`` → ``'ko'``; None for anything that is not a language tag."""
    if not language:
        return None
    code = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


# -- extraction ---------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
# One linear pass over the markup (no backtracking on unclosed tags or comments).
_TOKEN = re.compile(r"<!--.*?(?:-->|\Z)|<(/?)([a-zA-Z][\w:-]*)[^<>]*>|[^<]+|<", re.DOTALL)
_HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "title", "select"})
_BLOCK_TAGS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dd", "dt", "tr",
     "td", "th", "table", "blockquote", "article", "section", "header", "footer", "nav", "aside",
     "main", "form", "figure", "figcaption", "br", "hr"}
)  # fmt: skip
_HTML_TAG = re.compile(
    r"<(?:!doctype|html|head|body|div|p|article|main|section|span|table|title|meta|h[1-6]|a|br"
    r"|ul|li|font|center|img|form|script)\b",
    re.IGNORECASE,
)
_XML_DECL_TEXT = re.compile(r"^\s*<\?xml[^>]*>")
_TITLE = re.compile(r"<title\b[^<>]*>([^<]*)", re.IGNORECASE)
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
    html: str, url: str, language: str | None, boilerplate: tuple[str, ...]
) -> Extracted:
    """Picklable entry point for worker processes: :func:`extract_article` with positional args."""
    return extract_article(html, url, language=language, boilerplate=boilerplate)


def extract_article(
    html: str,
    url: str,
    *,
    language: str | None = None,
    boilerplate: Sequence[str] = (),
) -> Extracted:
    """Extract the article of one decoded page; never raises.

    ``language`` is the site's language (used when the page does not say);
    ``boilerplate`` the site's configured furniture lines. A page without an
    article comes back with ``skip_reason`` (``challenge``, ``js_shell``,
    ``listing``, ``empty``, ``error``) and empty text; a short or paywalled
    article with ``partial=True``.
    """
    try:
        return _extract(html or "", url, language, tuple(boilerplate))
    except _FAILURES as exc:
        log.warning("%s: extraction failed (%s: %s)", url, type(exc).__name__, exc)
        return Extracted(skip_reason="error", detail=f"{type(exc).__name__}: {exc}")


def _extract(html: str, url: str, language: str | None, boilerplate: tuple[str, ...]) -> Extracted:
    html = strip_controls(html)
    page_text = _page_text(html)
    skipped = _classify_raw(html, page_text, url)
    if skipped is not None:
        return skipped
    tree = _parse(html)
    meta = _read_meta(tree, url)
    why = _listing_reason(tree, meta) if tree is not None else None
    if why:
        return _skip(url, "listing", why)
    document = _run_trafilatura(tree, url)
    raw, detail = _raw_text(document, tree, html, page_text, url)
    text = _clean_text(raw, _title(document, meta), boilerplate)
    if len(text) < _MIN_TEXT:
        why = f"only {len(text)} characters of text" if text else "no article text on the page"
        return _skip(url, "empty", detail or why)
    if tree is not None and _mostly_headlines(text, tree):
        return _skip(url, "listing", "the extracted text is mostly headline links")
    found = Extracted(text=text, language=_primary(language), detail=detail)
    return _with_metadata(found, document, meta, raw, page_text, url)


def _with_metadata(
    found: Extracted, document: Document | None, meta: _Meta, raw: str, page_text: str, url: str
) -> Extracted:
    """``found`` (text, site language, detail) completed with the page's metadata."""
    published_at, date_source = _find_date(meta, page_text, url, document)
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


def _skip(url: str, reason: str, detail: str) -> Extracted:
    log.info("%s: no article (%s): %s", url, reason, detail)
    return Extracted(skip_reason=reason, detail=detail)


def _page_text(html: str) -> str:
    """The page's visible text, one block per line, without a parser (any nesting depth)."""
    parts: list[str] = []
    hidden = ""
    for match in _TOKEN.finditer(html):
        closing, tag = match.group(1), (match.group(2) or "").lower()
        if hidden:
            hidden = "" if closing and tag == hidden else hidden
        elif tag in _HIDDEN_TAGS and not closing:
            hidden = tag
        elif tag:
            parts.append("\n" if tag in _BLOCK_TAGS else "")
        elif not match.group().startswith("<!--"):
            parts.append(match.group())
    lines = (_SPACE.sub(" ", line).strip() for line in htmllib.unescape("".join(parts)).split("\n"))
    return "\n".join(line for line in lines if line)


def _resplit(text: str, page_text: str) -> str:
    """Give back its paragraphs to a text trafilatura flattened into one line.

    On short or oddly built pages trafilatura returns the article as a single
    line. When that line is exactly a run of the page's own block lines (in
    order, space-joined), those lines restore the paragraph breaks.
    """
    flat = text.strip()
    if "\n" in flat:
        return text
    if flat.count("|") == 2 and flat.startswith("|") and flat.endswith("|"):
        flat = flat[1:-1].strip()  # a one-cell layout table
    found: list[str] = []
    position = 0
    for line in page_text.split("\n"):
        if flat.startswith(line, position):
            found.append(line)
            position += len(line)
            while flat[position : position + 1].isspace():
                position += 1
    return "\n".join(found) if len(found) > 1 and position >= len(flat) else text


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


# -- pages that hold no article ----------------------------------------------

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


def _listing_reason(tree: lxml.html.HtmlElement, meta: _Meta) -> str | None:
    """Why the page looks like an index/section page, or None for an article.

    An article has one long block of running text; a listing has many headline
    links and only short teasers. A page that declares itself an article must
    show much stronger listing evidence (a "MOST POPULAR" box is not one).
    """
    links = _headline_links(tree)
    if links < 4:
        return None
    block = _longest_block(tree)
    if meta.is_article:
        hit = links >= 15 and block < 200
    else:
        hit = (links >= 6 and block < 300) or (meta.og_type == "website" and block < 800)
    return f"{links} headline links, longest text block {block} characters" if hit else None


def _text_of(element: Any) -> str:
    return _SPACE.sub(" ", element.text_content()).strip()


def _is_headline(text: str) -> bool:
    return len(text) >= 15 and (text.count(" ") >= 2 or len(_CJK.findall(text)) >= 8)


def _headline_links(tree: lxml.html.HtmlElement) -> int:
    hrefs = set()
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href and not href.lower().startswith(_LINK_SKIP) and _is_headline(_text_of(anchor)):
            hrefs.add(href)
    return len(hrefs)


def _longest_block(tree: lxml.html.HtmlElement) -> int:
    """The longest run of non-link text in one element, outside headline items."""
    body = tree.find("body")
    root = body if body is not None else tree
    marked = _holding_headlines(root)
    return max((_block_len(el, marked) for el in root.iter(lxml.etree.Element)), default=0)


def _holding_headlines(root: Any) -> set[Any]:
    """Every element that is or contains a headline link (lxml keeps these proxies stable)."""
    marked: set[Any] = set()
    for anchor in root.iter("a"):
        if not _is_headline(_text_of(anchor)):
            continue
        marked.add(anchor)
        for ancestor in anchor.iterancestors():
            if ancestor in marked:
                break
            marked.add(ancestor)
    return marked


def _block_len(element: Any, marked: set[Any]) -> int:
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
            parts.append(_unlinked_len(child))
    if headlines >= 3 and headlines * 2 >= len(parts) - 1:
        return max(parts)
    return sum(parts)


def _direct_len(element: Any) -> int:
    tails = sum(len((child.tail or "").strip()) for child in element)
    return len((element.text or "").strip()) + tails


def _unlinked_len(element: Any) -> int:
    linked = sum(len(_text_of(anchor)) for anchor in element.iter("a"))
    return max(len(_text_of(element)) - linked, 0)


def _mostly_headlines(text: str, tree: lxml.html.HtmlElement) -> bool:
    """True when most of the extracted text is the page's own headline links (EXT-1)."""
    anchors = {normalize_line(t) for a in tree.iter("a") if _is_headline(t := _text_of(a))}
    linked = [line for line in text.split("\n") if normalize_line(line) in anchors]
    return len(linked) >= 5 and sum(map(len, linked)) * 2 >= len(text)


# -- metadata -------------------------------------------------------------------


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


def _is_partial(text: str, raw: str, page_text: str, meta: _Meta) -> bool:
    """A teaser (EXT-2): too short, or paywall wording in or around a short text."""
    if len(text) < _PARTIAL_CHARS or PAYWALL.search(raw):
        return True
    return len(text) < _TEASER_CHARS and bool(PAYWALL.search(page_text) or meta.paywalled)


# -- dates ----------------------------------------------------------------------

_OLDEST_YEAR = 1990
_META_DATE_KEYS = (
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "article.published",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
    "citation_publication_date",
)
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_MONTH = rf"(?:{'|'.join(_MONTH_NAMES)})[a-z]*\.?"
_CLOCK = r"(?:\s*(?:[-–—,|@]|at)?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?)?"
_EN_DATE = re.compile(
    r"\b(?:first\s+)?(?:published|posted|created)\b\s*(?:on|at)?\s*:?\s*"
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    rf"(?:(?P<mon>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?|(?P<day2>\d{{1,2}})\s+(?P<mon2>{_MONTH}))"
    rf",?\s+(?P<year>\d{{4}}){_CLOCK}",
    re.IGNORECASE,
)
_YMD = (
    r"(?P<year>\d{4})\s*[-./년年]\s*(?P<month>\d{1,2})\s*[-./월月]\s*(?P<day>\d{1,2})\s*[일日]?\.?"
)
_KO_CLOCK = (
    r"(?:\s*(?:\([월화수목금토일]\))?\s*(?P<ampm>오전|오후|am|pm)?"
    r"\s*(?P<hour>\d{1,2}):(?P<minute>\d{2}))?"
)
_LABELLED_DATE = re.compile(
    r"(?:published|posted|기사\s*입력|입력|등록|발행|게재|작성일?|发布时间|发布|公開日?)\s*(?:일시)?\s*[:：]?\s*"
    + _YMD
    + _KO_CLOCK,
    re.IGNORECASE,
)
_KO_DATE = re.compile(
    r"(?P<year>\d{4})년\s*(?P<month>\d{1,2})월\s*(?P<day>\d{1,2})일" + _KO_CLOCK, re.IGNORECASE
)
_LOOSE_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(Z|[+-]\d{2}:?\d{2})?"
)


def _find_date(
    meta: _Meta, page_text: str, url: str, document: Document | None
) -> tuple[str | None, str | None]:
    """The published date and where it came from (DATE-1…DATE-4)."""
    moment = _meta_date(meta)
    if moment is not None:
        return clock.iso(moment), "meta"
    moment = _text_date(page_text, (_EN_DATE, _LABELLED_DATE))
    if moment is not None:
        return clock.iso(moment), "page"
    moment = _trafilatura_date(document, page_text, url)
    if moment is not None:
        return clock.iso(moment), "url" if _in_url(url, moment) else "page"
    moment = _text_date(page_text, (_KO_DATE,))
    return (clock.iso(moment), "page") if moment is not None else (None, None)


def _meta_date(meta: _Meta) -> datetime | None:
    """article:published_time, then JSON-LD datePublished, then other metadata tags."""
    values = [meta.tags.get("article:published_time")]
    values += [obj.get("datePublished") for obj in meta.linked_data]
    values += [meta.tags.get(key) for key in _META_DATE_KEYS]
    for value in values:
        moment = _plausible(_parse_when(value)) if isinstance(value, str) else None
        if moment is not None:
            return moment
    return None


def _text_date(text: str, patterns: Sequence[re.Pattern[str]]) -> datetime | None:
    for pattern in patterns:
        for match in pattern.finditer(text):
            moment = _plausible(_from_match(match))
            if moment is not None:
                return moment
    return None


def _trafilatura_date(document: Document | None, page_text: str, url: str) -> datetime | None:
    """htmldate's date via trafilatura, unless it is a 1st nobody wrote (DATE-1).

    htmldate turns a bare year ("© 2019") or month into the 1st of January or
    of the month: such false precision is dropped unless the day is printed
    on the page or in the URL.
    """
    value = document.date if document is not None else None
    moment = _plausible(_parse_when(value)) if value else None
    if moment is None or moment.day != 1:
        return moment
    if _explicit_first(page_text, moment) or _in_url(url, moment):
        return moment
    log.debug("%s: dropping date %s, a 1st not printed on the page", url, value)
    return None


def _explicit_first(text: str, moment: datetime) -> bool:
    """True when the page prints the 1st of ``moment``'s month as a full date."""
    y, m = moment.year, moment.month
    name = rf"{_MONTH_NAMES[m - 1]}[a-z]*\.?"
    pattern = (
        rf"{y}\s*[-./]\s*0?{m}\s*[-./]\s*0?1(?!\d)|{name}\s+1(?:st)?,?\s+{y}"
        rf"|(?<!\d)1(?:st)?\s+{name},?\s+{y}|{y}\s*[년年]\s*{m}\s*[월月]\s*1\s*[일日]"
    )
    return bool(re.search(pattern, text, re.IGNORECASE))


def _in_url(url: str, moment: datetime) -> bool:
    path = urlsplit(url).path + "?" + urlsplit(url).query
    y, m, d = moment.year, moment.month, moment.day
    forms = (f"{y}/{m:02d}/{d:02d}", f"{y}-{m:02d}-{d:02d}", f"{y}{m:02d}{d:02d}", f"{y}/{m}/{d}/")
    return any(form in path for form in forms)


def _parse_when(value: str) -> datetime | None:
    """ISO 8601 (strict or loose) or RFC 2822; None when it is no valid date."""
    value = value.strip()
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    match = _LOOSE_ISO.search(value)
    if match:
        return _from_iso_parts(match)
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _from_iso_parts(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, zone = match.groups()
    day_part = f"{year}-{int(month):02d}-{int(day):02d}"
    text = f"{day_part}T{int(hour or 0):02d}:{minute or '00'}:{second or '00'}"
    if zone:
        text += "+00:00" if zone == "Z" else zone
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _from_match(match: re.Match[str]) -> datetime | None:
    """A datetime from a text-date match (named groups year, mon/month, day, hour, minute, ampm)."""
    found = {key: value for key, value in match.groupdict().items() if value}
    name = (found.get("mon") or found.get("mon2") or "")[:3].lower()
    month = _MONTHS.get(name) or int(found.get("month", 0))
    hour = int(found.get("hour", 0))
    ampm = found.get("ampm", "").lower().replace(".", "")
    if ampm in ("pm", "오후") and hour < 12:
        hour += 12
    elif ampm in ("am", "오전") and hour == 12:
        hour = 0
    day = int(found.get("day") or found.get("day2") or 0)
    try:
        return datetime(int(found["year"]), month, day, hour, int(found.get("minute", 0)))
    except (KeyError, ValueError):
        return None


def _plausible(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC if it is a possible publication date (DATE-4), else None."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment.year < _OLDEST_YEAR or moment > clock.now() + timedelta(days=1):
        return None
    return moment


# -- text ---------------------------------------------------------------------


def _clean_text(raw: str, title: str | None, boilerplate: Sequence[str]) -> str:
    """One paragraph per line, whitespace collapsed, furniture and a repeated title removed."""
    lines = [
        _SPACE.sub(" ", _ZERO_WIDTH.sub("", line)).strip()
        for line in strip_controls(raw).split("\n")
    ]
    lines = _mend(_untable(lines))
    if lines and title:
        lines[0] = _without_title(lines[0], title)
    return strip_furniture("\n".join(lines), boilerplate)


def _without_title(line: str, title: str) -> str:
    """``line`` without the title it repeats (whole, or glued before the first sentence)."""
    if normalize_line(line) == normalize_line(title):
        return ""
    if line.startswith(title + " ") and len(line) > len(title) + 40:
        return line[len(title) :].strip()
    return line


def _untable(lines: list[str]) -> list[str]:
    """trafilatura's ``| cell | cell |`` rows → ``cell | cell`` (an empty row → nothing)."""
    result = []
    for line in lines:
        if line.startswith("|") or line.endswith("|"):
            cells = (cell.strip() for cell in line.strip("|").split("|"))
            line = " | ".join(cell for cell in cells if cell)
        result.append(line)
    return result


def _mend(lines: list[str]) -> list[str]:
    """Re-join lines trafilatura split around inline links: ``By X (`` + ``mail`` + ``)``."""
    result: list[str] = []
    for line in filter(None, lines):
        if result and (result[-1].endswith(("(", "[")) or line[0] in ")],;"):
            result[-1] += line
        else:
            result.append(line)
    return result


_CJK_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_CHAR = re.compile(r"\w")


def word_count(text: str) -> int:
    """Words in ``text``: whitespace tokens (Hangul words too), plus one per Han/Kana character."""
    cjk = len(_CJK_WORD.findall(text))
    rest = _CJK_WORD.sub(" ", text).split()
    return cjk + sum(1 for token in rest if _WORD_CHAR.search(token))
