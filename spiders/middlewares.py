"""Downloader middlewares the news spider needs beyond Scrapy's own."""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.internet.task import deferLater

log = logging.getLogger(__name__)

THROTTLED = (429, 503)


class RetryAfterMiddleware:
    """Honours ``Retry-After`` on 429/503 before Scrapy's retry (NET-2).

    A short wait is slept off for that request only (the rest of the crawl
    goes on) and the domain slows down; a wait longer than
    ``MONITOR_RETRY_AFTER_MAX`` gives the URL up for this crawl, recorded as
    rate-limited so a later crawl tries again. No retry storm.
    """

    def __init__(self, crawler: Crawler, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from settings."""
        return cls(crawler, crawler.settings.getfloat("MONITOR_RETRY_AFTER_MAX", 120))

    async def process_response(self, request: Request, response: Response) -> Response:
        """Wait out a short Retry-After; give up on a long one."""
        if response.status not in THROTTLED:
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            return response
        if wait > self.max_wait:
            raise IgnoreRequest(
                f"HTTP {response.status} with Retry-After {wait:.0f}s: deferred to a later crawl")
        self._slow_down(request, wait)
        log.info("%s: HTTP %s, waiting %.1fs (Retry-After)", request.url, response.status, wait)
        from twisted.internet import reactor  # installed by Scrapy by now

        await deferLater(reactor, wait, lambda: None)
        return response

    def _slow_down(self, request: Request, wait: float) -> None:
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        key = request.meta.get("download_slot")
        slot = downloader.slots.get(key) if key else None
        if slot is not None:
            slot.delay = max(slot.delay, min(wait, self.max_wait))


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
