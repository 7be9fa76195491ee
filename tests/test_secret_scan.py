"""CFG-1 in CI: no credential in any file of the repository, the tests included.

:func:`scan_text` looks for private keys, cloud and chat tokens, webhook URLs
with their tokens, passwords in URLs and ``password = "..."`` in config files.
Tests hold fake secrets on purpose (redaction, alerts); what passes is narrow:
a placeholder (``${VAR}``, ``{name}``, ``<...>``), a value that says it is fake
(``example``, ``fake``, ``dummy``, one repeated character, a few well-known
words such as ``hunter2``), a URL password for a host that cannot be real
(loopback, ``example.org``, ``.invalid``, ``.test``), or a line marked
``secret-scan: fake``. Bad snippets below are assembled at run time so the
scan of this file does not flag them.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.secret_scan import literal_secrets
from tests.conftest import REPO

MARKER = "secret-scan: fake"
URL_PASSWORD = "url-password"
CONFIG_SUFFIXES = (".toml", ".ini", ".cfg", ".conf", ".yaml", ".yml", ".env", ".properties")

RULES: dict[str, re.Pattern[str]] = {
    "private-key": re.compile(r"(?P<secret>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)"),
    "aws-access-key-id": re.compile(
        r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[A-Z0-9]{16})\b"
    ),
    "slack-token": re.compile(r"\b(?P<secret>xox[abprs]-[A-Za-z0-9-]{10,})"),
    "slack-webhook": re.compile(
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?:[\w-]+/)*(?P<secret>[\w-]{20,})"
    ),
    "discord-webhook": re.compile(
        r"discord(?:app)?\.com/api/webhooks/\d+/(?P<secret>[A-Za-z0-9_-]{30,})"
    ),
    "teams-webhook": re.compile(
        r"(?:webhook\.office\.com|outlook\.office(?:365)?\.com)/webhook(?:b2)?/"
        r"(?P<secret>[A-Za-z0-9@/-]{30,})"
    ),
    "teams-workflow-webhook": re.compile(
        r"logic\.azure\.com(?::\d+)?/workflows/[^\s\"'<>]*?[?&]sig=(?P<secret>[A-Za-z0-9_%-]{20,})"
    ),
    "github-token": re.compile(
        r"\b(?P<secret>(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,})"
    ),
    "telegram-bot-token": re.compile(r"\b(?P<secret>\d{8,10}:[A-Za-z0-9_-]{35})(?![\w-])"),
    "webhook-signing-secret": re.compile(r"\b(?P<secret>whsec_[A-Za-z0-9+/]{20,}={0,2})"),
    URL_PASSWORD: re.compile(
        r"\b[a-z][a-z0-9+.-]*://[^\s/?#@:\"'<>]*:(?P<secret>[^\s/?#@\"'<>]+)@"
        r"(?P<host>\[[^\]\s]*\]|[^\s/?#:\"'<>]+)",
        re.IGNORECASE,
    ),
}
ASSIGNMENT = re.compile(
    r"^[ \t]*[\"']?[A-Za-z0-9_.-]*?(?:password|passwd|pwd|passphrase|secret|secret[_-]?key|"
    r"token|api[_-]?key|access[_-]?key|private[_-]?key|auth|credentials?)[\"']?[ \t]*[=:]"
    r"[ \t]*(?P<secret>[^\r\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
PLACEHOLDER = re.compile(
    r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*?\}\}|\{[^{}]*\}|%\([^)]*\)s|<[^<>]*>|\*+"
)
FAKE_WORD = re.compile(r"example|fake|dummy|placeholder|redacted|not[-_]?real|changeme", re.I)
FAKE_VALUES = {"p", "pw", "pwd", "pass", "password", "passwd", "pa55", "secret", "s3cret"}
FAKE_VALUES |= {"hunter2", "test", "x", "xxx"}
FAKE_HOST = re.compile(
    r"^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|(.+\.)?example(\.(org|com|net))?"
    r"|.+\.(invalid|test|localhost))$",
    re.IGNORECASE,
)
LITERAL_SCALAR = re.compile(r"^(true|false|null|none|~|-?\d+(\.\d+)?)$", re.IGNORECASE)


def scan_text(name: str, text: str) -> list[tuple[str, int, str]]:
    """``(name, line, rule)`` of every credential in ``text`` that is not allowed; no values."""
    found = [(line, rule) for rule, line in _token_hits(text)]
    if _is_config(name):
        found += [(line, "config-assignment") for line in _assignment_hits(text)]
    return [(name, line, rule) for line, rule in sorted(set(found))]


def _token_hits(text: str) -> Iterator[tuple[str, int]]:
    for rule, pattern in RULES.items():
        for match in pattern.finditer(text):
            host = match.group("host") if rule == URL_PASSWORD else None
            if not _allowed(_line_of(text, match.start()), match.group("secret"), host):
                yield rule, text.count("\n", 0, match.start()) + 1


def _assignment_hits(text: str) -> Iterator[int]:
    for match in ASSIGNMENT.finditer(text):
        value = _config_value(match.group("secret"))
        if value and not _allowed(match.group(), value, None):
            yield text.count("\n", 0, match.start()) + 1


def _config_value(raw: str) -> str:
    """The literal value of an assignment; '' for a number, flag, list or table."""
    value = raw.strip()
    if value[:1] in ("'", '"'):
        end = value.find(value[0], 1)
        return value[1:end] if end > 0 else value[1:]
    value = re.split(r"\s[#;]", value, maxsplit=1)[0].strip()
    if not value or value[0] in "[{|>&!" or LITERAL_SCALAR.match(value):
        return ""
    return value


def _allowed(line: str, secret: str, host: str | None) -> bool:
    if MARKER in line or FAKE_WORD.search(secret):
        return True
    bare = PLACEHOLDER.sub("", secret)
    if not re.search(r"[A-Za-z0-9]", bare) or bare.lower() in FAKE_VALUES:
        return True
    if len(set(re.sub(r"[^A-Za-z0-9]", "", bare).lower())) == 1:  # xxxx, 0000
        return True
    return host is not None and bool(FAKE_HOST.match(host))


def _line_of(text: str, index: int) -> str:
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    return text[start : end if end >= 0 else len(text)]


def _is_config(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.endswith(CONFIG_SUFFIXES) or base == ".env" or base.startswith(".env.")


def repo_files() -> list[str]:
    """Files git tracks, plus new ones it would add (not ignored), that exist on disk."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "surrogateescape")
    return sorted({name for name in listed.split("\0") if name and (REPO / name).is_file()})


def _read_text(path: Path) -> str | None:
    """The file as text; None for a binary file."""
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


# --- the scan itself ---------------------------------------------------------------------


def test_no_file_of_the_repository_holds_a_credential() -> None:
    started = time.monotonic()
    files = repo_files()
    assert "tests/test_secret_scan.py" in files and "monitor/subscribers.py" in files
    found = []
    for name in files:
        text = _read_text(REPO / name)
        if text is not None:
            found += scan_text(name, text)
    assert not found, "\n".join(f"{name}:{line}: {rule}" for name, line, rule in found)
    assert time.monotonic() - started < 2


def test_the_shipped_subscribers_example_writes_no_secret(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "watchlists").mkdir(parents=True)
    for name in ("missile-defense", "hotline"):
        (home / "watchlists" / f"{name}.toml").write_text('terms = ["x"]\n', encoding="utf-8")
    example = REPO / "data" / "subscribers.example.toml"
    (home / "subscribers.toml").write_bytes(example.read_bytes())
    subscribers = load_config(home).subscribers
    assert subscribers
    assert literal_secrets(subscribers) == []


# --- the scan can fail ------------------------------------------------------------------

# Assembled here so that this file, scanned like any other, holds none of them.
_TOKEN = "Zq8Lm2Xv7Np4Rt6Ws9Ky3Hb5"
BAD = {
    "private-key": "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow...\n",
    "aws-access-key-id": "aws_id = " + "AKIA" + "Q3ZL7W2P9XK4M8RT",
    "slack-token": 'SLACK = "' + "xox" + "b-1234567890-" + _TOKEN + '"',
    "slack-webhook": "https://hooks." + "slack.com/services/T0A1B2C3D/B0A1B2C3D/" + _TOKEN,
    "discord-webhook": "https://discord." + "com/api/webhooks/123456789012345678/" + _TOKEN * 3,
    "teams-webhook": "https://acme.webhook." + "office.com/webhookb2/" + _TOKEN + "@" + _TOKEN,
    "teams-workflow-webhook": (
        "https://prod-12.westus.logic." + "azure.com:443/workflows/ab12/triggers/manual/"
        "paths/invoke?api-version=2016-06-01&sig=" + _TOKEN
    ),
    "github-token": "gh" + "p_" + (_TOKEN + _TOKEN)[:36],
    "telegram-bot-token": "tgram://" + "123456789:" + "AAH" + _TOKEN + "Qw3Er5Ty" + "/12345",
    URL_PASSWORD: "mailtos://desk:" + "Tr0ub4dor3" + "@smtp.newsroom.net?to=desk@newsroom.net",
    "webhook-signing-secret": "json://hooks.newsroom.net/press?sign=" + "whsec_" + _TOKEN,
}
BAD_CONFIG = [
    'smtp_password = "' + "Tr0ub4dor3" + '"',
    "api_key: " + "Zq8Lm2Xv7Np4",
    "HOOK_TOKEN=" + "Zq8Lm2Xv7Np4",
    "[mail]\npassword = " + "Tr0ub4dor3  # the real one",
    '"client_secret": "' + "Zq8Lm2Xv7Np4" + '"',
]


@pytest.mark.parametrize(("rule", "snippet"), list(BAD.items()), ids=list(BAD))
def test_the_scan_flags_a_real_looking_credential(rule: str, snippet: str) -> None:
    assert scan_text("notes.md", "intro\n" + snippet + "\n") == [("notes.md", 2, rule)]


@pytest.mark.parametrize("snippet", BAD_CONFIG)
@pytest.mark.parametrize("name", ["settings.toml", "app.ini", "ci.yml", ".env", "x.cfg"])
def test_the_scan_flags_a_password_assigned_in_a_config_file(name: str, snippet: str) -> None:
    assert [rule for _, _, rule in scan_text(name, snippet)] == ["config-assignment"]


ALLOWED = [
    "mailtos://${SMTP_USER}:${SMTP_PASS}@smtp.newsroom.net?to=desk@newsroom.net",
    "mailto://user:pa55@smtp.example.org",
    "json://ops:hunter2@127.0.0.1:9/hook",
    "https://user:Tr0ub4dor3@relay.invalid/",
    'f"mailto://{user}:{password}@{host}"',
    "mailto://127.0.0.1:25?from=pm@example.org&to=a@example.org",
    "AKIAIOSFODNN7EXAMPLE",
    "xoxb-fake-token-for-redaction-tests",
    "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "tgram://123456789:AAHfakefakefakefakefakefakefakefake/12345",
    'smtp_password = "${SMTP_PASS}"',
    'token = ""',
    "password = <set in the environment>",
    "max_tokens = 5",
    "auth = true",
    'secret = "Zq8Lm2Xv7Np4"  # secret-scan: fake',
]


@pytest.mark.parametrize("snippet", ALLOWED)
def test_placeholders_fake_values_and_marked_lines_pass(snippet: str) -> None:
    assert scan_text("settings.toml", snippet + "\n") == []


def test_a_config_rule_is_not_applied_to_code() -> None:
    snippet = 'password = "' + "Tr0ub4dor3" + '"'
    assert scan_text("module.py", snippet) == []
    assert scan_text("settings.toml", snippet) == [("settings.toml", 1, "config-assignment")]
