"""Reading a TOML config file, and pointing errors at the line of a key or list item."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor._config_checks import BASE_URL, Check, _Invalid
from monitor.errors import ConfigError

_HEADER = re.compile(r"^\s*\[\[?([^\]]*)\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(r"^\s*([\w\"' .-]+?)\s*=")
_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def _key_line(text: str, table: str, key: str) -> int | None:
    """The line that sets ``key`` inside ``[table]`` ("" = top level), or its own ``[header]``."""
    want = (*_dotted(table), key) if table else (key,)
    current: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), 1):
        if header := _HEADER.match(line):
            current = _dotted(header.group(1))
            if current == want:
                return number
        elif (assign := _ASSIGN.match(line)) and current + _dotted(assign.group(1)) == want:
            return number
    return None


def _item_line(text: str, start: int, items: list[str]) -> int:
    """The line, from ``start`` to the next key, that holds one of ``items`` (else ``start``)."""
    forms = {form for item in items for form in (item, item.replace("\\", "\\\\"))}
    lines = text.splitlines()
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if number > start and (_HEADER.match(line) or _ASSIGN.match(line)):
            break
        if any(form and form in line for form in forms):
            return number
    return start


@dataclass(frozen=True)
class _Source:
    """One parsed TOML file, kept with its text to point errors at lines."""

    path: Path
    text: str
    data: dict[str, Any]
    base_url: str | None = None

    def error(
        self, message: str, key: str | None = None, *, table: str = "", item: str | None = None
    ) -> ConfigError:
        """A ConfigError at the line of ``key`` (and of ``item``, for a list element)."""
        line = _key_line(self.text, table, key) if key else None
        if line is not None and item is not None:
            items = [item]
            if self.base_url:
                items += [item.replace(re.escape(self.base_url), BASE_URL)]
                items += [item.replace(self.base_url, BASE_URL)]
            line = _item_line(self.text, line, items)
        dotted = f"{table}.{key}" if table and key else key
        return ConfigError(self.path, message, line=line, key=dotted)


def _read(path: Path, base_url: str | None = None) -> _Source:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(path, f"cannot read the file: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(path, "not UTF-8 text (save TOML files as UTF-8)", line=line) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _syntax_error(path, text, err) from None
    return _Source(path, text, data, base_url)


def _syntax_error(path: Path, text: str, err: tomllib.TOMLDecodeError) -> ConfigError:
    """TOML's own message, its location moved to ``FILE:LINE``, plus a hint."""
    message, line, column = str(err), getattr(err, "lineno", None), getattr(err, "colno", None)
    if match := _AT.search(message):
        message = message[: match.start()]
        if match.group(1):
            line, column = line or int(match.group(1)), column or int(match.group(2))
    if line is None:  # "at end of document"
        line = max(1, len(text.splitlines()))
    where = f" at column {column}" if column else ""
    hint = ""
    if "'\\'" in message or "escape" in message.lower():
        hint = " (write regexes in single quotes, e.g. '\\d+', where a backslash is literal)"
    elif "overwrite" in message or "twice" in message:
        hint = " (a key or table is set twice)"
    return ConfigError(path, f"invalid TOML: {message}{where}{hint}", line=line)


def _check_table(
    src: _Source,
    table: dict[str, Any],
    checks: dict[str, Check],
    *,
    where: str = "",
    hints: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Each key of ``table`` through its check; unknown keys are an error with a hint."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in checks:
            raise src.error(_unknown_key(key, checks, hints or {}), key, table=where)
        try:
            values[key] = checks[key](key, value)
        except _Invalid as bad:
            raise src.error(bad.message, key, table=where, item=bad.item) from None
    return values


def _unknown_key(key: str, known: dict[str, Check], hints: dict[str, str]) -> str:
    if key in hints:
        return f"unknown key '{key}' ({hints[key]})"
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "valid keys: " + ", ".join(known)
    return f"unknown key '{key}' ({hint})"


def _toml_files(directory: Path) -> Iterator[Path]:
    """The ``*.toml`` files of ``directory``, by name; none when it does not exist."""
    if not directory.exists():
        return
    if not directory.is_dir():
        raise ConfigError(directory, "not a directory")
    for path in sorted(directory.iterdir()):
        if path.suffix == ".toml" and path.is_file() and not path.name.startswith("."):
            yield path
