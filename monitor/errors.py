"""The domain errors of Press Monitor, in one place."""

from __future__ import annotations

from pathlib import Path


class MonitorError(Exception):
    """Base class of every error Press Monitor reports to its user."""


class ConfigError(MonitorError):
    """A config file (or a command-line value) is wrong.

    Renders as ``FILE:LINE: reason`` when the line is known, otherwise as
    ``FILE: key: reason``, so the user can jump straight to the mistake.
    """

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = str(path)
        self.message = message
        self.line = line
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}: {self.message}"
        if self.key:
            return f"{self.path}: {self.key}: {self.message}"
        return f"{self.path}: {self.message}"


class StoreError(MonitorError):
    """The SQLite store cannot be opened or written."""


class ExtractError(MonitorError):
    """A page could not be decoded or extracted (recorded, never raised to Scrapy)."""
