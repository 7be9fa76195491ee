"""``pressmon`` commands: ops (registered on :data:`monitor.cli.cli`): serve, prune, backup.

``serve`` runs Datasette in this process on the live file, opened read-only
(``mode=ro``, the default "mutable" mode, never ``immutable``: DB-8), with
canned queries built here and two SQL functions of ours. Datasette and
uvicorn come with the ``web`` extra and are imported only by ``serve``.
"""

from __future__ import annotations

import sqlite3
import sys
import types
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from monitor import backup as db_backup
from monitor import clock, maintenance
from monitor.cli import Context, cli, pass_context
from monitor.errors import MonitorError
from monitor.health import failure_type_of
from monitor.store import open_store

PLUGIN_NAME = "pressmon_sql_functions"
WEB_EXTRA_HINT = "pressmon serve needs Datasette: install press-monitor[web]"

CANNED_QUERIES: dict[str, dict[str, str]] = {
    "watchlists_today": {
        "title": "Today's hits per watchlist",
        "description": "Articles fetched since local midnight (settings timezone) with a hit.",
        "sql": "SELECT h.watchlist, count(*) AS articles, count(DISTINCT a.cluster_id) AS stories, "
        "max(h.strength) AS strongest, max(a.fetched_at) AS latest FROM articles a "
        "CROSS JOIN hits h ON h.article_id = a.id WHERE a.fetched_at >= pressmon_day_start() "
        "GROUP BY h.watchlist ORDER BY articles DESC, h.watchlist",
    },
    "hits_today": {
        "title": "Today's hits",
        "description": "Every hit on an article fetched since local midnight, by watchlist.",
        "sql": 'SELECT h.watchlist, a.title, a.site, a.url, h.strength, h.terms, h."where", '
        "h.snippet, a.fetched_at, a.cluster_id, a.id AS article_id FROM articles a "
        "CROSS JOIN hits h ON h.article_id = a.id WHERE a.fetched_at >= pressmon_day_start() "
        "ORDER BY h.watchlist, h.strength DESC, a.fetched_at DESC",
    },
    "largest_stories": {
        "title": "Largest stories of the last 7 days",
        "description": "Stories with an article fetched in the last 7 days, by articles carried.",
        "sql": "WITH recent AS (SELECT cluster_id FROM articles WHERE fetched_at >= "
        "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-7 days') AND +cluster_id IS NOT NULL "
        "GROUP BY +cluster_id), "
        "sized AS (SELECT cluster_id, (SELECT count(*) FROM articles "
        "WHERE cluster_id = r.cluster_id) AS articles FROM recent r) "
        "SELECT s.cluster_id, s.articles, (SELECT group_concat(site, ', ') FROM "
        "(SELECT DISTINCT site FROM articles WHERE cluster_id = s.cluster_id ORDER BY site)) "
        "AS sites, (SELECT title FROM articles WHERE cluster_id = s.cluster_id ORDER BY id "
        "LIMIT 1) AS title, (SELECT max(fetched_at) FROM articles "
        "WHERE cluster_id = s.cluster_id) AS latest FROM sized s WHERE s.articles > 1 "
        "ORDER BY s.articles DESC, latest DESC LIMIT 50",
    },
    "failing_sites": {
        "title": "Failing sites",
        "description": "Sites whose last crawl failed, with the failure type and error kinds.",
        "sql": "SELECT c.site, pressmon_failure_type(c.failure) AS failure_type, c.failure, "
        "c.started_at, c.finished_at, c.pages, c.errors, (SELECT group_concat(kind || ' ' || n, "
        "', ') FROM (SELECT kind, count(*) AS n FROM crawl_errors WHERE crawl_id = c.id "
        "GROUP BY kind ORDER BY n DESC)) AS errors_by_kind FROM crawls c "
        "WHERE c.id IN (SELECT max(id) FROM crawls GROUP BY site) AND c.status = 'failed' "
        "ORDER BY c.site",
    },
    "troubled_channels": {
        "title": "Failing or disabled alert channels",
        "description": "Subscriber channels refused for good (failing) or gone (disabled), "
        "with the last error (secrets redacted) and the deliveries they left failed or held.",
        "sql": "SELECT ch.subscriber, ch.channel, ch.state, ch.reason, ch.since, "
        "ch.last_sent_at, ch.last_failed_at, (SELECT count(*) FROM deliveries d "
        "WHERE d.subscriber = ch.subscriber AND d.channel = ch.channel "
        "AND d.status = 'failed') AS failed, (SELECT count(*) FROM deliveries d "
        "WHERE d.subscriber = ch.subscriber AND d.channel = ch.channel "
        "AND d.status = 'pending') AS pending FROM channels ch "
        "WHERE ch.state IN ('failing', 'disabled') ORDER BY ch.subscriber, ch.channel",
    },
}
"""The canned queries of ``pressmon serve`` (``/<db>/<name>.json?_shape=array``).

Each reads the archive through the ``fetched_at`` index (CROSS JOIN and ``+``
fix the plan: recent articles first, never a scan of all hits or stories).
"""

HIDDEN_TABLES = (
    "search_index",
    "article_signatures",
    "lsh_buckets",
    "lsh_recent",
    "lsh_config",
    "_sqlite_migrations",
)
"""Internal indexes Datasette does not list (they stay queryable with SQL)."""


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _require_database(path: Path) -> None:
    """Refuse a missing file or one that is not SQLite (never creates one)."""
    if not path.is_file():
        _fail(f"no database at {path} (run pressmon crawl first, or give --db)")
    try:
        conn = sqlite3.connect(db_backup.read_only_uri(path), uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        _fail(f"{path}: cannot read the database: {exc}")


# -- serve ----------------------------------------------------------------------------------


def datasette_metadata(name: str) -> dict[str, Any]:
    """Datasette metadata for the database served as ``name``: tables, FTS, canned queries."""
    tables: dict[str, Any] = {table: {"hidden": True} for table in HIDDEN_TABLES}
    tables["articles"] = {
        "fts_table": "articles_fts",
        "fts_pk": "id",
        "sort_desc": "fetched_at",
        "label_column": "title",
    }
    return {
        "title": "Press Monitor",
        "description": "The Press Monitor database, read-only. 'Today' is the local day "
        "of the configured timezone.",
        "databases": {name: {"tables": tables, "queries": CANNED_QUERIES}},
    }


def day_start(timezone: str, now: datetime | None = None) -> str:
    """When today began in ``timezone``, in stored UTC form (``pressmon_day_start()``)."""
    return clock.local_day_start(clock.local_date(now or clock.now(), timezone), timezone)


def _register_functions(timezone: str) -> None:
    """Our SQL functions on every Datasette connection, as an in-process plugin."""
    from datasette import hookimpl
    from datasette.plugins import pm

    @hookimpl
    def prepare_connection(conn: sqlite3.Connection) -> None:
        conn.create_function("pressmon_day_start", 0, lambda: day_start(timezone))
        conn.create_function(
            "pressmon_failure_type", 1, lambda kind: failure_type_of(kind) if kind else None
        )

    plugin = types.ModuleType(PLUGIN_NAME)  # Datasette lists plugins by module name
    plugin.prepare_connection = prepare_connection  # type: ignore[attr-defined]
    if pm.get_plugin(PLUGIN_NAME) is not None:
        pm.unregister(name=PLUGIN_NAME)
    pm.register(plugin, name=PLUGIN_NAME)


def datasette_app(db_path: Path, timezone: str) -> Any:
    """A Datasette instance serving ``db_path`` read-only; raises ImportError without ``web``."""
    from datasette.app import Datasette
    from datasette.database import Database

    class ReadOnlyDatabase(Database):  # type: ignore[misc]  # Datasette ships no types
        """``mode=ro`` reads; a write connection (a plugin, a write query) is refused."""

        def connect(self, write: bool = False) -> sqlite3.Connection:
            if write:
                raise PermissionError("pressmon serve is read-only")
            return super().connect(write=False)  # type: ignore[no-any-return]

    _register_functions(timezone)
    ds = Datasette(metadata=datasette_metadata(db_path.stem))
    ds.add_database(ReadOnlyDatabase(ds, path=str(db_path), is_mutable=True), name=db_path.stem)
    return ds


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@pass_context
def serve(ctx: Context, host: str, port: int) -> None:
    """Datasette on the database, read-only: browse, full-text search, canned queries.

    Canned queries: watchlists_today and hits_today (since local midnight in
    the settings timezone), largest_stories (of the last 7 days), failing_sites,
    troubled_channels.
    Needs the web extra (pip install 'press-monitor[web]').
    """
    db_path = ctx.db_path
    timezone = ctx.config.settings.timezone
    _require_database(db_path)
    try:
        import uvicorn

        ds = datasette_app(db_path, timezone)
    except ImportError:
        _fail(WEB_EXTRA_HINT)
    click.echo(f"serving {db_path} read-only on http://{host}:{port}/{db_path.stem} (Ctrl-C stops)")
    try:
        uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
    except SystemExit as exc:  # uvicorn exits 3 when it cannot listen; it said why
        if exc.code not in (None, 0):
            _fail(f"cannot serve on {host}:{port}")


# -- prune ----------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--older-than", "days", type=click.IntRange(min=1), required=True, metavar="DAYS",
    help="Delete what is older than this many days.",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@click.option("--vacuum", "compact", is_flag=True, help="VACUUM afterwards (locks while it runs).")
@pass_context
def prune(ctx: Context, days: int, dry_run: bool, compact: bool) -> None:
    """Delete articles, hits, crawls and errors older than DAYS; never digests.

    Articles go by fetched_at, with their hits, URLs, revisions, search and
    near-duplicate index rows; crawls by started_at (each site's last crawl
    stays). Seen URLs of stored or pruned articles stay, so a pruned article
    is not fetched again as new. Runs in small transactions, then resets the WAL.
    """
    dedupe = ctx.config.settings.dedupe
    _require_database(ctx.db_path)
    store = open_store(ctx.db_path)
    try:
        cutoff = maintenance.prune_cutoff(days)
        result = maintenance.prune(store, cutoff, dedupe=dedupe, dry_run=dry_run)
        if not dry_run:
            if compact:
                maintenance.vacuum(store)
                result.vacuumed = True
            result.checkpoint = maintenance.checkpoint(store)
    except (MonitorError, sqlite3.Error) as exc:
        _fail(f"prune failed: {exc}")
    finally:
        store.close()
    _print_prune(result, days)


def _print_prune(result: maintenance.PruneResult, days: int) -> None:
    verb = "would delete (dry run)" if result.dry_run else "deleted"
    unit = "day" if days == 1 else "days"
    click.echo(f"{verb}: older than {days} {unit} (before {result.cutoff})")
    for table, count in result.counts.items():
        click.echo(f"  {table:<20} {count:>8}")
    if result.vacuumed:
        click.echo("vacuumed")
    if result.checkpoint is not None:
        busy, frames, _ = result.checkpoint
        if busy:
            click.echo("WAL checkpoint busy (a reader or crawl is active); a later one resets it")
        else:
            click.echo(f"WAL checkpointed and truncated ({frames} frames)")


# -- backup ---------------------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@pass_context
def backup(ctx: Context, file: Path, force: bool) -> None:
    """A consistent copy of the live database in FILE (safe while crawls write).

    Uses SQLite's backup API on one snapshot, writes a temporary file, checks it
    with PRAGMA integrity_check, then renames it to FILE.
    """
    try:
        result = db_backup.backup(ctx.db_path, file, force=force)
    except MonitorError as exc:
        _fail(str(exc))
    size = f"{result.size / 1_048_576:.1f} MiB, {result.tables} tables"
    click.echo(f"ok: {result.path}: {size}, integrity_check {result.integrity}")
