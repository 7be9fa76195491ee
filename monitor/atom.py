"""Atom feeds of digests: one per digest, and a rolling feed per watchlist.

A story's entry id is the same in every feed, so a feed reader shows a story that
comes back with new outlets as updated, not as new.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from feedgen.feed import FeedGenerator

from monitor import clock
from monitor.digest import Digest, Entry, stored_digests
from monitor.exports import TEMPLATES, UNTITLED, entry_view, rolling_path, safe_name, write_file
from monitor.store import Store
from monitor.untrusted import clean_text, safe_href

ROLLING_LIMIT = 100
TAG = "tag:press-monitor,2026:"  # Atom ids: TAG + "<watchlist>/story/<cluster_id>"


def entry_id(watchlist: str, cluster_id: int) -> str:
    """The Atom id of a story in a watchlist's feeds: the same in every digest and feed."""
    return f"{TAG}{safe_name(watchlist)}/story/{int(cluster_id)}"


def render_atom(digest: Digest) -> bytes:
    """The digest as an Atom feed, one entry per story."""
    return render_feed(
        digest.watchlist,
        [(entry, digest.timezone) for entry in digest.entries],
        feed_id=f"{TAG}{safe_name(digest.watchlist)}/digest/{digest.day.isoformat()}",
        title=f"{digest.watchlist}: digest {digest.day.isoformat()}",
        updated=digest.generated_at,
    )


def render_feed(
    watchlist: str,
    entries: Iterable[tuple[Entry, str]],
    *,
    feed_id: str,
    title: str,
    updated: datetime,
) -> bytes:
    """An Atom feed of (entry, timezone) pairs, in the order given."""
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(clean_text(title))
    feed.updated(updated)
    feed.author(name="Press Monitor")
    feed.generator("Press Monitor")
    for entry, timezone in entries:
        _atom_entry(feed, watchlist, entry, timezone, updated)
    return bytes(feed.atom_str(pretty=True))


def _atom_entry(
    feed: FeedGenerator, watchlist: str, entry: Entry, timezone: str, fallback: datetime
) -> None:
    item = feed.add_entry(order="append")
    item.id(entry_id(watchlist, entry.cluster_id))
    item.title(clean_text(entry.title) or UNTITLED)
    item.updated(clock.parse_iso_or_none(entry.fetched_at) or fallback)
    published = clock.parse_iso_or_none(entry.published_at)
    if published is not None:
        item.published(published)
    href = safe_href(entry.url)
    if href is not None:
        item.link(href=href, rel="alternate")
    view = entry_view(entry, timezone)
    content = TEMPLATES.get_template("atom_entry.html.j2").render(e=view).strip()
    item.content(content, type="html")
    for term in entry.terms:
        item.category(term=clean_text(term) or "-")


def rolling_entries(
    digests: Iterable[Digest], limit: int = ROLLING_LIMIT
) -> list[tuple[Entry, str]]:
    """The newest ``limit`` stories across ``digests`` (newest first), each story once."""
    chosen: dict[int, tuple[Entry, str]] = {}
    for digest in digests:
        newest = sorted(digest.entries, key=lambda e: (e.fetched_at, e.cluster_id), reverse=True)
        for entry in newest:
            chosen.setdefault(entry.cluster_id, (entry, digest.timezone))
            if len(chosen) >= limit:
                return list(chosen.values())
    return list(chosen.values())


def write_rolling_atom(store: Store, watchlist: str, out: Path, updated: datetime) -> Path:
    """Rewrite ``<out>/<watchlist>.atom``: the last 100 stories of the stored digests."""
    path = rolling_path(out, watchlist)
    feed = render_feed(
        watchlist,
        rolling_entries(stored_digests(store, watchlist)),
        feed_id=f"{TAG}{safe_name(watchlist)}",
        title=f"Press Monitor: {watchlist}",
        updated=updated,
    )
    return write_file(path, feed)
