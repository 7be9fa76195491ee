"""The records that flow one way: spider → pipelines → store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Extracted:
    """What extraction made of one page.

    ``skip_reason`` is None for an article; otherwise it says why the page holds
    no article (``listing``, ``empty``, ``challenge``, ``js_shell``, ``timeout``,
    ``error``) and ``text`` is empty. ``published_at`` is ISO 8601 UTC.
    """

    text: str = ""
    title: str | None = None
    author: str | None = None
    published_at: str | None = None
    date_source: str | None = None
    language: str | None = None
    skip_reason: str | None = None
    partial: bool = False
    canonical_url: str | None = None
    detail: str | None = None
    content_hash: str | None = field(default=None, compare=False)
    shingles: Any = field(default=None, compare=False, repr=False)


@dataclass
class Page:
    """One fetched page, decoded, as the spider hands it to the pipelines.

    ``url`` is the final URL after redirects; ``seen_as`` lists every other URL
    the page was reached by (the discovered URL, redirect sources). Dates a feed
    or sitemap announced travel in ``source_date`` / ``source_date_kind``.
    Pipelines fill ``extracted`` and ``outcome``.
    """

    url: str
    site: str
    html: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: str = ""
    encoding: str = "utf-8"
    encoding_suspect: bool = False
    seen_as: list[str] = field(default_factory=list)
    source_date: str | None = None
    source_date_kind: str | None = None
    source_title: str | None = None
    language_hint: str | None = None
    extracted: Extracted | None = None
    content_hash: str | None = None
    outcome: str | None = None


@dataclass
class FetchError:
    """A URL that could not be fetched or holds no article (``kind`` as in ``crawl_errors``).

    ``page`` is True for article pages (they get a ``seen_urls`` outcome) and
    False for feeds, sitemaps and listings (only the error is recorded).
    """

    url: str
    site: str
    kind: str
    message: str
    status: int | None = None
    page: bool = True


@dataclass
class SourceFetched:
    """A feed, sitemap or listing fetched for discovery, with its cache validators."""

    url: str
    site: str
    kind: str
    status: int
    links: int = 0
    etag: str | None = None
    last_modified: str | None = None
