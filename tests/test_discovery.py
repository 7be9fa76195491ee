"""monitor.discovery: feeds, sitemaps and listing pages into candidate URLs."""

from __future__ import annotations

import gzip
import time
import zlib
from pathlib import Path

import pytest

from monitor.discovery import (
    FeedResult,
    Link,
    SitemapResult,
    page_links,
    parse_feed,
    parse_sitemap,
    sniff_kind,
)

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
FEED_URL = "https://feeds.example.com/rss/national.xml"
SITEMAP_URL = "https://www.example.com/sitemap.xml"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def urls(links: tuple[Link, ...] | list[Link]) -> list[str]:
    return [link.url for link in links]


# --- feeds --------------------------------------------------------------------------------


def test_rss2_entries() -> None:
    result = parse_feed(fixture("rss2.xml"), FEED_URL)
    assert (result.format, result.error, result.malformed) == ("rss", None, False)
    assert result.links == (
        Link(
            "https://www.koreaherald.com/view.php?ud=20150204001&utm_source=rss",
            "2015-02-04T09:52:00Z",
            "Seoul, Washington discuss THAAD deployment",
        ),
        Link(
            "https://feeds.example.com/view.php?ud=20150204002",
            "2015-02-04T09:00:00Z",
            "Defense ministry opens hotline",
        ),
        Link("https://www.koreaherald.com/view.php?ud=20150204003", None, "Permalink guid only"),
    )


def test_rss2_links_are_not_canonicalised_but_lose_the_fragment() -> None:
    first = parse_feed(fixture("rss2.xml"), FEED_URL).links[0]
    assert "utm_source" in first.url
    assert "#" not in first.url


def test_atom_entries() -> None:
    result = parse_feed(fixture("atom.xml"), FEED_URL)
    assert (result.format, result.error, result.malformed) == ("atom", None, False)
    assert urls(result.links) == [
        "https://news.example.org/world/2024/05/01/hotline",
        "https://news.example.org/world/2024/05/02/relative",
        "https://news.example.org/world/2024/05/03/undated",
    ]
    assert [link.updated for link in result.links] == [
        "2024-05-01T12:30:00Z",  # <updated> wins over <published>
        "2024-05-02T08:00:00Z",  # only <published>
        None,
    ]
    assert result.links[0].title == "Hotline talks resume"


def test_rdf_entries() -> None:
    result = parse_feed(fixture("rdf.xml"), FEED_URL)
    assert (result.format, result.error) == ("rdf", None)
    assert urls(result.links) == ["https://rdf.example.jp/news/1", "https://rdf.example.jp/news/2"]
    assert result.links[0].updated == "2024-03-10T00:15:00Z"
    assert result.links[1].updated is None


def test_malformed_feed_keeps_recovered_entries() -> None:
    result = parse_feed(fixture("malformed.xml"), FEED_URL)
    assert result.malformed
    assert result.error is None
    assert result.format == "rss"
    assert urls(result.links) == [
        "https://broken.example.com/a/1",
        "https://broken.example.com/a/2",
        "https://broken.example.com/a/3",
    ]
    assert result.links[0].updated == "2024-05-06T10:00:00Z"


def test_malformed_feed_without_entries() -> None:
    result = parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</ti', FEED_URL)
    assert result == FeedResult((), result.format, "malformed", True)


def test_html_at_feed_url_is_not_a_feed() -> None:
    result = parse_feed(fixture("html-at-feed-url.html"), FEED_URL)
    assert result == FeedResult((), "", "not_a_feed", False)


@pytest.mark.parametrize(
    "body", [b"", b"   ", b"Service Unavailable", b'{"items": []}', b"<foo><bar/></foo>"]
)
def test_other_bodies_are_not_feeds(body: bytes) -> None:
    result = parse_feed(body, FEED_URL)
    assert (result.links, result.format, result.error) == ((), "", "not_a_feed")


def test_sitemap_at_feed_url_is_not_a_feed() -> None:
    assert parse_feed(fixture("news-sitemap.xml"), FEED_URL).error == "not_a_feed"


def test_valid_feed_without_entries_is_empty() -> None:
    assert parse_feed(fixture("empty-feed.xml"), FEED_URL) == FeedResult((), "rss", "empty", False)


def test_feed_drops_non_http_links() -> None:
    result = parse_feed(fixture("javascript-link.xml"), FEED_URL)
    assert urls(result.links) == ["https://hostile.example.com/news/ok"]
    assert result.error is None


def test_unparseable_pub_date_gives_no_date() -> None:
    links = parse_feed(fixture("bad-date.xml"), FEED_URL).links
    assert [(link.url, link.updated) for link in links] == [
        ("https://dates.example.com/a/1", None),
        ("https://dates.example.com/a/2", "2024-05-08T04:30:00Z"),
    ]


def test_billion_laughs_feed_is_harmless() -> None:
    body = fixture("billion-laughs.xml")
    started = time.perf_counter()
    result = parse_feed(body, FEED_URL)
    assert time.perf_counter() - started < 2
    assert result.malformed or result.error in ("malformed", "not_a_feed")
    for link in result.links:
        assert "lollol" not in (link.title or "")
        assert len(link.url) < 200


def _xxe(kind: str, sentinel: Path) -> bytes:
    """An XXE document of ``kind`` (rss/atom/sitemap) pointing at ``sentinel``."""
    doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{sentinel}">]>'
    bodies = {
        "rss": '<rss version="2.0"><channel><title>&xxe;</title><item><title>&xxe;</title>'
        "<description>&xxe;</description><link>https://e.example/a?&xxe;</link></item>"
        "</channel></rss>",
        "atom": '<feed xmlns="http://www.w3.org/2005/Atom"><title>&xxe;</title><entry>'
        '<title>&xxe;</title><link href="https://e.example/&xxe;"/><id>x</id></entry></feed>',
        "sitemap": '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://e.example/&xxe;</loc></url>"
        "<url><loc>https://e.example/ok</loc><news:title>&xxe;</news:title></url></urlset>",
    }
    return f'<?xml version="1.0"?>\n{doctype}\n{bodies[kind]}'.encode()


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_xxe_feed_never_leaks_the_file(tmp_path: Path, kind: str) -> None:
    sentinel = tmp_path / "secret.txt"
    sentinel.write_text("SENTINEL-7f3a9c")
    result = parse_feed(_xxe(kind, sentinel), FEED_URL)
    assert "SENTINEL" not in repr(result)


def test_xxe_sitemap_never_leaks_the_file(tmp_path: Path) -> None:
    sentinel = tmp_path / "secret.txt"
    sentinel.write_text("SENTINEL-7f3a9c")
    result = parse_sitemap(_xxe("sitemap", sentinel), SITEMAP_URL)
    assert "SENTINEL" not in repr(result)
    assert result == SitemapResult((), (), "malformed")  # no sitemap needs entities


def test_undeclared_entity_in_loc_drops_the_entry() -> None:
    body = (
        b'<!DOCTYPE urlset SYSTEM "http://dtd.example/sitemap.dtd">'
        b"<urlset><url><loc>https://e.example/&undeclared;</loc></url>"
        b"<url><loc>https://e.example/ok</loc></url></urlset>"
    )
    assert urls(parse_sitemap(body, SITEMAP_URL).urls) == ["https://e.example/ok"]


# --- sitemaps -----------------------------------------------------------------------------


def test_sitemap_index() -> None:
    result = parse_sitemap(fixture("sitemap-index.xml"), SITEMAP_URL)
    assert result.urls == ()
    assert result.error is None
    assert result.sitemaps == (
        Link("https://www.example.com/sitemap-news.xml", "2024-05-01T01:00:00Z"),
        Link("https://www.example.com/sitemap-2024-04.xml.gz", "2024-04-30T00:00:00Z"),
        Link("https://www.example.com/sitemap-old.xml"),
    )


def test_self_referencing_sitemap_index_is_returned_as_is() -> None:
    url = "https://loop.example.com/sitemap.xml"
    result = parse_sitemap(fixture("sitemap-self-index.xml"), url)
    assert urls(result.sitemaps) == [url, "https://loop.example.com/sitemap-articles.xml"]


def test_news_sitemap() -> None:
    result = parse_sitemap(fixture("news-sitemap.xml"), SITEMAP_URL)
    assert result.error is None
    assert result.sitemaps == ()
    assert result.urls == (
        Link(
            "https://www.koreaherald.com/view.php?ud=20150204000891",
            "2015-02-04T09:52:00Z",  # news:publication_date
            "Seoul, Washington discuss THAAD",
        ),
        Link(
            "https://www.koreaherald.com/view.php?ud=20150204000892",
            "2015-02-05T01:00:00Z",  # lastmod wins
            "Defense hotline",
        ),
        Link("https://www.koreaherald.com/view.php?ud=20150204000893", None, "Undated"),
    )


def test_urlset_entries() -> None:
    result = parse_sitemap(fixture("urlset.xml"), SITEMAP_URL)
    assert result == SitemapResult(
        (
            Link("https://www.example.com/news/1", "2024-05-01T00:00:00Z"),
            Link("https://www.example.com/news/2", "2024-05-01T00:00:00Z"),
            Link("https://www.example.com/news/3"),
        ),
        (),
        None,
    )


def test_gzipped_urlset(tmp_path: Path) -> None:
    plain = parse_sitemap(fixture("urlset.xml"), SITEMAP_URL)
    packed = parse_sitemap(gzip.compress(fixture("urlset.xml")), SITEMAP_URL + ".gz")
    assert packed == plain


def test_namespace_agnostic_and_prefixed() -> None:
    body = (
        b'<s:urlset xmlns:s="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<s:url><s:loc>https://a.example/1</s:loc></s:url></s:urlset>"
    )
    assert urls(parse_sitemap(body, SITEMAP_URL).urls) == ["https://a.example/1"]
    bare = b"<urlset><url><loc>https://a.example/2</loc></url></urlset>"
    assert urls(parse_sitemap(bare, SITEMAP_URL).urls) == ["https://a.example/2"]


def test_plain_text_sitemap() -> None:
    result = parse_sitemap(fixture("urls.txt"), "https://text.example.com/sitemap.txt")
    assert result == SitemapResult(
        (Link("https://text.example.com/a/1"), Link("https://text.example.com/a/2")), (), None
    )


@pytest.mark.parametrize(
    "body",
    [b"", b"User-agent: *\nDisallow: /\n", b"<feed><nothing/></feed>", b"<html><body>x</body>"],
)
def test_not_a_sitemap(body: bytes) -> None:
    assert parse_sitemap(body, SITEMAP_URL).error == "not_a_sitemap"


def test_html_and_feeds_are_not_sitemaps() -> None:
    assert parse_sitemap(fixture("html-at-feed-url.html"), SITEMAP_URL).error == "not_a_sitemap"
    assert parse_sitemap(fixture("rss2.xml"), SITEMAP_URL).error == "not_a_sitemap"
    assert parse_sitemap(b"<catalog><book/></catalog>", SITEMAP_URL).error == "not_a_sitemap"


def test_truncated_sitemap_keeps_what_it_can() -> None:
    body = b"<urlset><url><loc>https://a.example/1</loc></url><url><loc>https://a.exa"
    result = parse_sitemap(body, SITEMAP_URL)
    assert result.error is None
    assert "https://a.example/1" in urls(result.urls)


def test_broken_sitemap_without_entries_is_malformed() -> None:
    assert parse_sitemap(b"<urlset><url><loc", SITEMAP_URL).error == "malformed"
    assert parse_sitemap(b"<", SITEMAP_URL).error == "malformed"


def test_corrupt_gzip_is_malformed() -> None:
    assert parse_sitemap(b"\x1f\x8b\x08\x00garbage", SITEMAP_URL).error == "malformed"


def test_gzip_bomb_is_too_large_and_fast() -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1 << 20)
    bomb = b"".join(packer.compress(zeros) for _ in range(64)) + packer.flush()  # 64 MiB
    started = time.perf_counter()
    result = parse_sitemap(bomb, SITEMAP_URL + ".gz", max_size=1 << 20)
    assert time.perf_counter() - started < 1
    assert result == SitemapResult((), (), "too_large")


def test_gzip_at_exactly_the_cap_is_accepted() -> None:
    body = b"<urlset><url><loc>https://a.example/1</loc></url></urlset>"
    packed = gzip.compress(body)
    assert parse_sitemap(packed, SITEMAP_URL, max_size=len(body)).error is None
    assert parse_sitemap(packed, SITEMAP_URL, max_size=len(body) - 1).error == "too_large"


def test_uncompressed_body_over_the_cap_is_too_large() -> None:
    body = fixture("urlset.xml")
    assert parse_sitemap(body, SITEMAP_URL, max_size=100).error == "too_large"


def test_billion_laughs_sitemap_is_harmless() -> None:
    doctype = fixture("billion-laughs.xml").split(b"]>")[0].replace(b"DOCTYPE rss", b"DOCTYPE u")
    body = doctype + b"]><urlset><url><loc>https://a.example/&lol9;</loc></url></urlset>"
    started = time.perf_counter()
    result = parse_sitemap(body, SITEMAP_URL)
    assert time.perf_counter() - started < 2
    assert result == SitemapResult((), (), "malformed")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", "2024-05-01T00:00:00Z"),
        ("2024-05", "2024-05-01T00:00:00Z"),
        ("2024", "2024-01-01T00:00:00Z"),
        ("2024-05-01T10:00+09:00", "2024-05-01T01:00:00Z"),
        ("2024-05-01T10:00:00.123Z", "2024-05-01T10:00:00Z"),
        ("2024-05-01T10:00:00", "2024-05-01T10:00:00Z"),
        ("Wed, 01 May 2024 10:00:00 GMT", "2024-05-01T10:00:00Z"),
        ("2024-13", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_sitemap_lastmod_formats(text: str, expected: str | None) -> None:
    body = f"<urlset><url><loc>https://a.example/1</loc><lastmod>{text}</lastmod></url></urlset>"
    assert parse_sitemap(body.encode(), SITEMAP_URL).urls[0].updated == expected


# --- listing pages ------------------------------------------------------------------------

LISTING_URL = "https://www.example.com/news/?page=2"


def test_listing_links_resolve_against_base_href() -> None:
    links = page_links(fixture("listing.html").decode(), LISTING_URL)
    assert urls(links) == [
        "https://cdn.example.com/news/?page=3",
        "https://cdn.example.com/news/view.php?ud=1",
        "https://cdn.example.com/view.php?ud=2",
        "https://www.example.com/view.php?ud=3",
        "https://cdn.example.com/news/",
        "https://other.example.org/x",
        "https://cdn.example.com/news/view.php?ud=4",
        "https://cdn.example.com/news/?page=1",
        "https://cdn.example.com/news/?page=4",
    ]


def test_listing_pagination() -> None:
    links = {link.url: link for link in page_links(fixture("listing.html").decode(), LISTING_URL)}
    assert links["https://cdn.example.com/news/?page=3"].rel_next  # <link> and <a rel=next>
    assert links["https://cdn.example.com/news/?page=3"].title == "›"  # first anchor text
    assert not links["https://cdn.example.com/news/?page=4"].rel_next  # a plain "Next page"
    assert links["https://cdn.example.com/news/?page=4"].title == "Next page"
    assert [link.url for link in links.values() if link.rel_next] == [
        "https://cdn.example.com/news/?page=3"
    ]


def test_listing_titles_and_duplicates() -> None:
    links = {link.url: link for link in page_links(fixture("listing.html").decode(), LISTING_URL)}
    assert links["https://cdn.example.com/news/view.php?ud=1"].title == "THAAD talks resume"
    assert links["https://cdn.example.com/news/view.php?ud=4"].title == "Image link"
    assert all(link.updated is None for link in links.values())


def test_listing_without_base_uses_the_page_url() -> None:
    html = '<p><a href="a/1">One</a> <a href="/b#x" rel="Next nofollow">More</a></p>'
    assert page_links(html, "https://e.example/news/") == [
        Link("https://e.example/news/a/1", None, "One"),
        Link("https://e.example/b", None, "More", rel_next=True),
    ]


def test_hostile_base_href_is_ignored() -> None:
    html = '<base href="javascript:alert(1)//"><a href="x">x</a>'
    assert urls(page_links(html, "https://e.example/n/")) == ["https://e.example/n/x"]


@pytest.mark.parametrize(
    "html", ["", "   ", "plain text", "<a>no href</a>", '<a href="javascript:go()">x</a>']
)
def test_pages_without_links(html: str) -> None:
    assert page_links(html, "https://e.example/") == []


def test_page_with_xml_declaration() -> None:
    html = '<?xml version="1.0" encoding="utf-8"?><html><body><a href="/x">사드</a></body></html>'
    assert page_links(html, "https://e.example/") == [Link("https://e.example/x", None, "사드")]


# --- sniffing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("rss2.xml", "feed"),
        ("atom.xml", "feed"),
        ("rdf.xml", "feed"),
        ("malformed.xml", "feed"),
        ("billion-laughs.xml", "feed"),
        ("html-at-feed-url.html", "html"),
        ("listing.html", "html"),
        ("sitemap-index.xml", "sitemap"),
        ("news-sitemap.xml", "sitemap"),
        ("urlset.xml", "sitemap"),
        ("urls.txt", "sitemap"),
    ],
)
def test_sniff_fixtures(name: str, kind: str) -> None:
    assert sniff_kind(fixture(name), "application/rss+xml") == kind


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"", None, "other"),
        (b'{"a": 1}', "application/json", "other"),
        (b"<div>fragment</div>", None, "html"),
        (b"<section>fragment</section>", "text/html; charset=utf-8", "html"),
        (b"<section>fragment</section>", None, "other"),
        (b"\xef\xbb\xbf<?xml version='1.0'?><!-- hi --><rss/>", None, "feed"),
        (b"<!DOCTYPE html>", None, "html"),
        ("\ufeff<feed/>".encode("utf-16"), None, "feed"),
        (gzip.compress(b"<urlset/>"), None, "sitemap"),
        (b"\x1f\x8bnot gzip", None, "other"),
        (b"<?xml version='1.0'?><RDF:RDF xmlns:RDF='x'/>", None, "feed"),
    ],
)
def test_sniff_kind(body: bytes, content_type: str | None, kind: str) -> None:
    assert sniff_kind(body, content_type) == kind
