"""The article persistence of :class:`monitor.store.Store`: articles and what hangs off them.

An article is one row of ``articles`` with its search-index row (its folded title and
text), the URLs it was seen under (``article_urls``), its story (``cluster_id``) and its
earlier versions (``article_revisions``); the boilerplate lines learned per site
(``boilerplate_lines``) rewrite stored texts, so they live here too. Kept apart from
the crawl bookkeeping (:mod:`monitor._store_crawls`), which only asks whether a URL is
already stored. :class:`ArticleTables` is a part of ``Store``, not a store of its own:
it writes through the same connection, inside the caller's transaction, so an article
and everything recorded with it commit together (DB-4, DB-5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor import clock
from monitor.textnorm import Folded, fold_sections, index_text

if TYPE_CHECKING:
    from monitor.store import StoreCore
else:
    StoreCore = object


@dataclass(frozen=True)
class ArticleRecord:
    """One article as it is written to the ``articles`` table."""

    url: str
    site: str
    title: str | None
    author: str | None
    published_at: str | None
    date_source: str | None
    fetched_at: str
    language: str | None
    text: str
    content_hash: str
    word_count: int
    partial: bool = False
    encoding_suspect: bool = False


class ArticleTables(StoreCore):
    """The ``articles``, ``article_urls``, ``search_index``, ``boilerplate_lines`` and
    ``article_revisions`` operations of ``Store``.
    """

    # -- articles ----------------------------------------------------------

    def article_id_for_url(self, url: str) -> int | None:
        """The article stored under ``url`` (its own URL or any URL seen for it)."""
        found = self.scalar("SELECT id FROM articles WHERE url = ?", [url])
        if found is None:
            found = self.scalar("SELECT article_id FROM article_urls WHERE url = ?", [url])
        return found

    def article_id_for_hash(self, content_hash: str) -> int | None:
        """The first article stored with exactly this text."""
        return self.scalar(
            "SELECT id FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1", [content_hash]
        )

    def insert_article(self, record: ArticleRecord, folded: Folded | None = None) -> int:
        """Store a new article (its own story until dedupe says otherwise); returns its id.

        ``folded`` is the article's title and text folded, if the caller has it.
        """
        values = {
            **record.__dict__,
            "partial": int(record.partial),
            "encoding_suspect": int(record.encoding_suspect),
        }
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        article_id = int(
            self.scalar(
                f"INSERT INTO articles ({names}) VALUES ({marks}) RETURNING id",  # noqa: S608
                list(values.values()),
            )
        )
        self.db.execute("UPDATE articles SET cluster_id = ? WHERE id = ?", [article_id, article_id])
        self.add_article_url(record.url, article_id, record.site)
        self._index(article_id, record.title, record.text, new=True, folded=folded)
        return article_id

    def _index(
        self,
        article_id: int,
        title: str | None,
        text: str,
        *,
        new: bool = False,
        folded: Folded | None = None,
    ) -> None:
        """(Re)write the article's row of ``search_index`` (its folded title and text)."""
        folded = folded or fold_sections([title or "", text])
        body = index_text(folded.folded)
        if not new:
            self.db.execute("DELETE FROM search_index WHERE rowid = ?", [article_id])
        self.db.execute("INSERT INTO search_index (rowid, body) VALUES (?, ?)", [article_id, body])

    def add_article_url(self, url: str, article_id: int, site: str) -> None:
        """Remember that ``url`` (on ``site``) shows ``article_id``; first sighting wins."""
        self.db.execute(
            "INSERT OR IGNORE INTO article_urls (url, article_id, site, first_seen) "
            "VALUES (?, ?, ?, ?)",
            [url, article_id, site, clock.now_iso()],
        )

    def article(self, article_id: int) -> dict:
        """One ``articles`` row."""
        return dict(self.db["articles"].get(article_id))

    # -- learned boilerplate -----------------------------------------------

    def learn_lines(self, site: str, lines: Mapping[str, str], min_pages: int) -> set[str]:
        """Count one more page for each candidate line; return keys learned just now.

        Lines are looked up by key only (never a scan of the site's lines), so the
        cost per page does not grow with the archive.
        """
        if not lines:
            return set()
        self.db.conn.executemany(
            "INSERT INTO boilerplate_lines (site, key, line, pages) VALUES (?, ?, ?, 1) "
            "ON CONFLICT(site, key) DO UPDATE SET pages = pages + 1",
            [(site, key, line[:500]) for key, line in lines.items()],
        )
        keys = list(lines)
        marks = ", ".join("?" for _ in keys)
        rows = self.db.execute(
            f"UPDATE boilerplate_lines SET learned_at = ? WHERE site = ? AND key IN ({marks}) "  # noqa: S608
            "AND pages >= ? AND learned_at IS NULL RETURNING key",
            [clock.now_iso(), site, *keys, min_pages],
        ).fetchall()
        return {row[0] for row in rows}

    def learned_lines(self, site: str, min_pages: int) -> dict[str, str]:
        """Key → line of every line seen on at least ``min_pages`` pages of ``site``."""
        rows = self.db.execute(
            "SELECT key, line FROM boilerplate_lines WHERE site = ? AND pages >= ?",
            [site, min_pages],
        ).fetchall()
        return dict(rows)

    def articles_containing(self, site: str, line: str) -> list[tuple[int, str]]:
        """(id, text) of ``site``'s articles whose text contains ``line``."""
        return self.db.execute(
            "SELECT id, text FROM articles WHERE site = ? AND instr(text, ?) > 0", [site, line]
        ).fetchall()

    def replace_text(self, article_id: int, text: str, word_count: int) -> None:
        """Rewrite an article's stored text (after newly learned boilerplate)."""
        self.db.execute(
            "UPDATE articles SET text = ?, word_count = ? WHERE id = ?",
            [text, word_count, article_id],
        )
        self._index(
            article_id, self.scalar("SELECT title FROM articles WHERE id = ?", [article_id]), text
        )

    def other_outlets(self, cluster_id: int, exclude_article_id: int | None = None) -> list[dict]:
        """Who else carried the story: its other articles, and exact copies on other sites.

        Each entry is ``{"site", "url", "title", "article_id"}``, by article id
        then URL; an exact copy (a URL of another site recorded for an article)
        carries the title of the article it copies. Used by digests and alerts
        ("also carried by").
        """
        rows = self.rows(
            "SELECT a.site, a.url, a.title, a.id AS article_id FROM articles a "
            "WHERE a.cluster_id = :cluster AND a.id IS NOT :exclude "
            "UNION ALL SELECT u.site, u.url, a.title, a.id FROM article_urls u "
            "JOIN articles a ON a.id = u.article_id "
            "WHERE a.cluster_id = :cluster AND u.site != a.site ORDER BY article_id, url",
            {"cluster": cluster_id, "exclude": exclude_article_id},
        )
        unique: dict[str, dict] = {}
        for row in rows:
            unique.setdefault(row["url"], row)
        return list(unique.values())

    def cluster_size(self, cluster_id: int) -> int:
        """Number of stored articles in the story."""
        return int(self.scalar("SELECT count(*) FROM articles WHERE cluster_id = ?", [cluster_id]))

    def url_owner(self, url: str) -> tuple[int, str] | None:
        """(article id, the article's site) for ``url``: its own URL or one seen for it."""
        row = self.db.execute("SELECT id, site FROM articles WHERE url = ?", [url]).fetchone()
        if row is None:
            row = self.db.execute(
                "SELECT a.id, a.site FROM article_urls u JOIN articles a ON a.id = u.article_id "
                "WHERE u.url = ?",
                [url],
            ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def revise_article(
        self, article_id: int, record: ArticleRecord, folded: Folded | None = None
    ) -> int:
        """Keep the current version in ``article_revisions``, then store ``record`` over it.

        The id, URL, site, cluster and first ``fetched_at`` stay; returns the
        revision's id.
        """
        revision = self.scalar(
            "INSERT INTO article_revisions (article_id, title, text, content_hash, fetched_at) "
            "SELECT id, title, text, content_hash, coalesce(updated_at, fetched_at) "
            "FROM articles WHERE id = ? RETURNING id",
            [article_id],
        )
        self.db.execute(
            "UPDATE articles SET title = ?, author = ?, published_at = ?, date_source = ?, "
            "language = ?, text = ?, content_hash = ?, word_count = ?, partial = ?, "
            "encoding_suspect = ?, updated_at = ? WHERE id = ?",
            [
                record.title,
                record.author,
                record.published_at,
                record.date_source,
                record.language,
                record.text,
                record.content_hash,
                record.word_count,
                int(record.partial),
                int(record.encoding_suspect),
                record.fetched_at,
                article_id,
            ],
        )
        self._index(article_id, record.title, record.text, folded=folded)
        return int(revision)

    def revisions(self, article_id: int) -> list[dict]:
        """Earlier versions of an article, oldest first."""
        return self.rows(
            "SELECT * FROM article_revisions WHERE article_id = ? ORDER BY id", [article_id]
        )
