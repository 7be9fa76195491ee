"""Shared fixtures: the sample site on loopback, config homes, the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor import clock
from monitor.matching import compile_rules
from monitor.samplesite import SampleSite, sample_site_root
from monitor.search import search_articles
from monitor.store import Store, open_store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def sample_site() -> Iterator[SampleSite]:
    """The bundled sample site, served on a free port of 127.0.0.1."""
    with SampleSite(sample_site_root()) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite store in the test's temporary directory."""
    store = open_store(tmp_path / "m.db")
    yield store
    store.close()


def write_home(
    home: Path,
    base_url: str,
    *,
    settings: str = "",
    sites_dir: Path | None = None,
    watchlists: bool = True,
) -> Path:
    """A config directory whose sites are the sample site's, with ``{base_url}`` filled in.

    With ``watchlists``, it has the shipped watchlists too (``data/watchlists``).
    """
    (home / "sites").mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text(settings, encoding="utf-8")
    for source in sorted((sites_dir or sample_site_root() / "sites").glob("*.toml")):
        text = source.read_text(encoding="utf-8").replace("{base_url}", base_url)
        (home / "sites" / source.name).write_text(text, encoding="utf-8")
    if watchlists:
        (home / "watchlists").mkdir(exist_ok=True)
        for source in sorted((REPO / "data" / "watchlists").glob("*.toml")):
            (home / "watchlists" / source.name).write_bytes(source.read_bytes())
    return home


def manifest() -> list[dict]:
    """The sample site's pages with their expected outcomes."""
    data = tomllib.loads((sample_site_root() / "MANIFEST.toml").read_text(encoding="utf-8"))
    return data["page"]


def furniture() -> list[str]:
    """Lines of page furniture that must never reach stored text."""
    data = tomllib.loads((sample_site_root() / "MANIFEST.toml").read_text(encoding="utf-8"))
    return list(data.get("furniture", []))


def pressmon(
    *args: str, cwd: Path | None = None, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m monitor ARGS`` in a fresh process (the reactor runs once per process)."""
    full_env = {**os.environ, "PYTHONUTF8": "1", **(env or {})}
    full_env.pop("PRESSMON_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        check=False,
    )


def search_rows(store: Store, query: str, **filters: Any) -> list[dict]:
    """The rows ``pressmon search QUERY`` would list (newest first)."""
    rules = [compile_rules("(query)", query=query)]
    return search_articles(store, rules, **filters).rows


CLOCK_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """The time ``monitor.clock.now`` returns (so outbox rows are created at it too)."""

    def __init__(self) -> None:
        self.now = CLOCK_START

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """``monitor.clock.now`` stands at ``CLOCK_START`` until the test advances it."""
    fake = Clock()
    monkeypatch.setattr(clock, "now", lambda: fake.now)
    yield fake
