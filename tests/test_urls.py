"""monitor.urls: canonical form, host and domain checks, scheme and address safety."""

from __future__ import annotations

import re
import string
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from monitor.config import Site
from monitor.urls import (
    TRACKING_PARAMS,
    canonical_url,
    host_of,
    is_http_url,
    is_public_address,
    on_domains,
    preferred_url,
    resolve_link,
    site_canonical_url,
    try_canonical_url,
    try_site_canonical_url,
)

CANONICAL_CASES = [
    # scheme, host case, default ports, empty path
    ("HTTP://Example.COM", "http://example.com/"),
    ("https://WWW.Example.com/Path/Case", "https://www.example.com/Path/Case"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("http://example.com:/a", "http://example.com/a"),
    ("http://example.com./a", "http://example.com/a"),
    ("  https://example.com/a  ", "https://example.com/a"),
    # fragments, trailing ?
    ("https://example.com/a#section-2", "https://example.com/a"),
    ("https://example.com/a?#", "https://example.com/a"),
    ("https://example.com/a?", "https://example.com/a"),
    ("https://example.com/a?&&", "https://example.com/a"),
    # tracking parameters
    ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
    ("https://example.com/a?id=7&utm_campaign=x&fbclid=abc", "https://example.com/a?id=7"),
    ("https://example.com/a?gclid=1&mc_cid=2&mc_eid=3&id=7", "https://example.com/a?id=7"),
    (
        "https://example.com/a?_ga=1.2.3&ga_source=x&ref=home&cmpid=9&id=7",
        "https://example.com/a?id=7",
    ),
    ("https://example.com/a?UTM_Source=rss&id=7", "https://example.com/a?id=7"),
    ("https://example.com/a?utm%5Fsource=rss&id=7", "https://example.com/a?id=7"),
    ("https://example.com/a?utm_source", "https://example.com/a"),
    ("https://example.com/a?referrer=x", "https://example.com/a?referrer=x"),
    ("https://example.com/a?JSESSIONID=abc&id=7", "https://example.com/a?id=7"),
    # sorting: by name, stable for repeated keys, blank values kept
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?tag=z&tag=a&id=1", "https://example.com/a?id=1&tag=z&tag=a"),
    ("https://example.com/a?q=&page=2", "https://example.com/a?page=2&q="),
    ("https://example.com/a?flag&id=1", "https://example.com/a?flag&id=1"),
    ("https://example.com/a?x=a=b&c=d", "https://example.com/a?c=d&x=a=b"),
    # percent-encoding
    ("https://example.com/%7euser/%7E", "https://example.com/~user/~"),
    ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
    ("https://example.com/%41%62%2D%5f%2E", "https://example.com/Ab-_."),
    ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
    ("https://example.com/café", "https://example.com/caf%C3%A9"),
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com/50%", "https://example.com/50%25"),
    ("https://example.com/?q=a%26b&r=1%3D1", "https://example.com/?q=a%26b&r=1%3D1"),
    ("https://example.com/?q=a+b", "https://example.com/?q=a+b"),
    ("https://example.com/?q=사드", "https://example.com/?q=%EC%82%AC%EB%93%9C"),
    # IDN
    ("https://Bücher.Example/", "https://xn--bcher-kva.example/"),
    ("https://한국.kr/뉴스", "https://xn--3e0b707e.kr/%EB%89%B4%EC%8A%A4"),
    ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
    # dot segments
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/../../a", "https://example.com/a"),
    ("https://example.com/a/b/..", "https://example.com/a/"),
    ("https://example.com/a/%2E%2E/b", "https://example.com/b"),
    # IPv6, userinfo
    ("http://[2001:DB8::0001]:80/", "http://[2001:db8::1]/"),
    ("https://user:pw@Example.com/", "https://user:pw@example.com/"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL_CASES)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(("url", "_"), CANONICAL_CASES)
def test_canonical_url_is_a_fixed_point(url: str, _: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


MUST_NOT_FOLD = [
    ("https://example.com/a?id=1", "https://example.com/a?id=2"),
    ("https://example.com/a?id=1", "https://example.com/a"),
    ("https://example.com/a?tag=x&tag=y", "https://example.com/a?tag=y&tag=x"),
    ("https://example.com/a?flag", "https://example.com/a?flag="),
    ("https://example.com/A", "https://example.com/a"),
    ("https://example.com/a", "https://example.com/a/"),
    ("https://example.com/a%2Fb", "https://example.com/a/b"),
    ("https://example.com/?q=a%26b", "https://example.com/?q=a&b"),
    ("http://example.com/a", "https://example.com/a"),
    ("https://example.com/a", "https://www.example.com/a"),
    ("https://example.com:8443/a", "https://example.com/a"),
    (
        "https://example.com/view.php?ud=20150204000891",
        "https://example.com/view.php?ud=2015020400089",
    ),
]


@pytest.mark.parametrize(("first", "second"), MUST_NOT_FOLD)
def test_real_differences_are_kept(first: str, second: str) -> None:
    assert canonical_url(first) != canonical_url(second)


def test_tracking_variants_fold_into_one() -> None:
    variants = [
        "https://www.koreaherald.com/view.php?ud=20150204000891",
        "https://www.koreaherald.com/view.php?ud=20150204000891&utm_source=twitter",
        "HTTPS://WWW.KOREAHERALD.COM:443/view.php?fbclid=x&ud=20150204000891#comments",
        "https://www.koreaherald.com/./view.php?ud=20150204000891&mc_cid=1&_ga=2",
    ]
    assert len({canonical_url(url) for url in variants}) == 1


def test_extra_tracking_patterns() -> None:
    url = "https://example.com/a?id=1&src=rss&from_home=1&fromx=2"
    assert (
        canonical_url(url, extra_tracking=["src", "from_*"]) == "https://example.com/a?fromx=2&id=1"
    )


def test_default_tracking_patterns_are_listed() -> None:
    for pattern in ("utm_*", "fbclid", "gclid", "mc_*", "ga_*", "_ga", "ref", "cmpid"):
        assert pattern in TRACKING_PARAMS


INVALID = [
    "",
    "   ",
    "garbage",
    "example.com/a",
    "//example.com/a",
    "/relative/path",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "mailto:desk@example.org",
    "ftp://example.com/file",
    "http://",
    "http:///path",
    "http://:80/",
    "http://example.com:99999/",
    "http://example.com:port/",
    "http://[::1/",
    "http://exa mple.com/",
    "http://evil.example\\@good.example/",
    "http://good.example\\.evil.example/",
    "http://a..b/",
    "http://" + "x" * 64 + "é.com/",
]


@pytest.mark.parametrize("url", INVALID)
def test_invalid_urls_raise_value_error(url: str) -> None:
    with pytest.raises(ValueError):
        canonical_url(url)
    assert try_canonical_url(url) is None
    assert not is_http_url(url)


def test_error_message_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="not an http"):
        canonical_url("javascript:alert(1)")
    with pytest.raises(ValueError, match="no valid host"):
        canonical_url("http:///x")


def test_try_canonical_url_returns_the_canonical_form() -> None:
    assert try_canonical_url("HTTP://Example.com") == "http://example.com/"


def test_non_string_is_rejected() -> None:
    assert try_canonical_url(None) is None  # type: ignore[arg-type]
    assert not is_http_url(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url", ["http://example.com", "https://example.com/a?b=1", "HTTPS://EXAMPLE.COM/"]
)
def test_is_http_url_accepts_http_and_https(url: str) -> None:
    assert is_http_url(url)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://WWW.Example.com:8443/a", "www.example.com"),
        ("http://Bücher.example/", "xn--bcher-kva.example"),
        ("http://[::1]:8080/", "::1"),
        ("http://user@127.0.0.1/", "127.0.0.1"),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host


def test_host_of_without_host_raises() -> None:
    with pytest.raises(ValueError):
        host_of("/just/a/path")


@pytest.mark.parametrize(
    ("url", "domains", "expected"),
    [
        ("https://example.com/a", ["example.com"], True),
        ("https://www.example.com/a", ["example.com"], True),
        ("https://m.example.com/a", ["example.com"], True),
        ("https://a.b.example.com/a", ["example.com"], True),
        ("https://example.com/a", ["www.example.com"], True),
        ("https://m.example.com/a", ["www.example.com"], True),
        ("https://WWW.EXAMPLE.COM./a", ["Example.com."], True),
        ("https://badexample.com/a", ["example.com"], False),
        ("https://example.com.evil.org/a", ["example.com"], False),
        ("https://evil.org/?u=example.com", ["example.com"], False),
        ("https://example.org/a", ["example.com", "example.org"], True),
        ("https://xn--bcher-kva.example/", ["bücher.example"], True),
        ("https://example.com/a", [], False),
        ("https://example.com/a", [""], False),
        ("javascript:alert(1)", ["example.com"], False),
        ("not a url", ["example.com"], False),
    ],
)
def test_on_domains(url: str, domains: list[str], expected: bool) -> None:
    assert on_domains(url, domains) is expected


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/a/b#frag", "https://example.com/a/b"),
        ("c?d=1", "https://example.com/news/c?d=1"),
        ("  //other.org/x  ", "https://other.org/x"),
        ("https://other.org/X?utm_source=1", "https://other.org/X?utm_source=1"),
        ("#top", "https://example.com/news/page"),
        ("javascript:alert(1)", None),
        ("mailto:desk@example.org", None),
        ("data:text/html,hi", None),
        ("http://[::1", None),
    ],
)
def test_resolve_link(href: str, expected: str | None) -> None:
    assert resolve_link(href, "https://example.com/news/page") == expected


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "0x7f000001",
        "2130706433",
        "127.1",
        "0177.0.0.1",
        "localhost",
        "::1",
        "[::1]",
        "::ffff:127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "fe80::1",
        "fc00::1",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "239.255.255.250",
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "2002:7f00:1::",
        "",
        "8.8.8.8 evil",
    ],
)
def test_non_public_addresses(host: str) -> None:
    assert not is_public_address(host)


@pytest.mark.parametrize("host", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "100.128.0.1"])
def test_public_addresses(host: str) -> None:
    assert is_public_address(host)


# --- properties ---------------------------------------------------------------------------

_LABEL = st.text(string.ascii_letters + string.digits, min_size=1, max_size=8)
_IDN_LABEL = st.text("abcüéß한국語", min_size=1, max_size=6)
_HOST = st.lists(st.one_of(_LABEL, _IDN_LABEL), min_size=1, max_size=3).map(".".join)
_PIECE = st.text(string.printable + "é사%~", max_size=12)
_PAIR = st.tuples(
    st.sampled_from(["id", "utm_source", "a", "B", "q", "ref", "x%41", "tag"]), _PIECE
).map(lambda kv: f"{kv[0]}={kv[1]}")


@st.composite
def _urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(st.lists(st.one_of(st.sampled_from([".", "..", "%2e"]), _PIECE))))
    query = "&".join(draw(st.lists(_PAIR, max_size=4)))
    fragment = draw(st.sampled_from(["", "#", "#frag"]))
    return f"{scheme}://{draw(_HOST)}{port}/{path}?{query}{fragment}"


@given(_urls())
def test_canonical_url_is_idempotent(url: str) -> None:
    once = try_canonical_url(url)
    if once is not None:
        assert canonical_url(once) == once


@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes(text: str) -> None:
    once = try_canonical_url(text)
    assert once is None or canonical_url(once) == once


@given(st.text(string.printable + "é%", max_size=40))
def test_any_path_is_idempotent(path: str) -> None:
    once = try_canonical_url("https://example.com/" + path)
    if once is not None:
        assert canonical_url(once) == once
        assert "#" not in once


@given(_urls(), st.sampled_from(["utm_source=x", "fbclid=1", "mc_eid=2", "_ga=3", "gclid="]))
def test_adding_a_tracking_parameter_changes_nothing(url: str, tracking: str) -> None:
    url = url.partition("#")[0].rstrip("".join(chr(code) for code in range(0x21)))
    assume("?" in url)
    once = try_canonical_url(url)
    if once is not None:
        assert canonical_url(f"{url}&{tracking}") == once


# --- site folding (fold_hosts) ------------------------------------------------------------


def _site(fold: bool, **values: object) -> Site:
    """A koreaherald-like site: start URL on www., article links on www./m./www01./amp."""
    defaults: dict[str, object] = {
        "name": "herald",
        "path": Path("sites/herald.toml"),
        "start_urls": ("https://www.herald.example/National",),
        "feeds": ("https://www.herald.example/rss/newsAll",),
        "article_urls": (re.compile(r"^https?://[a-z0-9.-]*herald\.example/(article/\d+|news/)"),),
        "listing_urls": (re.compile(r"/list\.php"),),
        "domains": ("herald.example",),
        "fold_hosts": fold,
    }
    return Site(**{**defaults, **values})  # type: ignore[arg-type]


FOLDS = _site(True)
KEEPS = _site(False)
YONHAP = _site(
    True,
    start_urls=("https://en.yna.example/nk/index",),
    feeds=(),
    article_urls=(re.compile(r"^https?://(?:m-)?en\.yna\.example/view/AEN\d+"),),
    domains=("en.yna.example", "m-en.yna.example"),
)

FOLDING_CASES = [
    # hosts fold to the host of the first start URL
    ("https://m.herald.example/article/1", "https://www.herald.example/article/1"),
    ("https://herald.example/article/1", "https://www.herald.example/article/1"),
    ("https://www01.herald.example/article/1", "https://www.herald.example/article/1"),
    ("https://mobile.herald.example/article/1", "https://www.herald.example/article/1"),
    ("https://amp.herald.example/article/1", "https://www.herald.example/article/1"),
    ("https://amp.m.herald.example/article/1", "https://www.herald.example/article/1"),
    (
        "HTTPS://M.Herald.Example:443/article/1?utm_source=x#c",
        "https://www.herald.example/article/1",
    ),
    ("http://m.herald.example/article/1", "http://www.herald.example/article/1"),
    ("https://m.herald.example:8443/article/1", "https://www.herald.example:8443/article/1"),
    ("https://sport.herald.example/article/1", "https://sport.herald.example/article/1"),
    ("https://m.sport.herald.example/article/1", "https://sport.herald.example/article/1"),
    # AMP paths and switches
    ("https://www.herald.example/amp/article/1", "https://www.herald.example/article/1"),
    ("https://www.herald.example/article/1/amp", "https://www.herald.example/article/1"),
    ("https://www.herald.example/news/slug/amp/", "https://www.herald.example/news/slug/"),
    ("https://www.herald.example/amp", "https://www.herald.example/"),
    ("https://amp.herald.example/amp/article/1?amp=1", "https://www.herald.example/article/1"),
    ("https://www.herald.example/article/1?amp", "https://www.herald.example/article/1"),
    (
        "https://www.herald.example/article/1?amp=true&id=2",
        "https://www.herald.example/article/1?id=2",
    ),
    ("https://www.herald.example/article/1?outputType=amp", "https://www.herald.example/article/1"),
    # not folded: other sites, other words, other switches
    ("https://m.other.example/amp/article/1", "https://m.other.example/amp/article/1"),
    ("https://www.herald.example/ampere-record", "https://www.herald.example/ampere-record"),
    ("https://www.herald.example/news/amped/x", "https://www.herald.example/news/amped/x"),
    ("https://www.herald.example/news/amp/x", "https://www.herald.example/news/amp/x"),
    ("https://www.herald.example/a?amp=0", "https://www.herald.example/a?amp=0"),
    ("https://www.herald.example/a?outputType=xml", "https://www.herald.example/a?outputType=xml"),
    ("https://www.herald.example/a?id=1", "https://www.herald.example/a?id=1"),
]


@pytest.mark.parametrize(("url", "expected"), FOLDING_CASES)
def test_site_folding(url: str, expected: str) -> None:
    assert site_canonical_url(url, FOLDS) == expected
    assert site_canonical_url(expected, FOLDS) == expected


@pytest.mark.parametrize(("url", "_"), FOLDING_CASES)
def test_no_folding_without_fold_hosts(url: str, _: str) -> None:
    assert site_canonical_url(url, KEEPS) == canonical_url(url)
    assert site_canonical_url(url) == canonical_url(url)
    assert try_site_canonical_url(url, None) == canonical_url(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://m-en.yna.example/view/AEN20150204000100315",
            "https://en.yna.example/view/AEN20150204000100315",
        ),
        (
            "https://en.yna.example/view/AEN20150204000100315",
            "https://en.yna.example/view/AEN20150204000100315",
        ),
        ("https://www.yna.example/view/AKR1", "https://www.yna.example/view/AKR1"),
    ],
)
def test_m_dash_prefix_folds(url: str, expected: str) -> None:
    assert site_canonical_url(url, YONHAP) == expected


def test_prefix_that_would_leave_the_site_is_kept() -> None:
    site = _site(
        True, start_urls=("https://m.solo.example/",), feeds=(), domains=("m.solo.example",)
    )
    assert site_canonical_url("https://m.solo.example/a", site) == "https://m.solo.example/a"
    assert site_canonical_url("https://amp.m.solo.example/a", site) == "https://m.solo.example/a"


def test_mobile_host_written_first_is_not_the_target() -> None:
    site = _site(True, start_urls=("https://m.herald.example/",), feeds=())
    assert site_canonical_url("https://m.herald.example/a", site) == "https://herald.example/a"
    www = _site(True, start_urls=("https://m.herald.example/",), domains=("www.herald.example",))
    assert site_canonical_url("https://m.herald.example/a", www) == "https://www.herald.example/a"


def test_site_folding_keeps_extra_tracking() -> None:
    url = "https://m.herald.example/article/1?src=rss&id=2"
    assert site_canonical_url(url, FOLDS, ["src"]) == "https://www.herald.example/article/1?id=2"


def test_folding_variants_meet_and_ids_stay_apart() -> None:
    variants = [
        "https://www.herald.example/view.php?ud=20150204000891",
        "https://m.herald.example/view.php?ud=20150204000891&utm_source=twitter",
        "https://www01.herald.example/view.php?ud=20150204000891&amp=1",
        "https://amp.herald.example/amp/view.php?ud=20150204000891",
    ]
    assert len({site_canonical_url(url, FOLDS) for url in variants}) == 1
    first = site_canonical_url("https://m.herald.example/view.php?id=1", FOLDS)
    second = site_canonical_url("https://m.herald.example/view.php?id=2", FOLDS)
    assert first != second


@pytest.mark.parametrize("url", INVALID)
def test_site_canonical_url_refuses_what_canonical_url_refuses(url: str) -> None:
    with pytest.raises(ValueError):
        site_canonical_url(url, FOLDS)
    assert try_site_canonical_url(url, FOLDS) is None


@given(_urls(), st.sampled_from(["herald.example", "m.herald.example", "amp.herald.example"]))
def test_site_canonical_url_is_idempotent(url: str, host: str) -> None:
    parts = urlsplit(url)
    once = try_site_canonical_url(parts._replace(netloc=host).geturl(), FOLDS)
    if once is not None:
        assert site_canonical_url(once, FOLDS) == once
        assert canonical_url(once) == once


# --- preferred_url ------------------------------------------------------------------------

PAGE = "https://www.herald.example/article/1?utm_source=rss"
PREFERRED_CASES = [
    # no declaration, or one that agrees
    (PAGE, None, "https://www.herald.example/article/1"),
    (PAGE, "", "https://www.herald.example/article/1"),
    (PAGE, "https://www.herald.example/article/1", "https://www.herald.example/article/1"),
    # a declared URL on the same site wins, canonicalised
    (PAGE, "https://www.herald.example/article/2?fbclid=x", "https://www.herald.example/article/2"),
    (PAGE, "https://herald.example/article/2", "https://herald.example/article/2"),
    (PAGE, "/article/2#top", "https://www.herald.example/article/2"),
    (PAGE, "//www.herald.example/article/2", "https://www.herald.example/article/2"),
    # same-site AMP page → its non-AMP article
    (
        "https://www.herald.example/article/1/amp",
        "https://www.herald.example/article/1",
        "https://www.herald.example/article/1",
    ),
    # ignored: another site, the home page, a listing, a start URL, no article URL
    (PAGE, "https://other.example/article/1", "https://www.herald.example/article/1"),
    (PAGE, "https://herald.example.evil.org/article/1", "https://www.herald.example/article/1"),
    (PAGE, "https://www.herald.example/", "https://www.herald.example/article/1"),
    (PAGE, "https://www.herald.example", "https://www.herald.example/article/1"),
    (PAGE, "https://www.herald.example/news/list.php?p=2", "https://www.herald.example/article/1"),
    (PAGE, "https://www.herald.example/National", "https://www.herald.example/article/1"),
    (PAGE, "https://www.herald.example/about", "https://www.herald.example/article/1"),
    # ignored: relative-looking, non-http, broken
    (PAGE, "www.herald.example/article/2", "https://www.herald.example/article/1"),
    (PAGE, "article/2", "https://www.herald.example/article/1"),
    (PAGE, "javascript:alert(1)", "https://www.herald.example/article/1"),
    (PAGE, "ftp://www.herald.example/article/2", "https://www.herald.example/article/1"),
    (PAGE, "https://[::1", "https://www.herald.example/article/1"),
]


@pytest.mark.parametrize(("fetched", "declared", "expected"), PREFERRED_CASES)
def test_preferred_url(fetched: str, declared: str | None, expected: str) -> None:
    assert preferred_url(fetched, declared, KEEPS) == expected


def test_preferred_url_folds_for_a_folding_site() -> None:
    fetched = "https://m.herald.example/amp/article/1?amp=1"
    assert preferred_url(fetched, None, FOLDS) == "https://www.herald.example/article/1"
    declared = "https://amp.herald.example/article/1"
    assert preferred_url(fetched, declared, FOLDS) == "https://www.herald.example/article/1"
    assert preferred_url(fetched, "https://m.herald.example/", FOLDS) == (
        "https://www.herald.example/article/1"
    )


def test_preferred_url_without_a_site_stays_on_the_fetched_domain() -> None:
    fetched = "https://www.example.com/a/1/amp"
    assert preferred_url(fetched, "https://m.example.com/a/1", None) == "https://m.example.com/a/1"
    assert (
        preferred_url(fetched, "https://other.org/a/1", None) == "https://www.example.com/a/1/amp"
    )
    assert (
        preferred_url(fetched, "https://www.example.com/", None)
        == "https://www.example.com/a/1/amp"
    )


def test_preferred_url_with_extra_tracking_generator() -> None:
    extra = (name for name in ["src"])
    declared = "https://www.herald.example/article/2?src=x"
    assert preferred_url(PAGE, declared, KEEPS, extra) == "https://www.herald.example/article/2"


def test_preferred_url_refuses_a_bad_fetched_url() -> None:
    with pytest.raises(ValueError):
        preferred_url("javascript:alert(1)", "https://www.herald.example/article/2", KEEPS)


# --- internationalised domains and percent-encoding with folding ---------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://m.뉴스.한국/기사/1", "https://xn--vg1b002a.xn--3e0b707e/%EA%B8%B0%EC%82%AC/1"),
        ("https://M.XN--VG1B002A.xn--3e0b707e/amp/a", "https://xn--vg1b002a.xn--3e0b707e/a"),
        (
            "https://www.뉴스.한국/%ea%b8%b0%ec%82%ac/1",
            "https://xn--vg1b002a.xn--3e0b707e/%EA%B8%B0%EC%82%AC/1",
        ),
        ("https://m.뉴스.한국/a%2Famp", "https://xn--vg1b002a.xn--3e0b707e/a%2Famp"),
        ("https://m.뉴스.한국/%61mp/a", "https://xn--vg1b002a.xn--3e0b707e/a"),
    ],
)
def test_folding_internationalised_domains(url: str, expected: str) -> None:
    site = _site(True, start_urls=("https://뉴스.한국/",), feeds=(), domains=("뉴스.한국",))
    assert site_canonical_url(url, site) == expected
