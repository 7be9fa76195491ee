"""Literal secrets in ``subscribers.toml``: a credential typed where a ``${VAR}`` belongs.

apprise knows which parts of its URLs are secret: ``url(privacy=True)`` masks
them (``****``, ``a...z``, ``...wxyz``) where ``url(privacy=False)`` shows them.
Each notify URL is instantiated with every ``${VAR}`` replaced by a marker; a
masked part made of anything but markers was written into the file. Headers,
GET parameters and payload fields (``+``, ``-`` and ``:`` query keys) apprise
shows as they are, so those named like a credential (``+Authorization``) are
checked here too. CFG-1 allows secrets in a private (0600) file, so ``check``
and ``run`` warn only when the file is open to group or others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from monitor.channels import apprise_lines
from monitor.channels import scheme as channel_scheme
from monitor.signing import SIGN_ARGUMENT
from monitor.subscribers import Subscriber

_VAR = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
# Markers standing in for ${VAR}s; apprise validates tokens, so a URL is tried with
# letters, then digits, then a Telegram-shaped ``digits:letters`` token.
_MARKERS = ("pmvar{i:03d}x" + "q" * 20, "9{i:03d}77777777", "9{i:03d}7777:pmvar{i:03d}x" + "q" * 30)
_PART = re.compile(r"([/:@?&=#,;])")
_WORD = re.compile(r"[A-Za-z0-9]")
_CREDENTIAL_NAME = re.compile(
    r"auth|token|secret|passw|pwd|api[-_]?key|access[-_]?key|private[-_]?key|cookie|session|"
    r"signature|credential",
    re.IGNORECASE,
)
_AUTH_SCHEME = re.compile(r"^\s*(bearer|basic|token|bot|digest|apikey)\b", re.IGNORECASE)
_USERINFO = re.compile(r"^[^/?#]*://[^/?#@:]*:([^/?#@]*)@")
_TABLE = re.compile(r"^\s*\[")


@dataclass(frozen=True)
class LiteralSecret:
    """A notify URL of ``subscriber`` (channel: its index, as ``alerts`` shows it) holding a
    credential as written."""

    path: Path
    line: int
    subscriber: str
    channel: int
    scheme: str

    def describe(self, *, readable: bool = False) -> str:
        """``FILE:LINE: ...``; never the secret itself. ``readable``: the file is open to others."""
        text = (
            f"{self.path}:{self.line}: subscriber '{self.subscriber}' channel {self.channel} "
            f"({self.scheme}): a secret is written in the file; "
            "use ${VAR} and set it in the environment"
        )
        if readable:
            text += f" (the file is readable by others: chmod 600 {self.path.name})"
        return text


def has_literal_secret(url: str) -> bool:
    """True when ``url`` holds a credential written out instead of as ``${VAR}``."""
    if any(_is_literal(value) for value in _credential_query_values(url)):
        return True
    probed = _masked_parts(url)
    if probed is None:  # apprise cannot tell: fall back to a password in the userinfo
        match = _USERINFO.match(url)
        return bool(match and _WORD.search(_VAR.sub("", match.group(1))))
    parts, markers = probed
    return any(_WORD.search(_strip(part, markers)) for part in parts)


def literal_secrets(subscribers: Mapping[str, Subscriber]) -> list[LiteralSecret]:
    """Every notify URL of every subscriber (enabled or not) holding a literal secret."""
    found = []
    lines: dict[Path, list[str]] = {}
    for subscriber in subscribers.values():
        for index, url in enumerate(subscriber.notify):
            if has_literal_secret(url):
                if subscriber.path not in lines:
                    lines[subscriber.path] = _read_lines(subscriber.path)
                line = _url_line(lines[subscriber.path], subscriber.line, url)
                scheme = channel_scheme(url)
                found.append(LiteralSecret(subscriber.path, line, subscriber.name, index, scheme))
    return found


def secret_warnings(subscribers: Mapping[str, Subscriber]) -> list[str]:
    """What ``check`` prints and ``run`` logs: nothing when the file is private (mode 0600)."""
    warnings = []
    for secret in literal_secrets(subscribers):
        mode = _mode(secret.path)
        if mode is not None and mode & 0o077 == 0:
            continue
        warnings.append(secret.describe(readable=mode is not None and bool(mode & 0o044)))
    return warnings


def _credential_query_values(url: str) -> Iterator[str]:
    """Values of ``+header``, ``-param`` and ``:field`` query keys named like a credential,
    and of our webhooks' ``sign=``."""
    query = url.partition("?")[2].partition("#")[0]
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        key = unquote(key)
        if key == SIGN_ARGUMENT or (
            key[:1] in "+-:" and len(key) > 1 and _CREDENTIAL_NAME.search(key)
        ):
            yield unquote(value)


def _is_literal(value: str) -> bool:
    """A credential value holding more than ``${VAR}``s (an auth scheme word may lead)."""
    return bool(_WORD.search(_AUTH_SCHEME.sub("", _VAR.sub("", value))))


def _masked_parts(url: str) -> tuple[list[str], list[str]] | None:
    """The parts of ``url`` apprise masks, and the markers used; None when it cannot say."""
    import apprise  # only the commands that check or send need it

    names = list(dict.fromkeys(_VAR.findall(url)))
    with apprise_lines():  # apprise logs a URL it cannot parse, literal secrets and all
        for marker in _MARKERS:
            markers = [marker.format(i=index) for index in range(len(names))]
            plugin = apprise.Apprise.instantiate(_fill(url, names, markers))
            if plugin:
                return _differences(plugin), markers
    return None


def _fill(url: str, names: list[str], markers: list[str]) -> str:
    return _VAR.sub(lambda m: markers[names.index(m.group())], url)


def _differences(plugin: Any) -> list[str]:
    """The parts of the full URL that its privacy form does not show (unquoted)."""
    full = _PART.split(plugin.url(privacy=False))
    shown = _PART.split(plugin.url(privacy=True))
    matcher = SequenceMatcher(
        None, [unquote(p) for p in shown], [unquote(p) for p in full], autojunk=False
    )
    return [
        unquote("".join(full[j1:j2]))
        for tag, _, _, j1, j2 in matcher.get_opcodes()
        if tag != "equal" and j2 > j1
    ]


def _strip(part: str, markers: list[str]) -> str:
    text = part.lower()
    for marker in sorted(markers, key=len, reverse=True):
        text = text.replace(marker.lower(), "")
    return text


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _url_line(lines: list[str], start: int, url: str) -> int:
    """The line of ``url`` within the ``[[subscriber]]`` starting at ``start``, else ``start``."""
    for number in range(start, len(lines) + 1):
        if number > start and _TABLE.match(lines[number - 1]):
            break
        if url in lines[number - 1]:
            return number
    return start


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode
    except OSError:
        return None
