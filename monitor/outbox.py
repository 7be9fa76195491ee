"""The alert outbox: ``deliveries`` rows written where the news is recorded.

A story's rows are written in the same transaction as its hit (by the ingest
step), one per (subscriber, channel, story cluster): the unique key makes a
later copy of the story (another outlet) add nothing, and revisions and retags
never call here. Digest and health rows are written when a digest is built, when
a site's health changes and when a subscriber channel turns failing or disabled.
Sending is :mod:`monitor.alerts`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from monitor import clock
from monitor.store import Store
from monitor.subscribers import Subscriber

_INSERT = (
    "INSERT OR IGNORE INTO deliveries (subscriber, channel, kind, ref, watchlist, article_id, "
    "status, attempts, next_attempt_at, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)"
)


class Outbox:
    """Who is to hear of what, from the subscribers' structure (no secrets needed)."""

    def __init__(self, store: Store, subscribers: Mapping[str, Subscriber]) -> None:
        self.store = store
        self.subscribers = [s for s in subscribers.values() if s.enabled]

    def story(self, article_id: int, cluster_id: int, watchlists: Iterable[str]) -> int:
        """Rows for a new article's story, for instant subscribers of ``watchlists``; the count."""
        wanted = list(watchlists)
        added = 0
        for subscriber in self.subscribers:
            if subscriber.mode != "instant":
                continue
            watchlist = next((w for w in wanted if w in subscriber.watchlists), None)
            if watchlist is not None:
                added += self._add(subscriber, "story", str(cluster_id), watchlist, article_id)
        return added

    def digest(self, day: str, watchlist: str) -> int:
        """Rows for a built digest, for its digest-mode subscribers; the count."""
        added = 0
        for subscriber in self.subscribers:
            if subscriber.mode == "digest" and watchlist in subscriber.watchlists:
                added += self._add(subscriber, "digest", f"{day}/{watchlist}", watchlist, None)
        return added

    def health(self, site: str, state: str, since: str) -> int:
        """Rows for a change of a site's health, for the health subscribers; the count."""
        added = 0
        for subscriber in self.subscribers:
            if subscriber.health:
                added += self._add(subscriber, "health", f"{site}/{state}/{since}", None, None)
        return added

    def channel(self, owner: str, channel: int, ref: str) -> int:
        """Rows for a change of one subscriber channel's state (``ref``): for the health
        subscribers and the owner's other channels, never that channel itself; the count."""
        added = 0
        for subscriber in self.subscribers:
            if subscriber.health or subscriber.name == owner:
                skip = channel if subscriber.name == owner else None
                added += self._add(subscriber, "health", ref, None, None, skip=skip)
        return added

    def _add(
        self,
        subscriber: Subscriber,
        kind: str,
        ref: str,
        watchlist: str | None,
        article_id: int | None,
        *,
        skip: int | None = None,
    ) -> int:
        now = clock.now_iso()
        added = 0
        for channel in range(len(subscriber.notify)):
            if channel == skip:
                continue
            cursor = self.store.db.execute(
                _INSERT, [subscriber.name, channel, kind, ref, watchlist, article_id, now, now]
            )
            added += cursor.rowcount
        return added
