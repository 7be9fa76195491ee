"""Page furniture: the built-in list of lines no article needs, and lines learned per site.

Two kinds of boilerplate leave an extracted text here, both line by line
(an article's text is one paragraph per line, see :mod:`monitor.extract`):

* **built-in furniture** (:func:`strip_furniture`): "MOST POPULAR", "Back to
  List", a lone "X", share/print buttons, copyright lines, "Published :"
  datelines, plus the lines a site's config lists. Furniture glued to the end
  of the last line ("More articles by this writerBack to List") is cut off too.
* **learned boilerplate** (:func:`candidate_lines`, :func:`remove_learned`):
  short lines that recur on many pages of one site. The store counts on how
  many pages each :func:`line_key` occurs; the keys seen on at least N pages
  are removed. These functions are pure; the SQLite side lives in the store.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Sequence

_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = " \t.:;,!?|·•»«>‹›-–—*#\u3000"

FURNITURE: frozenset[str] = frozenset(
    {
        "x", "×", "✕", "close", "top", "more", "list", "menu", "search", "prev", "next",
        "most popular", "most viewed", "most read", "popular news", "top stories",
        "back to list", "back to top", "go to top", "more articles by this writer",
        "more articles by this reporter", "more from this author", "share", "share this",
        "share this article", "share this story", "print", "print this article", "email",
        "e-mail", "subscribe", "advertisement", "advertisements", "ad", "sponsored",
        "related articles", "related stories", "related news", "related", "read more",
        "see more", "view more", "recommended", "trending", "trending now", "latest news",
        "comments", "leave a comment", "tweet", "facebook", "twitter", "kakaotalk",
        "linkedin", "whatsapp", "font size", "a a", "a+ a-", "previous article",
        "next article", "skip to content", "skip to main content", "login", "log in",
        "sign in", "sign up", "subscribe now", "subscribe today", "log in or subscribe",
        "newsletter", "sign up for our newsletter", "enlarge",
        "많이 본 뉴스", "가장 많이 본 뉴스", "많이 본 기사", "관련기사", "관련 기사", "목록",
        "목록으로", "맨 위로", "공유", "공유하기", "인쇄", "구독", "광고", "댓글", "기사 공유",
        "이 기자의 다른 기사", "기자의 다른 기사", "글자 크기", "热门新闻", "相关新闻", "分享",
    }
)  # fmt: skip
"""Normalised (casefolded, edge punctuation stripped) lines that are never article text."""

# Headings of boxes that hold only headlines: the heading and the short lines after it go.
_BOX_HEADINGS = frozenset(
    {"most popular", "most viewed", "most read", "popular news", "related articles",
     "related stories", "related news", "recommended", "trending", "trending now",
     "latest news", "top stories", "많이 본 뉴스", "가장 많이 본 뉴스", "많이 본 기사",
     "관련기사", "관련 기사", "热门新闻", "相关新闻"}
)  # fmt: skip
_BOX_LINE_MAX = 120

# Multi-word phrases cut when glued to the end of the last line.
_GLUED = (
    "More articles by this writer", "More articles by this reporter", "Back to List",
    "Back to top", "MOST POPULAR", "Related articles", "Share this article", "Print this article",
    "이 기자의 다른 기사", "무단전재 및 재배포 금지",
)  # fmt: skip

_COPYRIGHT = re.compile(
    r"all\s+rights\s+reserved|무단\s*전재|재배포\s*금지|版权所有|無断転載", re.IGNORECASE
)
_COPYRIGHT_LEAD = re.compile(r"^(?:©|ⓒ|\(c\)|copyright\s*(?:©|\(c\)|\d{4}))", re.IGNORECASE)
_DATELINE = re.compile(
    r"^(?:(?:first |last )?(?:published|updated|posted|modified)(?:\s*:\s*|\s+(?:on\s+)?)"
    r"(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)"
    r"|(?:기사\s*)?(?:입력|수정|등록|발행|승인)\s*:?\s*\d)",
    re.IGNORECASE,
)
_DATELINE_MAX = 80
_SENTENCE_END = re.compile(r"[.!?。！？다]\W*$")
_SHORT = 160
PAYWALL = re.compile(
    r"subscribe (?:now )?to (?:read|continue|unlock)|to continue reading|subscribers only"
    r"|already a subscriber|(?:sign|log) in to (?:read|continue)"
    r"|register to (?:read|continue)|create a free account to"
    r"|this (?:article|story|content) is (?:only )?(?:available|reserved) (?:to|for)"
    r"|유료\s*(?:회원|기사)|구독자\s*전용|로그인\s*후\s*(?:이용|열람)",
    re.IGNORECASE,
)
"""Paywall wording: a teaser marker for extraction, and furniture as a short line."""
_PAYWALL_LINE = 120
# Lower-case words every PAYWALL match holds, a cheap test before the regex. Besides the
# ASCII letters' two cases, IGNORECASE lets "İ" and "ı" match i, "K" (Kelvin) k and "ſ" s:
# a text with one of those always goes to the regex.
_PAYWALL_WORDS = (
    "subscri", "continue reading", "in to read", "in to continue", "register to ",
    "free account", "is available", "is only available", "is reserved", "is only reserved",
    "유료", "구독자", "로그인",
)  # fmt: skip
_CASE_ODDITIES = ("\u0130", "\u0131", "\u212a", "\u017f")


def has_paywall(text: str) -> bool:
    """True when ``text`` holds paywall wording: ``PAYWALL.search(text)``, only faster."""
    lowered = text.lower()
    if any(word in lowered for word in _PAYWALL_WORDS) or any(
        char in text for char in _CASE_ODDITIES
    ):
        return PAYWALL.search(text) is not None
    return False


def normalize_line(line: str) -> str:
    """``line`` compared the way furniture is: NFKC, casefolded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", line).split()).casefold()


def _furniture_key(line: str) -> str:
    return normalize_line(line).strip(_EDGE_PUNCT)


def is_furniture(line: str, extra: Collection[str] = frozenset()) -> bool:
    """True when ``line`` is page furniture (built-in list, ``extra`` keys, copyright, dateline)."""
    return _is_furniture_key(line, _furniture_key(line), extra)


def _is_furniture_key(line: str, key: str, extra: Collection[str]) -> bool:
    """:func:`is_furniture` of ``line`` whose :func:`_furniture_key` is ``key``."""
    if not key:
        return True
    if key in FURNITURE or key in extra:
        return True
    if len(line) > _SHORT:
        return False
    if _COPYRIGHT.search(line) or _COPYRIGHT_LEAD.match(line.strip().casefold()):
        return True
    if len(line) < _PAYWALL_LINE and has_paywall(line):
        return True
    return len(key) < _DATELINE_MAX and bool(_DATELINE.match(key))


def strip_furniture(text: str, extra: Sequence[str] = ()) -> str:
    """``text`` without furniture lines, headline boxes and furniture glued to its end.

    ``extra`` holds a site's configured boilerplate lines; they are matched like
    the built-in list (whole lines, normalised) and also cut when glued to the
    end of the last line.
    """
    extra_keys = frozenset(_furniture_key(line) for line in extra)
    lines = [line.strip() for line in text.split("\n")]
    keys = [_furniture_key(line) for line in lines]
    end = _box_start(lines, keys)
    kept = [
        line
        for line, key in zip(lines[:end], keys[:end], strict=True)
        if not _is_furniture_key(line, key, extra_keys)
    ]
    phrases = (*_GLUED, *(line.strip() for line in extra if _gluable(line.strip())))
    return "\n".join(_strip_tail(kept, extra_keys, phrases))


def _gluable(phrase: str) -> bool:
    """Only multi-word or long phrases are cut when glued: "List" must not eat "checklist"."""
    return " " in phrase or len(phrase) >= 8


def _box_start(lines: list[str], keys: list[str]) -> int:
    """Where a box heading ("MOST POPULAR") starts that only headlines follow (else the end).

    The heading and everything after it are cut; ``keys`` are the lines' furniture keys.
    """
    for index, key in enumerate(keys):
        if key in _BOX_HEADINGS and _headlines_only(lines[index + 1 :]):
            return index
    return len(lines)


def _headlines_only(lines: Sequence[str]) -> bool:
    """True when ``lines`` look like a headline list: short, mostly without a final full stop."""
    rest = [line for line in lines if line]
    if any(len(line) > _BOX_LINE_MAX for line in rest):
        return False
    sentences = sum(1 for line in rest if _SENTENCE_END.search(line))
    return sentences * 3 <= len(rest)


def _strip_tail(lines: list[str], extra: Collection[str], phrases: Sequence[str]) -> list[str]:
    """Pop furniture from the end, also when glued to the last line's text."""
    while lines:
        last = lines[-1]
        if is_furniture(last, extra):
            lines.pop()
            continue
        cut = _cut_glued(last, phrases)
        if cut == last:
            break
        lines[-1] = cut
    return lines


def _cut_glued(line: str, phrases: Sequence[str]) -> str:
    """``line`` without a trailing furniture phrase glued on (no space, or after a sentence)."""
    folded = line.casefold()
    for phrase in phrases:
        size = len(phrase)
        if len(line) <= size or not folded.endswith(phrase.casefold()):
            continue
        before = line[:-size]
        if _glued_at(before, line[-size]) or before.rstrip()[-1:] in '.!?"”’)':
            return before.rstrip()
    return line


def _glued_at(before: str, first: str) -> bool:
    """True when a phrase starting with ``first`` is glued to ``before`` (no word boundary lost)."""
    last = before[-1]
    if last.isspace():
        return False
    return not last.isalnum() or first.isupper() or not first.isalpha()


# -- learned boilerplate ------------------------------------------------------


def line_key(line: str) -> str:
    """A short stable key for ``line``: blake2b (8 bytes, hex) of its normalised form."""
    return hashlib.blake2b(normalize_line(line).encode("utf-8"), digest_size=8).hexdigest()


def candidate_lines(text: str, max_len: int = 200) -> dict[str, str]:
    """Key → line for each distinct line of ``text`` short enough to be boilerplate.

    Lines longer than ``max_len`` characters are real paragraphs and never
    candidates; blank lines are skipped. The first spelling of a key wins.
    """
    candidates: dict[str, str] = {}
    for raw in text.split("\n"):
        line = raw.strip()
        if line and len(line) <= max_len:
            candidates.setdefault(line_key(line), line)
    return candidates


def remove_learned(text: str, learned: Collection[str]) -> str:
    """``text`` without the lines whose :func:`line_key` is in ``learned``."""
    if not learned:
        return text
    kept = [line for line in text.split("\n") if not line.strip() or line_key(line) not in learned]
    return "\n".join(kept).strip("\n")


def content_hash(text: str) -> str:
    """sha256 hex of ``text`` with whitespace collapsed: the exact-duplicate key."""
    normal = _SPACE.sub(" ", text).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()
