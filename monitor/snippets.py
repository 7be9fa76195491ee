"""Highlighted snippets: ~200 characters around the strongest match, matches marked.

Stored snippets mark matches as ``[[THAAD]]``; :func:`snippet_html` escapes the
(untrusted) text first and only then turns the marks into ``<b>``. Brackets that
the article itself holds are spaced apart (``[ [``), so every mark is ours.
"""

from __future__ import annotations

import html
import re

OPEN, CLOSE = "[[", "]]"
WIDTH = 200
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"\n|\s[.!?]")  # searched in reversed text
_DEFUSE_OPEN = re.compile(r"\[(?=\[|$)")  # "[[" and a "[" just before a mark
_DEFUSE_CLOSE = re.compile(r"(?<=\])\]|^\]")  # "]]" and a "]" just after a mark
_BOLD = re.compile(re.escape(html.escape(OPEN)) + "|" + re.escape(html.escape(CLOSE)))


def make_snippet(text: str, spans: list[tuple[int, int]], width: int = WIDTH) -> str:
    """About ``width`` characters of ``text`` around the window holding most ``spans``."""
    spans = sorted(span for span in spans if 0 <= span[0] < span[1] <= len(text))
    if not spans:
        return _clip(text, 0, width)
    start, end = _window(text, spans, width)
    parts: list[str] = ["…" if start > 0 else ""]
    pos = start
    for span_start, span_end in spans:
        if span_start < pos or span_end > end:
            continue
        parts += [_defuse(text[pos:span_start]), OPEN, _defuse(text[span_start:span_end]), CLOSE]
        pos = span_end
    parts += [_defuse(text[pos:end]), "…" if end < len(text) else ""]
    return _SPACE.sub(" ", "".join(parts)).strip()


def _window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """The start and end, at word boundaries, of the window covering the most spans."""
    best, best_count = spans[0], 0
    for span in spans:
        limit = span[0] + width * 3 // 4
        count = sum(1 for other in spans if span[0] <= other[0] and other[1] <= limit)
        if count > best_count:
            best, best_count = span, count
    start = _sentence_start(text, best[0], width // 2)
    if start is None:
        start = _word_start(text, max(0, min(best[0] - width // 4, len(text) - width)), best[0])
    end = min(len(text), max(start + width, best[1]))
    return start, _word_end(text, end, best[1])


def _sentence_start(text: str, pos: int, reach: int) -> int | None:
    """The start of the sentence or paragraph holding ``pos``, if within ``reach`` before it."""
    floor = max(0, pos - reach)
    if floor == 0:
        return 0
    found = _SENTENCE_END.search(text[floor:pos][::-1])
    return pos - found.start() if found else None


def _word_start(text: str, pos: int, limit: int) -> int:
    """Move ``pos`` forward to the start of a word (never past ``limit``)."""
    if pos == 0 or text[pos - 1].isspace():
        return pos
    space = text.find(" ", pos, limit)
    return space + 1 if space >= 0 else pos


def _word_end(text: str, pos: int, limit: int) -> int:
    """Move ``pos`` back to the end of a word (never before ``limit``)."""
    if pos >= len(text) or text[pos].isspace():
        return pos
    space = text.rfind(" ", limit, pos)
    return space if space >= 0 else pos


def _clip(text: str, start: int, width: int) -> str:
    end = _word_end(text, min(len(text), start + width), start)
    return _SPACE.sub(" ", _defuse(text[start:end]) + ("…" if end < len(text) else "")).strip()


def _defuse(text: str) -> str:
    """Space apart brackets that would read as (or run into) a mark."""
    return _DEFUSE_CLOSE.sub(" ]", _DEFUSE_OPEN.sub("[ ", text))


def snippet_html(snippet: str) -> str:
    """The snippet as HTML: the text escaped, the matches in ``<b>``."""
    escaped = html.escape(snippet)
    return _BOLD.sub(lambda m: "<b>" if m.group() == html.escape(OPEN) else "</b>", escaped)


def snippet_plain(snippet: str) -> str:
    """The snippet without marks, for plain-text channels."""
    return snippet.replace(OPEN, "").replace(CLOSE, "")
