"""Searching stored articles with the watchlist query language, with per-day counts.

Search agrees with tagging because it *is* tagging: ``search_index`` (FTS5
over the folded text, each Hangul/CJK character a token, so 사드 is found in
사드를: DESIGN.md) narrows the archive to candidates, then the matcher of
:mod:`monitor.matching` decides on each. The index query only ever keeps a
superset of what the matcher accepts. User input reaches SQL as one bound
parameter, an FTS5 query built from quoted phrases (SEC-4).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import tzinfo
from zoneinfo import ZoneInfo

from monitor import clock
from monitor.matching import Rules
from monitor.query import And, Near, Node, Not, Or, Term
from monitor.store import Store
from monitor.tagging import Tagger
from monitor.textnorm import index_text

_COLUMNS = (
    "a.id, a.site, a.title, a.url, a.published_at, a.fetched_at, a.cluster_id, a.text, a.language"
)
_BATCH = 200

Sql = tuple[str, list[str]]


@dataclass
class SearchResult:
    """The newest ``limit`` matches, and how many matched per local day."""

    rows: list[dict]
    per_day: dict[str, int] = field(default_factory=dict)
    total: int = 0
    candidates: int = 0


def search_articles(
    store: Store,
    rules: list[Rules],
    *,
    since: str | None = None,
    until: str | None = None,
    site: str | None = None,
    limit: int = 20,
    timezone: tzinfo | None = None,
) -> SearchResult:
    """Articles matching every one of ``rules``, newest first, with per-day counts."""
    tagger = Tagger(rules)
    names = {rule.name for rule in rules}
    where, params = _candidates(rules)
    filters, filter_params = _filters(since, until, site)
    sql = (
        f"SELECT {_COLUMNS} FROM articles a WHERE ({where}){filters} "  # noqa: S608
        "ORDER BY coalesce(a.published_at, a.fetched_at) DESC, a.id DESC LIMIT ? OFFSET ?"
    )
    result = SearchResult(rows=[])
    days: Counter[str] = Counter()
    offset = 0
    while batch := store.rows(sql, [*params, *filter_params, _BATCH, offset]):
        offset += len(batch)
        result.candidates += len(batch)
        for row in batch:
            hits = tagger.tag(row["title"], row["text"], site=row["site"], language=row["language"])
            if {hit.watchlist for hit in hits} != names:
                continue
            result.total += 1
            days[_local_day(row, timezone)] += 1
            if len(result.rows) < limit:
                result.rows.append(_result_row(store, row, hits))
    result.per_day = dict(sorted(days.items()))
    return result


def _result_row(store: Store, row: dict, hits: list) -> dict:
    best = max(hits, key=lambda hit: hit.strength)
    terms = list(dict.fromkeys(term for hit in hits for term in hit.terms))
    size = store.scalar("SELECT count(*) FROM articles WHERE cluster_id = ?", [row["cluster_id"]])
    fields = ("id", "site", "title", "url", "published_at", "fetched_at", "cluster_id")
    return {
        **{key: row[key] for key in fields},
        "cluster_size": size,
        "terms": terms,
        "strength": best.strength,
        "snippet": best.snippet,
    }


def _local_day(row: dict, timezone: tzinfo | None) -> str:
    stamp = row["published_at"] or row["fetched_at"]
    moment = clock.parse_iso_or_none(stamp)
    if moment is None:
        return str(stamp)[:10]
    return moment.astimezone(timezone or ZoneInfo("UTC")).date().isoformat()


def _filters(since: str | None, until: str | None, site: str | None) -> Sql:
    where, params = "", []
    if since:
        where += " AND coalesce(a.published_at, a.fetched_at) >= ?"
        params.append(since)
    if until:
        where += " AND coalesce(a.published_at, a.fetched_at) < ?"
        params.append(until)
    if site:
        where += " AND a.site = ?"
        params.append(site)
    return where, params


def _candidates(rules: list[Rules]) -> Sql:
    """SQL keeping a superset of the articles every one of ``rules`` matches.

    The matcher finds a term only where its folded form occurs in the folded
    text, so a ``search_index`` phrase query for each term can only keep more.
    """
    queries = [query for rule in rules if (query := _rules_query(rule)) is not None]
    if not queries:
        return "1 = 1", []
    match = " AND ".join(f"({query})" for query in queries)
    return "a.id IN (SELECT rowid FROM search_index WHERE search_index MATCH ?)", [match]


def _rules_query(rules: Rules) -> str | None:
    nodes: list[Node] = list(rules.terms)
    if rules.query is not None:
        nodes.append(rules.query)
    return _any([_node_query(node) for node in nodes])


def _node_query(node: Node) -> str | None:
    """An FTS5 query true for every text on which ``node`` may hold (None: any text)."""
    if isinstance(node, Term):
        return _phrase(node)
    if isinstance(node, Near):
        return _all([_any([_phrase(term) for term in side]) for side in (node.left, node.right)])
    if isinstance(node, Not):
        return None
    if isinstance(node, And):
        return _all([_node_query(child) for child in node.operands])
    assert isinstance(node, Or)
    return _any([_node_query(child) for child in node.operands])


def _all(parts: list[str | None]) -> str | None:
    known = [part for part in parts if part is not None]
    return " AND ".join(f"({part})" for part in known) if known else None


def _any(parts: list[str | None]) -> str | None:
    if not parts or any(part is None for part in parts):
        return None
    return " OR ".join(f"({part})" for part in parts if part is not None)


def _phrase(term: Term) -> str:
    """The term's folded words as an FTS5 phrase (a prefix phrase for ``word*``)."""
    tokens = index_text(term.key).split()
    return '"' + " ".join(tokens).replace('"', '""') + '"' + (" *" if term.prefix else "")
