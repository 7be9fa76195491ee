"""Crawl health: why a site's last crawl failed, in user words, and whether it went silent.

Scrapy-free. It reads what a crawl left behind: the ``crawls`` row (its
``status`` and ``failure``, decided by :meth:`monitor.crawlrun.CrawlTally.verdict`:
the most common error kind of a crawl that got no source or no article
through) and the ``articles`` timestamps. A site is *failing* when its last
crawl failed, or when every source of it failed; it is *silent* when its new
articles over the last 24 hours fall below a quarter of its median day over
the 7 days before, and that median is at least 4.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor import clock
from monitor.store import Store

SILENT_MIN_MEDIAN = 4
"""A site must usually bring at least this many new articles a day to be judged silent."""
SILENT_FRACTION = 4
"""Silent: fewer than median ÷ this new articles in the last 24 hours."""
HISTORY_DAYS = 7

_BY_KIND: dict[str, str] = {
    "robots": "robots",
    "disallowed": "robots",
    "robots_unavailable": "robots",
    "http_401": "blocked",
    "http_403": "blocked",
    "http_429": "rate_limited",
    "http_404": "not_found",
    "http_410": "not_found",
    "timeout": "timeout",
    "dns": "connection",
    "connection": "connection",
    "tls": "connection",
    "dataloss": "connection",
    "feed_not_a_feed": "not_a_feed",
    "feed_empty": "not_a_feed",
    "feed_malformed": "not_a_feed",
    "sitemap_not_a_sitemap": "not_a_feed",
    "sitemap_malformed": "not_a_feed",
    "empty": "extraction_empty",
    "js_shell": "extraction_empty",
    "not_html": "extraction_empty",
    "listing": "extraction_empty",
    "extraction_failed": "extraction_empty",
    "extraction_timeout": "extraction_empty",
    "error": "extraction_empty",
    "challenge": "challenge",
    "crashed": "crashed",
    "time_limit": "time_limit",
    "disk_full": "storage",
    "io_error": "storage",
    "shutdown": "interrupted",
    "cancelled": "interrupted",
}
"""Error kind (``crawl_errors.kind``, ``crawls.failure``) → failure type.

``crashed``, ``shutdown`` and (without a timed-out fetch) ``timeout`` are what
the scheduler records for a crawl process it had to kill or that died.
"""

_LABELS: dict[str, str] = {
    "robots": "robots-blocked",
    "blocked": "blocked (HTTP {code})",
    "rate_limited": "rate-limited (HTTP {code})",
    "not_found": "not found (HTTP {code})",
    "timeout": "timeout",
    "connection": "DNS/connection ({kind})",
    "not_a_feed": "empty or HTML instead of feed",
    "extraction_empty": "extraction empty",
    "challenge": "bot challenge (HTTP 200)",
    "server_error": "server error (HTTP {code})",
    "time_limit": "crawl time limit reached",
    "crashed": "crawl process crashed",
    "storage": "database write failed ({kind})",
    "interrupted": "interrupted (service stopped)",
    "other": "{kind}",
}
"""Failure type → what ``status`` says, in user words."""

FAILURE_TYPES = tuple(_LABELS)
"""Every failure type ``status --json`` may report (stable keys)."""


@dataclass(frozen=True)
class Failure:
    """Why a crawl failed: a stable ``type`` key and a ``label`` in user words."""

    type: str
    label: str
    kind: str
    """The error kind it was derived from (``http_403``, ``feed_not_a_feed``…)."""


def failure_type_of(kind: str) -> str:
    """The failure type of one error kind (``http_503`` → ``server_error``)."""
    if kind in _BY_KIND:
        return _BY_KIND[kind]
    if kind.startswith("http_5"):
        return "server_error"
    return "other"


def describe_failure(failure: str | None, error_kinds: Mapping[str, int]) -> Failure | None:
    """The failure of a crawl from its ``failure`` column, else its most common error kind.

    ``error_kinds`` is kind → count of the crawl's ``crawl_errors`` rows; it
    names the failure when the column is empty. None when neither says anything.
    """
    kind = failure or max(error_kinds, key=lambda k: (error_kinds[k], k), default=None)
    if not kind:
        return None
    code = kind.removeprefix("http_") if kind.startswith("http_") else ""
    ftype = failure_type_of(kind)
    return Failure(ftype, _LABELS[ftype].format(code=code, kind=kind), kind)


def is_failing(crawl: Mapping[str, Any] | None) -> bool:
    """Whether a site whose last ``crawls`` row is ``crawl`` is failing.

    Its last crawl failed, or it finished with every source (feed, sitemap,
    listing) failed and none fetched.
    """
    if crawl is None:
        return False
    if crawl.get("status") == "failed":
        return True
    if crawl.get("status") != "ok":
        return False
    stats = _stats(crawl)
    counts = stats.get("counts") or {}
    return bool(stats.get("source_errors")) and not counts.get("sources_ok")


def _stats(crawl: Mapping[str, Any]) -> dict[str, Any]:
    try:
        stats = json.loads(crawl.get("stats") or "{}")
    except ValueError:
        return {}
    return stats if isinstance(stats, dict) else {}


# -- the silent flag ------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """A site's new articles over the last 24 hours and its median day before."""

    new_24h: int
    median_7d: float

    @property
    def silent(self) -> bool:
        """Below a quarter of a median of at least 4 (exactly a quarter is not silent)."""
        if self.median_7d < SILENT_MIN_MEDIAN:
            return False
        return self.new_24h * SILENT_FRACTION < self.median_7d


def _day_case(days: int) -> str:
    """SQL: which 24-hour window before ``:now`` a ``fetched_at`` falls in (0 = the last)."""
    arms = " ".join(f"WHEN fetched_at >= :d{d + 1} THEN {d}" for d in range(days + 1))
    return f"CASE {arms} END"


_ACTIVITY_SQL = (
    f"SELECT {_day_case(HISTORY_DAYS)} AS day, count(*) FROM articles "  # noqa: S608 (constants)
    f"WHERE site = :site AND fetched_at >= :d{HISTORY_DAYS + 1} GROUP BY day"
)
"""One range scan of the (site, fetched_at) index per site: no article row is read."""


def daily_counts(store: Store, site: str, now: datetime) -> list[int]:
    """New articles of ``site`` per 24-hour window back from ``now``: the last, then 7 before.

    A window without articles counts 0; an article fetched after ``now`` counts
    in the last window.
    """
    bounds = {f"d{d}": clock.iso(now - timedelta(days=d)) for d in range(1, HISTORY_DAYS + 2)}
    counts = dict(store.db.execute(_ACTIVITY_SQL, {"site": site, **bounds}).fetchall())
    return [counts.get(day, 0) for day in range(HISTORY_DAYS + 1)]


def site_activity(store: Store, site: str, now: datetime) -> Activity:
    """New articles of ``site`` in the 24 hours before ``now``; its median day of the 7 before."""
    last, *history = daily_counts(store, site, now)
    return Activity(last, statistics.median(history))


# -- the stories status lists ---------------------------------------------------------------


def largest_stories(store: Store, limit: int = 5) -> list[dict]:
    """The stories carried by the most articles: cluster id, size, outlets, title.

    The title is that of the story's earliest stored article, so a story whose
    first article was pruned still shows (its ``cluster_id`` stays that
    article's id). Sizes come from the ``cluster_id`` index alone.
    """
    sizes = store.db.execute(
        "SELECT cluster_id, count(*) AS size FROM articles WHERE cluster_id IS NOT NULL "
        "GROUP BY cluster_id HAVING count(*) > 1 ORDER BY size DESC, cluster_id LIMIT ?",
        [limit],
    ).fetchall()
    return [_story(store, cluster_id, size) for cluster_id, size in sizes]


def _story(store: Store, cluster_id: int, size: int) -> dict:
    sites = store.scalar(
        "SELECT group_concat(site) FROM (SELECT DISTINCT site FROM articles "
        "WHERE cluster_id = ? ORDER BY site)",
        [cluster_id],
    )
    title = store.scalar(
        "SELECT title FROM articles WHERE cluster_id = ? ORDER BY id LIMIT 1", [cluster_id]
    )
    return {"cluster_id": cluster_id, "size": size, "sites": sites or "", "title": title or ""}
