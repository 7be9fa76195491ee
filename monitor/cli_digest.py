"""``pressmon`` commands: digest and export (registered on :data:`monitor.cli.cli`)."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import click

from monitor import clock
from monitor.article_export import export_articles, write_articles_csv, write_articles_jsonl
from monitor.cli import Context, cli, pass_context
from monitor.config import Config
from monitor.digest import latest_complete_day, window
from monitor.exports import FORMATS, ExportError, local_time, replacing
from monitor.outbox import Outbox
from monitor.publish import Published, publish_digest
from monitor.store import open_store

DAY = click.DateTime(["%Y-%m-%d"])
Writer = Callable[[Iterable[dict[str, Any]], IO[str]], int]


class CommandError(click.ClickException):
    """A failure the command reports as ``error: …`` with its own exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the message on standard error."""
        click.echo(f"error: {self.message}", err=True)


@cli.command()
@click.option(
    "--date",
    "day",
    type=DAY,
    metavar="YYYY-MM-DD",
    help="The digest's date (default: the latest complete window).",
)
@click.option(
    "--watchlist",
    "names",
    multiple=True,
    metavar="NAME",
    help="Only this watchlist (repeatable; default: all).",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(FORMATS),
    help="Only this format (repeatable; default: all).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Export directory (default: <home>/exports).",
)
@pass_context
def digest(
    ctx: Context,
    day: datetime | None,
    names: tuple[str, ...],
    formats: tuple[str, ...],
    out: Path | None,
) -> None:
    """Build (or rebuild) the daily digest, store it and export it.

    The digest dated D covers articles first found from D-1 to D at
    digest_time, local time; without --date, the latest complete window.
    --watchlist and --format may be repeated (default: all). Files go to
    OUT/D/WATCHLIST.EXT; OUT/WATCHLIST.atom keeps the last 100 stories.
    """
    config = ctx.config
    chosen = select_watchlists(config, names)
    when = day.date() if day else _latest(config)
    _warn_if_incomplete(config, when)
    out = out if out is not None else config.home / "exports"
    for published in _publish(ctx, chosen, when, out, formats or FORMATS):
        print_published(published)


def select_watchlists(config: Config, names: tuple[str, ...]) -> list[str]:
    """The named watchlists (all when none is named); unknown names are refused (exit 2)."""
    if not config.watchlists:
        raise CommandError(f"no watchlists in {config.home / 'watchlists'}: add one first", 2)
    unknown = [name for name in names if name not in config.watchlists]
    if unknown:
        known = ", ".join(config.watchlists)
        raise click.BadParameter(
            f"unknown watchlist {unknown[0]!r} (known: {known})", param_hint="--watchlist"
        )
    return list(dict.fromkeys(names)) or list(config.watchlists)


def _latest(config: Config) -> date:
    settings = config.settings
    return latest_complete_day(clock.now(), settings.timezone, settings.digest_time)


def _warn_if_incomplete(config: Config, day: date) -> None:
    """Say so when the digest's window has not ended yet (it will be rebuilt later)."""
    _, end = window(day, config.settings.timezone, config.settings.digest_time)
    if end > clock.now():
        ends = local_time(end, config.settings.timezone)
        click.echo(f"note: the window of {day} ends at {ends}: this digest is partial", err=True)


def _publish(
    ctx: Context, names: list[str], day: date, out: Path, formats: Iterable[str]
) -> list[Published]:
    settings = ctx.config.settings
    store = open_store(ctx.db_path)
    try:
        return [
            publish_digest(
                store,
                name,
                day,
                timezone=settings.timezone,
                digest_time=settings.digest_time,
                out=out,
                formats=formats,
                outbox=Outbox(store, ctx.config.subscribers),
            )
            for name in names
        ]
    except ExportError as exc:
        raise CommandError(str(exc), 2) from None
    except OSError as exc:
        raise CommandError(f"cannot write the exports: {exc}", 1) from None
    finally:
        store.close()


def print_published(published: Published) -> None:
    """One line per digest, then the files written."""
    digest = published.digest
    if digest.entries:
        stories = len(digest.entries)
        what = f"{stories} {'story' if stories == 1 else 'stories'}"
    else:
        what = "no new articles"
    click.echo(f"{digest.watchlist} {digest.day.isoformat()}: {what}")
    for path in published.paths:
        click.echo(f"  {path}")


@cli.command()
@click.option("--since", type=DAY, required=True, metavar="YYYY-MM-DD", help="From this day.")
@click.option("--until", type=DAY, metavar="YYYY-MM-DD", help="To this day (inclusive).")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), required=True, help="Output format."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write to FILE (default: standard output).",
)
@pass_context
def export(
    ctx: Context, since: datetime, until: datetime | None, fmt: str, out: Path | None
) -> None:
    """Articles fetched from --since to --until (local days) with their watchlist hits.

    csv: one row per article and watchlist hit (an article without hits gets
    one row), cells that could run as a spreadsheet formula prefixed with '.
    jsonl: one JSON object per article with its "hits" list.
    """
    if until is not None and until < since:
        raise click.BadParameter("is before --since", param_hint="--until")
    timezone = ctx.config.settings.timezone
    start = clock.local_day_start(since.date(), timezone)
    end = clock.local_day_start(until.date(), timezone, 1) if until else None
    write: Writer = write_articles_csv if fmt == "csv" else write_articles_jsonl
    with open_store(ctx.db_path) as store:
        articles = export_articles(store, start, end)
        count = _to_file(write, articles, out) if out else _to_stdout(write, articles)
    if out:
        click.echo(f"{count} {'rows' if fmt == 'csv' else 'articles'} written to {out}")


def _to_file(write: Writer, articles: Iterable[dict[str, Any]], path: Path) -> int:
    """Write the export to ``path`` whole (a partial export never replaces a file)."""
    try:
        with replacing(path) as handle:
            return write(articles, handle)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}", 1) from None


def _to_stdout(write: Writer, articles: Iterable[dict[str, Any]]) -> int:
    """Stream the export to standard output as UTF-8; a closed pipe ends it quietly."""
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:
        return write(articles, sys.stdout)
    stream = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    count, broken = 0, False
    try:
        count = write(articles, stream)
        stream.flush()
    except BrokenPipeError:  # e.g. `pressmon export … | head`
        broken = True
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        stream.detach()
    if broken:
        sys.exit(1)
    return count
