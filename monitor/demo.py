"""``pressmon demo``: the newcomer's first run, with no network needed.

Serves the bundled sample site on 127.0.0.1, crawls both of its outlets into a
temporary database (unless ``--db`` is given) and prints what was stored, the
watchlist hits and the digest of the window the crawl fell in.
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path

import click

from monitor import clock
from monitor.config import Config, load_config
from monitor.digest import build_digest, latest_complete_day
from monitor.exports import render_markdown
from monitor.output import crawl_with_progress, print_crawl_summary, print_hits
from monitor.samplesite import SampleSite, sample_site_root
from monitor.store import Store, open_store


def run_demo(home: str | None, db: str | None, *, keep: bool = False) -> int:
    """Serve, crawl, print; returns the exit code."""
    with (
        tempfile.TemporaryDirectory(prefix="pressmon-demo-") as scratch,
        SampleSite(sample_site_root()) as server,
    ):
        config = load_config(home, base_url=server.base_url, sites_dir=server.sites_dir())
        db_path = Path(db) if db else Path(scratch) / "demo.db"
        click.echo(
            f"Serving the sample site at {server.base_url}/ ; crawling "
            f"{', '.join(config.sites)} into {db_path}"
        )
        sites = [s for s in config.sites.values() if s.enabled]
        report = crawl_with_progress(config, sites, db_path, log_level="ERROR")
        store = open_store(db_path)
        try:
            print_stored(store)
            print_hits(store, limit=50)
            print_digests(store, config)
        finally:
            store.close()
        print_crawl_summary(report)
        if keep:
            _serve_until_interrupted(server.base_url)
        return 0 if report.ok else 1


def print_stored(store: Store) -> None:
    """The stored articles and the pages that were not stored, with why."""
    rows = store.rows(
        "SELECT site, title, word_count, language, published_at, url "
        "FROM articles ORDER BY site, published_at, id"
    )
    click.echo(f"\nStored {len(rows)} articles:")
    for row in rows:
        when = (row["published_at"] or "")[:10]
        click.echo(
            f"  {row['site']:<8} {when:<10} {row['language'] or '?':<3} "
            f"{row['word_count']:>5}w  {row['title']}"
        )
    errors = store.rows(
        "SELECT kind, url FROM crawl_errors WHERE id IN "
        "(SELECT max(id) FROM crawl_errors GROUP BY url) ORDER BY kind, url"
    )
    if errors:
        click.echo(f"\nNot stored ({len(errors)} pages):")
        for row in errors:
            click.echo(f"  {row['kind']:<14} {row['url']}")
    click.echo("")


def print_digests(store: Store, config: Config) -> None:
    """Each watchlist's digest of the window the crawl fell in (still open, so partial)."""
    settings = config.settings
    day = latest_complete_day(clock.now(), settings.timezone, settings.digest_time)
    for name in config.watchlists:
        digest = build_digest(
            store,
            name,
            day + timedelta(days=1),
            timezone=settings.timezone,
            digest_time=settings.digest_time,
        )
        click.echo(render_markdown(digest))


def _serve_until_interrupted(base_url: str) -> None:
    click.echo(f"Still serving {base_url}/ — press Ctrl-C to stop.")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
