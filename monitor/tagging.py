"""Watchlist hits: what matched, how strongly, where, and a snippet; stored in ``hits``.

:class:`Tagger` compiles every watchlist once (one automaton for all their
terms); :meth:`Tagger.tag` turns an article into :class:`Hit` rows and
:func:`save_hits` makes the stored rows of an article equal to them, inside the
caller's transaction (the same one as the article).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from monitor import clock
from monitor.config import Watchlist
from monitor.matching import Match, Matcher, Rules, compile_rules
from monitor.snippets import make_snippet
from monitor.store import Store
from monitor.textnorm import Folded

TITLE_WEIGHT = 3
PLACES = ("title", "lead", "body")


@dataclass(frozen=True)
class Hit:
    """One ``hits`` row: an article matched by one watchlist."""

    watchlist: str
    terms: tuple[str, ...]
    count: int
    strength: int
    where: tuple[str, ...]
    snippet: str

    def row(self, article_id: int) -> dict:
        return {
            "article_id": article_id,
            "watchlist": self.watchlist,
            "terms": json.dumps(list(self.terms), ensure_ascii=False),
            "count": self.count,
            "strength": self.strength,
            "where": ",".join(self.where),
            "snippet": self.snippet,
        }


def rules_for(watchlist: Watchlist) -> Rules:
    """A watchlist's compiled rules (its terms, query, exclusions and filters)."""
    return compile_rules(
        watchlist.name,
        terms=watchlist.terms,
        query=watchlist.query,
        exclude=watchlist.exclude,
        sites=watchlist.sites,
        languages=watchlist.languages,
    )


class Tagger:
    """Tags articles against a set of watchlists."""

    def __init__(self, rules: Iterable[Rules]) -> None:
        self.matcher = Matcher(rules)

    @property
    def names(self) -> list[str]:
        return [rule.name for rule in self.matcher.rules]

    def tag(
        self,
        title: str | None,
        text: str,
        *,
        site: str | None = None,
        language: str | None = None,
        folded: Folded | None = None,
    ) -> list[Hit]:
        """The hits of one article, one per matching watchlist.

        ``folded`` is the article already folded (``fold_sections([title, text])``).
        """
        if not self.matcher.rules:
            return []
        title = title or ""
        folded, matches = self.matcher.match(
            title, text, site=site, language=language, folded=folded
        )
        return [_hit(match, folded, title, text) for match in matches]


@lru_cache(maxsize=8)
def tagger_for(watchlists: tuple[Watchlist, ...]) -> Tagger:
    """One :class:`Tagger` per set of watchlists (a crawl of many sites builds it once)."""
    return Tagger(rules_for(watchlist) for watchlist in watchlists)


def _hit(match: Match, folded: Folded, title: str, text: str) -> Hit:
    offset = len(title) + 1  # the body follows the title and one break character
    lead_end = _lead_end(text)
    title_spans: list[tuple[int, int]] = []
    text_spans: list[tuple[int, int]] = []
    places: set[str] = set()
    for span in match.spans:
        start, end = folded.source_span(*span)
        if start < len(title):
            title_spans.append((start, min(end, len(title))))
            places.add("title")
        else:
            text_spans.append((start - offset, end - offset))
            places.add("lead" if start - offset < lead_end else "body")
    snippet = make_snippet(text, text_spans) if text_spans else make_snippet(title, title_spans)
    return Hit(
        watchlist=match.rules,
        terms=match.terms,
        count=len(match.spans),
        strength=len(text_spans) + TITLE_WEIGHT * len(title_spans),
        where=tuple(place for place in PLACES if place in places),
        snippet=snippet,
    )


def _lead_end(text: str) -> int:
    """The end of the first paragraph (the lead)."""
    stripped = len(text) - len(text.lstrip())
    end = text.find("\n", stripped)
    return len(text) if end < 0 else end


@dataclass
class HitChanges:
    """How the stored hits of some articles changed."""

    added: list[tuple[int, str]]
    removed: list[tuple[int, str]]
    changed: list[tuple[int, str]]

    def __iadd__(self, other: HitChanges) -> HitChanges:
        self.added += other.added
        self.removed += other.removed
        self.changed += other.changed
        return self


def save_hits(
    store: Store,
    article_id: int,
    hits: list[Hit],
    watchlists: Iterable[str],
    *,
    new: bool = False,
) -> HitChanges:
    """Make the stored hits of ``article_id`` for ``watchlists`` exactly ``hits``.

    ``new``: the article was just inserted, so it has no stored hits to compare.
    """
    scope = set(watchlists)
    found = [] if new else store.rows("SELECT * FROM hits WHERE article_id = ?", [article_id])
    stored = {row["watchlist"]: row for row in found if row["watchlist"] in scope}
    changes = HitChanges([], [], [])
    now = clock.now_iso()
    for hit in hits:
        row = hit.row(article_id)
        old = stored.pop(hit.watchlist, None)
        if old is None:
            changes.added.append((article_id, hit.watchlist))
        elif any(old[key] != value for key, value in row.items()):
            changes.changed.append((article_id, hit.watchlist))
        else:
            continue
        store.db.execute(_UPSERT, {**row, "tagged_at": now})
    for watchlist in stored:
        store.db.execute(
            "DELETE FROM hits WHERE article_id = ? AND watchlist = ?", [article_id, watchlist]
        )
        changes.removed.append((article_id, watchlist))
    return changes


_UPSERT = (
    'INSERT INTO hits (article_id, watchlist, terms, count, strength, "where", snippet, '
    "tagged_at) VALUES (:article_id, :watchlist, :terms, :count, :strength, :where, :snippet, "
    ":tagged_at) ON CONFLICT (article_id, watchlist) DO UPDATE SET terms = excluded.terms, "
    'count = excluded.count, strength = excluded.strength, "where" = excluded."where", '
    "snippet = excluded.snippet, tagged_at = excluded.tagged_at"
)


def tag_article(store: Store, tagger: Tagger, article_id: int) -> HitChanges:
    """Recompute one stored article's hits (after a revision or a text rewrite)."""
    row = store.article(article_id)
    hits = tagger.tag(row["title"], row["text"], site=row["site"], language=row["language"])
    return save_hits(store, article_id, hits, tagger.names)


def stored_articles(
    store: Store, since: str | None = None, batch: int = 500
) -> Iterator[list[dict]]:
    """Stored articles fetched since ``since`` (all when None), in batches, by id."""
    last = 0
    while True:
        rows = store.rows(
            "SELECT id, site, title, text, language FROM articles WHERE id > ? "
            "AND (? IS NULL OR fetched_at >= ?) ORDER BY id LIMIT ?",
            [last, since, since, batch],
        )
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


def retag(
    store: Store, tagger: Tagger, *, since: str | None = None, orphans: Iterable[str] = ()
) -> HitChanges:
    """Re-evaluate stored articles against ``tagger``'s watchlists; idempotent.

    Each batch commits on its own, so an interrupted retag keeps its progress.
    Hits of ``orphans`` (watchlists that no longer exist) are deleted. Retagging
    never creates alerts: it only writes ``hits``.
    """
    changes = HitChanges([], [], [])
    for rows in stored_articles(store, since):
        with store.write():
            for row in rows:
                hits = tagger.tag(
                    row["title"], row["text"], site=row["site"], language=row["language"]
                )
                changes += save_hits(store, row["id"], hits, tagger.names)
    for watchlist in orphans:
        with store.write():
            gone = store.rows(
                "DELETE FROM hits WHERE watchlist = ? AND article_id IN (SELECT id FROM articles "
                "WHERE ? IS NULL OR fetched_at >= ?) RETURNING article_id",
                [watchlist, since, since],
            )
        changes.removed += [(row["article_id"], watchlist) for row in gone]
    return changes


def orphan_watchlists(store: Store, known: Iterable[str]) -> list[str]:
    """Watchlists with stored hits that the config no longer has."""
    stored = [row["watchlist"] for row in store.rows("SELECT DISTINCT watchlist FROM hits")]
    return sorted(set(stored) - set(known))


def hit_counts(store: Store) -> dict[str, int]:
    """Watchlist → number of articles it has hits on."""
    rows = store.db.execute("SELECT watchlist, count(*) FROM hits GROUP BY watchlist").fetchall()
    return dict(rows)


def recent_hits(store: Store, limit: int = 20) -> list[dict]:
    """The latest hits with their article's site and title, strongest first within a day."""
    return store.rows(
        'SELECT h.watchlist, h.terms, h.count, h.strength, h."where", h.snippet, a.id, a.site, '
        "a.title, a.url, a.fetched_at FROM hits h JOIN articles a ON a.id = h.article_id "
        "ORDER BY a.fetched_at DESC, h.strength DESC, h.id LIMIT ?",
        [limit],
    )
