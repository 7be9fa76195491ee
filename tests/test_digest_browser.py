"""A real browser opens the exported HTML digest: a hostile headline is text, no script runs.

Headless Chromium loads the file and dumps the DOM as rendered (after scripts
and image error handlers had their chance). A control page with the same markup
unescaped proves that scripts do run in this set-up, so a clean result means
something. Chromium is required: without it these tests fail (CI installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest

from monitor.publish import publish_digest
from monitor.store import Store
from tests.test_digest import AT, DAY, GENERATED, HOSTILE, TZ, WATCHLIST, fill

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--virtual-time-budget=2000",
)
TITLE = "missile-defense: digest 2015-02-05"


def chromium() -> str:
    """The Chromium executable; the test fails (never skips) when there is none."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        pytest.fail(
            "Chromium is not installed, and this test needs a real browser: "
            "install it (Debian: apt-get install chromium; .ci/run does this)"
        )
    return found


def rendered(page: Path, profile: Path) -> lxml.html.HtmlElement:
    """The DOM of ``page`` after Chromium has loaded it (scripts, if any, have run)."""
    result = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "<html" in result.stdout, result.stderr[-3000:]
    return lxml.html.document_fromstring(result.stdout)


@pytest.fixture
def page(store: Store, tmp_path: Path) -> Path:
    """The exported HTML digest of the fixed database (hostile headline included)."""
    fill(store)
    published = publish_digest(
        store,
        WATCHLIST,
        DAY,
        timezone=TZ,
        digest_time=AT,
        out=tmp_path / "exports",
        formats=["html"],
        generated_at=GENERATED,
    )
    [path] = published.paths
    return path


def assert_no_script_ran(dom: lxml.html.HtmlElement) -> None:
    assert dom.xpath("string(//title)") == TITLE  # document.title was not changed
    assert dom.xpath("//@data-pwned") == []  # no onerror handler ran
    assert dom.xpath("//script | //img") == []
    headlines = [h2.text_content() for h2 in dom.xpath("//h2")]
    assert HOSTILE in headlines  # the headline is there, as text


def test_a_hostile_headline_is_text_and_runs_nothing_in_a_browser(
    page: Path, tmp_path: Path
) -> None:
    assert_no_script_ran(rendered(page, tmp_path / "profile"))


def test_escaping_alone_keeps_scripts_from_running(page: Path, tmp_path: Path) -> None:
    """Without the Content-Security-Policy (defence in depth), escaping still holds."""
    html = page.read_text(encoding="utf-8")
    bare = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n', "", html)
    assert bare != html
    copy = tmp_path / "no-csp.html"
    copy.write_text(bare, encoding="utf-8")
    assert_no_script_ran(rendered(copy, tmp_path / "profile"))


def test_control_the_same_markup_unescaped_does_run(tmp_path: Path) -> None:
    """Proves the two tests above could fail: this browser runs scripts and handlers."""
    control = tmp_path / "control.html"
    control.write_text(
        f"<!DOCTYPE html><html><head><title>{TITLE}</title></head>"
        f"<body><h2>{HOSTILE}</h2></body></html>",
        encoding="utf-8",
    )
    dom = rendered(control, tmp_path / "profile")
    assert dom.xpath("string(//title)") == "pwned"
    assert dom.xpath("//body/@data-pwned") == ["1"]
