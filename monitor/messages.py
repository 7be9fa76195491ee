"""Alert message content: a story, a batch of stories, a digest, a site's health, a test.

Every message has a title of one line (it becomes an e-mail Subject or a chat
title: no control or bidi characters, at most :data:`TITLE_LIMIT` characters), an
HTML body for e-mail and a Markdown body for chat and webhooks. Scraped text is
untrusted (DESIGN.md): the HTML is rendered by jinja2 with autoescape on, links
are http/https only (any other URL is shown as text), Markdown escapes what would
become markup, and no scraped text is ever read as a template, so ``{{ 7*7 }}``
stays literal. Pure functions: the dispatcher (:mod:`monitor.alerts`) loads the
stories and digests and chooses the body each channel gets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from monitor.digest import Digest, Entry
from monitor.exports import (
    TEMPLATES,
    UNTITLED,
    local_time,
    md,
    md_link,
    md_snippet,
    summary,
)
from monitor.snippets import snippet_html
from monitor.untrusted import clean_text, safe_href

TITLE_LIMIT = 200
FOOTER = "Sent by Press Monitor."
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_REASONS = {
    "quiet_hours": "held during quiet hours",
    "rate_limit": "batched: the hourly limit was reached",
}


@dataclass(frozen=True)
class Message:
    """What one send carries: a one-line title, an HTML body (e-mail), a Markdown body."""

    title: str
    html: str
    markdown: str


@dataclass(frozen=True)
class Story:
    """A story as an alert shows it: the article that raised it and the watchlists it hit."""

    entry: Entry
    watchlists: tuple[str, ...]


def one_line(text: str | None, limit: int = TITLE_LIMIT) -> str:
    """Untrusted text fit for a title or header: one line, no control characters, clipped."""
    spaced = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text or "")
    line = clean_text(_BIDI.sub("", spaced))
    if len(line) <= limit:
        return line
    return line[: limit - 1].rstrip() + "…"


# -- stories -----------------------------------------------------------------------


def story_message(
    stories: Sequence[Story], timezone: str, *, reason: str | None = None, footer: str = FOOTER
) -> Message:
    """One message for one story or a batch (``reason``: ``quiet_hours``, ``rate_limit``)."""
    watchlists = _names(w for story in stories for w in story.watchlists)
    if len(stories) == 1 and reason is None:
        title = one_line(f"[{watchlists}] {stories[0].entry.title or UNTITLED}")
        intro: list[str] = []
    else:
        count = f"{len(stories)} {'story' if len(stories) == 1 else 'stories'}"
        note = f" {_REASONS[reason]}" if reason in _REASONS else ""
        title = one_line(f"[{watchlists}] {count}{note}")
        intro = [title]
    views = [_story_view(story, timezone) for story in stories]
    html = _render(title, title, intro, views, footer)
    blocks = [md(line) for line in intro] + [_md_story(view) for view in views]
    return Message(title, html, "\n\n".join([*blocks, md(footer)]) + "\n")


def _names(names: Any) -> str:
    return ", ".join(dict.fromkeys(names)) or "alert"


def _story_view(story: Story, timezone: str) -> dict[str, Any]:
    """What the template and the Markdown show of a story (cleaned, links checked)."""
    entry = story.entry
    return {
        "title": clean_text(entry.title) or UNTITLED,
        "href": safe_href(entry.url),
        "url": clean_text(entry.url),
        "raw_url": entry.url,
        "raw_title": entry.title,
        "site": clean_text(entry.site),
        "when": _when(entry, timezone),
        "watchlists": clean_text(", ".join(story.watchlists)),
        "terms": clean_text(", ".join(entry.terms)),
        "raw_snippet": entry.snippet,
        "snippet": Markup(snippet_html(clean_text(entry.snippet))),  # noqa: S704 (escapes, then bolds)
        "also": [_outlet_view(o.site, o.title, o.url) for o in entry.also],
    }


def _outlet_view(site: str, title: str | None, url: str) -> dict[str, Any]:
    return {
        "site": clean_text(site),
        "title": clean_text(title) or UNTITLED,
        "raw_title": title,
        "href": safe_href(url),
        "url": clean_text(url),
        "raw_url": url,
    }


def _when(entry: Entry, timezone: str) -> str:
    """``published …`` (or ``found …``) in local time, with the zone's name."""
    if entry.published_at and local_time(entry.published_at, timezone):
        return f"published {local_time(entry.published_at, timezone)} ({timezone})"
    return f"found {local_time(entry.fetched_at, timezone)} ({timezone})"


def _md_story(view: dict[str, Any]) -> str:
    """A story in Markdown: linked headline, meta line, snippet, other outlets."""
    meta = [md(view["site"]), md(view["when"])]
    if view["watchlists"]:
        meta.append(f"watchlist {md(view['watchlists'])}")
    if view["terms"]:
        meta.append(f"matched {md(view['terms'])}")
    blocks = [f"### {md_link(view['raw_title'] or UNTITLED, view['raw_url'])}", " · ".join(meta)]
    if view["raw_snippet"]:
        blocks.append(f"> {md_snippet(view['raw_snippet'])}")
    if view["also"]:
        outlets = [
            f"- {md(o['site'])}: {md_link(o['raw_title'] or UNTITLED, o['raw_url'])}"
            for o in view["also"]
        ]
        blocks.append("Also carried by:\n\n" + "\n".join(outlets))
    return "\n\n".join(blocks)


# -- digests, health, tests ------------------------------------------------------------


def digest_message(digest: Digest, markdown: str, *, footer: str = FOOTER) -> Message:
    """The stored digest: its Markdown as stored, an e-mail listing its entries."""
    count = len(digest.entries)
    stories = f"{count} {'story' if count == 1 else 'stories'}"
    title = one_line(f"[{digest.watchlist}] digest {digest.day.isoformat()}: {stories}")
    views = [_story_view(Story(entry, ()), digest.timezone) for entry in digest.entries]
    html = _render(title, title, [summary(digest)], views, footer)
    return Message(title, html, markdown)


HEALTH_STATES = {"failing": "is failing", "silent": "is silent"}


def health_message(
    site: str, state: str, detail: str | None, since: str, timezone: str, *, footer: str = FOOTER
) -> Message:
    """``site X is failing: <type>`` / ``is silent`` / ``has recovered``, and since when."""
    what = HEALTH_STATES.get(state, "has recovered")
    reason = clean_text(detail).removeprefix(f"{state}:").strip()  # site_health says "failing: …"
    cause = f": {reason}" if reason and state == "failing" else ""
    title = one_line(f"site {site} {what}{cause}")
    when = local_time(since, timezone) or clean_text(since)
    intro = [f"Since {when} ({timezone}).", f"Detail: {reason}" if reason and not cause else ""]
    intro = [line for line in intro if line]
    intro.append("Run pressmon status for the crawl funnel and the errors.")
    return notice(title, intro, footer)


CHANNEL_STATES = {
    "disabled": (
        "is disabled",
        "The endpoint answered that it is gone, so nothing more is sent to it. Fix the URL "
        "in subscribers.toml (a changed URL starts afresh) or run: pressmon alerts enable {name}",
    ),
    "failing": (
        "is failing",
        "A message was refused for good (a bad address?). Sending goes on; the next success "
        "clears this. See: pressmon alerts channels",
    ),
    "recovered": ("has recovered", "A message went through again."),
}


def channel_message(
    name: str,
    channel: str,
    state: str,
    reason: str | None,
    since: str,
    timezone: str,
    *,
    footer: str = FOOTER,
) -> Message:
    """``alerts to desk channel 1 (json) are disabled: HTTP 410 …``: a channel's change."""
    what, advice = CHANNEL_STATES.get(state, CHANNEL_STATES["recovered"])
    cause = clean_text(reason)
    title = one_line(f"alerts to {name} {channel} {what}" + (f": {cause}" if cause else ""))
    when = local_time(since, timezone) or clean_text(since)
    return notice(title, [f"Since {when} ({timezone}).", advice.format(name=name)], footer)


def channel_test_message(subscriber: str, channel: int, now: datetime, timezone: str) -> Message:
    """The message ``pressmon alerts test`` sends through each channel of a subscriber."""
    title = one_line(f"Press Monitor test message for {subscriber}")
    intro = [
        f"Channel {channel} of subscriber {subscriber} works.",
        f"Sent {local_time(now, timezone)} ({timezone}) by pressmon alerts test.",
    ]
    return notice(title, intro, FOOTER, markdown_footer=False)


def notice(title: str, intro: list[str], footer: str, *, markdown_footer: bool = True) -> Message:
    """A message of a few lines and no stories (health, channel, test)."""
    html = _render(title, title, intro, [], footer)
    lines = [f"**{md(title)}**", *(md(line) for line in intro)]
    markdown = "\n\n".join([*lines, md(footer)] if markdown_footer else lines)
    return Message(title, html, markdown + "\n")


def _render(
    title: str, heading: str, intro: list[str], stories: list[dict[str, Any]], footer: str
) -> str:
    return TEMPLATES.get_template("alert.html.j2").render(
        title=title, heading=heading, intro=intro, stories=stories, footer=footer
    )
