"""``pressmon alerts``: send due deliveries, list the outbox, test one subscriber.

``send`` and ``test`` send, so they fill in the subscribers' secrets first: a
``${VAR}`` that is not set is a config error (exit 2) naming it. ``list`` shows
a channel by its index, never its URL, and its errors with every secret
redacted (they are stored redacted too).
"""

from __future__ import annotations

import json
import sys

import click

from monitor import clock
from monitor.alert_store import STATUSES, list_deliveries
from monitor.alerts import dispatch, secret_forms
from monitor.channels import describe_channel, send_apprise
from monitor.cli import Context, cli, pass_context
from monitor.health_watch import note_health_changes
from monitor.messages import channel_test_message
from monitor.store import open_store
from monitor.subscribers import Subscriber, check_secrets, redact

LIST_LIMIT = 100


@cli.group()
def alerts() -> None:
    """Alert deliveries: send the due ones, list the outbox, test a subscriber."""


@alerts.command()
@click.option("--now", "ignore_backoff", is_flag=True, help="Retry waiting deliveries now.")
@pass_context
def send(ctx: Context, ignore_backoff: bool) -> None:
    """Send the due deliveries; exit 1 when any failed for good.

    A delivery that fails waits (60 s, then doubling up to an hour) and is
    retried until give_up_hours; --now retries every pending one at once.
    Held deliveries (quiet hours, a disabled subscriber) stay pending.
    """
    config = ctx.config
    check_secrets(config.subscribers)
    store = open_store(ctx.db_path)
    try:
        summary = dispatch(
            store,
            config,
            clock.now(),
            ignore_backoff=ignore_backoff,
            watch_health=note_health_changes,
        )
    finally:
        store.close()
    click.echo(summary.line())
    if summary.failed:
        click.echo("see: pressmon alerts list --status failed", err=True)
        sys.exit(1)


@alerts.command(name="list")
@click.option("--status", type=click.Choice(STATUSES), help="Only deliveries in this state.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=LIST_LIMIT, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def list_command(ctx: Context, status: str | None, limit: int, as_json: bool) -> None:
    """The outbox, newest first: one line per delivery (channel by index, never its URL)."""
    config = ctx.config
    store = open_store(ctx.db_path)
    try:
        rows = list_deliveries(store, status, limit)
    finally:
        store.close()
    secrets = secret_forms([s for sub in config.subscribers.values() for s in sub.secrets()])
    for row in rows:
        row["last_error"] = redact(row["last_error"], secrets) if row["last_error"] else None
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print_deliveries(rows)


TABLE = (
    ("id", "id"),
    ("subscriber", "subscriber"),
    ("channel", "ch"),
    ("kind", "kind"),
    ("ref", "ref"),
    ("status", "status"),
    ("attempts", "tries"),
    ("next_attempt_at", "next attempt"),
    ("created_at", "created"),
    ("sent_at", "sent"),
)


def print_deliveries(rows: list[dict]) -> None:
    """The outbox as an aligned table, each error on its own indented line."""
    if not rows:
        click.echo("no deliveries")
        return
    cells = [[str(row[key]) if row[key] is not None else "-" for key, _ in TABLE] for row in rows]
    heads = [head for _, head in TABLE]
    widths = [max(len(c) for c in column) for column in zip(heads, *cells, strict=True)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip())
    for row, line in zip(rows, cells, strict=True):
        click.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if row["last_error"]:
            click.echo(f"    error: {row['last_error']}")


@alerts.command(name="test")
@click.argument("name")
@pass_context
def test_command(ctx: Context, name: str) -> None:
    """Send a test message through every channel of subscriber NAME; exit 1 if any failed.

    Nothing is written to the outbox.
    """
    config = ctx.config
    subscriber = config.subscribers.get(name)
    if subscriber is None:
        known = ", ".join(config.subscribers) or "none configured"
        raise click.BadParameter(f"unknown subscriber {name!r} (known: {known})", param_hint="NAME")
    timezone = config.settings.timezone
    results = [try_channel(subscriber, i, url, timezone) for i, url in enumerate(subscriber.urls())]
    if not all(results):
        sys.exit(1)


def try_channel(subscriber: Subscriber, index: int, url: str, timezone: str) -> bool:
    """Send the test message through one channel and print how it went."""
    message = channel_test_message(subscriber.name, index, clock.now(), timezone)
    result = send_apprise(url, message)
    label = f"{subscriber.name} {describe_channel(index, subscriber.notify[index])}"
    if result.ok:
        click.echo(f"{label}: ok")
    else:
        error = redact(result.error, secret_forms(subscriber.secrets()))
        click.echo(f"{label}: failed: {error}")
    return result.ok
