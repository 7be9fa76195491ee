"""Story clusters: near-duplicate articles share a ``cluster_id``; all cluster SQL lives here.

A new article's MinHash signature is cut into LSH bands; articles of the
dedupe window sharing a band key, or carrying the same normalised title, are
candidates (:mod:`monitor._lsh` holds that index). Each candidate's real
similarity is then checked on its stored text, and the article joins the
story of the most similar one that passes. A ``cluster_id`` is the id of the
story's first article and never changes: only the new article's row is
updated.

Every lookup is by index (bucket keys, title key, article id), so the cost of
an article does not grow with the archive, and nothing of the archive is held
in memory: the index lives in SQLite, survives restarts and is pruned to the
window.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from monitor import clock, dedupe
from monitor._lsh import LshIndex, Row
from monitor.store import Store

log = logging.getLogger(__name__)

CANDIDATE_FACTOR = 0.6
"""LSH bands are tuned for ``threshold × CANDIDATE_FACTOR``: recall first, text checks decide."""
ESTIMATE_FLOOR = 0.3
"""Band-sharing candidates under ``threshold × ESTIMATE_FLOOR`` estimated Jaccard are skipped."""
TITLE_SUPPORT = 0.5
"""Same normalised title: joins from ``threshold × TITLE_SUPPORT`` text similarity."""
MAX_CANDIDATES = 8
PER_CLUSTER = 2
"""Candidates text-checked per existing story (those with the most similar signatures)."""
SURE_MATCH = 0.9
"""A candidate this similar ends the search."""
PRUNE_MARGIN = timedelta(days=1)
"""Index rows are kept this long past the window, for articles that arrive late."""
SHINGLE_CACHE = 1_000_000
"""Shingle hashes of recently assigned articles kept in memory (at most 8 MB).

A copy usually arrives soon after its original, whose text check then needs no
re-shingling; older candidates are re-shingled from their stored text.
"""


@dataclass(frozen=True)
class ClusterMatch:
    """Where :meth:`StoryClusters.assign` put an article, and why."""

    article_id: int
    cluster_id: int
    matched_id: int | None = None
    similarity: float = 0.0
    signal: str | None = None
    """``text`` (similarity over the threshold) or ``title`` (same headline, weaker text)."""

    @property
    def joined(self) -> bool:
        """Whether the article joined an earlier story."""
        return self.matched_id is not None


@dataclass(frozen=True)
class _Candidate:
    article_id: int
    cluster_id: int
    signature: bytes
    estimate: float
    title_match: bool


class StoryClusters:
    """Assigns stored articles to stories, for one threshold and window."""

    def __init__(self, store: Store, threshold: float = 0.5, window_days: int = 30) -> None:
        self.store = store
        self.threshold = threshold
        self.window = timedelta(days=window_days)
        self.bands, self.rows = dedupe.lsh_banding(round(threshold * CANDIDATE_FACTOR, 2))
        self.index = LshIndex(store, self.bands, self.rows)
        self.index.ensure_scheme()
        self._recent = _ShingleCache(SHINGLE_CACHE)

    def assign(
        self,
        article_id: int,
        text: str,
        title: str | None,
        fetched_at: str,
        shingles: np.ndarray | None = None,
    ) -> ClusterMatch:
        """Put a newly stored article in its story: an earlier one's, else its own.

        Joins the caller's transaction when there is one (the crawl's batch),
        else runs in its own. ``shingles`` may come precomputed (from the
        extraction worker, over the text before learned boilerplate removal).
        """
        if shingles is None:
            shingles = dedupe.shingle_hashes(text)
        if not shingles.size:
            return ClusterMatch(article_id, article_id)
        moment = _moment(fetched_at)
        sig = dedupe.signature(shingles)
        keys = dedupe.band_keys(sig, self.bands, self.rows)
        key = dedupe.title_key(title)
        with self._transaction():
            candidates = self._candidates(article_id, sig, keys, key, moment)
            match = self._best(article_id, shingles, candidates)
            if match.joined:
                self.store.db.execute(
                    "UPDATE articles SET cluster_id = ? WHERE id = ?",
                    [match.cluster_id, article_id],
                )
            stamp = clock.iso(moment)
            if self.index.add(article_id, match.cluster_id, stamp, key, sig, keys):
                self._upkeep(moment)
        self._recent.put(article_id, dedupe.signature_bytes(sig), shingles)
        return match

    def refresh(self, article_id: int, text: str, title: str | None) -> None:
        """Re-index a revised article under its new text; its story (``cluster_id``) stays."""
        shingles = dedupe.shingle_hashes(text)
        sig = dedupe.signature(shingles)
        keys = dedupe.band_keys(sig, self.bands, self.rows)
        with self._transaction():
            if self.index.replace(article_id, dedupe.title_key(title), sig, keys):
                self._recent.put(article_id, dedupe.signature_bytes(sig), shingles)

    def _candidates(
        self, article_id: int, sig: np.ndarray, keys: list[int], key: str | None, moment: datetime
    ) -> list[_Candidate]:
        """Window articles sharing a band or the title, most similar signature first.

        A band-sharing article whose signature is clearly dissimilar (estimated
        Jaccard under ``threshold × ESTIMATE_FLOOR``) is dropped before its text is
        read; a same-title article always gets its text checked.
        """
        low, high = clock.iso(moment - self.window), clock.iso(moment + self.window)
        banded = self._rated(sig, self.index.banded(keys, low, high, article_id), False)
        found = [c for c in banded if c.estimate >= self.threshold * ESTIMATE_FLOOR]
        if key is not None:
            titled = self.index.titled(key, low, high, article_id, MAX_CANDIDATES)
            found += self._rated(sig, titled, True)
        return _shortlist(found)

    @staticmethod
    def _rated(sig: np.ndarray, rows: list[Row], title_match: bool) -> list[_Candidate]:
        return [
            _Candidate(article_id, cluster_id, blob, dedupe.estimate(sig, blob), title_match)
            for article_id, cluster_id, blob in rows
        ]

    def _best(
        self, article_id: int, shingles: np.ndarray, candidates: list[_Candidate]
    ) -> ClusterMatch:
        """The most similar candidate that passes its bar, checked on its stored text."""
        best = ClusterMatch(article_id, article_id)
        for candidate in candidates:
            score = dedupe.similarity(shingles, self._shingles_of(candidate))
            signal = self._signal(score, candidate.title_match)
            if signal and score > best.similarity:
                best = ClusterMatch(
                    article_id, candidate.cluster_id, candidate.article_id, score, signal
                )
                if score >= SURE_MATCH:
                    break
        if best.joined:
            log.debug(
                "article %s joins story %s (%s similarity %.2f with article %s)",
                *(article_id, best.cluster_id, best.signal, best.similarity, best.matched_id),
            )
        return best

    def _shingles_of(self, candidate: _Candidate) -> np.ndarray:
        """A stored article's shingles: from the cache, else from its stored text."""
        shingles = self._recent.get(candidate.article_id, candidate.signature)
        if shingles is None:
            text = self.store.scalar(
                "SELECT text FROM articles WHERE id = ?", [candidate.article_id]
            )
            shingles = dedupe.shingle_hashes(text or "")
            self._recent.put(candidate.article_id, candidate.signature, shingles)
        return shingles

    def _signal(self, score: float, title_match: bool) -> str | None:
        if score >= self.threshold:
            return "text"
        if title_match and score >= self.threshold * TITLE_SUPPORT:
            return "title"
        return None

    # -- reading stories -----------------------------------------------------------------

    def other_outlets(self, cluster_id: int, exclude_article_id: int | None = None) -> list[dict]:
        """Who else carried the story (see :meth:`monitor.store.Store.other_outlets`)."""
        return self.store.other_outlets(cluster_id, exclude_article_id)

    def cluster_size(self, cluster_id: int) -> int:
        """Number of stored articles in the story."""
        return self.store.cluster_size(cluster_id)

    # -- upkeep --------------------------------------------------------------------------

    def prune(self, before: str) -> int:
        """Forget the index rows of articles fetched before ``before``; returns how many.

        Runs by itself as the window moves on (see ``_lsh.MERGE_EVERY``); the
        articles and their ``cluster_id`` stay.
        """
        with self._transaction():
            return self.index.prune(before)

    def _upkeep(self, moment: datetime) -> None:
        """Merge the write buffer and drop what has left the window."""
        self.index.merge()
        pruned = self.index.prune(clock.iso(moment - self.window - PRUNE_MARGIN))
        log.debug("%s: near-duplicate index merged, %s articles pruned", self.store.path, pruned)

    def _transaction(self) -> AbstractContextManager[object]:
        """The caller's transaction when there is one (no savepoint per article), else one."""
        return nullcontext() if self.store.db.conn.in_transaction else self.store.write()


class _ShingleCache:
    """Shingle arrays by article id, least recently used dropped past ``limit`` hashes.

    An entry serves only the article whose stored signature it was cached with,
    so an id reused after a rolled-back batch can never get another text's shingles.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[int, tuple[bytes, np.ndarray]] = OrderedDict()
        self._size = 0

    def get(self, article_id: int, signature: bytes) -> np.ndarray | None:
        """The shingles cached for this article and signature, if any."""
        cached = self._items.get(article_id)
        if cached is None or cached[0] != signature:
            return None
        self._items.move_to_end(article_id)
        return cached[1]

    def put(self, article_id: int, signature: bytes, shingles: np.ndarray) -> None:
        """Cache, dropping the least recently used entries past the limit."""
        if article_id in self._items:
            self._size -= len(self._items.pop(article_id)[1])
        self._items[article_id] = (signature, shingles)
        self._size += len(shingles)
        while self._size > self.limit and self._items:
            self._size -= len(self._items.popitem(last=False)[1][1])


def _shortlist(candidates: list[_Candidate]) -> list[_Candidate]:
    """The candidates worth a text check: best estimate first, a few per story."""
    chosen: dict[int, _Candidate] = {}
    per_cluster: dict[int, int] = {}
    for candidate in sorted(candidates, key=lambda c: (-c.estimate, not c.title_match)):
        taken = per_cluster.get(candidate.cluster_id, 0)
        if candidate.article_id in chosen or (taken >= PER_CLUSTER and not candidate.title_match):
            continue
        per_cluster[candidate.cluster_id] = taken + 1
        chosen[candidate.article_id] = candidate
    return list(chosen.values())[:MAX_CANDIDATES]


def _moment(fetched_at: str) -> datetime:
    """``fetched_at`` as a UTC datetime (now, when it is missing or unreadable)."""
    return clock.parse_iso_or_none(fetched_at) or clock.now()
