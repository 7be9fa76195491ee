"""subscribers.toml: structure validated with file and line; secrets only from the environment."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.subscribers import check_secrets, check_urls, redact
from tests.conftest import REPO, pressmon

WATCHLIST = 'terms = ["THAAD"]\n'


def home_with(tmp_path: Path, subscribers: str) -> Path:
    home = tmp_path / "home"
    (home / "watchlists").mkdir(parents=True)
    for name in ("missile-defense", "hotline"):
        (home / "watchlists" / f"{name}.toml").write_text(WATCHLIST, encoding="utf-8")
    (home / "subscribers.toml").write_text(subscribers, encoding="utf-8")
    return home


def test_the_shipped_example_loads_with_its_secrets_unfilled(tmp_path: Path) -> None:
    example = (REPO / "data" / "subscribers.example.toml").read_text(encoding="utf-8")
    subscribers = load_config(home_with(tmp_path, example)).subscribers
    assert list(subscribers) == ["desk", "analysts", "ops"]
    desk = subscribers["desk"]
    assert desk.notify[0].startswith("mailtos://${SMTP_USER}:${SMTP_PASS}@")
    assert (desk.mode, desk.max_per_hour, desk.health) == ("instant", 20, False)
    assert desk.quiet_hours == (time(22, 0), time(7, 0))
    assert subscribers["analysts"].mode == "digest"
    assert subscribers["ops"].health and subscribers["ops"].variables() == ["HOOK_TOKEN"]


def test_secrets_are_filled_from_the_environment_and_a_missing_one_is_named(
    tmp_path: Path,
) -> None:
    home = home_with(tmp_path, SUBSCRIBER)
    [ops] = load_config(home).subscribers.values()
    assert ops.urls({"HOOK_TOKEN": "s3cret"}) == ["json://127.0.0.1:9/hook/s3cret"]
    assert ops.secrets({"HOOK_TOKEN": "s3cret"}) == ["s3cret"]
    with pytest.raises(ConfigError) as caught:
        check_secrets({"ops": ops}, {})
    assert str(caught.value) == (
        f"{home / 'subscribers.toml'}:2: subscriber 'ops': "
        "environment variable ${HOOK_TOKEN} is not set"
    )


SUBSCRIBER = """# ops
[[subscriber]]
name = "ops"
notify = ["json://127.0.0.1:9/hook/${HOOK_TOKEN}"]
watchlists = ["hotline"]
"""


@pytest.mark.parametrize(
    ("extra", "line", "message"),
    [
        ('mode = "sometimes"\n', 11, '\'mode\' must be "instant" or "digest"'),
        ('quiet_hours = "22-7"\n', 11, "'quiet_hours' must be a local time range"),
        ("max_per_hour = 0\n", 11, "'max_per_hour' must be an integer >= 1"),
        ("colour = 1\n", 11, "unknown key 'colour'"),
        ('watchlists = ["nope"]\n', 7, "subscriber 'second': unknown watchlist 'nope'"),
    ],
)
def test_an_error_in_the_second_subscriber_names_its_line(
    tmp_path: Path, extra: str, line: int, message: str
) -> None:
    second = '[[subscriber]]\nname = "second"\nnotify = ["json://127.0.0.1:9/x"]\n'
    second += "watchlists = []\n" if "watchlists" not in extra else ""
    text = SUBSCRIBER + "\n" + second.replace("watchlists = []\n", "health = true\n") + extra
    home = home_with(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(home)
    assert str(caught.value).startswith(f"{home / 'subscribers.toml'}:{line}: {message}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[subscriber]]\nnotify = ["json://h/x"]\nhealth = true\n', "needs a name"),
        ('[[subscriber]]\nname = "a"\nhealth = true\n', "needs notify"),
        ('[[subscriber]]\nname = "a"\nnotify = ["json://h/x"]\n', "hears nothing"),
        ('[[subscriber]]\nname = "a"\nnotify = ["not a url"]\nhealth = true\n', "apprise URLs"),
        (SUBSCRIBER + SUBSCRIBER, r"the name is already used \(line 2\)"),
    ],
)
def test_incomplete_subscribers_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(home_with(tmp_path, text))


def test_check_names_a_missing_secret_but_search_never_reads_one(tmp_path: Path) -> None:
    home = home_with(tmp_path, SUBSCRIBER)
    env = {"HOOK_TOKEN": ""}
    checked = pressmon("--home", str(home), "--db", str(tmp_path / "m.db"), "check", env=env)
    assert checked.returncode == 2
    assert "subscribers.toml:2: subscriber 'ops': environment variable ${HOOK_TOKEN}" in (
        checked.stderr
    )
    searched = pressmon("--home", str(home), "--db", str(tmp_path / "m.db"), "search", "THAAD")
    assert searched.returncode == 0, searched.stderr


def test_a_url_apprise_cannot_use_is_refused_without_showing_the_secret(tmp_path: Path) -> None:
    home = home_with(tmp_path, SUBSCRIBER.replace("json://", "nosuchscheme://"))
    [ops] = load_config(home).subscribers.values()
    with pytest.raises(ConfigError) as caught:
        check_urls({"ops": ops}, {"HOOK_TOKEN": "s3cret"})
    assert "notify URL 1 (nosuchscheme://…)" in str(caught.value)
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("hours", "inside", "outside"),
    [
        ("22:00-07:00", [time(23), time(0, 30), time(6, 59)], [time(7), time(12), time(21, 59)]),
        ("12:00-13:00", [time(12), time(12, 59)], [time(11, 59), time(13)]),
    ],
)
def test_quiet_hours_may_span_midnight(
    tmp_path: Path, hours: str, inside: list[time], outside: list[time]
) -> None:
    home = home_with(tmp_path, SUBSCRIBER + f'quiet_hours = "{hours}"\n')
    [ops] = load_config(home).subscribers.values()
    assert all(ops.in_quiet_hours(moment) for moment in inside)
    assert not any(ops.in_quiet_hours(moment) for moment in outside)


def test_redact_hides_secret_values_and_url_passwords() -> None:
    text = "POST json://h/hook/s3cret failed; mailto://user:pa55@smtp.example.org refused"
    assert redact(text, ["s3cret"]) == (
        "POST json://h/hook/*** failed; mailto://user:***@smtp.example.org refused"
    )


def test_no_shipped_file_holds_a_credential_in_a_url() -> None:
    """CFG-1: credentials in URLs of shipped config are ${VAR}s, never values."""
    credential = re.compile(r"[a-z]+s?://([^/\s:@\"']+):([^@\s\"']+)@")
    for path in sorted((REPO / "data").rglob("*.toml")):
        for user, password in credential.findall(path.read_text(encoding="utf-8")):
            assert password.startswith("${") and password.endswith("}"), (path, user)
