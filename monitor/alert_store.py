"""The ``deliveries`` outbox as the dispatcher and ``pressmon alerts`` read and mark it.

Every write is its own short ``BEGIN IMMEDIATE`` transaction (:meth:`Store.write`):
an attempt is recorded and committed before the message goes out, and the row
is marked sent (or its error recorded) in another, so a crash in between can
repeat a message but never lose one. :func:`claim` only takes rows still as they
were read (``pending``, same ``attempts``), so two dispatchers never both send
a row they read at the same time. The loaders turn rows back into what the
messages show: a story (its article, hits and other outlets), a stored digest,
a site's health.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor import clock
from monitor.channel_state import channel_reason, parse_subject
from monitor.digest import Digest, Entry, parse_terms, story_entry
from monitor.messages import Story
from monitor.store import Store

LIST_COLUMNS = (
    "id",
    "subscriber",
    "channel",
    "kind",
    "ref",
    "watchlist",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "sent_at",
)
STATUSES = ("pending", "sent", "failed")


class ContentMissingError(LookupError):
    """What a delivery speaks of is gone (a pruned article, a deleted digest)."""


@dataclass(frozen=True)
class Delivery:
    """One ``deliveries`` row as the dispatcher needs it."""

    id: int
    subscriber: str
    channel: int
    kind: str
    ref: str
    watchlist: str | None
    article_id: int | None
    attempts: int
    next_attempt_at: str | None
    created_at: str


_FIELDS = ", ".join(Delivery.__dataclass_fields__)


def due_deliveries(store: Store, now: datetime, *, ignore_backoff: bool = False) -> list[Delivery]:
    """Pending rows whose ``next_attempt_at`` has come (every pending row with
    ``ignore_backoff``), oldest first."""
    sql = f"SELECT {_FIELDS} FROM deliveries WHERE status = 'pending'"  # noqa: S608
    params: list[str] = []
    if not ignore_backoff:
        sql += " AND coalesce(next_attempt_at, created_at) <= ?"
        params.append(clock.iso(now))
    return [Delivery(**row) for row in store.rows(sql + " ORDER BY id", params)]


def claim(
    store: Store, rows: Sequence[Delivery], now: datetime, backoff: Callable[[int], int]
) -> list[Delivery]:
    """Record an attempt on each row (attempts + 1, next attempt after ``backoff(attempts)``
    seconds) and commit; the rows claimed (one changed meanwhile is left out)."""
    claimed = []
    with store.write():
        for row in rows:
            attempts = row.attempts + 1
            retry = clock.iso(now + timedelta(seconds=backoff(attempts)))
            cursor = store.db.execute(
                "UPDATE deliveries SET attempts = ?, next_attempt_at = ? "
                "WHERE id = ? AND status = 'pending' AND attempts = ?",
                [attempts, retry, row.id, row.attempts],
            )
            if cursor.rowcount == 1:
                claimed.append(replace(row, attempts=attempts, next_attempt_at=retry))
    return claimed


def mark_sent(store: Store, ids: Iterable[int], sent_at: str, message_id: int) -> None:
    """The rows went out in message ``message_id`` at ``sent_at``; no error, no next attempt."""
    with store.write():
        store.db.conn.executemany(
            "UPDATE deliveries SET status = 'sent', sent_at = ?, message_id = ?, "
            "last_error = NULL, next_attempt_at = NULL WHERE id = ?",
            [(sent_at, message_id, row_id) for row_id in ids],
        )


def record_error(store: Store, outcomes: Iterable[tuple[int, str, bool]]) -> None:
    """``(id, error, give_up)`` per row: the (redacted) error; ``give_up`` → ``failed``."""
    with store.write():
        store.db.conn.executemany(
            "UPDATE deliveries SET last_error = ?1, status = CASE WHEN ?2 THEN 'failed' "
            "ELSE status END, next_attempt_at = CASE WHEN ?2 THEN NULL ELSE next_attempt_at END "
            "WHERE id = ?3",
            [(error, int(give_up), row_id) for row_id, error, give_up in outcomes],
        )


def postpone(store: Store, ids: Iterable[int], until: str) -> None:
    """The rows' next attempt is not before ``until`` (an endpoint's ``Retry-After``)."""
    with store.write():
        store.db.conn.executemany(
            "UPDATE deliveries SET next_attempt_at = max(coalesce(next_attempt_at, ''), ?) "
            "WHERE id = ? AND status = 'pending'",
            [(until, row_id) for row_id in ids],
        )


def requeue(
    store: Store,
    now: datetime,
    *,
    ids: Sequence[int] = (),
    subscriber: str | None = None,
    channel: int | None = None,
) -> int:
    """Failed rows (those of ``ids``, or of a subscriber/channel, or all) pending again,
    due at ``now`` with a fresh count of attempts; the rows changed."""
    sql = "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ? "
    sql += "WHERE status = 'failed'"
    params: list[object] = [clock.iso(now)]
    if ids:
        sql += f" AND id IN ({', '.join('?' for _ in ids)})"
        params += list(ids)
    if subscriber is not None:
        sql += " AND subscriber = ?"
        params.append(subscriber)
    if channel is not None:
        sql += " AND channel = ?"
        params.append(channel)
    with store.write():
        return store.db.execute(sql, params).rowcount


def messages_since(store: Store, subscriber: str, channel: int, since: datetime) -> int:
    """Messages sent to one channel since ``since``: a batch's rows share one ``message_id``."""
    return int(
        store.scalar(
            "SELECT count(DISTINCT message_id) FROM deliveries "
            "WHERE subscriber = ? AND channel = ? AND status = 'sent' AND sent_at >= ?",
            [subscriber, channel, clock.iso(since)],
        )
    )


def list_deliveries(
    store: Store, status: str | None = None, limit: int = 100, subscriber: str | None = None
) -> list[dict]:
    """The newest ``limit`` rows (of one ``status``, of one ``subscriber``), newest first, as
    ``alerts list`` shows."""
    filters = (("status", status), ("subscriber", subscriber))
    wanted = [(column, value) for column, value in filters if value]
    where = " AND ".join(f"{column} = ?" for column, _ in wanted)
    return store.rows(
        f"SELECT {', '.join(LIST_COLUMNS)} FROM deliveries "  # noqa: S608
        f"{'WHERE ' + where if where else ''} ORDER BY id DESC LIMIT ?",
        [*(value for _, value in wanted), limit],
    )


def status_counts(store: Store) -> dict[str, int]:
    """Deliveries per status."""
    rows = store.db.execute("SELECT status, count(*) FROM deliveries GROUP BY status")
    return {status: int(count) for status, count in rows.fetchall()}


# -- what the rows speak of ----------------------------------------------------------


def missing_articles(store: Store, ids: Iterable[int | None]) -> set[int | None]:
    """Those of ``ids`` that name no stored article (None names none)."""
    wanted = list(dict.fromkeys(ids))
    known = [row_id for row_id in wanted if row_id is not None]
    marks = ", ".join("?" for _ in known)
    rows = store.db.execute(f"SELECT id FROM articles WHERE id IN ({marks})", known)  # noqa: S608
    found = {row[0] for row in rows.fetchall()}
    return {row_id for row_id in wanted if row_id not in found}


def load_story(store: Store, row: Delivery, watchlists: Sequence[str]) -> Story:
    """The story of a ``story`` row: its article, its hits among ``watchlists``, other outlets."""
    article = store.rows(
        "SELECT id, cluster_id, title, url, site, published_at, fetched_at FROM articles "
        "WHERE id = ?",
        [row.article_id],
    )
    if not article:
        raise ContentMissingError(f"article {row.article_id} is no longer stored")
    hits = _hits(store, int(article[0]["id"]), watchlists, row.watchlist)
    names = tuple(hit["watchlist"] for hit in hits) or tuple(filter(None, [row.watchlist]))
    return Story(_entry(store, article[0], hits), names)


def _hits(
    store: Store, article_id: int, watchlists: Sequence[str], first: str | None
) -> list[dict]:
    """The article's hits for the subscriber's watchlists, the row's own watchlist first."""
    rows = store.rows(
        "SELECT watchlist, terms, strength, snippet FROM hits WHERE article_id = ? "
        "ORDER BY watchlist",
        [article_id],
    )
    wanted = [hit for hit in rows if hit["watchlist"] in watchlists or hit["watchlist"] == first]
    return sorted(wanted, key=lambda hit: hit["watchlist"] != first)


def _entry(store: Store, article: dict, hits: list[dict]) -> Entry:
    return story_entry(
        store,
        article,
        terms=[term for hit in hits for term in parse_terms(hit["terms"])],
        strength=max((int(hit["strength"] or 0) for hit in hits), default=0),
        snippet=(hits[0]["snippet"] or "") if hits else "",
        late=False,
    )


def load_digest(store: Store, ref: str) -> tuple[Digest, str]:
    """The stored digest of a ``digest`` row (``ref`` = ``YYYY-MM-DD/watchlist``) and its
    Markdown."""
    day, _, watchlist = ref.partition("/")
    rows = store.rows(
        "SELECT json, markdown, article_count FROM digests WHERE date = ? AND watchlist = ?",
        [day, watchlist],
    )
    if not rows:
        raise ContentMissingError(f"digest {ref} is no longer stored")
    try:
        digest = Digest.from_json(json.loads(rows[0]["json"]), int(rows[0]["article_count"] or 0))
    except (TypeError, ValueError, KeyError) as exc:
        raise ContentMissingError(f"digest {ref}: stored JSON unreadable: {exc}") from None
    return digest, rows[0]["markdown"] or ""


def load_health(store: Store, ref: str) -> tuple[str, str, str | None, str]:
    """``(site, state, detail, since)`` of a ``health`` row (``ref`` = ``site/state/since``);
    the detail comes from ``site_health`` while the site is still in that state. A
    channel's change (``channel:NAME:N/state/since``) reads its reason from ``channels``."""
    site, _, rest = ref.partition("/")
    state, _, since = rest.partition("/")
    channel = parse_subject(site)
    if channel is not None:
        return site, state, channel_reason(store, *channel, state, since), since
    detail = store.scalar(
        "SELECT detail FROM site_health WHERE site = ? AND state = ? AND since = ?",
        [site, state, since],
    )
    return site, state, detail, since
