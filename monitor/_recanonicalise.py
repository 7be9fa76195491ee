"""Re-canonicalise the URLs stored by earlier versions (a schema migration, no config).

:func:`recanonicalise` rewrites ``articles.url``, ``article_urls.url``, ``seen_urls.url`` and
``http_cache.url`` with the current generic :func:`monitor.urls.canonical_url`. Site folding
(``fold_hosts``) is not applied: migrations run without config. Ids never change. A URL that
does not parse is left as it is.

Two rows that collapse to one URL are merged:

- ``articles``: both stay (ids, hits and clusters are untouched). The oldest (lowest id, the
  first stored) takes the canonical URL; each younger one keeps its old URL as it was (if it
  held the canonical spelling itself, it takes the oldest's previous spelling instead, which
  names the same page), and the canonical URL is recorded in ``article_urls`` pointing to the
  oldest, so lookups by URL find the oldest.
- ``article_urls``: the earliest row (lowest id) is kept; when the URL is an article's own
  URL, the row points to that article.
- ``seen_urls``: the earliest row (lowest id) is kept with the most informative outcome of the
  group (``article`` > ``duplicate`` > ``not_article`` > ``error``, with that row's kind,
  status and article), the earliest first fetch, the latest last fetch, and the attempts of
  an ``error`` (0 otherwise).
- ``http_cache``: the earliest row (lowest rowid) is kept.

Running it again changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from monitor.urls import try_canonical_url

__all__ = ["OUTCOME_RANK", "recanonicalise"]

#: The outcome kept when two ``seen_urls`` rows merge: the lowest rank wins.
OUTCOME_RANK = {"article": 0, "duplicate": 1, "not_article": 2, "error": 3}
_PLACEHOLDER = "pressmon-recanonicalise:"


def recanonicalise(db: Database) -> dict[str, int]:
    """Rewrite stored URLs to their canonical form in one transaction; returns the counts of
    rows rewritten (``<table>``) and rows merged (``<table>_merged``: for articles, younger
    articles newly tied to an older one; for the others, rows removed)."""
    with db.atomic():
        owners, younger, counts = _articles(db)
        counts.update(_article_urls(db, owners))
        for url, row in younger:
            _record_variant(db, url, owners[url], row)
        counts.update(_seen_urls(db))
        counts.update(_http_cache(db))
    return counts


def _groups(rows: Iterable[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows (first column the key, second the URL) by canonical URL, in the rows' order."""
    groups: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        groups[try_canonical_url(row[1]) or row[1]].append(row)
    return groups


# -- articles ---------------------------------------------------------------------------

_Younger = list[tuple[str, tuple[Any, ...]]]


def _articles(db: Database) -> tuple[dict[str, int], _Younger, dict[str, int]]:
    """Canonical URLs on ``articles``: URL → owning (oldest) article, the younger articles of
    every group (with their canonical URL), and the counts."""
    rows = db.execute("SELECT id, url, site, fetched_at FROM articles ORDER BY id").fetchall()
    owners: dict[str, int] = {}
    changed: dict[int, str] = {}
    younger: _Younger = []
    merged = 0
    for url, group in _groups(rows).items():
        owners[url] = group[0][0]
        old = {row[0]: row[1] for row in group}
        moves = {key: new for key, new in _article_group(url, group).items() if new != old[key]}
        changed.update(moves)
        younger += [(url, row) for row in group[1:]]
        merged += len(group) - 1 if moves else 0
    _move_article_urls(db, changed)
    return owners, younger, {"articles": len(changed), "articles_merged": merged}


def _article_group(url: str, group: list[tuple[Any, ...]]) -> dict[int, str]:
    """Article id → its URL after the migration, for one group sharing canonical ``url``."""
    oldest = group[0]
    final = {oldest[0]: url}
    for row in group[1:]:
        final[row[0]] = oldest[1] if row[1] == url else row[1]
    return final


def _move_article_urls(db: Database, changed: dict[int, str]) -> None:
    """Set new URLs in two steps (placeholders first) so ``UNIQUE(url)`` never trips."""
    db.conn.executemany(
        "UPDATE articles SET url = ? WHERE id = ?",
        [(f"{_PLACEHOLDER}{article_id}", article_id) for article_id in changed],
    )
    db.conn.executemany(
        "UPDATE articles SET url = ? WHERE id = ?",
        [(url, article_id) for article_id, url in changed.items()],
    )


def _record_variant(db: Database, url: str, oldest: int, row: tuple[Any, ...]) -> None:
    """Make sure ``url`` → ``oldest`` is in ``article_urls`` (``row``: the younger article)."""
    present = db.execute("SELECT id, article_id FROM article_urls WHERE url = ?", [url]).fetchone()
    if present is None:
        db.execute(
            "INSERT INTO article_urls (url, article_id, site, first_seen) VALUES (?, ?, ?, ?)",
            [url, oldest, row[2], row[3]],
        )
    elif present[1] != oldest:
        db.execute("UPDATE article_urls SET article_id = ? WHERE id = ?", [oldest, present[0]])


# -- article_urls, seen_urls, http_cache ------------------------------------------------


def _article_urls(db: Database, owners: dict[str, int]) -> dict[str, int]:
    """One ``article_urls`` row per canonical URL, pointing to the URL's own article."""
    rows = db.execute("SELECT id, url, article_id FROM article_urls ORDER BY id").fetchall()
    drop, rewrite = [], []
    for url, group in _groups(rows).items():
        keep = group[0]
        drop += [(row[0],) for row in group[1:]]
        article_id = owners.get(url, keep[2])
        if keep[1] != url or keep[2] != article_id:
            rewrite.append((url, article_id, keep[0]))
    db.conn.executemany("DELETE FROM article_urls WHERE id = ?", drop)
    db.conn.executemany("UPDATE article_urls SET url = ?, article_id = ? WHERE id = ?", rewrite)
    return {"article_urls": len(rewrite), "article_urls_merged": len(drop)}


_SEEN_COLUMNS = "id, url, outcome, kind, status, article_id, first_fetched, last_fetched, attempts"


def _seen_urls(db: Database) -> dict[str, int]:
    """One ``seen_urls`` row per canonical URL, with the group's most informative outcome."""
    rows = db.execute(f"SELECT {_SEEN_COLUMNS} FROM seen_urls ORDER BY id").fetchall()  # noqa: S608
    drop, rewrite = [], []
    for url, group in _groups(rows).items():
        drop += [(row[0],) for row in group[1:]]
        if len(group) > 1 or group[0][1] != url:
            rewrite.append((*_merged_seen(url, group), group[0][0]))
    db.conn.executemany("DELETE FROM seen_urls WHERE id = ?", drop)
    db.conn.executemany(
        "UPDATE seen_urls SET url = ?, outcome = ?, kind = ?, status = ?, article_id = ?, "
        "first_fetched = ?, last_fetched = ?, attempts = ? WHERE id = ?",
        rewrite,
    )
    return {"seen_urls": len(rewrite), "seen_urls_merged": len(drop)}


def _merged_seen(url: str, group: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The values of the one row a ``seen_urls`` group becomes (without its id)."""
    best = min(group, key=lambda row: OUTCOME_RANK.get(row[2], len(OUTCOME_RANK)))
    firsts = [row[6] for row in group if row[6]]
    lasts = [row[7] for row in group if row[7]]
    attempts = max(int(row[8] or 0) for row in group if row[2] == best[2])
    return (
        url,
        best[2],
        best[3],
        best[4],
        best[5] if best[5] is not None else next((r[5] for r in group if r[5]), None),
        min(firsts, default=None),
        max(lasts, default=None),
        attempts if best[2] == "error" else 0,
    )


def _http_cache(db: Database) -> dict[str, int]:
    """One ``http_cache`` row per canonical URL: the earliest stored."""
    rows = db.execute("SELECT rowid, url FROM http_cache ORDER BY rowid").fetchall()
    drop, rewrite = [], []
    for url, group in _groups(rows).items():
        drop += [(row[0],) for row in group[1:]]
        if group[0][1] != url:
            rewrite.append((url, group[0][0]))
    db.conn.executemany("DELETE FROM http_cache WHERE rowid = ?", drop)
    db.conn.executemany("UPDATE http_cache SET url = ? WHERE rowid = ?", rewrite)
    return {"http_cache": len(rewrite), "http_cache_merged": len(drop)}
