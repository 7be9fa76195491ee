"""Turning an extracted page into stored rows: the last step of every crawl.

Scrapy-free, so the same step serves the in-process crawl and a distributed
ingest process. Callers run :meth:`Ingester.ingest` inside ``Store.write()``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from monitor import boilerplate
from monitor.clusters import StoryClusters
from monitor.config import DedupeSettings
from monitor.extract import word_count
from monitor.items import Extracted, Page
from monitor.outbox import Outbox
from monitor.store import NOT_ARTICLE_KINDS, ArticleRecord, Store
from monitor.tagging import Tagger, save_hits, tag_article
from monitor.textnorm import Folded, fold_sections

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of one page: ``article``, ``duplicate``, ``not_article`` or ``error``.

    A stored article's ``kind`` says how: ``new`` (a new story), ``near_duplicate``
    (a new article of an earlier story) or ``unchanged`` (already stored).
    """

    outcome: str
    article_id: int | None = None
    kind: str | None = None
    matched: tuple[str, ...] = ()  # watchlists the article matches (new and revised articles)


class Ingester:
    """Stores pages for one crawl, learning each site's boilerplate and story clusters."""

    def __init__(
        self,
        store: Store,
        crawl_id: int | None,
        *,
        min_pages: int = 5,
        dedupe: DedupeSettings = DedupeSettings(),  # noqa: B008 (frozen, immutable)
        tagger: Tagger | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.store = store
        self.crawl_id = crawl_id
        self.min_pages = min_pages
        self.tagger = tagger
        self.outbox = outbox
        self.clusters = StoryClusters(store, dedupe.threshold, dedupe.window_days)
        self._learned: dict[str, dict[str, str]] = {}

    def ingest(self, page: Page) -> Outcome:
        """Record ``page``: an article, a copy of one, or why it is not one."""
        extracted = page.extracted or Extracted(skip_reason="error", detail="not extracted")
        if extracted.skip_reason:
            return self._skip(page, extracted)
        owner = self.store.url_owner(page.url)
        if owner is not None and owner[1] == page.site:
            return self._revisit(page, extracted, owner[0])
        page.content_hash = extracted.content_hash or boilerplate.content_hash(extracted.text)
        copy_of = self.store.article_id_for_hash(page.content_hash)
        if copy_of is not None:
            self._mark_urls(page, "duplicate", copy_of)
            return Outcome("duplicate", copy_of, "exact")
        record = self._record(page, extracted)
        folded = fold_sections([record.title or "", record.text])  # for search and tagging
        article_id = self.store.insert_article(record, folded)
        story = self.clusters.assign(
            article_id, record.text, record.title, record.fetched_at, extracted.shingles
        )
        self._mark_urls(page, "article", article_id)
        matched = self._tag(article_id, record, folded, new=True)
        if matched and self.outbox is not None:  # same transaction as the hits
            self.outbox.story(article_id, story.cluster_id, matched)
        kind = "near_duplicate" if story.joined else "new"
        return Outcome("article", article_id, kind, matched)

    def _revisit(self, page: Page, extracted: Extracted, article_id: int) -> Outcome:
        """A stored article fetched again: unchanged, or a revision kept over its old text.

        A revision is the same story: same id, URL and cluster; no new article,
        not a duplicate.
        """
        page.content_hash = extracted.content_hash or boilerplate.content_hash(extracted.text)
        self._mark_urls(page, "article", article_id)
        if self.store.article(article_id)["content_hash"] == page.content_hash:
            return Outcome("article", article_id, "unchanged")
        record = self._record(page, extracted, learn=False)
        folded = fold_sections([record.title or "", record.text])
        self.store.revise_article(article_id, record, folded)
        self.clusters.refresh(article_id, record.text, record.title)
        matched = self._tag(article_id, record, folded)
        log.info("%s: revised (article %d)", page.url, article_id)
        return Outcome("article", article_id, "revised", matched)

    def _tag(
        self, article_id: int, record: ArticleRecord, folded: Folded, *, new: bool = False
    ) -> tuple[str, ...]:
        """Store the article's hits (recomputed, for a revision); the watchlists matched."""
        if self.tagger is None:
            return ()
        hits = self.tagger.tag(
            record.title, record.text, site=record.site, language=record.language, folded=folded
        )
        save_hits(self.store, article_id, hits, self.tagger.names, new=new)
        return tuple(hit.watchlist for hit in hits)

    def _skip(self, page: Page, extracted: Extracted) -> Outcome:
        kind = extracted.skip_reason or "error"
        message = extracted.detail or f"no article on the page ({kind})"
        self.store.record_error(
            self.crawl_id, page.site, page.url, kind, message, status=page.status
        )
        return Outcome("not_article" if kind in NOT_ARTICLE_KINDS else "error", None, kind)

    def _record(self, page: Page, extracted: Extracted, *, learn: bool = True) -> ArticleRecord:
        text = self._clean(page.site, extracted.text, learn=learn)
        published_at, date_source = _best_date(page, extracted)
        return ArticleRecord(
            url=page.url,
            site=page.site,
            title=extracted.title,
            author=extracted.author,
            published_at=published_at,
            date_source=date_source,
            fetched_at=page.fetched_at,
            language=extracted.language,
            text=text,
            content_hash=page.content_hash or "",
            word_count=word_count(text),
            partial=extracted.partial,
            encoding_suspect=page.encoding_suspect,
        )

    def _mark_urls(self, page: Page, outcome: str, article_id: int) -> None:
        for url in dict.fromkeys([page.url, *page.seen_as]):
            self.store.add_article_url(url, article_id, page.site)
            self.store.mark_seen(url, page.site, outcome, status=page.status, article_id=article_id)

    def _clean(self, site: str, text: str, *, learn: bool = True) -> str:
        """Drop lines learned to be boilerplate, learning from this page first (once per URL)."""
        learned = self._learned_for(site)
        if not learn:
            return boilerplate.remove_learned(text, learned.keys())
        fresh = self.store.learn_lines(site, boilerplate.candidate_lines(text), self.min_pages)
        if fresh:
            learned.update(self.store.learned_lines(site, self.min_pages))
            self._purge(site, fresh, learned)
        return boilerplate.remove_learned(text, learned.keys())

    def _learned_for(self, site: str) -> dict[str, str]:
        if site not in self._learned:
            self._learned[site] = self.store.learned_lines(site, self.min_pages)
        return self._learned[site]

    def _purge(self, site: str, keys: set[str], learned: dict[str, str]) -> None:
        """Remove newly learned lines from the site's already stored articles."""
        for key in keys:
            line = learned.get(key)
            if not line:
                continue
            for article_id, text in self.store.articles_containing(site, line):
                cleaned = boilerplate.remove_learned(text, {key})
                if cleaned != text:
                    self.store.replace_text(article_id, cleaned, word_count(cleaned))
                    if self.tagger is not None:
                        tag_article(self.store, self.tagger, article_id)
            log.info("site %s: learned boilerplate line %r", site, line)


def _best_date(page: Page, extracted: Extracted) -> tuple[str | None, str | None]:
    """Feed or sitemap date first (DATE-1), then the page's own, else unknown."""
    if page.source_date:
        return page.source_date, page.source_date_kind
    return extracted.published_at, extracted.date_source
