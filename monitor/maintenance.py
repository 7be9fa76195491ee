"""Keeping the one database file healthy: retention (``prune``), WAL checkpoints, VACUUM.

**Prune** deletes what is older than a cutoff, in bounded ``BEGIN IMMEDIATE``
batches so crawls keep writing meanwhile:

- articles fetched before the cutoff, with their hits, URLs, revisions, rows of
  ``search_index`` and ``articles_fts`` (by trigger), their near-duplicate
  index rows (:meth:`monitor.clusters.StoryClusters.prune`) and the learned-
  boilerplate counts of lines seen on that one page only. The newest article
  is always kept, so SQLite never hands a pruned article's id to a new one:
  a ``cluster_id`` (the id of a story's first article) stays unique forever,
  also when that first article is pruned and later ones are kept;
- crawls started before the cutoff with their ``crawl_errors``, except each
  site's last crawl (what ``status`` shows);
- ``seen_urls`` rows of errors and non-articles last fetched before the cutoff
  (they are fetched again if a source still links them).

It keeps ``digests`` (reports), ``http_cache``, learned boilerplate, and the
``seen_urls`` rows of articles and duplicates, also of pruned articles: a
pruned article is not fetched and stored again as new (nor alerted on) while
its site still lists it; only a feed or sitemap announcing a newer version
brings it back.

Consistent copies of the live file are :mod:`monitor.backup`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor import boilerplate, clock
from monitor.config import DedupeSettings
from monitor.errors import MonitorError
from monitor.store import Store

if TYPE_CHECKING:
    from monitor.clusters import StoryClusters

log = logging.getLogger(__name__)

PRUNE_BATCH = 500
"""Articles (or crawls, or seen URLs) deleted per transaction."""
PRUNED_TABLES = (
    "articles",
    "hits",
    "article_urls",
    "article_revisions",
    "search_index",
    "articles_fts",
    "article_signatures",
    "boilerplate_lines",
    "crawls",
    "crawl_errors",
    "seen_urls",
)
"""The tables prune deletes from, in the order it reports them."""
LINES_PER_STATEMENT = 400
"""(site, key) pairs per boilerplate statement (two parameters each)."""


class MaintenanceError(MonitorError):
    """A prune or backup that cannot be done (reported with exit code 1)."""


@dataclass
class PruneResult:
    """What a prune deleted (or, with ``dry_run``, would delete), per table."""

    cutoff: str
    dry_run: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PRUNED_TABLES, 0))
    checkpoint: tuple[int, int, int] | None = None
    """``PRAGMA wal_checkpoint(TRUNCATE)``: (busy, WAL frames, frames checkpointed)."""
    vacuumed: bool = False

    def add(self, table: str, count: int) -> None:
        """Count ``count`` more rows of ``table``."""
        self.counts[table] += max(count, 0)


def prune_cutoff(days: int, now: datetime | None = None) -> str:
    """The stored-form timestamp ``days`` days before ``now``."""
    return clock.iso((now or clock.now()) - timedelta(days=days))


def prune(
    store: Store,
    cutoff: str,
    *,
    dedupe: DedupeSettings | None = None,
    dry_run: bool = False,
    batch: int = PRUNE_BATCH,
) -> PruneResult:
    """Delete what is older than ``cutoff`` (see the module docstring); never ``digests``.

    ``dedupe`` must be the config's settings (the near-duplicate index is
    banded by its threshold). With ``dry_run`` nothing is written and the
    counts say what would go.
    """
    result = PruneResult(cutoff, dry_run)
    keep = store.scalar("SELECT max(id) FROM articles")
    clusters = None if dry_run else _clusters(store, dedupe or DedupeSettings())
    after: tuple[str, int] | None = ("", 0)
    while after is not None:
        after = _prune_articles(store, result, clusters, keep, after, batch)
    if clusters is None:
        result.add("article_signatures", _count_signatures(store, cutoff))
    else:
        result.add("article_signatures", clusters.prune(cutoff))
    _prune_crawls(store, result, batch)
    _prune_seen(store, result, batch)
    if not dry_run:
        log.info("%s: pruned what is older than %s: %s", store.path, cutoff, result.counts)
    return result


def _clusters(store: Store, dedupe: DedupeSettings) -> StoryClusters:
    from monitor.clusters import StoryClusters  # numpy; only when really pruning

    return StoryClusters(store, dedupe.threshold, dedupe.window_days)


def _count_signatures(store: Store, cutoff: str) -> int:
    where = "FROM article_signatures WHERE fetched_at < ?"
    return _remove(store, where, [cutoff], dry_run=True)


# -- articles -------------------------------------------------------------------------------


def _prune_articles(
    store: Store,
    result: PruneResult,
    clusters: StoryClusters | None,
    keep: int | None,
    after: tuple[str, int],
    batch: int,
) -> tuple[str, int] | None:
    """One batch of articles, oldest first, from after ``after``; the next start or None."""
    with _batch(store, result.dry_run):
        rows = store.db.execute(
            "SELECT id, site, fetched_at, text FROM articles WHERE fetched_at < ? "
            "AND (fetched_at, id) > (?, ?) AND id IS NOT ? ORDER BY fetched_at, id LIMIT ?",
            [result.cutoff, *after, keep, batch],
        ).fetchall()
        if not rows:
            return None
        _drop_articles(store, result, [row[0] for row in rows])
        _drop_lines(store, result, [(site, text) for _, site, _, text in rows])
        if clusters is not None:
            result.add("article_signatures", clusters.prune(rows[-1][2]))
    return rows[-1][2], rows[-1][0]


def _drop_articles(store: Store, result: PruneResult, ids: list[int]) -> None:
    """The articles and every row that hangs off them (``articles_fts`` by trigger)."""
    if not result.dry_run:
        store.db.conn.executemany(
            "UPDATE seen_urls SET article_id = NULL WHERE url IN "
            "(SELECT url FROM article_urls WHERE article_id = ?)",
            [(i,) for i in ids],
        )
    for table, column in (
        ("hits", "article_id"),
        ("article_urls", "article_id"),
        ("article_revisions", "article_id"),
        ("search_index", "rowid"),
        ("articles", "id"),
    ):
        result.add(table, _delete(store, table, column, ids, result.dry_run))
    result.add("articles_fts", len(ids))


def _delete(store: Store, table: str, column: str, ids: Sequence[int], dry_run: bool) -> int:
    """Delete (or count) the rows of ``table`` whose indexed ``column`` is one of ``ids``."""
    if not ids:
        return 0
    marks = ", ".join("?" for _ in ids)
    return _remove(store, f"FROM {table} WHERE {column} IN ({marks})", ids, dry_run)


def _remove(store: Store, where: str, params: Sequence[object], dry_run: bool) -> int:
    """Delete (or count) the rows ``where`` selects: ``FROM … WHERE …``, built from constants."""
    if dry_run:
        return int(store.scalar(f"SELECT count(*) {where}", params))
    return int(store.db.execute(f"DELETE {where}", list(params)).rowcount)


def _drop_lines(store: Store, result: PruneResult, texts: list[tuple[str, str]]) -> None:
    """Learned-boilerplate counts of lines seen on one page only, that page being pruned."""
    pairs = sorted(
        {(site, key) for site, text in texts for key in boilerplate.candidate_lines(text)}
    )
    for start in range(0, len(pairs), LINES_PER_STATEMENT):
        chunk = pairs[start : start + LINES_PER_STATEMENT]
        values = ", ".join("(?, ?)" for _ in chunk)
        where = (
            f"FROM boilerplate_lines WHERE rowid IN (WITH k(site, key) AS (VALUES {values}) "  # noqa: S608
            "SELECT b.rowid FROM k CROSS JOIN boilerplate_lines b "
            "ON b.site = k.site AND b.key = k.key WHERE b.pages = 1 AND b.learned_at IS NULL)"
        )
        params = [value for pair in chunk for value in pair]
        result.add("boilerplate_lines", _remove(store, where, params, result.dry_run))


# -- crawls and seen URLs -------------------------------------------------------------------


def _prune_crawls(store: Store, result: PruneResult, batch: int) -> None:
    """Crawls started before the cutoff and their errors; each site's last crawl stays."""
    limit = -1 if result.dry_run else batch  # a dry run counts everything at once
    for site in _crawled_sites(store):
        while True:
            with _batch(store, result.dry_run):
                ids = _old_crawls(store, site, result.cutoff, limit)
                for table, column in (("crawl_errors", "crawl_id"), ("crawls", "id")):
                    result.add(table, _delete(store, table, column, ids, result.dry_run))
            if result.dry_run or len(ids) < batch:
                break
    where = "FROM crawl_errors WHERE crawl_id IS NULL AND at < ?"
    with _batch(store, result.dry_run):
        result.add("crawl_errors", _remove(store, where, [result.cutoff], result.dry_run))


def _crawled_sites(store: Store) -> list[str]:
    return [row[0] for row in store.db.execute("SELECT DISTINCT site FROM crawls").fetchall()]


def _old_crawls(store: Store, site: str, cutoff: str, limit: int) -> list[int]:
    """Ids of ``site``'s finished crawls started before ``cutoff``, but not its last one."""
    rows = store.db.execute(
        "SELECT id FROM crawls WHERE site = ? AND started_at < ? AND status != 'running' "
        "AND id < (SELECT max(id) FROM crawls WHERE site = ?) ORDER BY started_at LIMIT ?",
        [site, cutoff, site, limit],
    ).fetchall()
    return [row[0] for row in rows]


_SEEN_SITES = (
    "WITH RECURSIVE s(site) AS (SELECT min(site) FROM seen_urls UNION ALL "
    "SELECT (SELECT min(site) FROM seen_urls WHERE site > s.site) FROM s "
    "WHERE s.site IS NOT NULL) SELECT site FROM s WHERE site IS NOT NULL"
)
"""The distinct sites of ``seen_urls``, one index seek each (a loose index scan)."""


def _prune_seen(store: Store, result: PruneResult, batch: int) -> None:
    """``seen_urls`` rows of errors and non-articles last fetched before the cutoff."""
    sites = [row[0] for row in store.db.execute(_SEEN_SITES).fetchall()]
    for site in [*sites, None]:
        for outcome in ("error", "not_article"):
            result.add("seen_urls", _prune_seen_of(store, site, outcome, result, batch))


def _prune_seen_of(
    store: Store, site: str | None, outcome: str, result: PruneResult, batch: int
) -> int:
    """Batches over the (site, outcome) index until nothing old is left."""
    where = "FROM seen_urls WHERE site IS ? AND outcome = ? AND last_fetched < ?"
    params = [site, outcome, result.cutoff]
    if result.dry_run:
        return _remove(store, where, params, dry_run=True)
    total = 0
    while True:
        with store.write():
            deleted = store.db.execute(
                f"DELETE FROM seen_urls WHERE id IN (SELECT id {where} LIMIT ?)",  # noqa: S608
                [*params, batch],
            ).rowcount
        total += deleted
        if deleted < batch:
            return total


def _batch(store: Store, dry_run: bool) -> AbstractContextManager[object]:
    """One write transaction, or (dry run) none."""
    return nullcontext() if dry_run else store.write()


# -- after a prune --------------------------------------------------------------------------


def checkpoint(store: Store) -> tuple[int, int, int]:
    """``PRAGMA wal_checkpoint(TRUNCATE)``: (busy, WAL frames, frames checkpointed).

    ``busy`` is 1 when a reader or writer kept the WAL from being reset (it is
    reset by a later checkpoint).
    """
    row = store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def vacuum(store: Store) -> None:
    """Rewrite the file without its free pages (takes the write lock while it runs)."""
    store.db.execute("VACUUM")
