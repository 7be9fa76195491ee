"""Daily digests: which articles a digest covers, built per watchlist and stored.

The digest dated D covers articles first discovered (``fetched_at``) from D−1
at ``digest_time`` to D at ``digest_time``, local time (DESIGN.md, "Digests").
It holds one :class:`Entry` per story cluster: the cluster's strongest (then
earliest) article in the window, with the other outlets that carried the story.
Entries are ordered by strength, then by when they were found.

:func:`build_digest` reads the store; :func:`save_digest` writes the
``digests`` row (rebuilding a digest replaces it); :func:`stored_digests` reads
them back, newest first, for the rolling feed. Rendering lives in
:mod:`monitor.exports`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from monitor import clock
from monitor.store import Store

log = logging.getLogger(__name__)


def window(day: date, timezone: str, digest_time: str) -> tuple[datetime, datetime]:
    """The UTC start and end of the digest dated ``day``: D−1 and D at ``digest_time``, local."""
    return _at(day - timedelta(days=1), timezone, digest_time), _at(day, timezone, digest_time)


def latest_complete_day(now: datetime, timezone: str, digest_time: str) -> date:
    """The date of the newest digest whose window has ended at ``now``."""
    today = clock.local_date(now, timezone)
    if _at(today, timezone, digest_time) <= now:
        return today
    return today - timedelta(days=1)


def _at(day: date, timezone: str, digest_time: str) -> datetime:
    """``day`` at local ``digest_time`` ("HH:MM") in ``timezone``, as an aware UTC datetime."""
    return clock.at_local(day, time.fromisoformat(digest_time), timezone)


@dataclass(frozen=True)
class Outlet:
    """Another article or outlet that carried an entry's story ("also carried by")."""

    site: str
    url: str
    title: str | None


@dataclass(frozen=True)
class Entry:
    """One story of a digest, represented by its strongest article in the window."""

    cluster_id: int
    article_id: int
    title: str | None
    url: str
    site: str
    published_at: str | None
    fetched_at: str
    late: bool
    terms: tuple[str, ...]
    strength: int
    snippet: str  # matches marked [[ ]], as stored in ``hits``
    also: tuple[Outlet, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The entry in DESIGN.md's digest JSON shape."""
        return {
            "cluster_id": self.cluster_id,
            "article_id": self.article_id,
            "title": self.title,
            "url": self.url,
            "site": self.site,
            "published_at": self.published_at,
            "fetched_at": self.fetched_at,
            "late": self.late,
            "terms": list(self.terms),
            "strength": self.strength,
            "snippet": self.snippet,
            "also": [{"site": o.site, "url": o.url, "title": o.title} for o in self.also],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        """An entry read back from a stored digest's JSON."""
        also = tuple(Outlet(o["site"], o["url"], o.get("title")) for o in data.get("also", []))
        values = {key: data[key] for key in _ENTRY_KEYS}
        return cls(**{**values, "terms": tuple(values["terms"]), "also": also})


_ENTRY_KEYS = (
    "cluster_id",
    "article_id",
    "title",
    "url",
    "site",
    "published_at",
    "fetched_at",
    "late",
    "terms",
    "strength",
    "snippet",
)


@dataclass(frozen=True)
class Digest:
    """The digest dated ``day`` for one watchlist."""

    day: date
    watchlist: str
    timezone: str
    start: datetime  # aware UTC
    end: datetime  # aware UTC
    generated_at: datetime  # aware UTC
    entries: tuple[Entry, ...] = ()
    article_count: int = field(default=0, compare=False)  # matched articles, before folding

    def to_json(self) -> dict[str, Any]:
        """The digest in DESIGN.md's JSON shape (stored and exported)."""
        return {
            "date": self.day.isoformat(),
            "watchlist": self.watchlist,
            "timezone": self.timezone,
            "window": {"start": clock.iso(self.start), "end": clock.iso(self.end)},
            "generated_at": clock.iso(self.generated_at),
            "entries": [entry.to_json() for entry in self.entries],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], article_count: int = 0) -> Digest:
        """A digest read back from its stored JSON."""
        return cls(
            day=date.fromisoformat(data["date"]),
            watchlist=data["watchlist"],
            timezone=data["timezone"],
            start=clock.parse_iso(data["window"]["start"]),
            end=clock.parse_iso(data["window"]["end"]),
            generated_at=clock.parse_iso(data["generated_at"]),
            entries=tuple(Entry.from_json(entry) for entry in data["entries"]),
            article_count=article_count,
        )


def build_digest(
    store: Store,
    watchlist: str,
    day: date,
    *,
    timezone: str,
    digest_time: str,
    generated_at: datetime | None = None,
) -> Digest:
    """The digest dated ``day`` for ``watchlist``, read from the store (nothing is written)."""
    start, end = window(day, timezone, digest_time)
    rows = window_hits(store, watchlist, clock.iso(start), clock.iso(end))
    entries = [_entry(store, row, start) for row in strongest_per_cluster(rows)]
    entries.sort(key=lambda e: (-e.strength, e.fetched_at, e.cluster_id))
    return Digest(
        day=day,
        watchlist=watchlist,
        timezone=timezone,
        start=start,
        end=end,
        generated_at=(generated_at or clock.now()).astimezone(UTC),
        entries=tuple(entries),
        article_count=len(rows),
    )


def window_hits(store: Store, watchlist: str, start: str, end: str) -> list[dict]:
    """The articles with a hit for ``watchlist`` fetched in [start, end), with their hit.

    CROSS JOIN keeps SQLite reading the window's articles first (by ``fetched_at``),
    so the cost follows the window, not the watchlist's whole history.
    """
    return store.rows(
        "SELECT a.id, a.cluster_id, a.title, a.url, a.site, a.published_at, a.fetched_at, "
        "h.terms, h.strength, h.snippet FROM articles a CROSS JOIN hits h ON h.article_id = a.id "
        "WHERE h.watchlist = ? AND a.fetched_at >= ? AND a.fetched_at < ? "
        "ORDER BY coalesce(a.cluster_id, a.id), h.strength DESC, a.fetched_at, a.id",
        [watchlist, start, end],
    )


def strongest_per_cluster(rows: list[dict]) -> list[dict]:
    """The first row of each story cluster (rows come strongest, then earliest, first)."""
    chosen: dict[int, dict] = {}
    for row in rows:
        chosen.setdefault(int(row["cluster_id"] or row["id"]), row)
    return list(chosen.values())


def _entry(store: Store, row: dict, start: datetime) -> Entry:
    return story_entry(
        store,
        row,
        terms=parse_terms(row["terms"]),
        strength=int(row["strength"] or 0),
        snippet=row["snippet"] or "",
        late=is_late(row["published_at"], start),
    )


def story_entry(
    store: Store, article: dict, *, terms: list[str], strength: int, snippet: str, late: bool
) -> Entry:
    """The entry of ``article``'s story, with the other outlets that carried it."""
    cluster_id = int(article["cluster_id"] or article["id"])
    also = store.other_outlets(cluster_id, exclude_article_id=article["id"])
    return Entry(
        cluster_id=cluster_id,
        article_id=int(article["id"]),
        title=article["title"],
        url=article["url"],
        site=article["site"],
        published_at=article["published_at"],
        fetched_at=article["fetched_at"],
        late=late,
        terms=tuple(dict.fromkeys(terms)),
        strength=strength,
        snippet=snippet,
        also=tuple(Outlet(o["site"], o["url"], o["title"]) for o in also),
    )


def is_late(published_at: str | None, start: datetime) -> bool:
    """Whether an article found in a window was published before it began."""
    if not published_at:
        return False
    try:
        return clock.parse_iso(published_at) < start
    except ValueError:
        return False


def parse_terms(stored: str | None) -> list[str]:
    """The terms of a ``hits`` row (a JSON list); unreadable JSON gives none."""
    try:
        terms = json.loads(stored or "[]")
    except json.JSONDecodeError:
        return []
    return [str(term) for term in terms] if isinstance(terms, list) else []


def save_digest(store: Store, digest: Digest, markdown: str) -> None:
    """Store ``digest`` (its Markdown and JSON); an existing row for its date is replaced."""
    values = [
        digest.day.isoformat(),
        digest.watchlist,
        clock.iso(digest.generated_at),
        digest.article_count,
        markdown,
        json.dumps(digest.to_json(), ensure_ascii=False, sort_keys=False),
    ]
    with store.write():
        store.db.execute(
            "INSERT INTO digests (date, watchlist, generated_at, article_count, markdown, json) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (date, watchlist) DO UPDATE SET "
            "generated_at = excluded.generated_at, article_count = excluded.article_count, "
            "markdown = excluded.markdown, json = excluded.json",
            values,
        )


def stored_digests(store: Store, watchlist: str, batch: int = 20) -> Iterator[Digest]:
    """The stored digests of ``watchlist``, newest date first, read a batch at a time.

    A row whose JSON cannot be read is skipped with a warning.
    """
    before = "9999-12-31"
    while True:
        rows = store.rows(
            "SELECT date, json, article_count FROM digests WHERE watchlist = ? AND date < ? "
            "ORDER BY date DESC LIMIT ?",
            [watchlist, before, batch],
        )
        for row in rows:
            digest = _load(row, watchlist)
            if digest is not None:
                yield digest
        if len(rows) < batch:
            return
        before = rows[-1]["date"]


def _load(row: dict, watchlist: str) -> Digest | None:
    try:
        return Digest.from_json(json.loads(row["json"]), int(row["article_count"] or 0))
    except (TypeError, ValueError, KeyError) as exc:
        log.warning(
            "digest %s %s: stored JSON unreadable, skipped: %s", watchlist, row["date"], exc
        )
        return None
