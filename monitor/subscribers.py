"""``subscribers.toml``: who hears what, through which apprise URLs, and when.

Secrets are never in the file: a notify URL names them as ``${VAR}``, filled in
from the environment only by the commands that send (``run``, ``alerts``) and
checked by ``check``. :func:`load_subscribers` reads the structure (names,
channels, watchlists, modes) without touching the environment, so ``crawl``,
``demo``, ``digest`` and ``search`` never read a secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from monitor._config_checks import (
    _clock,
    _each,
    _flag,
    _integer,
    _Invalid,
    _must,
    _slug,
    _slug_item,
    _strings,
)
from monitor._config_toml import _check_table, _read, _Source
from monitor.errors import ConfigError
from monitor.signing import SigningSecretError, signing_key, split_signing

FILE = "subscribers.toml"
MODES = ("instant", "digest")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HEADER = re.compile(r"^\s*\[\[\s*subscriber\s*\]\]")
_QUIET = re.compile(r"^(\d\d:\d\d)-(\d\d:\d\d)$")


@dataclass(frozen=True)
class Subscriber:
    """One ``[[subscriber]]``: ``notify`` holds apprise URLs as written (``${VAR}`` unfilled)."""

    name: str
    path: Path
    line: int
    notify: tuple[str, ...] = ()
    watchlists: tuple[str, ...] = ()
    mode: str = "instant"
    quiet_hours: tuple[time, time] | None = None
    max_per_hour: int | None = None
    enabled: bool = True
    health: bool = False

    def variables(self) -> list[str]:
        """The environment variables the notify URLs name, in order, once each."""
        return list(dict.fromkeys(v for url in self.notify for v in _VAR.findall(url)))

    def urls(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """The notify URLs with their ``${VAR}`` filled in; a missing variable is a ConfigError."""
        env = os.environ if environ is None else environ
        missing = [name for name in self.variables() if not env.get(name)]
        if missing:
            message = f"subscriber '{self.name}': environment variable ${{{missing[0]}}} is not set"
            raise ConfigError(self.path, message, line=self.line)
        return [_VAR.sub(lambda m: env[m.group(1)], url) for url in self.notify]

    def secrets(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """The values filled into the URLs, to redact from anything shown or stored."""
        env = os.environ if environ is None else environ
        return [env[name] for name in self.variables() if env.get(name)]

    def in_quiet_hours(self, local: time) -> bool:
        """True when ``local`` (time of day) falls in the quiet hours (which may span midnight)."""
        if self.quiet_hours is None:
            return False
        start, end = self.quiet_hours
        if start <= end:
            return start <= local < end
        return local >= start or local < end


def _quiet_hours(key: str, value: Any) -> tuple[time, time]:
    match = _QUIET.match(value) if isinstance(value, str) else None
    if not match:
        raise _must(key, 'a local time range "HH:MM-HH:MM", e.g. "22:00-07:00"', value)
    start, end = (_clock(key, part) for part in match.groups())
    return time.fromisoformat(start), time.fromisoformat(end)


def _mode(key: str, value: Any) -> str:
    if value not in MODES:
        raise _must(key, '"instant" or "digest"', value)
    return str(value)


def _notify(key: str, value: Any) -> tuple[str, ...]:
    urls = _strings(key, value)
    for url in urls:
        if "://" not in url:
            raise _Invalid(f"'{key}' must hold apprise URLs such as json://host/path", url)
    return urls


_CHECKS = {
    "name": _slug,
    "notify": _notify,
    "watchlists": _each(_slug_item, 'a list of watchlist names such as "hotline"'),
    "mode": _mode,
    "quiet_hours": _quiet_hours,
    "max_per_hour": _integer(1),
    "enabled": _flag,
    "health": _flag,
}


def load_subscribers(home: Path, watchlists: Mapping[str, object]) -> dict[str, Subscriber]:
    """Every ``[[subscriber]]`` of ``home/subscribers.toml`` by name; no file means none."""
    path = Path(home) / FILE
    if not path.exists():
        return {}
    src = _read(path)
    entries = src.data.get("subscriber", [])
    if set(src.data) - {"subscriber"} or not isinstance(entries, list):
        raise src.error("the file holds [[subscriber]] tables only", None)
    starts = _entry_lines(src.text)
    found: dict[str, Subscriber] = {}
    for index, entry in enumerate(entries):
        subscriber = _subscriber(src, entry, starts[index], starts[index + 1 : index + 2])
        _check_entry(src, subscriber, watchlists, found)
        found[subscriber.name] = subscriber
    return found


def _entry_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if _HEADER.match(line)]


def _subscriber(src: _Source, entry: dict[str, Any], line: int, after: list[int]) -> Subscriber:
    """One entry, its errors pointed at the line within that entry."""
    end = after[0] if after else len(src.text.splitlines()) + 1
    body = "\n".join(src.text.splitlines()[line : end - 1])  # the lines after the header
    try:
        values = _check_table(_Source(src.path, body, entry), entry, _CHECKS)
    except ConfigError as err:
        raise ConfigError(src.path, err.message, line=line + (err.line or 0)) from None
    if "name" not in values:
        raise ConfigError(src.path, 'a subscriber needs a name, e.g. name = "desk"', line=line)
    return Subscriber(path=src.path, line=line, **values)


def _check_entry(
    src: _Source,
    subscriber: Subscriber,
    watchlists: Mapping[str, object],
    found: Mapping[str, Subscriber],
) -> None:
    def fail(message: str) -> ConfigError:
        return ConfigError(
            src.path, f"subscriber '{subscriber.name}': {message}", line=subscriber.line
        )

    if subscriber.name in found:
        raise fail(f"the name is already used (line {found[subscriber.name].line})")
    if not subscriber.notify:
        raise fail('needs notify = ["apprise URL", ...] (where to send)')
    unknown = [name for name in subscriber.watchlists if name not in watchlists]
    if unknown:
        known = ", ".join(watchlists) or "none configured"
        raise fail(f"unknown watchlist '{unknown[0]}' (known: {known})")
    if not subscriber.watchlists and not subscriber.health:
        raise fail("hears nothing: give watchlists = [...] or health = true")


def check_secrets(
    subscribers: Mapping[str, Subscriber], environ: Mapping[str, str] | None = None
) -> None:
    """Every ``${VAR}`` of every enabled subscriber is set (``check``, ``run``, ``alerts``)."""
    for subscriber in subscribers.values():
        if subscriber.enabled:
            subscriber.urls(environ)


def check_urls(
    subscribers: Mapping[str, Subscriber], environ: Mapping[str, str] | None = None
) -> None:
    """Every notify URL (secrets filled in) is one apprise understands, and a webhook's
    ``sign=`` a ``whsec_`` secret; the errors hide the secrets."""
    import apprise  # only the commands that check or send need it

    for subscriber in subscribers.values():
        for index, url in enumerate(subscriber.urls(environ)):
            url, secret = split_signing(url)
            scheme = url.split("://", 1)[0]
            where = f"subscriber '{subscriber.name}': channel {index} ({scheme})"
            if not apprise.Apprise().add(url):
                message = f"{where} is not an apprise URL it can use (see the apprise wiki)"
                raise ConfigError(subscriber.path, message, line=subscriber.line)
            try:
                if secret is not None:
                    signing_key(secret)
            except SigningSecretError as err:
                message = f"{where}: {err}"
                raise ConfigError(subscriber.path, message, line=subscriber.line) from None


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret value, and any URL password, replaced by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    return re.sub(r"(://[^:/@\s]+:)[^@/\s]+@", r"\1***@", text)
