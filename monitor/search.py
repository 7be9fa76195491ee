"""Searching stored articles with the watchlist query language, with per-day counts.

Search agrees with tagging because it *is* tagging: SQL narrows the archive to
candidates (FTS5 for words of space-separated scripts; a substring scan for
Hangul/CJK, which FTS5's tokenizer does not split; DESIGN.md), then the
matcher of :mod:`monitor.matching` decides on each candidate. The SQL filter
only ever keeps a superset of what the matcher accepts. User input reaches SQL
as bound parameters only (SEC-4).
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
from monitor.textnorm import is_unspaced

_COLUMNS = (
    "a.id, a.site, a.title, a.url, a.published_at, a.fetched_at, a.cluster_id, a.text, a.language"
)
_BATCH = 200
_FULLWIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}

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
    moment = clock.parse_iso(stamp)
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
    """SQL keeping a superset of the articles every one of ``rules`` matches."""
    parts = [part for rule in rules if (part := _rules_sql(rule)) is not None]
    if not parts:
        return "1 = 1", []
    return " AND ".join(f"({sql})" for sql, _ in parts), [p for _, params in parts for p in params]


def _rules_sql(rules: Rules) -> Sql | None:
    nodes: list[Node] = list(rules.terms)
    if rules.query is not None:
        nodes.append(rules.query)
    return _any([_node_sql(node) for node in nodes])


def _node_sql(node: Node) -> Sql | None:
    if isinstance(node, Term):
        return _term_sql(node)
    if isinstance(node, Near):
        return _all(
            [_any([_term_sql(t) for t in node.left]), _any([_term_sql(t) for t in node.right])]
        )
    if isinstance(node, Not):
        return None
    if isinstance(node, And):
        return _all([_node_sql(child) for child in node.operands])
    assert isinstance(node, Or)
    return _any([_node_sql(child) for child in node.operands])


def _all(parts: list[Sql | None]) -> Sql | None:
    known = [part for part in parts if part is not None]
    if not known:
        return None
    return " AND ".join(f"({sql})" for sql, _ in known), [p for _, ps in known for p in ps]


def _any(parts: list[Sql | None]) -> Sql | None:
    if not parts or any(part is None for part in parts):
        return None
    known = [part for part in parts if part is not None]
    return " OR ".join(f"({sql})" for sql, _ in known), [p for _, ps in known for p in ps]


def _term_sql(term: Term) -> Sql:
    """Articles that may hold ``term``: full-text search, or a substring scan for CJK."""
    unspaced = [chunk for chunk in _unspaced_runs(term.key) if chunk]
    if unspaced:
        needle = max(unspaced, key=len)
        return _substring([needle])
    phrase = '"' + term.key.replace('"', '""') + '"' + ("*" if term.prefix else "")
    fts = "a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
    wide = (term.cased_key or term.key).translate(_FULLWIDTH)
    variants = list(dict.fromkeys([wide, wide.upper(), wide.lower()]))
    scan, params = _substring(variants)  # full-width Latin letters occur in CJK text
    return (
        f"{fts} OR (substr(coalesce(a.language, 'ko'), 1, 2) IN ('ko', 'zh', 'ja') AND ({scan}))",
        [
            phrase,
            *params,
        ],
    )


def _substring(needles: list[str]) -> Sql:
    sql = " OR ".join("instr(a.text, ?) > 0 OR instr(a.title, ?) > 0" for _ in needles)
    return sql, [needle for needle in needles for _ in (0, 1)]


def _unspaced_runs(key: str) -> list[str]:
    runs, current = [], ""
    for char in key:
        if is_unspaced(char):
            current += char
        else:
            runs.append(current)
            current = ""
    return [*runs, current]
