"""The one generic news spider, driven by a site's TOML config.

``scrapy crawl news -a site=NAME`` (optionally ``-a home=DIR -a db=PATH``)
does the same crawl as ``pressmon crawl --site NAME``. The spider discovers
article URLs from the site's feeds, sitemaps and listing pages, asks the store
which are new, fetches those, decodes them and hands ``Page`` items on; the
pipelines do the rest. Every URL ends in an item: a page, an error, or a
fetched source.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from monitor import clock
from monitor.config import Config, Site, load_config
from monitor.decode import decode_body
from monitor.discovery import Link, page_links, parse_feed, parse_sitemap
from monitor.errors import ConfigError
from monitor.items import FetchError, Page, SourceFetched
from monitor.settings import crawl_settings
from monitor.store import Store, open_store
from monitor.urls import on_domains, site_canonical_url, try_site_canonical_url
from spiders.failures import classify_failure

log = logging.getLogger(__name__)

SOURCE_STATUSES = [304]
FEED_ERROR_KINDS = {
    "not_a_feed": "feed_not_a_feed",
    "empty": "feed_empty",
    "malformed": "feed_malformed",
}
SITEMAP_ERROR_KINDS = {
    "not_a_sitemap": "sitemap_not_a_sitemap",
    "too_large": "too_large",
    "malformed": "sitemap_malformed",
}
MAX_SITEMAPS = 200
NEVER_SENT = frozenset({"disallowed", "robots_unavailable"})
"""Error kinds of requests refused before they reached the site."""


class NewsSpider(scrapy.Spider):
    """Crawls one configured site: feeds, sitemaps and listings → article pages."""

    name = "news"

    def __init__(
        self,
        *args: Any,
        config: Config,
        site_config: Site,
        db_path: Path,
        refetch: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.config = config
        self.site = site_config
        self.db_path = db_path
        self.refetch = tuple(refetch)
        self.extra_tracking = config.settings.tracking_params
        self.store: Store | None = None
        self.scheduled: set[str] = set()
        self.sitemaps_seen = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Load the config (or take it ready-made) and derive this crawl's settings."""
        config = kwargs.pop("config", None) or load_config(kwargs.pop("home", None))
        name = kwargs.pop("site", None)
        if not name or name not in config.sites:
            known = ", ".join(config.sites) or "none"
            raise ConfigError(config.home / "sites", f"unknown site {name!r} (known: {known})")
        site = config.sites[name]
        db_path = Path(kwargs.pop("db", None) or config.db_path)
        max_pages = kwargs.pop("max_pages", None)
        refetch = kwargs.pop("refetch", ())
        if isinstance(refetch, str):
            refetch = [u for u in refetch.split(",") if u]
        budget = int(max_pages) if max_pages is not None else None
        crawler.settings.setdict(crawl_settings(config, site, max_pages=budget), priority="spider")
        spider = super().from_crawler(
            crawler,
            *args,
            config=config,
            site_config=site,
            db_path=db_path,
            refetch=refetch,
            **kwargs,
        )
        return spider

    # -- start -------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """Refetch requests first, then every feed, sitemap and section page."""
        self.store = open_store(self.db_path)
        for url in self.refetch:
            request = self._article_request(Link(url=url), force=True)
            if request is not None:
                yield request
        for url in self.site.feeds:
            yield self._source_request(url, "feed", self.parse_feed)
        for url in self.site.sitemaps:
            yield self._source_request(url, "sitemap", self.parse_sitemap)
        for url in self.site.start_urls:
            yield self._source_request(url, "listing", self.parse_listing, depth=0)

    def closed(self, reason: str) -> None:
        """Release the read connection."""
        if self.store is not None:
            self.store.close()

    def _source_request(self, url: str, kind: str, callback: Any, depth: int = 0) -> Request:
        headers = self._conditional_headers(url)
        return Request(
            url,
            callback=callback,
            errback=self.on_source_error,
            headers=headers,
            meta={
                "source_kind": kind,
                "depth_listing": depth,
                "handle_httpstatus_list": SOURCE_STATUSES,
            },
        )

    def _conditional_headers(self, url: str) -> dict[str, str]:
        assert self.store is not None
        etag, last_modified = self.store.validators(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers

    # -- discovery ---------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[Any]:
        """RSS / Atom / RDF → article requests; an HTML page at a feed URL is an error."""
        if response.status == 304:
            yield self._source_item(response, "feed", 0)
            return
        result = parse_feed(response.body, response.url)
        if result.error and not result.links:
            kind = FEED_ERROR_KINDS.get(result.error, "feed_malformed")
            yield self._source_error(response, kind, f"feed unusable: {result.error}")
            return
        if result.malformed:
            log.warning(
                "site %s: feed %s is malformed; using %d recovered entries",
                self.site.name,
                response.url,
                len(result.links),
            )
        yield self._source_item(response, "feed", len(result.links))
        for link in result.links:
            yield from self._maybe(self._article_request(link, date_kind="feed"))

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """Sitemap index → more sitemaps; urlset / Google News sitemap → articles."""
        if response.status == 304:
            yield self._source_item(response, "sitemap", 0)
            return
        result = parse_sitemap(response.body, response.url)
        if result.error and not (result.urls or result.sitemaps):
            kind = SITEMAP_ERROR_KINDS.get(result.error, "sitemap_malformed")
            yield self._source_error(response, kind, f"sitemap unusable: {result.error}")
            return
        yield self._source_item(response, "sitemap", len(result.urls) + len(result.sitemaps))
        for child in result.sitemaps:
            yield from self._maybe(self._child_sitemap(child.url))
        for link in result.urls:
            yield from self._maybe(self._article_request(link, date_kind="sitemap"))

    def _child_sitemap(self, url: str) -> Request | None:
        if self.sitemaps_seen >= MAX_SITEMAPS or not on_domains(url, self.site.domains):
            return None
        self.sitemaps_seen += 1
        return self._source_request(url, "sitemap", self.parse_sitemap)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """A section page: article links, and pagination up to the site's depth."""
        if response.status == 304 or not isinstance(response, TextResponse):
            yield self._source_item(response, "listing", 0)
            return
        depth = int(response.meta.get("depth_listing", 0))
        links = page_links(response.text, response.url)
        yield self._source_item(response, "listing", len(links))
        for link in links:
            if self.site.is_article_url(link.url):
                yield from self._maybe(self._article_request(link))
            elif self._is_next_listing(link, depth):
                yield self._source_request(link.url, "listing", self.parse_listing, depth + 1)

    def _is_next_listing(self, link: Link, depth: int) -> bool:
        if depth >= self.site.crawl.depth or not on_domains(link.url, self.site.domains):
            return False
        return link.rel_next or self.site.is_listing_url(link.url)

    def _article_request(
        self, link: Link, *, date_kind: str | None = None, force: bool = False
    ) -> Request | None:
        """A request for an article URL that is on the site, new to this crawl and unseen."""
        url = try_site_canonical_url(link.url, self.site, self.extra_tracking)
        if url is None or (not force and not self._wanted(url)):
            return None
        self.scheduled.add(url)
        self.crawler.stats.inc_value("monitor/discovered")
        assert self.store is not None
        if not force and not self.store.should_fetch(url, link.updated):
            self.crawler.stats.inc_value("monitor/already_seen")
            return None
        meta = {
            "source_date": link.updated if date_kind else None,
            "source_date_kind": date_kind,
            "source_title": link.title,
            "seen_as": [link.url],
        }
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_page_error,
            meta=meta,
            dont_filter=force,
        )

    def _wanted(self, url: str) -> bool:
        if url in self.scheduled or not self.site.is_article_url(url):
            return False
        return on_domains(url, self.site.domains)

    @staticmethod
    def _maybe(request: Request | None) -> Iterator[Request]:
        if request is not None:
            yield request

    # -- pages -------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Any]:
        """A fetched article page → a decoded ``Page`` item for the pipelines."""
        self.crawler.stats.inc_value("monitor/fetched")
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if content_type and "html" not in content_type.lower() and "xml" not in content_type:
            yield self._page_error(response, "not_html", f"content type {content_type!r}")
            return
        decoded = decode_body(
            response.body,
            content_type or None,
            override=self.site.charset,
            language=self.site.language,
        )
        yield Page(
            url=site_canonical_url(response.url, self.site, self.extra_tracking),
            site=self.site.name,
            html=decoded.text,
            status=response.status,
            headers=_headers(response),
            fetched_at=clock.now_iso(),
            encoding=decoded.encoding,
            encoding_suspect=decoded.suspect,
            seen_as=self._seen_as(response),
            source_date=response.meta.get("source_date"),
            source_date_kind=response.meta.get("source_date_kind"),
            source_title=response.meta.get("source_title"),
            language_hint=self.site.language,
        )

    def _seen_as(self, response: Response) -> list[str]:
        urls = [*response.meta.get("seen_as", []), *response.meta.get("redirect_urls", [])]
        canon = (try_site_canonical_url(u, self.site, self.extra_tracking) for u in urls)
        return [u for u in dict.fromkeys(canon) if u and self.site.is_article_url(u)]

    # -- errors ------------------------------------------------------------

    def on_page_error(self, failure: Failure) -> Iterator[FetchError]:
        """An article URL that failed: recorded with its kind, never lost."""
        request = failure.request  # type: ignore[attr-defined]
        kind, status, message = classify_failure(failure)
        if kind not in NEVER_SENT:
            self.crawler.stats.inc_value("monitor/fetched")
        discovered = (request.meta.get("redirect_urls") or [request.url])[0]
        url = try_site_canonical_url(discovered, self.site, self.extra_tracking) or request.url
        yield FetchError(url=url, site=self.site.name, kind=kind, message=message, status=status)

    def on_source_error(self, failure: Failure) -> Iterator[FetchError]:
        """A feed, sitemap or listing that failed: recorded as a source error."""
        request = failure.request  # type: ignore[attr-defined]
        kind, status, message = classify_failure(failure)
        source = request.meta.get("source_kind", "source")
        yield FetchError(
            url=request.url,
            site=self.site.name,
            kind=kind,
            message=f"{source}: {message}",
            status=status,
            page=False,
        )

    def _page_error(self, response: Response, kind: str, message: str) -> FetchError:
        return FetchError(
            url=site_canonical_url(response.url, self.site, self.extra_tracking),
            site=self.site.name,
            kind=kind,
            message=message,
            status=response.status,
        )

    def _source_error(self, response: Response, kind: str, message: str) -> FetchError:
        return FetchError(
            url=response.url,
            site=self.site.name,
            kind=kind,
            message=message,
            status=response.status,
            page=False,
        )

    def _source_item(self, response: Response, kind: str, links: int) -> SourceFetched:
        self.crawler.stats.inc_value("monitor/listings")
        if response.status == 304:
            self.crawler.stats.inc_value("monitor/not_modified")
        return SourceFetched(
            url=response.request.url if response.request else response.url,
            site=self.site.name,
            kind=kind,
            status=response.status,
            links=links,
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
        )


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): v[0].decode("latin-1") for k, v in response.headers.items() if v}
