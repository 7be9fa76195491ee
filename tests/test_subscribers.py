"""subscribers.toml: structure validated with file and line; secrets only from the environment."""

from __future__ import annotations

import logging
import re
from datetime import time
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.secret_scan import has_literal_secret, literal_secrets, secret_warnings
from monitor.subscribers import check_secrets, check_urls, redact
from tests.conftest import REPO, pressmon, write_home

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
    assert "channel 0 (nosuchscheme) is not an apprise URL" in str(caught.value)
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


# --- CFG-1: a secret written into subscribers.toml instead of as ${VAR} -----------------------


@pytest.mark.parametrize(
    "url",
    [
        "mailto://user:pass@example.com",
        "mailto://example.org?to=a@example.org&user=u&pass=pw",
        "json://user:pass@example.com/path",
        "json://example.com/path?+Authorization=Bearer abc",
        "json://example.com/path?+Authorization=Bearer%20abc",
        "form://example.com/x?+X-Api-Key=abc123",
        "jsons://example.com/x?-token=abc",
        "slack://TokenA/TokenB/TokenC",
        "slack://${SLACK_A}/TokenB/${SLACK_C}",
        "tgram://123456789:AAHfakefakefakefakefakefakefakefake/12345",
        "tgram://123456789:${TELEGRAM_KEY}/12345",
        "discord://1234567890/abcdefghijk",
        "gotify://example.org/abcdef",
        "nosuchscheme://user:pa55@example.org",
    ],
)
def test_a_credential_written_in_a_notify_url_is_found(url: str) -> None:
    assert has_literal_secret(url)


@pytest.mark.parametrize(
    "url",
    [
        "mailto://user:${SMTP_PASSWORD}@example.com",
        "mailtos://${SMTP_USER}:${SMTP_PASS}@smtp.example.org?to=desk@example.org",
        "mailto://example.org?to=a@example.org&user=u&pass=${SMTP_PASS}",
        "json://${HOOK_USER}:${HOOK_PASS}@example.com/path",
        "json://example.com/path?+Authorization=Bearer ${HOOK_TOKEN}",
        "json://example.com/path?+X-Delivery-Id=7",
        "slack://${SLACK_A}/${SLACK_B}/${SLACK_C}/#press",
        "tgram://${TELEGRAM_TOKEN}/12345",
        "tgram://${TELEGRAM_ID}:${TELEGRAM_KEY}/-100123",
        "discord://${DISCORD_ID}/${DISCORD_TOKEN}",
        "json://example.com/path",
        "json://127.0.0.1:9/hook/${HOOK_TOKEN}",
        "mailto://smtp.example.org?to=a@example.org&from=b@example.org",
        "mailto://host?to=a@example.org",
        "nosuchscheme://user:${PASSWORD}@example.org",
    ],
)
def test_a_notify_url_with_its_secrets_as_variables_passes(url: str) -> None:
    assert not has_literal_secret(url)


LITERAL = """[[subscriber]]
name = "ops"
notify = ["json://127.0.0.1:9/hook/${HOOK_TOKEN}"]
health = true

[[subscriber]]
name = "desk"
watchlists = ["hotline"]
notify = [
  "json://127.0.0.1:9/hook",
  "mailtos://desk:hunter2@smtp.example.org?to=desk@example.org",
]
"""


def test_a_literal_secret_is_named_by_file_line_subscriber_and_channel(tmp_path: Path) -> None:
    home = home_with(tmp_path, LITERAL)
    path = home / "subscribers.toml"
    [found] = literal_secrets(load_config(home).subscribers)
    assert (found.path, found.line, found.subscriber, found.channel) == (path, 11, "desk", 1)
    assert found.describe() == (
        f"{path}:11: subscriber 'desk' channel 1 (mailtos): a secret is written in the file; "
        "use ${VAR} and set it in the environment"
    )
    assert "hunter2" not in found.describe(readable=True)


@pytest.mark.parametrize(
    ("mode", "chmod_hint"), [(0o644, True), (0o640, True), (0o620, False), (0o604, True)]
)
def test_a_literal_secret_in_a_shared_file_is_a_warning(
    tmp_path: Path, mode: int, chmod_hint: bool
) -> None:
    home = home_with(tmp_path, LITERAL)
    (home / "subscribers.toml").chmod(mode)
    [warning] = secret_warnings(load_config(home).subscribers)
    assert "subscriber 'desk' channel 1 (mailtos): a secret is written in the file" in warning
    assert ("readable by others: chmod 600 subscribers.toml" in warning) is chmod_hint


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_a_private_file_may_hold_secrets(tmp_path: Path, mode: int) -> None:
    """CFG-1: secrets come from the environment or a 0600 file."""
    home = home_with(tmp_path, LITERAL)
    (home / "subscribers.toml").chmod(mode)
    assert secret_warnings(load_config(home).subscribers) == []


def test_check_warns_about_a_literal_secret_but_still_passes(tmp_path: Path) -> None:
    home = write_home(tmp_path / "home", "http://127.0.0.1:9")
    path = home / "subscribers.toml"
    path.write_text(LITERAL, encoding="utf-8")
    args = ("--home", str(home), "--db", str(tmp_path / "m.db"), "check")
    env = {"HOOK_TOKEN": "s3cret"}
    path.chmod(0o644)
    shared = pressmon(*args, env=env)
    assert shared.returncode == 0, shared.stderr
    assert shared.stdout.startswith("ok: ")
    assert f"warning: {path}:11: subscriber 'desk' channel 1 (mailtos): a secret" in shared.stderr
    assert "chmod 600 subscribers.toml" in shared.stderr
    assert "hunter2" not in shared.stderr + shared.stdout
    path.chmod(0o600)
    private = pressmon(*args, env=env)
    assert private.returncode == 0, private.stderr
    assert "warning" not in private.stderr


def test_probing_a_url_apprise_cannot_parse_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert has_literal_secret("mailto://user:hunter2secret@")  # the userinfo fallback
    assert not has_literal_secret("tgram://hunter2secret/")  # apprise cannot tell: not seen
    assert not has_literal_secret("slack://T1/B2")
    assert "hunter2secret" not in caplog.text and "slack://" not in caplog.text
    assert "Could not load" not in caplog.text and "Unparseable" not in caplog.text
