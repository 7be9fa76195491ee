"""Text helpers of :mod:`monitor.extract`: a page's visible text, and the clean-up of
trafilatura's output into one paragraph per line.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Sequence

from monitor.boilerplate import normalize_line, strip_furniture
from monitor.decode import strip_controls

_SPACE = re.compile(r"\s+")
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
# Comments and tags, for one linear split of the markup (no backtracking on unclosed tags
# or comments); what lies between them, stray "<" included, is text.
_TAG = re.compile(r"<!--.*?(?:-->|\Z)|<(/?)([a-zA-Z][\w:-]*)[^<>]*>", re.DOTALL)
_HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "title", "select"})
_BLOCK_TAGS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dd", "dt", "tr",
     "td", "th", "table", "blockquote", "article", "section", "header", "footer", "nav", "aside",
     "main", "form", "figure", "figcaption", "br", "hr"}
)  # fmt: skip


def _page_text(html: str) -> str:
    """The page's visible text, one block per line, without a parser (any nesting depth)."""
    pieces = _TAG.split(html)  # text, then per match: closing "/", tag name (None: comment), text
    parts = [pieces[0]]
    hidden = ""
    for closing, tag, text in zip(pieces[1::3], pieces[2::3], pieces[3::3], strict=True):
        if tag is not None:
            tag = tag.lower()
            if hidden:
                if not closing or tag != hidden:
                    continue
                hidden = ""
            elif tag in _BLOCK_TAGS:
                parts.append("\n")
            elif tag in _HIDDEN_TAGS and not closing:
                hidden = tag
                continue
        elif hidden:
            continue
        parts.append(text)
    lines = (_collapse(line) for line in htmllib.unescape("".join(parts)).split("\n"))
    return "\n".join(line for line in lines if line)


def _collapse(text: str) -> str:
    """``text`` with each run of whitespace made one space, stripped (``\\s+`` → ``" "``)."""
    return " ".join(text.split())


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


def _clean_text(raw: str, title: str | None, boilerplate: Sequence[str]) -> str:
    """One paragraph per line, whitespace collapsed, furniture and a repeated title removed."""
    lines = [_collapse(line) for line in _ZERO_WIDTH.sub("", strip_controls(raw)).split("\n")]
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
