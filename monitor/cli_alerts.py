"""``pressmon alerts``: send due deliveries, list the outbox and the channels, test one
subscriber, enable a disabled channel again, queue failed deliveries again.

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
from monitor.alert_store import STATUSES, list_deliveries, requeue
from monitor.alerts import dispatch, secret_forms
from monitor.channel_state import channel_rows, enable
from monitor.channels import describe_channel, send_apprise
from monitor.cli import Context, cli, pass_context
from monitor.health_watch import note_health_changes
from monitor.messages import channel_test_message
from monitor.store import open_store
from monitor.subscribers import Subscriber, check_secrets, redact

LIST_LIMIT = 100


@cli.group()
def alerts() -> None:
    """Alert deliveries: send the due ones, list the outbox and channels, test a subscriber."""


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
    with open_store(ctx.db_path) as store:
        summary = dispatch(
            store,
            config,
            clock.now(),
            ignore_backoff=ignore_backoff,
            watch_health=note_health_changes,
        )
    click.echo(summary.line())
    if summary.failed:
        click.echo("see: pressmon alerts list --status failed", err=True)
        sys.exit(1)


@alerts.command(name="list")
@click.option("--status", type=click.Choice(STATUSES), help="Only deliveries in this state.")
@click.option("--subscriber", "name", metavar="NAME", help="Only this subscriber's.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=LIST_LIMIT, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def list_command(
    ctx: Context, status: str | None, name: str | None, limit: int, as_json: bool
) -> None:
    """The outbox, newest first: one line per delivery (channel by index, never its URL)."""
    with open_store(ctx.db_path) as store:
        rows = list_deliveries(store, status, limit, subscriber=name)
    show(redacted(rows, "last_error", ctx), TABLE, "last_error", as_json, "no deliveries")


CHANNEL_TABLE = (
    ("subscriber", "subscriber"),
    ("channel", "ch"),
    ("scheme", "scheme"),
    ("state", "state"),
    ("since", "since"),
    ("paused_until", "paused until"),
    ("last_sent_at", "last sent"),
)


@alerts.command(name="channels")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def channels_command(ctx: Context, as_json: bool) -> None:
    """Every subscriber channel (by index, never its URL): ok, retrying, failing or disabled.

    A channel is failing after a permanent rejection (SMTP 5xx: a bad address;
    sends go on and a success clears it) and disabled after HTTP 410 Gone
    (nothing is sent until `pressmon alerts enable` or a changed URL).
    """
    with open_store(ctx.db_path) as store:
        rows = channel_rows(store, ctx.config.subscribers)
    show(redacted(rows, "reason", ctx), CHANNEL_TABLE, "reason", as_json, "no channels")


@alerts.command(name="enable")
@click.argument("name")
@click.option("--channel", type=click.IntRange(min=0), help="Only this channel (its index).")
@pass_context
def enable_command(ctx: Context, name: str, channel: int | None) -> None:
    """Clear the disabled (or failing) state of subscriber NAME's channels, so they are
    sent to again; their held deliveries go out at the next dispatch."""
    subscriber = known_subscriber(ctx, name)
    if channel is not None and channel >= len(subscriber.notify):
        raise click.BadParameter(
            f"subscriber {name!r} has channels 0 to {len(subscriber.notify) - 1}",
            param_hint="--channel",
        )
    with open_store(ctx.db_path) as store:
        cleared = enable(store, name, channel)
    click.echo(f"{name}: {cleared} channel{'' if cleared == 1 else 's'} enabled again")


@alerts.command(name="retry")
@click.argument("ids", nargs=-1, type=click.IntRange(min=1), metavar="[ID]...")
@click.option("--subscriber", "name", metavar="NAME", help="Only this subscriber's.")
@click.option("--channel", type=click.IntRange(min=0), help="Only this channel of it.")
@pass_context
def retry_command(
    ctx: Context, ids: tuple[int, ...], name: str | None, channel: int | None
) -> None:
    """Queue failed deliveries again (the IDs given, or all of a subscriber or channel, or
    all), for the next dispatch, with a fresh count of attempts.

    One that fails again after give_up_hours since it was created fails at once.
    """
    if channel is not None and name is None:
        raise click.BadParameter("needs --subscriber", param_hint="--channel")
    if name is not None:
        known_subscriber(ctx, name)
    with open_store(ctx.db_path) as store:
        queued = requeue(store, clock.now(), ids=ids, subscriber=name, channel=channel)
    click.echo(f"{queued} failed deliver{'y' if queued == 1 else 'ies'} queued again")


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


def redacted(rows: list[dict], key: str, ctx: Context) -> list[dict]:
    """``rows`` with every subscriber secret out of ``row[key]`` (an error, stored redacted;
    this also catches a secret that was set after it was stored)."""
    subscribers = ctx.config.subscribers.values()
    secrets = secret_forms([s for sub in subscribers for s in sub.secrets()])
    return [row | {key: redact(row[key], secrets) if row[key] else None} for row in rows]


def show(
    rows: list[dict], table: tuple[tuple[str, str], ...], note: str, as_json: bool, empty: str
) -> None:
    """``rows`` as JSON, or as a table (``empty`` when there are none)."""
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        click.echo(empty)
    else:
        print_table(rows, table, note)


def print_table(rows: list[dict], table: tuple[tuple[str, str], ...], note: str) -> None:
    """``rows`` as aligned columns (``table``: key, heading), ``row[note]`` indented below."""
    cells = [[str(row[key]) if row[key] is not None else "-" for key, _ in table] for row in rows]
    heads = [head for _, head in table]
    widths = [max(len(c) for c in column) for column in zip(heads, *cells, strict=True)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip())
    for row, line in zip(rows, cells, strict=True):
        click.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if row[note]:
            click.echo(f"    error: {row[note]}")


@alerts.command(name="test")
@click.argument("name")
@pass_context
def test_command(ctx: Context, name: str) -> None:
    """Send a test message through every channel of subscriber NAME; exit 1 if any failed.

    Nothing is written to the outbox.
    """
    subscriber = known_subscriber(ctx, name)
    timezone = ctx.config.settings.timezone
    results = [try_channel(subscriber, i, url, timezone) for i, url in enumerate(subscriber.urls())]
    for row in stored_states(ctx, name):
        if row["state"] in ("disabled", "failing") and results[row["channel"]]:
            click.echo(
                f"note: channel {row['channel']} is {row['state']} since {row['since']}; "
                f"now that it works: pressmon alerts enable {name} --channel {row['channel']}"
            )
    if not all(results):
        sys.exit(1)


def stored_states(ctx: Context, name: str) -> list[dict]:
    """The channel states of subscriber ``name`` (none when there is no database yet)."""
    if not ctx.db_path.exists():
        return []
    with open_store(ctx.db_path) as store:
        rows = channel_rows(store, {name: ctx.config.subscribers[name]})
    return rows


def known_subscriber(ctx: Context, name: str) -> Subscriber:
    """The configured subscriber ``name``; an unknown name is a usage error listing the known."""
    subscriber = ctx.config.subscribers.get(name)
    if subscriber is None:
        known = ", ".join(ctx.config.subscribers) or "none configured"
        raise click.BadParameter(f"unknown subscriber {name!r} (known: {known})", param_hint="NAME")
    return subscriber


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
