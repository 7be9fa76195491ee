"""A slow, obviously-correct reference for term matching, written from the spec alone.

It shares no code with ``monitor/`` (standard library only) so that the property
tests in ``test_matching_properties.py`` compare two independent readings of the
rules in DESIGN.md, "Matching rules":

- word characters are Unicode letters, numbers and marks; anything else separates;
- text and term are compared after NFKC, removing accents from Latin letters and
  case folding, except that a term which after NFKC is 2-5 characters of
  ``[A-Z0-9]`` is compared case-sensitively (NFKC and accent removal only);
- a multi-word term matches its words in a row with only separators between;
- a trailing ``*`` lets the last word match as a prefix of a text word;
- a term starting (ending) with a character of a script written without spaces
  (Hangul, CJK, kana, Thai, Lao, Khmer, Myanmar) matches inside words on that
  side; otherwise the neighbouring character must be a separator, the edge of
  the text or a character of such a script;
- the count is the number of distinct match start positions.
"""

from __future__ import annotations

import re
import unicodedata

_CASE_SENSITIVE = re.compile(r"[A-Z0-9]{2,5}")
_NO_SPACE_NAMES = (
    "HANGUL ",
    "CJK UNIFIED IDEOGRAPH",
    "CJK COMPATIBILITY IDEOGRAPH",
    "HIRAGANA ",
    "KATAKANA ",
    "THAI ",
    "LAO ",
    "KHMER ",
    "MYANMAR ",
)


def is_word_char(char: str) -> bool:
    """Letters, numbers and marks (categories L*, N*, M*)."""
    return unicodedata.category(char)[0] in "LNM"


def is_no_space(char: str) -> bool:
    """True for a character of a script written without spaces between words."""
    return unicodedata.name(char, "").startswith(_NO_SPACE_NAMES)


def _strip_latin_accents(word: str) -> str:
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", word):
        is_mark = unicodedata.category(char).startswith("M")
        after_latin = bool(kept) and unicodedata.name(kept[-1], "").startswith("LATIN ")
        if is_mark and after_latin:
            continue  # an accent on a Latin letter: drop it (the letter stays last)
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def normalise_word(word: str, *, case_sensitive: bool = False) -> str:
    """One word as compared: NFKC, Latin accents removed, and case-folded unless told not to."""
    cased = _strip_latin_accents(unicodedata.normalize("NFKC", word))
    return cased if case_sensitive else cased.casefold()


def split_words(text: str) -> list[tuple[int, str]]:
    """The words of ``text`` (runs of word characters) with their start positions."""
    words: list[tuple[int, str]] = []
    start = None
    for pos, char in enumerate([*text, " "]):
        if is_word_char(char):
            if start is None:
                start = pos
        elif start is not None:
            words.append((start, text[start:pos]))
            start = None
    return words


def normalise(text: str) -> str:
    """``text`` as compared (case-folded), its words joined by single spaces."""
    return " ".join(normalise_word(word) for _, word in split_words(text))


class RefTerm:
    """A term as the spec reads it: its compared words, case rule and trailing ``*``."""

    def __init__(self, words: tuple[str, ...], case_sensitive: bool, prefix: bool) -> None:
        self.words = words
        self.case_sensitive = case_sensitive
        self.prefix = prefix


def parse(term: str) -> RefTerm:
    """Read a term; raise ValueError when it has no word characters."""
    body = term.strip()
    prefix = body.endswith("*")
    if prefix:
        body = body[:-1]
    case_sensitive = bool(_CASE_SENSITIVE.fullmatch(unicodedata.normalize("NFKC", body).strip()))
    words = tuple(
        normalise_word(word, case_sensitive=case_sensitive) for _, word in split_words(body)
    )
    if not words or not all(words):
        raise ValueError(f"term {term!r} has nothing to match")
    return RefTerm(words, case_sensitive, prefix)


def _start_ok(term: RefTerm, word: str, offset: int) -> bool:
    if is_no_space(term.words[0][0]) or offset == 0:
        return True
    return is_no_space(word[offset - 1])


def _end_ok(term: RefTerm, word: str, end: int) -> bool:
    if term.prefix or is_no_space(term.words[-1][-1]) or end == len(word):
        return True
    return is_no_space(word[end])


def _matches_at(term: RefTerm, words: list[str], index: int, offset: int) -> bool:
    """Does ``term`` match starting at character ``offset`` of text word ``index``?"""
    first, last = term.words[0], term.words[-1]
    if len(term.words) == 1:
        if words[index][offset : offset + len(first)] != first:
            return False
        return _end_ok(term, words[index], offset + len(first))
    if index + len(term.words) > len(words):
        return False
    if words[index][offset:] != first:  # the first word runs to a separator
        return False
    middle = term.words[1:-1]
    if list(middle) != words[index + 1 : index + 1 + len(middle)]:
        return False
    last_word = words[index + len(term.words) - 1]
    return last_word.startswith(last) and _end_ok(term, last_word, len(last))


def count(term: str, text: str) -> int:
    """How many distinct start positions ``term`` matches at in ``text``."""
    parsed = parse(term)
    words = [
        normalise_word(word, case_sensitive=parsed.case_sensitive) for _, word in split_words(text)
    ]
    found = 0
    for index, word in enumerate(words):
        for offset in range(len(word)):
            if _start_ok(parsed, word, offset) and _matches_at(parsed, words, index, offset):
                found += 1
    return found


def counts(terms: list[str], text: str) -> dict[str, int]:
    """Each term that matches ``text`` → its count; terms without a match are left out."""
    result = {term: count(term, text) for term in terms}
    return {term: n for term, n in result.items() if n}
