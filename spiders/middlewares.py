"""Downloader middlewares the news spider needs beyond Scrapy's own."""

from __future__ import annotations

import email.utils
import logging
import time
from http.cookies import CookieError, SimpleCookie
from typing import Self

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached

log = logging.getLogger(__name__)

THROTTLED = (429, 503)


class RateLimited(IgnoreRequest):
    """A request given up for this crawl because the site asked us to come back later."""

    def __init__(self, message: str, status: int, wait: float) -> None:
        super().__init__(message)
        self.status = status
        self.wait = wait


class RedirectLoop(IgnoreRequest):
    """A redirect chain that came back to a URL it had already visited twice, or ran too long."""


class RetryAfterMiddleware:
    """Honours ``Retry-After`` on 429/503 before Scrapy's retry (NET-2).

    A short wait is slept off for that request only (the rest of the crawl
    goes on) and the domain slows down; a wait longer than
    ``MONITOR_RETRY_AFTER_MAX`` gives the URL up for this crawl, and with it
    every other request to that domain in this crawl (those already queued in
    its download slot and those still to come, all unsent), recorded as
    ``http_429``/``http_503`` so a later crawl tries again. No retry storm.
    """

    def __init__(self, crawler: Crawler, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        self.deferred: dict[str, tuple[float, int, float]] = {}  # slot → (until, status, wait)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from settings."""
        return cls(crawler, crawler.settings.getfloat("MONITOR_RETRY_AFTER_MAX", 120))

    def process_request(self, request: Request) -> None:
        """Refuse, before sending, a request to a domain that asked for a long pause."""
        refusal = self._refusal(self._slot_key(request))
        if refusal is not None:
            self.crawler.stats.inc_value("monitor/rate_limited/deferred")
            raise refusal

    async def process_response(self, request: Request, response: Response) -> Response:
        """Wait out a short Retry-After; give up on a long one (and on the domain)."""
        if response.status not in THROTTLED:
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            return response
        if wait > self.max_wait:
            key = self._slot_key(request)
            self.deferred[key] = (time.monotonic() + wait, response.status, wait)
            log.warning(
                "%s: HTTP %s with Retry-After %.0fs: deferring %s to a later crawl",
                request.url,
                response.status,
                wait,
                key,
            )
            self.crawler.stats.inc_value("monitor/rate_limited/given_up")
            self._defer_queued(key)
            raise RateLimited(
                f"HTTP {response.status} with Retry-After {wait:.0f}s: deferred to a later crawl",
                response.status,
                wait,
            )
        self._slow_down(request, wait)
        log.info("%s: HTTP %s, waiting %.1fs (Retry-After)", request.url, response.status, wait)
        self.crawler.stats.inc_value("monitor/rate_limited/waited")
        await sleep(wait)
        return response

    def _defer_queued(self, key: str) -> None:
        """Fail the requests already waiting in the domain's download slot, unsent."""
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        slot = downloader.slots.get(key) if downloader is not None else None
        queue = getattr(slot, "queue", None)
        if not queue:
            return
        waiting = list(queue)
        queue.clear()
        for _request, queued in waiting:
            self.crawler.stats.inc_value("monitor/rate_limited/deferred")
            queued.errback(self._refusal(key))

    def _refusal(self, key: str) -> RateLimited | None:
        """The error for a request to ``key`` while that domain is deferred, else None."""
        if key not in self.deferred:
            return None
        until, status, wait = self.deferred[key]
        if time.monotonic() >= until:
            del self.deferred[key]
            return None
        return RateLimited(
            f"HTTP {status} with Retry-After {wait:.0f}s on this site: deferred to a later crawl",
            status,
            wait,
        )

    def _slot_key(self, request: Request) -> str:
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is not None:
            return downloader.get_slot_key(request)
        return urlparse_cached(request).hostname or ""

    def _slow_down(self, request: Request, wait: float) -> None:
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        key = request.meta.get("download_slot")
        slot = downloader.slots.get(key) if key else None
        if slot is not None:
            slot.delay = max(slot.delay, min(wait, self.max_wait))


class LoopSafeRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects, with loops and redirects-to-self handled explicitly (NET-5).

    Scrapy schedules each hop as a new request, so a hop back to a URL already
    requested (``/a → /b → /a``, or a 302 to the same URL after setting a
    cookie) is dropped by the duplicate filter without any errback: the page
    would be silently lost. Here such a hop bypasses the filter once, and a URL
    reached a third time, or a chain past ``REDIRECT_MAX_TIMES``, ends in
    :class:`RedirectLoop`, which the spider records as ``redirect_loop``. The
    crawl keeps no cookie jar (``COOKIES_ENABLED = False``), so the cookies a
    redirect sets travel with the following hops to the same host, and with
    them only: that is what lets a consent redirect end on its page.
    """

    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        """Follow a redirect; let a revisited URL through once, stop a loop."""
        try:
            result = super().process_response(request, response)
        except IgnoreRequest as exc:
            chain = " → ".join([*request.meta.get("redirect_urls", []), request.url])
            raise RedirectLoop(f"redirect loop: {exc} ({chain})") from exc
        if not isinstance(result, Request) or result is request:
            return result
        chain = result.meta.get("redirect_urls", [])
        visits = chain.count(result.url)
        if visits >= 2:
            hops = " → ".join([*chain, result.url])
            self.crawler.stats.inc_value("monitor/redirect_loop")
            raise RedirectLoop(f"redirect loop: {hops}")
        if visits:
            result.dont_filter = True  # a second visit, e.g. once a cookie is set
        _carry_cookies(request, response, result)
        return result


def _carry_cookies(request: Request, response: Response, redirected: Request) -> None:
    """Send the cookies a redirect set with the next hop to the same host."""
    if urlparse_cached(redirected).hostname != urlparse_cached(request).hostname:
        return
    jar = SimpleCookie()
    for header in [
        redirected.headers.get("Cookie") or b"",
        *response.headers.getlist("Set-Cookie"),
    ]:
        try:
            jar.load(header.decode("latin-1"))
        except CookieError:
            continue
    if jar:
        redirected.headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in jar.items())


def retry_after_seconds(value: bytes | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (now if now is not None else time.time()))
