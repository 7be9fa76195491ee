"""Alert message content (monitor.messages): what a subscriber reads, and what it cannot inject."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from monitor.digest import Digest, Entry, Outlet
from monitor.messages import (
    TITLE_LIMIT,
    Story,
    channel_test_message,
    digest_message,
    health_message,
    one_line,
    story_message,
)

HOSTILE = "<img src=x onerror=alert(1)> {{ 7*7 }} Bad\r\nBcc: evil@example.org"


def entry(n: int = 1, **fields: object) -> Entry:
    values: dict = {
        "cluster_id": n,
        "article_id": n,
        "title": f"Defence ministries open a hotline ({n})",
        "url": f"https://herald.test/view/{n}",
        "site": "herald",
        "published_at": "2015-02-04T11:14:00Z",
        "fetched_at": "2015-02-04T12:00:00Z",
        "late": False,
        "terms": ("hotline*", "THAAD"),
        "strength": 4,
        "snippet": "…agreed to set up a [[hotline]] between the two ministries…",
        "also": (Outlet("daily", "https://daily.test/a", "China voices worry"),),
    }
    return Entry(**(values | fields))


def story(n: int = 1, **fields: object) -> Story:
    return Story(entry(n, **fields), ("hotline",))


# -- titles --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ("Bad\r\nBcc: evil@example.org", "Bad Bcc: evil@example.org"),
        ("tab\there\x00nul\x7fdel\x85nel", "tab here nul del nel"),
        ("line\u2028sep\u2029para", "line sep para"),
        ("bidi \u202eevil\u202c text", "bidi evil text"),
        ("  spaced   out  ", "spaced out"),
        (None, ""),
    ],
)
def test_one_line_keeps_a_title_on_one_clean_line(raw: str | None, line: str) -> None:
    assert one_line(raw) == line


def test_one_line_clips_long_titles() -> None:
    clipped = one_line("word " * 100)
    assert len(clipped) == TITLE_LIMIT and clipped.endswith("…")
    assert one_line("x" * TITLE_LIMIT) == "x" * TITLE_LIMIT


# -- one story ---------------------------------------------------------------------------


def test_a_story_alert_has_headline_outlet_time_link_terms_snippet_watchlist_and_outlets() -> None:
    message = story_message([story()], "Asia/Seoul")
    assert message.title == "[hotline] Defence ministries open a hotline (1)"
    html = message.html
    assert '<a href="https://herald.test/view/1" rel="noopener noreferrer">' in html
    assert "herald · published 2015-02-04 20:14 (Asia/Seoul)" in html
    assert "watchlist hotline · matched hotline*, THAAD" in html
    assert "up a <b>hotline</b> between" in html
    assert "Also carried by:" in html and '<a href="https://daily.test/a"' in html
    markdown = message.markdown
    assert "### [Defence ministries open a hotline (1)](https://herald.test/view/1)" in markdown
    assert "herald · published 2015-02-04 20:14 (Asia/Seoul) · watchlist hotline" in markdown
    assert "matched hotline\\*, THAAD" in markdown
    assert "> …agreed to set up a **hotline** between" in markdown
    assert "- daily: [China voices worry](https://daily.test/a)" in markdown


def test_a_story_without_a_publication_date_shows_when_it_was_found() -> None:
    message = story_message([story(published_at=None)], "UTC")
    assert "herald · found 2015-02-04 12:00 (UTC)" in message.html


def test_hostile_text_is_escaped_and_stays_literal() -> None:
    hostile = story(
        title=HOSTILE,
        snippet=f"before [[THAAD]] {HOSTILE}",
        also=(Outlet("daily<script>", "https://daily.test/b", HOSTILE),),
    )
    message = story_message([hostile], "UTC")
    assert "\r" not in message.title and "\n" not in message.title
    assert message.title.startswith("[hotline] <img src=x onerror=alert(1)> {{ 7*7 }} Bad Bcc:")
    assert "<img" not in message.html and "<script" not in message.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in message.html
    assert "{{ 7*7 }}" in message.html and "49" not in message.html
    assert "<b>THAAD</b>" in message.html
    assert "\\<img src=x onerror=alert(1)\\>" in message.markdown
    assert "{{ 7\\*7 }}" in message.markdown and "49" not in message.markdown


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://x.test/a", "//x.test/a"]
)
def test_only_http_links_are_linked(url: str) -> None:
    message = story_message([story(url=url, also=())], "UTC")
    assert "href=" not in message.html
    assert "(not a web link)" in message.html
    assert "](" not in message.markdown and "(URL not linked:" in message.markdown


# -- batches ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "title"),
    [
        ("quiet_hours", "[hotline] 3 stories held during quiet hours"),
        ("rate_limit", "[hotline] 3 stories batched: the hourly limit was reached"),
    ],
)
def test_a_batch_lists_every_story(reason: str, title: str) -> None:
    message = story_message([story(1), story(2), story(3)], "UTC", reason=reason)
    assert message.title == title
    for n in (1, 2, 3):
        assert f"Defence ministries open a hotline ({n})</a>" in message.html
        assert f"[Defence ministries open a hotline ({n})](https://herald.test/view/{n})" in (
            message.markdown
        )
    assert message.html.count('<div class="story">') == 3


def test_a_batch_names_every_watchlist_once() -> None:
    stories = [story(1), Story(entry(2), ("missile-defense", "hotline"))]
    assert story_message(stories, "UTC", reason="rate_limit").title.startswith(
        "[hotline, missile-defense] 2 stories"
    )


def test_the_footer_carries_the_delivery_id() -> None:
    message = story_message([story()], "UTC", footer="Sent by Press Monitor (delivery 7).")
    assert "delivery 7" in message.html and "delivery 7" in message.markdown


# -- digests, health, tests --------------------------------------------------------------------


def test_a_digest_message_lists_its_entries_and_keeps_the_stored_markdown() -> None:
    digest = Digest(
        day=date(2015, 2, 5),
        watchlist="hotline",
        timezone="UTC",
        start=datetime(2015, 2, 4, 7, tzinfo=UTC),
        end=datetime(2015, 2, 5, 7, tzinfo=UTC),
        generated_at=datetime(2015, 2, 5, 7, 1, tzinfo=UTC),
        entries=(entry(1), entry(2, title=HOSTILE)),
        article_count=3,
    )
    message = digest_message(digest, "# stored markdown\n")
    assert message.title == "[hotline] digest 2015-02-05: 2 stories"
    assert message.markdown == "# stored markdown\n"
    assert "2 stories (3 articles) first seen" in message.html
    assert "Defence ministries open a hotline (1)</a>" in message.html
    assert "<img" not in message.html and "&lt;img" in message.html


@pytest.mark.parametrize(
    ("state", "detail", "title"),
    [
        ("failing", "failing: blocked (HTTP 403)", "site herald is failing: blocked (HTTP 403)"),
        ("silent", "silent: 0 in 24 h vs median 12", "site herald is silent"),
        ("recovered", None, "site herald has recovered"),
    ],
)
def test_health_messages_say_what_happened(state: str, detail: str | None, title: str) -> None:
    message = health_message("herald", state, detail, "2026-03-02T09:00:00Z", "Asia/Seoul")
    assert message.title == title
    assert "Since 2026-03-02 18:00 (Asia/Seoul)." in message.html
    assert f"**{title}**" in message.markdown.replace("\\", "")
    if state == "silent":
        assert "Detail: 0 in 24 h vs median 12" in message.html


def test_the_test_message_names_the_subscriber_and_channel() -> None:
    message = channel_test_message("desk", 1, datetime(2026, 3, 2, 9, tzinfo=UTC), "UTC")
    assert message.title == "Press Monitor test message for desk"
    assert "Channel 1 of subscriber desk works." in message.html
    assert "Sent 2026-03-02 09:00 (UTC)" in message.markdown
