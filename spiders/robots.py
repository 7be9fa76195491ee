"""robots.txt with an explicit policy for unusable files (NET-10).

Scrapy's ``RobotsTxtMiddleware`` treats every robots.txt it cannot use as
"allow all". Press Monitor follows RFC 9309 section 2.3.1 instead:

- 2xx: parsed; a body that is not a robots.txt (garbage, HTML) has no rules,
  so everything is allowed (2.3.1.1);
- 4xx (404, 401, 403...): "unavailable", everything is allowed (2.3.1.3);
- 5xx and 429 (after Scrapy's retries): "unreachable", the whole host is
  disallowed for this crawl (2.3.1.4); the pages are recorded as
  ``disallowed`` and the next crawl asks again.

A network error (DNS, refused, timeout) leaves the host allowed, as Scrapy
does: the pages then fail with their own error kind (``dns``,
``connection``, ``timeout``), which says more than ``disallowed`` would and
sends nothing to a host that cannot be reached anyway.

The policy of each host is logged once and kept in the crawl's stats as
``monitor/robots/<host:port>`` (stored in ``crawls.stats``).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.internet.defer import Deferred

log = logging.getLogger(__name__)

UNREACHABLE_STATUSES = frozenset({429})


class FixedRobots:
    """A robots.txt verdict that does not depend on the URL (allow all / disallow all)."""

    def __init__(self, allow: bool, reason: str) -> None:
        self.allow = allow
        self.reason = reason

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        """The fixed verdict."""
        return self.allow


class _WithoutTraceback(logging.Filter):
    """Scrapy logs a failed robots.txt download with a traceback; one line says it all."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_WithoutTraceback())


class RobotsPolicyMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with the RFC 9309 policy above; replaces it."""

    def process_request_2(self, rp: Any, request: Request) -> None:
        """Refuse every request to a host whose robots.txt was unreachable, saying why."""
        if isinstance(rp, FixedRobots) and not rp.allow:
            self._stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest(f"Forbidden by robots.txt: {rp.reason}")
        super().process_request_2(rp, request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        if 200 <= status < 300:
            self._policy(netloc, f"rules (HTTP {status})")
            await super()._parse_robots(response, netloc, request)
            return
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{status}")
        if status >= 500 or status in UNREACHABLE_STATUSES:
            reason = f"robots.txt answered HTTP {status}, so the site is unreachable (RFC 9309)"
            self._policy(netloc, f"disallow all (HTTP {status})", level=logging.WARNING)
            self._settle(netloc, FixedRobots(False, reason))
        else:
            self._policy(netloc, f"allow all (HTTP {status})")
            self._settle(netloc, FixedRobots(True, f"robots.txt answered HTTP {status}"))

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._policy(
            netloc,
            f"allow all (robots.txt not fetched: {type(exc).__name__})",
            level=logging.WARNING,
        )
        super()._robots_error(exc, netloc)

    def _settle(self, netloc: str, parser: FixedRobots) -> None:
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser  # type: ignore[assignment]
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

    def _policy(self, netloc: str, policy: str, level: int = logging.INFO) -> None:
        log.log(level, "robots.txt for %s: %s", netloc, policy)
        self._stats.set_value(f"monitor/robots/{netloc}", policy)
