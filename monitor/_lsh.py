"""The near-duplicate index in SQLite: private to :mod:`monitor.clusters`.

Tables (migration ``0002_story_clusters``):

- ``article_signatures``: one row per article of the dedupe window: its
  MinHash signature, story (``cluster_id``), ``fetched_at`` and title key.
- ``lsh_buckets``: ``(band, bucket, article_id)``, clustered on the key, so a
  lookup reads only matching rows.
- ``lsh_recent``: the same rows for the newest articles. A write buffer: a
  bucket key is random, so writing straight into the large table dirties one
  page per band and article; the small buffer keeps each commit to a few pages,
  and is merged into ``lsh_buckets`` in key order every ``MERGE_EVERY`` articles.
- ``lsh_config``: the signature scheme and banding the rows were built with,
  and how many articles wait in the buffer.

Every statement is an indexed lookup, an indexed range or a key-ordered merge
of the buffer; none reads the archive.
"""

from __future__ import annotations

import logging

import numpy as np

from monitor import dedupe
from monitor.store import Store

log = logging.getLogger(__name__)

MERGE_EVERY = 1000
"""Articles buffered in ``lsh_recent`` before it is merged into ``lsh_buckets``."""

Row = tuple[int, int, bytes]
"""(article id, cluster id, signature) of an indexed article."""


class LshIndex:
    """Signatures and LSH buckets of the window's articles, for one banding."""

    def __init__(self, store: Store, bands: int, rows: int) -> None:
        self.store = store
        self.bands = bands
        self.rows = rows

    # -- lookups -----------------------------------------------------------------------

    def banded(self, keys: list[int], low: str, high: str, exclude: int) -> list[Row]:
        """Articles fetched in [low, high] sharing at least one bucket key."""
        pairs = ", ".join("(?, ?)" for _ in keys)
        return self.store.db.execute(
            f"WITH k(band, bucket) AS (VALUES {pairs}), hits(article_id) AS ("  # noqa: S608
            "SELECT b.article_id FROM k CROSS JOIN lsh_buckets b "
            "ON b.band = k.band AND b.bucket = k.bucket UNION "
            "SELECT r.article_id FROM k CROSS JOIN lsh_recent r "
            "ON r.band = k.band AND r.bucket = k.bucket) "
            "SELECT h.article_id, s.cluster_id, s.signature FROM hits h "
            "JOIN article_signatures s ON s.article_id = h.article_id "
            "WHERE s.fetched_at BETWEEN ? AND ? AND h.article_id != ?",
            [*_band_pairs(keys), low, high, exclude],
        ).fetchall()

    def titled(self, key: str, low: str, high: str, exclude: int, limit: int) -> list[Row]:
        """The latest ``limit`` articles fetched in [low, high] with this title key."""
        return self.store.db.execute(
            "SELECT article_id, cluster_id, signature FROM article_signatures "
            "WHERE title_key = ? AND fetched_at BETWEEN ? AND ? AND article_id != ? "
            "ORDER BY fetched_at DESC LIMIT ?",
            [key, low, high, exclude, limit],
        ).fetchall()

    # -- writes ------------------------------------------------------------------------

    def add(
        self,
        article_id: int,
        cluster_id: int,
        fetched_at: str,
        title_key: str | None,
        sig: np.ndarray,
        keys: list[int],
    ) -> bool:
        """Index one article; True when the buffer is due for :meth:`merge`."""
        self.store.db.execute(
            "INSERT OR REPLACE INTO article_signatures (article_id, cluster_id, fetched_at, "
            "title_key, signature) VALUES (?, ?, ?, ?, ?)",
            [article_id, cluster_id, fetched_at, title_key, dedupe.signature_bytes(sig)],
        )
        self._insert("lsh_recent", article_id, keys)
        waiting = self.store.db.execute(
            "UPDATE lsh_config SET value = value + 1 WHERE key = 'buffered' RETURNING value"
        ).fetchall()
        return bool(waiting) and int(waiting[0][0]) >= MERGE_EVERY

    def merge(self) -> None:
        """Move the buffer into ``lsh_buckets``, in key order (each page written once)."""
        self.store.db.execute(
            "INSERT OR IGNORE INTO lsh_buckets (band, bucket, article_id) "
            "SELECT band, bucket, article_id FROM lsh_recent ORDER BY band, bucket, article_id"
        )
        self.store.db.execute("DELETE FROM lsh_recent")
        self.store.db.execute("UPDATE lsh_config SET value = 0 WHERE key = 'buffered'")

    def prune(self, before: str) -> int:
        """Forget articles fetched before ``before``; returns how many.

        Their bucket rows are found by recomputing their keys from the stored
        signatures, so the deletes are point deletes, never a scan.
        """
        rows = self.store.db.execute(
            "SELECT article_id, signature FROM article_signatures WHERE fetched_at < ?", [before]
        ).fetchall()
        self._delete_buckets(rows)
        self.store.db.execute("DELETE FROM article_signatures WHERE fetched_at < ?", [before])
        return len(rows)

    def replace(
        self, article_id: int, title_key: str | None, sig: np.ndarray, keys: list[int]
    ) -> bool:
        """Re-index a revised article; False when it is not (or no longer) indexed."""
        rows = self.store.db.execute(
            "SELECT article_id, signature FROM article_signatures WHERE article_id = ?",
            [article_id],
        ).fetchall()
        if not rows:
            return False
        self._delete_buckets(rows)
        self.store.db.execute(
            "UPDATE article_signatures SET title_key = ?, signature = ? WHERE article_id = ?",
            [title_key, dedupe.signature_bytes(sig), article_id],
        )
        self._insert("lsh_recent", article_id, keys)
        return True

    def _delete_buckets(self, rows: list[tuple[int, bytes]]) -> None:
        """Point deletes of the bucket rows of (article id, stored signature) pairs."""
        doomed = [
            (band, bucket, article_id)
            for article_id, blob in rows
            for band, bucket in enumerate(self._keys(blob))
        ]
        buffered = self.store.scalar("SELECT 1 FROM lsh_recent LIMIT 1") is not None
        for table in ("lsh_buckets", "lsh_recent") if buffered else ("lsh_buckets",):
            self.store.db.conn.executemany(
                f"DELETE FROM {table} WHERE band = ? AND bucket = ? AND article_id = ?",  # noqa: S608
                doomed,
            )

    def _insert(self, table: str, article_id: int, keys: list[int]) -> None:
        self.store.db.conn.executemany(
            f"INSERT OR IGNORE INTO {table} (band, bucket, article_id) VALUES (?, ?, ?)",  # noqa: S608
            [(band, bucket, article_id) for band, bucket in enumerate(keys)],
        )

    def _keys(self, blob: bytes) -> list[int]:
        return dedupe.band_keys(dedupe.signature_from_bytes(blob), self.bands, self.rows)

    # -- scheme ------------------------------------------------------------------------

    def ensure_scheme(self) -> None:
        """Rebuild the index when the signature scheme or the banding has changed.

        Signatures are recomputed from the stored texts when the scheme changed
        (shingling, permutations); buckets from the signatures when only the
        banding did (a new threshold). Both cover the window only.
        """
        wanted = {"signature": dedupe.SCHEME, "banding": f"{self.bands}x{self.rows}"}
        with self.store.write():
            stored = dict(self.store.db.execute("SELECT key, value FROM lsh_config").fetchall())
            if all(stored.get(k) == v for k, v in wanted.items()):
                return
            if stored.get("signature", dedupe.SCHEME) != dedupe.SCHEME:
                self._resign()
            self._reband()
            self.store.db.conn.executemany(
                "INSERT OR REPLACE INTO lsh_config (key, value) VALUES (?, ?)",
                [*wanted.items(), ("buffered", 0)],
            )
        if stored:
            log.info("%s: near-duplicate index rebuilt for %s", self.store.path, wanted)

    def _resign(self) -> None:
        """Recompute the window's signatures from the stored texts."""
        rows = self.store.db.execute(
            "SELECT s.article_id, a.text FROM article_signatures s "
            "JOIN articles a ON a.id = s.article_id"
        ).fetchall()
        self.store.db.conn.executemany(
            "UPDATE article_signatures SET signature = ? WHERE article_id = ?",
            [
                (dedupe.signature_bytes(dedupe.signature(dedupe.shingle_hashes(text))), article_id)
                for article_id, text in rows
            ],
        )

    def _reband(self) -> None:
        """Rewrite every bucket row from the stored signatures."""
        self.store.db.execute("DELETE FROM lsh_buckets")
        self.store.db.execute("DELETE FROM lsh_recent")
        for article_id, blob in self.store.db.execute(
            "SELECT article_id, signature FROM article_signatures"
        ).fetchall():
            self._insert("lsh_buckets", article_id, self._keys(blob))


def _band_pairs(keys: list[int]) -> list[int]:
    """band, key, band, key, ...: the parameters of a bucket lookup."""
    pairs = [0] * (2 * len(keys))
    pairs[0::2] = range(len(keys))
    pairs[1::2] = keys
    return pairs
