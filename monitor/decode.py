"""Response bytes → text, the way a browser decodes them.

:func:`decode_body` picks the codec: site override > BOM > HTTP header >
``<meta>`` charset > detection > UTF-8, with WHATWG label mapping (``euc-kr``
→ cp949, ``gb2312`` → gb18030, ``shift_jis`` → cp932, ``iso-8859-1`` →
cp1252) and a mojibake check (ENC-1…ENC-6). Pure and Scrapy-free.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import charset_normalizer
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
    to_unicode,
)

__all__ = ["Decoded", "decode_body", "strip_controls"]

log = logging.getLogger(__name__)

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
