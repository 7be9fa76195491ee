"""The ``pressmon`` command line (also ``python -m monitor``).

Global options come before the command: ``pressmon --home H --db D crawl``.
Exit codes: 0 success, 1 a runtime failure it reports, 2 bad usage or config.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import click

from monitor import output, site_status
from monitor.channel_state import channel_rows, troubled
from monitor.clock import local_day_start
from monitor.config import Config, Site, Watchlist, load_config
from monitor.errors import ConfigError, MonitorError
from monitor.health import largest_stories
from monitor.matching import Rules, compile_rules
from monitor.query import QuerySyntaxError
from monitor.search import search_articles
from monitor.secret_scan import secret_warnings
from monitor.service_lock import service_pid
from monitor.store import open_store
from monitor.subscribers import check_secrets, check_urls
from monitor.tagging import Tagger, hit_counts, orphan_watchlists, rules_for
from monitor.tagging import retag as retag_articles

log = logging.getLogger(__name__)


class Context:
    """What every command needs: where the config and the database are."""

    def __init__(self, home: str | None, db: str | None) -> None:
        self.home_option = home
        self.db_option = db
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        """The validated config (loaded on first use)."""
        if self._config is None:
            self._config = load_config(self.home_option)
        return self._config

    @property
    def db_path(self) -> Path:
        """``--db``, else the database named in settings (the config is validated either way)."""
        config = self.config
        return Path(self.db_option) if self.db_option else config.db_path


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    envvar="PRESSMON_HOME",
    metavar="DIR",
    help="Config directory (default ./data, or $PRESSMON_HOME).",
)
@click.option("--db", metavar="PATH", help="SQLite file (default: from settings).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.version_option(package_name="press-monitor")
@click.pass_context
def cli(ctx: click.Context, home: str | None, db: str | None, verbose: bool) -> None:
    """Press Monitor: crawl news sites, keep the article, tag watchlists, store in SQLite."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = Context(home, db)


@cli.command()
@pass_context
def check(ctx: Context) -> None:
    """Validate all config; print FILE:LINE: what is wrong and exit 2 on error."""
    config = ctx.config
    for warning in secret_warnings(config.subscribers):
        click.echo(f"warning: {warning}", err=True)
    check_secrets(config.subscribers)
    check_urls(config.subscribers)
    enabled = sum(1 for s in config.sites.values() if s.enabled)
    click.echo(
        f"ok: {config.home}: {len(config.sites)} sites ({enabled} enabled), "
        f"{len(config.watchlists)} watchlists, {len(config.subscribers)} subscribers"
    )


@cli.command()
@click.option("--site", "sites", multiple=True, metavar="NAME", help="Crawl only this site.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Page budget per site.")
@click.option("--refetch", multiple=True, metavar="URL", help="Fetch this URL again.")
@pass_context
def crawl(
    ctx: Context, sites: tuple[str, ...], max_pages: int | None, refetch: tuple[str, ...]
) -> None:
    """Crawl now, in this process, with progress and a closing summary."""
    chosen = select_sites(ctx.config, sites)
    report = output.crawl_with_progress(
        ctx.config, chosen, ctx.db_path, max_pages=max_pages, refetch=refetch
    )
    output.print_crawl_summary(report)
    if not report.ok:
        sys.exit(1)


def select_sites(config: Config, names: tuple[str, ...]) -> list[Site]:
    """The named sites (all enabled ones when none is named); unknown names are refused."""
    unknown = [n for n in names if n not in config.sites]
    if unknown:
        known = ", ".join(config.sites) or "none configured"
        raise click.BadParameter(
            f"unknown site {unknown[0]!r} (known: {known})", param_hint="--site"
        )
    if names:
        return [config.sites[n] for n in names]
    return [s for s in config.sites.values() if s.enabled]


@cli.command()
@click.argument("query", required=False)
@click.option("--watchlist", "watchlist", metavar="NAME", help="Use this watchlist's rules.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day (inclusive).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="To this day (inclusive).")
@click.option("--site", help="Only this site.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def search(
    ctx: Context,
    query: str | None,
    watchlist: str | None,
    since: Any,
    until: Any,
    site: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Search stored articles with the watchlist query language; per-day counts.

    QUERY uses the watchlists' language: AND, OR, NOT, (), "phrases", word*,
    NEAR/n. With --watchlist, articles must match that watchlist's rules too.
    """
    config = ctx.config
    rules = [rules_for(_watchlist(config, watchlist))] if watchlist else []
    if query is not None:
        rules.append(_query_rules(query))
    if not rules:
        raise click.UsageError("give a QUERY, --watchlist NAME, or both")
    with open_store(ctx.db_path) as store:
        result = search_articles(
            store,
            rules,
            since=_day(since, config),
            until=_day(until, config, 1),
            site=site,
            limit=limit,
            timezone=ZoneInfo(config.settings.timezone),
        )
    output.print_search(result, as_json=as_json)


def _query_rules(query: str) -> Rules:
    if not query.strip():
        raise click.BadParameter("the query is empty", param_hint="QUERY")
    try:
        return compile_rules("(query)", query=query)
    except QuerySyntaxError as err:
        message = f"{err.message}, at column {err.column}:\n{err.pointer()}"
        raise click.BadParameter(message, param_hint="QUERY") from None


def _watchlist(config: Config, name: str) -> Watchlist:
    if name not in config.watchlists:
        known = ", ".join(config.watchlists) or "none configured"
        raise click.BadParameter(
            f"unknown watchlist {name!r} (known: {known})", param_hint="--watchlist"
        )
    return config.watchlists[name]


@cli.command()
@click.option("--watchlist", "names", multiple=True, metavar="NAME", help="Only this watchlist.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Articles fetched from this day.")
@pass_context
def retag(ctx: Context, names: tuple[str, ...], since: Any) -> None:
    """Re-evaluate stored articles after watchlists change (never sends alerts).

    Hits are added, updated and removed to match the watchlists as they are
    now; without --watchlist, hits of deleted watchlists are removed too.
    """
    config = ctx.config
    chosen = [_watchlist(config, name) for name in names] or list(config.watchlists.values())
    tagger = Tagger(rules_for(watchlist) for watchlist in chosen)
    with open_store(ctx.db_path) as store:
        orphans = [] if names else orphan_watchlists(store, config.watchlists)
        changes = retag_articles(store, tagger, since=_day(since, config), orphans=orphans)
        totals = hit_counts(store)
    output.print_retag(changes, [w.name for w in chosen] + orphans, totals)


def _day(value: Any, config: Config, shift: int = 0) -> str | None:
    """When the local day ``value`` (a --since/--until date) starts, in stored UTC form."""
    if value is None:
        return None
    return local_day_start(value.date(), config.settings.timezone, shift)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """Per site: last crawl, funnel, failure type, silent flag; whether the service
    runs and what is crawling now; the largest stories; the alert deliveries and
    the subscriber channels that are failing or disabled.

    Exits 1 when an enabled site is failing (its last crawl failed) or silent
    (under a quarter of its median daily new articles over the last 24 hours),
    or when a channel of an enabled subscriber is failing or disabled.
    """
    with open_store(ctx.db_path) as store:
        rows = site_status.status_rows(store, ctx.config)
        stories = largest_stories(store)
        alerts = site_status.delivery_counts(store)
        channels = troubled(channel_rows(store, ctx.config.subscribers))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        output.print_status(rows)
        output.print_workers(service_pid(ctx.db_path), rows)
        output.print_stories(stories)
        output.print_alert_counts(alerts)
        output.print_troubled_channels(channels)
    if site_status.unhealthy(rows) or channels:
        sys.exit(1)


@cli.command()
@click.option("--keep", is_flag=True, help="Keep serving the sample site until Ctrl-C.")
@pass_context
def demo(ctx: Context, keep: bool) -> None:
    """Serve the bundled sample site on 127.0.0.1, crawl it, print what was stored."""
    from monitor.demo import run_demo

    sys.exit(run_demo(ctx.home_option, ctx.db_option, keep=keep))


def main() -> NoReturn:
    """Entry point: run the CLI; config and store errors end with a message, not a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except MonitorError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    sys.exit(0)


# Commands of other modules register themselves on ``cli`` when imported.
from monitor import cli_alerts, cli_digest, cli_ops, cli_service  # noqa: E402, F401
