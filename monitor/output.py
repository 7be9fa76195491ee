"""What the command line prints: progress, summaries, search results, status."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from monitor.config import Config, Site
from monitor.crawl import CrawlReport, is_terminal, run_crawls
from monitor.search import SearchResult
from monitor.snippets import CLOSE, OPEN
from monitor.store import (
    Store,
)
from monitor.tagging import HitChanges, recent_hits

log = logging.getLogger(__name__)
console = Console(stderr=True)


def crawl_with_progress(
    config: Config,
    sites: Sequence[Site],
    db_path: Path,
    *,
    max_pages: int | None = None,
    refetch: Sequence[str] = (),
    log_level: str = "INFO",
) -> CrawlReport:
    """Run the crawls with a live display on a terminal, plain log lines otherwise."""
    if not is_terminal():
        return run_crawls(
            config, sites, db_path, max_pages=max_pages, refetch=refetch, log_level=log_level
        )
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} pages  {task.fields[line]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        tasks = {s.name: progress.add_task(s.name, total=None, line="") for s in sites}

        def update(stats: dict[str, dict[str, Any]]) -> None:
            for name, values in stats.items():
                progress.update(tasks[name], **_progress_fields(values))

        return run_crawls(
            config,
            sites,
            db_path,
            max_pages=max_pages,
            refetch=refetch,
            progress=update,
            log_level="WARNING" if log_level == "INFO" else log_level,
        )


def _progress_fields(stats: dict[str, Any]) -> dict[str, Any]:
    fetched = int(stats.get("monitor/fetched", 0))
    discovered = int(stats.get("monitor/discovered", 0))
    seen = int(stats.get("monitor/already_seen", 0)) + int(stats.get("robotstxt/forbidden", 0))
    line = (
        f"new {stats.get('monitor/articles_new', 0)}  "
        f"dup {stats.get('monitor/duplicates', 0)}  "
        f"skipped {stats.get('monitor/skipped', 0)}  errors {stats.get('monitor/errors', 0)}"
    )
    return {"completed": fetched, "total": max(discovered - seen, fetched) or None, "line": line}


def print_crawl_summary(report: CrawlReport) -> None:
    """The closing summary: pages, new articles, skipped, errors, time, per site."""
    for row in report.crawls:
        failure = f" ({row['failure']})" if row.get("failure") else ""
        click.echo(
            f"{row['site']}: {row['status']}{failure}: {row['pages']} pages, "
            f"{row['articles_new']} new articles, {row['duplicates']} duplicates, "
            f"{_skipped(row)} skipped, {row['errors']} errors"
        )
    click.echo(
        f"total: {report.total('pages')} pages, {report.total('articles_new')} new "
        f"articles, {report.skipped()} skipped, {report.total('errors')} errors "
        f"in {report.seconds:.1f}s"
    )


def _skipped(row: dict[str, Any]) -> int:
    try:
        return int(json.loads(row.get("stats") or "{}").get("counts", {}).get("skipped", 0))
    except ValueError:
        return 0


def print_search(result: SearchResult, *, as_json: bool = False) -> None:
    """Per-day counts, then the newest matches with their highlighted snippets."""
    if as_json:
        payload = {"total": result.total, "per_day": result.per_day, "articles": result.rows}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for row in result.rows:
        when = (row.get("published_at") or row.get("fetched_at") or "")[:16].replace("T", " ")
        size = row.get("cluster_size") or 1
        story = f"  [story of {size}]" if size > 1 else ""
        click.echo(f"{when}  {row['site']:<12} {row.get('title') or '(untitled)'}{story}")
        click.echo(f"{'':18}{row['url']}")
        click.echo(f"{'':18}{', '.join(row['terms'])}: {_highlight(row['snippet'])}")
    if result.per_day:
        click.echo("per day: " + ", ".join(f"{d} {n}" for d, n in result.per_day.items()))
    shown = f" (newest {len(result.rows)} shown)" if len(result.rows) < result.total else ""
    click.echo(f"{result.total} article(s){shown}")


def _highlight(snippet: str) -> str:
    """Matches in bold on a terminal; the stored [[ ]] marks otherwise."""
    if not sys.stdout.isatty():
        return snippet
    return snippet.replace(OPEN, "\x1b[1m").replace(CLOSE, "\x1b[0m")


def print_retag(changes: HitChanges, watchlists: list[str], totals: dict[str, int]) -> None:
    """What a retag changed, per watchlist, and the hits each has now."""
    for name in watchlists:
        added = sum(1 for _, w in changes.added if w == name)
        removed = sum(1 for _, w in changes.removed if w == name)
        changed = sum(1 for _, w in changes.changed if w == name)
        click.echo(
            f"{name:<20} +{added} added  -{removed} removed  ~{changed} updated  "
            f"({totals.get(name, 0)} articles with hits)"
        )


def print_hits(store: Store, limit: int = 20) -> None:
    """The latest hits, one line per article and watchlist, with the snippet."""
    rows = recent_hits(store, limit)
    click.echo(f"\nWatchlist hits ({len(rows)}):")
    for row in rows:
        terms = ", ".join(json.loads(row["terms"]))
        click.echo(f"  {row['watchlist']:<16} {row['site']:<8} {row['title'] or '(untitled)'}")
        click.echo(f"  {'':16} {terms} (strength {row['strength']}, {row['where']})")
        click.echo(f"  {'':16} {_highlight(row['snippet'])}")


STATUS_COLUMNS = {
    "listings": "listings",
    "discovered": "found",
    "fetched": "fetched",
    "extracted": "extracted",
    "articles_new": "new",
    "duplicates": "dup",
    "matched": "matched",
    "errors": "errors",
}
"""The funnel of a site's last crawl, as the status table heads it."""


def print_alert_counts(counts: dict[str, int]) -> None:
    """Pending and failed alert deliveries (``pressmon alerts list`` shows them)."""
    if not counts:
        return
    failed = counts.get("failed", 0)
    note = "  (see pressmon alerts list --status failed)" if failed else ""
    click.echo(
        f"alerts: {counts.get('pending', 0)} pending, {counts.get('sent', 0)} sent, "
        f"{failed} failed{note}"
    )


def print_workers(pid: int | None, rows: list[dict[str, Any]]) -> None:
    """Whether ``pressmon run`` serves the database, and the crawls running now."""
    service = "not running" if pid is None else f"running (pid {pid or 'unknown'})"
    crawling = [
        f"{row['site']} (since {str(crawl.get('started_at') or '-')[:16].replace('T', ' ')}, "
        f"{crawl.get('pages') or 0} pages)"
        for row in rows
        if (crawl := row["last_crawl"] or {}).get("status") == "running"
    ]
    click.echo(f"service: {service}; crawling now: {', '.join(crawling) or 'nothing'}")


def print_troubled_channels(rows: list[dict[str, Any]]) -> None:
    """Subscriber channels that are failing or disabled, and what to do about them."""
    for row in rows:
        name, index = row["subscriber"], row["channel"]
        line = f"alerts: {name} channel {index} ({row['scheme']}) {row['state']} "
        line += f"since {row['since']}: {row['reason'] or '-'}"
        if row["state"] == "disabled":
            line += f"  (then: pressmon alerts enable {name} --channel {index})"
        click.echo(line)


def print_stories(stories: list[dict[str, Any]]) -> None:
    """The stories carried most often (cluster sizes)."""
    if not stories:
        return
    click.echo("largest stories:")
    for story in stories:
        click.echo(f"  {story['size']:>3} articles  {story['sites']:<20} {story['title']}")


def print_status(rows: list[dict[str, Any]]) -> None:
    """The status table: last crawl, result, health, the funnel and stored articles.

    "articles" is how many are stored, and how many of them share a story with
    other articles. Wide tables are not wrapped when the output is not a terminal.
    """
    table = Table("site", "last crawl", "result", "health", *STATUS_COLUMNS.values(), "articles")
    for row in rows:
        crawl = row["last_crawl"] or {}
        table.add_row(
            row["site"],
            (crawl.get("started_at") or "-")[:16].replace("T", " "),
            _result(row),
            row["health_text"],
            *(str(crawl.get(k, "-")) for k in STATUS_COLUMNS),
            f"{row['articles']} ({row['in_shared_stories']} shared)",
        )
    Console(width=None if sys.stdout.isatty() else 220).print(table)
    for row in rows:
        if row.get("errors"):
            kinds = ", ".join(f"{k} {n}" for k, n in row["errors"].items())
            click.echo(f"{row['site']}: errors by kind: {kinds}")


def _result(row: dict[str, Any]) -> str:
    """The last crawl's status with its raw failure kind, e.g. ``failed (http_403)``."""
    crawl = row["last_crawl"] or {}
    result = str(crawl.get("status", "never crawled"))
    if crawl.get("failure"):
        result += f" ({crawl['failure']})"
    if not row["enabled"]:
        result += " [disabled]"
    return result
