"""Text normalisation for watchlist matching, with a map back to the original text.

Matching runs on a *folded* copy of the text (see DESIGN.md, "Matching rules"):

- URLs and e-mail addresses become one :data:`MASK` character, so no term matches
  inside them and no phrase runs across them;
- every run of characters that are not letters, digits or marks (spaces,
  punctuation, typographic quotes and dashes, symbols) becomes one space, so a
  phrase matches across any whitespace or punctuation;
- words are NFKC-normalised (full-width ``ＴＨＡＡＤ`` is ``THAAD``), Latin letters
  lose their accents (``café`` is ``cafe``) and are case-folded.

A *cased* copy of the same length keeps the case, for the terms matched
case-sensitively. :meth:`Folded.source_span` maps a span of the folded text back
to the original, for snippets and highlighting.
"""

from __future__ import annotations

import re
import string
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import regex

MASK = "\x00"
"""Stands for a masked URL or e-mail address in folded text."""
BREAK = "\x01"
"""Separates sections (title and body) in folded text; nothing matches across it."""

_WORD = r"\p{L}\p{N}\p{M}"
_TLDS = "com|org|net|gov|edu|int|mil|info|biz|news|io|co|kr|cn|jp|uk|us|ru|de|fr|tw|hk"
# URLs and e-mail addresses, masked so that no term matches inside them
_URL = regex.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
_WWW = regex.compile(rf"www\.[{_WORD}-]+\.\S+")
_EMAIL_DOMAIN = regex.compile(rf"@[{_WORD}-]+(?:\.[{_WORD}-]+)+")
_EMAIL_LOCAL = regex.compile(rf"[{_WORD}._%+-]")
_TLD = re.compile(rf"\.(?:{_TLDS})\b")
_HOST = regex.compile(rf"[{_WORD}-]+(?:\.[{_WORD}-]+)*\.(?:{_TLDS})(?:/\S*)?(?![{_WORD}])")
_IN_WORD = regex.compile(rf"[{_WORD}]")
_HOST_CHAR = regex.compile(rf"[{_WORD}.-]")
# folding in bulk: separator runs, then words holding non-ASCII characters
_ASCII_SEP = re.compile(r"[^A-Za-z0-9\x00\x01]+")
_SEP = regex.compile(rf"[^{_WORD}\x00\x01]+")
_WIDE_WORD = re.compile(r"[^ \x00\x01]*[^\x00-\x7f][^ \x00\x01]*")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# the same, piece by piece, to map positions back (only for texts that matched)
_PIECES = regex.compile(
    rf"(?P<sep>[^{_WORD}\x00\x01]{{2,}}|[^{_WORD}\x00\x01 ])"
    rf"|(?P<word>(?<![{_WORD}])[{_WORD}]*?[[{_WORD}]--[\x00-\x7f]][{_WORD}]*)",
    regex.VERSION1,
)


_UNSPACED = (
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0x1100, 0x11FF),  # Hangul jamo
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x20000, 0x3134F),  # CJK extensions B and later
)
_UNSPACED_CHAR = re.compile("([" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _UNSPACED) + "])")


def is_unspaced(char: str) -> bool:
    """True for Hangul, CJK, kana and the other scripts whose terms match inside words."""
    code = ord(char)
    return any(low <= code <= high for low, high in _UNSPACED)


def is_boundary(char: str) -> bool:
    """True when ``char`` (of folded text) ends a word of a space-separated script."""
    return char in " \x00\x01" or is_unspaced(char)


@lru_cache(maxsize=65536)
def fold_word(word: str) -> tuple[str, str]:
    """(cased, folded) forms of one word holding non-ASCII characters, of equal length.

    NFKC first, then Latin accents removed; the cased form keeps the letters'
    case, except where folding one character gives several (``ß`` → ``ss``).
    """
    cased = _strip_latin_accents(unicodedata.normalize("NFKC", word))
    folded = cased.casefold()
    if len(folded) != len(cased):  # keep the case of the characters that fold one to one
        pieces = [(char, char.casefold()) for char in cased]
        cased = "".join(char if len(low) == 1 else low for char, low in pieces)
        folded = "".join(low for _, low in pieces)
    return cased, folded


def _strip_latin_accents(text: str) -> str:
    if text.isascii():
        return text
    out: list[str] = []
    latin = False
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if not latin:
                out.append(char)
            continue
        latin = char < "\u0250" or "\u1e00" <= char <= "\u1eff"  # the Latin blocks
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


@dataclass
class Folded:
    """The folded and cased copies of a text, and how their positions map back."""

    source: str
    folded: str
    cased: str
    masks: list[tuple[int, int]] = field(repr=False)
    _map: tuple[list[int], list[int], list[bool]] | None = field(default=None, repr=False)
    _tokens: list[int] | None = field(default=None, repr=False)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that folded ``[start, end)`` came from."""
        return self._source_pos(start, False), self._source_pos(end - 1, True)

    def _source_pos(self, pos: int, after: bool) -> int:
        if self._map is None:
            self._map = _position_map(self.source, self.masks)
        new, old, same = self._map
        i = bisect_right(new, pos) - 1
        if same[i]:
            return old[i] + pos - new[i] + after
        # a piece whose length changed maps as a whole
        return old[i + 1] if after else old[i]

    def token_at(self, pos: int) -> int:
        """The index of the word (token) holding folded position ``pos``, for NEAR."""
        if self._tokens is None:
            self._tokens = [m.start() for m in _TOKENS.finditer(self.folded)]
        return bisect_right(self._tokens, pos) - 1


_CHARACTER_WORDS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}"  # each character is a word
_TOKENS = regex.compile(rf"[{_CHARACTER_WORDS}]|[^ \x01{_CHARACTER_WORDS}]+")


def fold(text: str) -> Folded:
    """Fold ``text`` for matching; positions map back through :meth:`Folded.source_span`."""
    return fold_sections([text])


def fold_sections(sections: list[str]) -> Folded:
    """Fold several texts (title, body) as one, a :data:`BREAK` between them.

    Whole-string substitutions do the work; the position map is built only
    when a match needs mapping back (:func:`_position_map`).
    """
    source = BREAK.join(_without_controls(section) for section in sections)
    masks = mask_spans(source)
    masked = _apply_masks(source, masks)
    if masked.isascii():
        cased = _ASCII_SEP.sub(" ", masked)
        return Folded(source, cased.lower(), cased, masks)
    collapsed = _SEP.sub(" ", masked)
    cased = _WIDE_WORD.sub(lambda m: fold_word(m.group())[0], collapsed)
    folded = _WIDE_WORD.sub(lambda m: fold_word(m.group())[1], collapsed)
    return Folded(source, folded.translate(_ASCII_LOWER), cased, masks)


def _without_controls(text: str) -> str:
    """Our two marker characters never come from the article itself."""
    if MASK in text or BREAK in text:
        return text.replace(MASK, " ").replace(BREAK, " ")
    return text


def mask_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds URLs, e-mail addresses and bare host names, in order.

    Each kind is found from a cheap anchor (``://``, ``www.``, ``@``, ``.com``…)
    and grown from there, so a text without them costs a few substring searches.
    """
    spans = [*_urls(text), *_emails(text), *_hosts(text)]
    merged: list[tuple[int, int]] = []
    for span in sorted(spans):
        if merged and span[0] < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span[1]))
        else:
            merged.append(span)
    return merged


def _anchors(text: str, anchor: str) -> Iterator[int]:
    pos = text.find(anchor)
    while pos >= 0:
        yield pos
        pos = text.find(anchor, pos + 1)


def _urls(text: str) -> Iterator[tuple[int, int]]:
    for pos in _anchors(text, "://"):
        start = pos
        while (
            start > 0
            and pos - start < 12
            and text[start - 1].isascii()
            and (text[start - 1].isalnum() or text[start - 1] in "+.-")
        ):
            start -= 1
        if start < pos and not _word_before(text, start) and (url := _URL.match(text, start)):
            yield url.span()
    for pos in _anchors(text, "www."):
        if not _word_before(text, pos, ".") and (url := _WWW.match(text, pos)):
            yield url.span()


def _emails(text: str) -> Iterator[tuple[int, int]]:
    for pos in _anchors(text, "@"):
        start = pos
        while start > 0 and _EMAIL_LOCAL.match(text, start - 1):
            start -= 1
        if start < pos and (domain := _EMAIL_DOMAIN.match(text, pos)):
            yield start, domain.end()


def _hosts(text: str) -> Iterator[tuple[int, int]]:
    for tld in _TLD.finditer(text):
        start = tld.start()
        while start > 0 and (_IN_WORD.match(text, start - 1) or text[start - 1] in ".-"):
            start -= 1
        if host := _HOST.match(text, start):
            yield host.span()


def _word_before(text: str, pos: int, also: str = "") -> bool:
    return pos > 0 and (bool(_IN_WORD.match(text, pos - 1)) or text[pos - 1] in also)


def _apply_masks(text: str, masks: list[tuple[int, int]]) -> str:
    if not masks:
        return text
    parts, last = [], 0
    for start, end in masks:
        parts += [text[last:start], MASK]
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _position_map(
    source: str, masks: list[tuple[int, int]]
) -> tuple[list[int], list[int], list[bool]]:
    """Piece by piece, where each piece of the folded text starts, and came from.

    Returns (folded starts, source starts, same length), with a closing sentinel.
    """
    return _pieces(source, masks)[:3]  # type: ignore[return-value]


def _pieces(
    source: str, masks: list[tuple[int, int]]
) -> tuple[list[int], list[int], list[bool], str]:
    """The position map, and the folded text rebuilt piece by piece.

    The rebuilt text equals :func:`fold_sections`' (a property test holds them
    equal), which is what makes the map true.
    """
    new: list[int] = []
    old: list[int] = []
    same: list[bool] = []
    parts: list[str] = []

    def piece(start: int, end: int, folded: str) -> None:
        new.append(new[-1] + len(parts[-1]) if new else 0)
        old.append(start)
        same.append(len(folded) == end - start)
        parts.append(folded)

    last = 0
    for start, end in [*masks, (len(source), len(source))]:
        for match in _PIECES.finditer(source, last, start):
            if match.start() > last:  # ASCII words and single spaces, unchanged but for case
                piece(last, match.start(), source[last : match.start()].lower())
            folded = " " if match.lastgroup == "sep" else fold_word(match.group())[1]
            piece(match.start(), match.end(), folded)
            last = match.end()
        if start > last:
            piece(last, start, source[last:start].lower())
        if end > start:
            piece(start, end, MASK)
        last = end
    text = "".join(parts)
    new.append(len(text))
    old.append(len(source))
    same.append(True)
    return new, old, same, text


def folded_by_pieces(text: str) -> str:
    """``fold(text).folded`` rebuilt piece by piece, as the position map sees it (for tests)."""
    folded = fold(text)
    return _pieces(folded.source, folded.masks)[3]


def index_text(folded: str) -> str:
    """Folded text as the search index holds it: every Hangul/CJK character a word.

    The index (``search_index``, FTS5) then finds a folded term wherever the
    matcher can: as a phrase of whole tokens, a Hangul/CJK term inside a word
    included (``사드`` in ``사드를``, ``THAAD`` in ``THAAD를``).
    """
    spaced = folded.replace(MASK, " ").replace(BREAK, " ")
    if spaced.isascii():
        return spaced
    return _UNSPACED_CHAR.sub(r" \1 ", spaced)
