"""Each site's health: its last crawl's funnel and failure, and the silent flag.

What ``pressmon status`` shows and what health alerts watch (monitor.health_watch).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor import clock, health
from monitor.config import Config
from monitor.schema import FUNNEL
from monitor.store import Store


def status_rows(store: Store, config: Config, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per configured (or crawled) site: its last crawl, funnel, error kinds and health.

    ``now`` (default: the current time) is when the silent flag's last 24 hours end.
    """
    moment = now or clock.now()
    crawls = {row["site"]: row for row in last_crawls(store)}
    articles = site_article_counts(store)
    shared = site_story_counts(store)
    names = sorted(set(config.sites) | set(crawls))
    rows = []
    for name in names:
        row = _status_row(name, crawls.get(name), articles.get(name, 0), store, config)
        row["in_shared_stories"] = shared.get(name, 0)
        rows.append(_with_health(row, store, moment))
    return rows


def _status_row(
    name: str, crawl: dict[str, Any] | None, articles: int, store: Store, config: Config
) -> dict[str, Any]:
    site = config.sites.get(name)
    row: dict[str, Any] = {
        "site": name,
        "enabled": bool(site and site.enabled),
        "articles": articles,
        "last_crawl": None,
        "failing": False,
        "failure_type": None,
        "failure_label": None,
    }
    if crawl is None:
        return row
    row["last_crawl"] = {
        k: crawl[k]
        for k in ("id", "started_at", "finished_at", "status", "failure", "pages", *FUNNEL)
    }
    row["errors"] = crawl_error_counts(store, crawl["id"])
    row["failing"] = health.is_failing(crawl)
    failure = health.describe_failure(crawl["failure"], row["errors"]) if row["failing"] else None
    if failure is not None:
        row["failure_type"], row["failure_label"] = failure.type, failure.label
    return row


def _with_health(row: dict[str, Any], store: Store, now: datetime) -> dict[str, Any]:
    """Add the silent flag (enabled sites only) and the health verdict to a status row."""
    activity = health.site_activity(store, row["site"], now)
    row["new_24h"] = activity.new_24h
    row["median_7d"] = activity.median_7d
    row["silent"] = row["enabled"] and activity.silent
    if row["failing"]:
        row["health"] = "failing"
        row["health_text"] = f"failing: {row['failure_label'] or 'last crawl failed'}"
    elif row["silent"]:
        row["health"] = "silent"
        row["health_text"] = f"silent: {activity.new_24h} in 24 h vs median {activity.median_7d:g}"
    elif row["last_crawl"] is None:
        row["health"], row["health_text"] = "never_crawled", "never crawled"
    else:
        row["health"], row["health_text"] = "ok", "ok"
    return row


def unhealthy(rows: list[dict[str, Any]]) -> list[str]:
    """Enabled sites that are failing or silent (``status`` exits 1 when there are any)."""
    return [r["site"] for r in rows if r["enabled"] and (r["failing"] or r["silent"])]


def delivery_counts(store: Store) -> dict[str, int]:
    """Alert deliveries by status (``pending``, ``sent``, ``failed``)."""
    rows = store.db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall()
    return dict(rows)


# -- the reads behind it --------------------------------------------------------------


def last_crawls(store: Store) -> list[dict]:
    """The latest ``crawls`` row of every site, by site name."""
    return store.rows(
        "SELECT c.* FROM crawls c JOIN (SELECT site, max(id) AS id FROM crawls GROUP BY site) "
        "last ON last.id = c.id ORDER BY c.site"
    )


def crawl_error_counts(store: Store, crawl_id: int) -> dict[str, int]:
    """Error kind → count for one crawl."""
    rows = store.db.execute(
        "SELECT kind, count(*) FROM crawl_errors WHERE crawl_id = ? "
        "GROUP BY kind ORDER BY count(*) DESC",
        [crawl_id],
    ).fetchall()
    return dict(rows)


def site_story_counts(store: Store) -> dict[str, int]:
    """Site → number of its articles that belong to a story carried more than once."""
    rows = store.db.execute(
        "SELECT site, count(*) FROM articles WHERE cluster_id IN (SELECT cluster_id FROM "
        "articles GROUP BY cluster_id HAVING count(*) > 1) GROUP BY site"
    ).fetchall()
    return dict(rows)


def site_article_counts(store: Store) -> dict[str, int]:
    """Site → number of stored articles."""
    return dict(store.db.execute("SELECT site, count(*) FROM articles GROUP BY site").fetchall())
