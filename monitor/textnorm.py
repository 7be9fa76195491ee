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

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

import regex

MASK = "\x00"
"""Stands for a masked URL or e-mail address in folded text."""
BREAK = "\x01"
"""Separates sections (title and body) in folded text; nothing matches across it."""

_WORD = r"\p{L}\p{N}\p{M}"
_TLDS = "com|org|net|gov|edu|int|mil|info|biz|news|io|co|kr|cn|jp|uk|us|ru|de|fr|tw|hk"
_PIECES = regex.compile(
    # URLs and e-mail addresses, masked so that no term matches inside them
    rf"(?P<mask>(?<![{_WORD}])(?:https?|ftp)://\S+|(?<![{_WORD}.])www\.[{_WORD}-]+\.\S+"
    rf"|(?<![{_WORD}._%+-])[{_WORD}._%+-]+@[{_WORD}-]+(?:\.[{_WORD}-]+)+"
    rf"|(?<![{_WORD}.-])[{_WORD}-]+(?:\.[{_WORD}-]+)*\.(?:{_TLDS})(?:/\S*)?(?![{_WORD}]))"
    # separator runs that are not already exactly one space
    rf"|(?P<sep>[^{_WORD}\x00\x01]{{2,}}|[^{_WORD}\x00\x01 ])"
    # words holding a character outside ASCII (NFKC, accents, case folding)
    rf"|(?P<word>(?<![{_WORD}])[{_WORD}]*?[[{_WORD}]--[\x00-\x7f]][{_WORD}]*)",
    regex.VERSION1,
)
_CONTROL = str.maketrans({MASK: " ", BREAK: " "})


def is_unspaced(char: str) -> bool:
    """True for Hangul, CJK, kana and the other scripts whose terms match inside words."""
    code = ord(char)
    return (
        0xAC00 <= code <= 0xD7A3  # Hangul syllables
        or 0x1100 <= code <= 0x11FF  # Hangul jamo
        or 0x3040 <= code <= 0x30FF  # Hiragana, Katakana
        or 0x3130 <= code <= 0x318F  # Hangul compatibility jamo
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x0E00 <= code <= 0x0EFF  # Thai, Lao
        or 0x1000 <= code <= 0x109F  # Myanmar
        or 0x1780 <= code <= 0x17FF  # Khmer
        or 0x20000 <= code <= 0x3134F  # CJK extensions B and later
    )


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
    _new: list[int] = field(repr=False)
    _old: list[int] = field(repr=False)
    _same: list[bool] = field(repr=False)
    _tokens: list[int] | None = field(default=None, repr=False)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that folded ``[start, end)`` came from."""
        return self._source_pos(start, False), self._source_pos(end - 1, True)

    def _source_pos(self, pos: int, after: bool) -> int:
        i = bisect_right(self._new, pos) - 1
        offset = pos - self._new[i]
        if self._same[i]:
            return self._old[i] + offset + after
        # a piece whose length changed maps as a whole
        return self._old[i + 1] if after else self._old[i]

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
    """Fold several texts (title, body) as one, a :data:`BREAK` between them."""
    source = BREAK.join(section.translate(_CONTROL) for section in sections)
    cased: list[str] = []
    folded: list[str] = []
    new: list[int] = []
    old: list[int] = []
    same: list[bool] = []
    length = last = 0

    def piece(start: int, end: int, cased_piece: str, folded_piece: str) -> None:
        nonlocal length
        new.append(length)
        old.append(start)
        same.append(len(cased_piece) == end - start)
        cased.append(cased_piece)
        folded.append(folded_piece)
        length += len(cased_piece)

    for match in _PIECES.finditer(source):
        start, end = match.span()
        if start > last:  # ASCII words and single spaces, unchanged but for case
            plain = source[last:start]
            piece(last, start, plain, plain.lower())
        if match.lastgroup == "mask":
            piece(start, end, MASK, MASK)
        elif match.lastgroup == "sep":
            piece(start, end, " ", " ")
        else:
            piece(start, end, *fold_word(match.group()))
        last = end
    if last < len(source) or not new:
        plain = source[last:]
        piece(last, len(source), plain, plain.lower())
    new.append(length)
    old.append(len(source))
    same.append(True)
    return Folded(source, "".join(folded), "".join(cased), new, old, same)
