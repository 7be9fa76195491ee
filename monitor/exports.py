"""Digest exports (Markdown, HTML, CSV, JSON, Atom) and the article export (CSV, JSONL).

Everything scraped is untrusted (DESIGN.md, "Behaviour users rely on"): HTML is
rendered by jinja2 with autoescape on and a Content-Security-Policy that allows
no script (SEC-1); an href is only ever an http/https URL, any other URL is shown
as text (SEC-2); CSV cells that a spreadsheet would read as a formula are
prefixed with ``'`` (SEC-3); Markdown escapes what would turn text into markup
or raw HTML; Atom drops characters XML cannot hold. File names come from
watchlist slugs that are checked again here, and every path is checked to lie
inside the export directory (SEC-6). Files are written whole or not at all
(a temporary file renamed into place).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from monitor import clock
from monitor.digest import (
    Digest,
    Entry,
)
from monitor.errors import MonitorError
from monitor.snippets import CLOSE, OPEN, snippet_html, snippet_plain
from monitor.untrusted import clean_text, neutralise, safe_href

FORMATS = ("md", "html", "csv", "json", "atom")
UNTITLED = "(untitled)"


class ExportError(MonitorError):
    """An export cannot be written as asked (an unsafe name or a path outside the directory)."""


# -- file names ----------------------------------------------------------------

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def safe_name(name: str) -> str:
    """``name`` if it is a slug fit for a file name ([a-z0-9_-], no NUL, no path), else refuse."""
    if not isinstance(name, str) or not _SLUG.fullmatch(name):
        raise ExportError(
            f"refusing to use {name!r} as a file name: "
            "a watchlist name must be a slug (a-z, 0-9, '-', '_')"
        )
    return name


def export_path(out: Path, day: date, watchlist: str, ext: str) -> Path:
    """``<out>/<day>/<watchlist>.<ext>``, checked to lie inside ``out`` (SEC-6)."""
    folder = day.isoformat()
    if not _DAY.fullmatch(folder) or ext not in FORMATS:
        raise ExportError(f"refusing to write a {ext!r} export dated {folder!r}")
    return inside(out, folder, f"{safe_name(watchlist)}.{ext}")


def rolling_path(out: Path, watchlist: str) -> Path:
    """``<out>/<watchlist>.atom``, the rolling feed, checked to lie inside ``out``."""
    return inside(out, f"{safe_name(watchlist)}.atom")


def inside(base: Path, *parts: str) -> Path:
    """``base/parts…`` with symlinks resolved; refused unless it stays under ``base``."""
    if any("\0" in part for part in (str(base), *parts)):
        raise ExportError("refusing a path that holds a NUL character")
    root = os.path.realpath(base)
    target = os.path.realpath(os.path.join(root, *parts))
    if os.path.commonpath([root, target]) != root or target == root:
        raise ExportError(f"refusing to write {os.path.join(*parts)!r} outside {root}")
    return Path(target)


def write_file(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` whole: a temporary file beside it, renamed into place."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with replacing(path, binary=True) as handle:
        handle.write(raw)
    return path


@contextmanager
def replacing(path: Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to write that replaces ``path`` when the block succeeds (and nothing if not)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        mode = "wb" if binary else "w"
        encoding = None if binary else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding, newline=None if binary else "") as handle:
            yield handle
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- times ---------------------------------------------------------------------


def local_time(moment: datetime | str | None, timezone: str) -> str:
    """``YYYY-MM-DD HH:MM`` in ``timezone`` ("" when there is no readable time)."""
    if isinstance(moment, str):
        moment = clock.parse_iso_or_none(moment)
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def summary(digest: Digest) -> str:
    """The digest's one-line summary (or its "no articles" line)."""
    span = (
        f"between {local_time(digest.start, digest.timezone)} and "
        f"{local_time(digest.end, digest.timezone)} ({digest.timezone})"
    )
    if not digest.entries:
        return f"No new articles matched {digest.watchlist} {span}."
    stories = _plural(len(digest.entries), "story", "stories")
    articles = _plural(digest.article_count or len(digest.entries), "article", "articles")
    return f"{stories} ({articles}) first seen {span}."


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


# -- Markdown ------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
_MD_BULLET = re.compile(r"^([-+=])")
_MD_NUMBER = re.compile(r"^(\d+)([.)])")
_MD_URL = str.maketrans({c: f"%{ord(c):02X}" for c in " ()<>\\`\"'"})
_MARK = re.compile(re.escape(OPEN) + "(.+?)" + re.escape(CLOSE))


def md(text: str | None) -> str:
    """Untrusted text as Markdown text: one line, markup characters backslash-escaped."""
    return _md_escape(clean_text(text))


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_link(text: str, url: str) -> str:
    """``[text](url)`` for an http/https URL; otherwise the text and the URL, both as text."""
    href = safe_href(url)
    if href is None:
        return f"{md(text)} (URL not linked: {md(url)})"
    return f"[{md(text)}]({href.translate(_MD_URL)})"


def md_snippet(snippet: str) -> str:
    """A snippet as Markdown: the text escaped, matches in bold."""
    parts = _MARK.split(clean_text(snippet))
    text = "".join(
        f"**{_md_escape(part)}**" if i % 2 else _md_escape(part) for i, part in enumerate(parts)
    )
    return _MD_NUMBER.sub(r"\1\\\2", _MD_BULLET.sub(r"\\\1", text))


def render_markdown(digest: Digest) -> str:
    """The digest as Markdown (deterministic: stored in ``digests.markdown``)."""
    lines = [f"# {md(digest.watchlist)}: digest {digest.day.isoformat()}", "", md(summary(digest))]
    for rank, entry in enumerate(digest.entries, 1):
        lines += ["", *_md_entry(rank, entry, digest.timezone)]
    generated = local_time(digest.generated_at, digest.timezone)
    lines += ["", "---", "", f"Generated {generated} ({digest.timezone}) by Press Monitor."]
    return "\n".join(lines) + "\n"


def _md_entry(rank: int, entry: Entry, timezone: str) -> list[str]:
    heading = f"## {rank}. {md_link(entry.title or UNTITLED, entry.url)}"
    lines = [heading, "", _meta(entry, timezone)]
    if entry.snippet:
        lines += ["", f"> {md_snippet(entry.snippet)}"]
    if entry.also:
        lines += ["", "Also carried by:", ""]
        lines += [f"- {md(o.site)}: {md_link(o.title or UNTITLED, o.url)}" for o in entry.also]
    return lines


def _meta(entry: Entry, timezone: str) -> str:
    parts = [md(entry.site)]
    if entry.published_at:
        parts.append(f"published {local_time(entry.published_at, timezone)}")
    if entry.late:
        parts.append("**late**")
    parts += [f"found {local_time(entry.fetched_at, timezone)}", f"strength {entry.strength}"]
    if entry.terms:
        parts.append(md(", ".join(entry.terms)))
    return " · ".join(parts)


# -- HTML ----------------------------------------------------------------------

TEMPLATES = Environment(
    loader=PackageLoader("monitor", "templates"),
    autoescape=True,  # every template is HTML (SEC-1)
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def entry_view(entry: Entry, timezone: str) -> dict[str, Any]:
    """What the templates show of an entry: cleaned text, safe hrefs, the snippet as HTML."""
    return {
        "title": clean_text(entry.title) or UNTITLED,
        "href": safe_href(entry.url),
        "url": clean_text(entry.url),
        "site": clean_text(entry.site),
        "published": local_time(entry.published_at, timezone) if entry.published_at else "",
        "found": local_time(entry.fetched_at, timezone),
        "late": entry.late,
        "strength": entry.strength,
        "terms": clean_text(", ".join(entry.terms)),
        "snippet": Markup(snippet_html(clean_text(entry.snippet))),  # noqa: S704 (escapes, then bolds)
        "also": [
            {
                "site": clean_text(o.site),
                "title": clean_text(o.title) or UNTITLED,
                "href": safe_href(o.url),
                "url": clean_text(o.url),
            }
            for o in entry.also
        ],
    }


def render_html(digest: Digest) -> str:
    """The digest as one self-contained HTML page (inline CSS, no script, no remote asset)."""
    return TEMPLATES.get_template("digest.html.j2").render(
        watchlist=clean_text(digest.watchlist),
        date=digest.day.isoformat(),
        timezone=digest.timezone,
        summary=summary(digest),
        generated=local_time(digest.generated_at, digest.timezone),
        entries=[entry_view(entry, digest.timezone) for entry in digest.entries],
    )


# -- CSV and JSON --------------------------------------------------------------

DIGEST_CSV_FIELDS = (
    "date",
    "watchlist",
    "rank",
    "cluster_id",
    "article_id",
    "title",
    "url",
    "site",
    "published_at",
    "fetched_at",
    "late",
    "strength",
    "terms",
    "snippet",
    "also",
)


def render_csv(digest: Digest) -> str:
    """The digest as CSV: a header, then one row per entry, formula-like cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(DIGEST_CSV_FIELDS)
    for rank, entry in enumerate(digest.entries, 1):
        writer.writerow(neutralise(cell) for cell in _csv_row(digest, rank, entry))
    return buffer.getvalue()


def _csv_row(digest: Digest, rank: int, entry: Entry) -> list[Any]:
    also = "; ".join(f"{o.site} {o.url}" for o in entry.also)
    return [
        digest.day.isoformat(),
        digest.watchlist,
        rank,
        entry.cluster_id,
        entry.article_id,
        entry.title or "",
        entry.url,
        entry.site,
        entry.published_at or "",
        entry.fetched_at,
        "yes" if entry.late else "no",
        entry.strength,
        "; ".join(entry.terms),
        snippet_plain(entry.snippet),
        also,
    ]


def render_json(digest: Digest) -> str:
    """The digest in DESIGN.md's JSON shape, indented."""
    return json.dumps(digest.to_json(), ensure_ascii=False, indent=2) + "\n"
