"""``pressmon`` commands: digest (registered on :data:`monitor.cli.cli`)."""

from __future__ import annotations

from monitor.cli import Context, cli, pass_context  # noqa: F401
