"""``pressmon export``: articles with their hits, as CSV or JSON Lines, streamed."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from monitor.digest import (
    parse_terms,
)
from monitor.snippets import snippet_plain
from monitor.store import Store
from monitor.untrusted import neutralise

ARTICLE_CSV_FIELDS = (
    "id",
    "site",
    "url",
    "title",
    "published_at",
    "fetched_at",
    "cluster_id",
    "watchlist",
    "terms",
    "strength",
    "where",
    "snippet",
)
_ARTICLES = (
    "SELECT id, site, url, title, author, language, published_at, fetched_at, cluster_id, "
    "word_count FROM articles WHERE fetched_at >= :last_at "
    "AND (:until IS NULL OR fetched_at < :until) AND (fetched_at > :last_at OR id > :last_id) "
    "ORDER BY fetched_at, id LIMIT :batch"
)
_HITS = (
    'SELECT article_id, watchlist, terms, count, strength, "where", snippet FROM hits '
    "WHERE article_id IN (SELECT value FROM json_each(:ids)) ORDER BY article_id, watchlist"
)


def export_articles(
    store: Store, since: str, until: str | None = None, batch: int = 500
) -> Iterator[dict[str, Any]]:
    """Articles fetched in [since, until) by fetch time, each with its ``hits`` list.

    Read ``batch`` articles at a time, each batch a short read of its own (DB-3),
    so memory stays bounded and no read transaction outlives a batch.
    """
    last_at, last_id = since, 0
    while True:
        params = {"until": until, "last_at": last_at, "last_id": last_id, "batch": batch}
        rows = store.rows(_ARTICLES, params)
        if not rows:
            return
        hits = _hits_of(store, [row["id"] for row in rows])
        for row in rows:
            yield {**row, "hits": hits.get(row["id"], [])}
        last_at, last_id = rows[-1]["fetched_at"], rows[-1]["id"]


def _hits_of(store: Store, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for row in store.rows(_HITS, {"ids": json.dumps(ids)}):
        found.setdefault(row.pop("article_id"), []).append(
            {
                **row,
                "terms": parse_terms(row["terms"]),
                "where": [place for place in (row["where"] or "").split(",") if place],
            }
        )
    return found


def write_articles_csv(articles: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """One CSV row per (article, watchlist hit); an article without hits gets one row.

    Returns the number of rows written (without the header).
    """
    writer = csv.writer(stream)
    writer.writerow(ARTICLE_CSV_FIELDS)
    count = 0
    for article in articles:
        for hit in article["hits"] or [None]:
            writer.writerow(neutralise(cell) for cell in _article_row(article, hit))
            count += 1
    return count


def _article_row(article: dict[str, Any], hit: dict[str, Any] | None) -> list[Any]:
    head = [article[field] for field in ARTICLE_CSV_FIELDS[:7]]
    if hit is None:
        return [*head, "", "", "", "", ""]
    return [
        *head,
        hit["watchlist"],
        "; ".join(hit["terms"]),
        hit["strength"],
        ",".join(hit["where"]),
        snippet_plain(hit["snippet"] or ""),
    ]


def write_articles_jsonl(articles: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """One JSON object per line and article, with its ``hits``; returns the number of lines."""
    count = 0
    for article in articles:
        stream.write(json.dumps(article, ensure_ascii=False) + "\n")
        count += 1
    return count
