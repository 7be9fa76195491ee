"""The command line: exit codes, messages without tracebacks, every command documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import ArticleRecord, open_store
from tests.conftest import REPO, pressmon

COMMANDS = tuple(sorted(cli.commands))  # every registered command


def write_site(home: Path, name: str = "herald", extra: str = "") -> None:
    (home / "sites").mkdir(parents=True, exist_ok=True)
    (home / "sites" / f"{name}.toml").write_text(
        f'name = "{name}"\nstart_urls = ["http://127.0.0.1:9/{name}/"]\n'
        f"article_urls = ['/{name}/view/\\d+']\n{extra}",
        encoding="utf-8",
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.toml").write_text("", encoding="utf-8")
    write_site(home)
    return home


def test_check_accepts_the_shipped_config() -> None:
    result = pressmon("--home", str(REPO / "data"), "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def test_check_names_file_and_line_and_exits_2(home: Path) -> None:
    write_site(home, "daily", extra="start_url = []\n")
    result = pressmon("--home", str(home), "check")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert re.search(r"daily\.toml:4: unknown key 'start_url'", result.stderr), result.stderr


@pytest.mark.parametrize("command", [["check"], ["crawl"], ["search", "x"], ["status"]])
def test_every_command_refuses_a_bad_config_the_same_way(home: Path, command) -> None:
    (home / "settings.toml").write_text("timezone = 'Asia/Seul'\n", encoding="utf-8")
    result = pressmon("--home", str(home), "--db", str(home / "m.db"), *command)
    assert result.returncode == 2, result.stderr
    assert "settings.toml:1:" in result.stderr and "Asia/Seul" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_home_is_a_config_error(tmp_path: Path) -> None:
    result = pressmon("--home", str(tmp_path / "nowhere"), "check")
    assert result.returncode == 2
    assert "nowhere" in result.stderr and "Traceback" not in result.stderr


def test_crawl_refuses_an_unknown_site(home: Path) -> None:
    result = CliRunner().invoke(cli, ["--home", str(home), "crawl", "--site", "nope"])
    assert result.exit_code == 2
    assert "unknown site 'nope'" in result.output


def test_search_and_status_on_a_fresh_database(home: Path) -> None:
    db = home / "m.db"
    runner = CliRunner()
    result = runner.invoke(cli, ["--home", str(home), "--db", str(db), "search", "THAAD"])
    assert result.exit_code == 0, result.output
    assert "0 article(s)" in result.output
    status = runner.invoke(cli, ["--home", str(home), "--db", str(db), "status", "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)[0]["last_crawl"] is None


def test_search_filters_and_rejects_empty_queries(home: Path) -> None:
    db = home / "m.db"
    store = open_store(db)
    with store.write():
        for day, site in (("2015-02-03", "herald"), ("2015-02-04", "daily")):
            store.insert_article(
                ArticleRecord(
                    url=f"https://x.test/{day}",
                    site=site,
                    title=f"THAAD on {day}",
                    author=None,
                    published_at=f"{day}T10:00:00Z",
                    date_source="meta",
                    fetched_at=f"{day}T11:00:00Z",
                    language="en",
                    text="THAAD deployment talks",
                    content_hash=day,
                    word_count=3,
                )
            )
    store.close()
    runner = CliRunner()
    base = ["--home", str(home), "--db", str(db), "search"]
    both = runner.invoke(cli, [*base, "THAAD"])
    assert both.output.index("2015-02-04") < both.output.index("2015-02-03")
    one_day = runner.invoke(cli, [*base, "THAAD", "--since", "2015-02-04"])
    assert "1 article(s)" in one_day.output
    until = runner.invoke(cli, [*base, "THAAD", "--until", "2015-02-03"])
    assert "1 article(s)" in until.output and "THAAD on 2015-02-03" in until.output
    assert "1 article(s)" in runner.invoke(cli, [*base, "THAAD", "--site", "daily"]).output
    assert runner.invoke(cli, [*base, "  "]).exit_code == 2


def test_status_exits_1_when_a_site_is_failing(home: Path) -> None:
    db = home / "m.db"
    store = open_store(db)
    crawl_id = store.start_crawl("herald")
    store.finish_crawl(crawl_id, "failed", {"errors": 2}, failure="http_403")
    store.close()
    result = CliRunner().invoke(cli, ["--home", str(home), "--db", str(db), "status"])
    assert result.exit_code == 1
    assert "failed (http_403)" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert f"`pressmon {command}" in (REPO / "README.md").read_text(encoding="utf-8")


def test_python_dash_m_monitor_is_the_same_cli() -> None:
    result = pressmon("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_an_unreachable_site_fails_with_a_reason_and_no_traceback(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    home = tmp_path / "home"
    home.mkdir()
    (home / "sites").mkdir()
    (home / "sites" / "gone.toml").write_text(
        f'name = "gone"\nstart_urls = ["http://127.0.0.1:{port}/"]\n'
        "article_urls = ['/news/\\d+']\ndelay = 0\n",
        encoding="utf-8",
    )
    result = pressmon("--home", str(home), "--db", str(tmp_path / "m.db"), "crawl")
    assert result.returncode == 1
    assert "gone: failed (connection)" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr
    assert "Remote control" not in result.stderr
