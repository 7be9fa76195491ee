"""``pressmon`` commands: service (registered on :data:`monitor.cli.cli`).

``pressmon run`` is the process around :class:`monitor.scheduler.Service`: its
logging, its lock (one service per database, SCH-4) and its signals.
"""

from __future__ import annotations

import logging
import signal
import sys

import click

from monitor.cli import Context, cli, pass_context
from monitor.scheduler import Service
from monitor.service_lock import ServiceLockedError, hold_lock
from monitor.store import open_store

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@cli.command()
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    help="Log detail on stderr (default INFO; DEBUG with -v).",
)
@pass_context
def run(ctx: Context, log_level: str | None) -> None:
    """Run the service: scheduled crawls, the daily digest, alert dispatch.

    Each crawl runs in its own process, killed after the site's
    timeout_minutes. One service per database (a lock file next to it).
    SIGTERM or SIGINT stop it cleanly (running crawls get 60 s to finish);
    SIGHUP reloads the config (a bad config is refused and the old one kept).
    """
    configure_logging(log_level)
    config = ctx.config
    db = ctx.db_path.resolve()
    try:
        with hold_lock(db):
            open_store(db).close()  # create or migrate the schema before any job runs
            service = Service(config, db)
            install_signal_handlers(service)
            code = service.serve()
    except ServiceLockedError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(2)
    sys.exit(code)


def configure_logging(level: str | None) -> None:
    """The service logs at INFO by default (``-v`` has already chosen DEBUG)."""
    root = logging.getLogger()
    if level is not None:
        root.setLevel(level.upper())
    elif root.level > logging.INFO:
        root.setLevel(logging.INFO)
    # APScheduler's per-run lines repeat ours; its warnings (missed runs, skips) stay.
    logging.getLogger("apscheduler").setLevel(max(root.level, logging.WARNING))


def install_signal_handlers(service: Service) -> None:
    """SIGTERM and SIGINT stop ``service`` (twice: at once); SIGHUP reloads its config."""

    def stop(signum: int, _frame: object) -> None:
        service.request_stop(signal.Signals(signum).name)

    def reload(signum: int, _frame: object) -> None:
        service.request_reload(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reload)
