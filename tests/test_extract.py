"""monitor.extract: golden pages (tests/fixtures/extract/<case>/) and the rules behind them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor import extract
from monitor._text import _page_text
from monitor.extract import extract_article, extract_page, strip_furniture, word_count
from monitor.items import Extracted

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CASES = sorted(path.name for path in FIXTURES.iterdir() if (path / "input.html").exists())
FIELDS = (
    "title",
    "author",
    "published_at",
    "date_source",
    "language",
    "skip_reason",
    "partial",
    "canonical_url",
)
SEED_URL = "http://www.koreaherald.com/view.php?ud=20150204001182"
ARTICLE = (
    "<p>The harbour authority of the fictional town of Port Aldine voted on Tuesday to approve a "
    "new ferry terminal on the eastern quay, ending a planning dispute of nearly four years.</p>"
    "<p>The terminal will replace a wooden pier built in the 1950s and is designed to handle two "
    "vessels at once, officials said, adding that works could begin in the autumn.</p>"
)


def page(body: str, head: str = "", lang: str = "en") -> str:
    return f'<html lang="{lang}"><head><title>T</title>{head}</head><body>{body}</body></html>'


def run(html: str, url: str = "https://news.example.org/a/1", **kwargs: object) -> Extracted:
    return extract_article(html, url, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("case", CASES)
def test_golden_page(case: str) -> None:
    html = (FIXTURES / case / "input.html").read_text(encoding="utf-8")
    expected = json.loads((FIXTURES / case / "expected.json").read_text(encoding="utf-8"))
    url = SEED_URL if case.startswith("seed") else f"https://news.example.org/{case}"
    result = extract_article(html, url, boilerplate=("Back to List",))
    for name in FIELDS:
        if name in expected:
            assert getattr(result, name) == expected[name], name
    for snippet in expected["must_contain"]:
        assert snippet in result.text
    for snippet in expected["must_not_contain"]:
        assert snippet not in result.text
    if result.skip_reason:
        assert result.text == "" and result.detail
    else:
        assert result.text and "\n\n" not in result.text


def test_fixture_set_covers_the_required_cases() -> None:
    required = {"seed_koreaherald", "listing_section", "paywall_teaser", "js_shell", "json_body"}
    assert required <= set(CASES)
    assert {"challenge_cloudflare_200", "challenge_cloudflare_403"} <= set(CASES)


# -- the seed article ------------------------------------------------------------


def seed_lines() -> list[str]:
    return (FIXTURES / "seed_koreaherald" / "scraped.txt").read_text(encoding="utf-8").splitlines()


def test_seed_furniture_never_survives_even_inside_the_article_block() -> None:
    body = "<div class='article'>" + "".join(f"<p>{line}</p>" for line in seed_lines()) + "</div>"
    result = run(page(body), SEED_URL)
    lines = result.text.split("\n")
    assert "X" not in lines and "MOST POPULAR" not in lines
    assert "More articles by this writer" not in result.text
    assert "Back to List" not in result.text
    assert "THAAD" in result.text
    assert any(line.startswith("During the defense ministers’ talks") for line in lines)
    assert lines[-1] == "By Song Sang-ho (sshluck@heraldcorp.com)"


def test_seed_text_through_strip_furniture() -> None:
    text = strip_furniture("\n".join(seed_lines()))
    assert text.split("\n")[0] == "China raises concerns over missile defense"
    assert "Published : Feb. 4, 2015" not in text  # the dateline is furniture (date kept apart)
    assert "hotline" in text and "By Song Sang-ho" in text
    assert "MOST POPULAR" not in text and "Back to List" not in text and "writer" not in text


# -- pages that hold no article ------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><title>DDoS-Guard</title></head><body>Checking your browser before "
        "accessing news.example.org</body></html>",
        "<html><head><META NAME='robots' CONTENT='noindex,nofollow'></head><body>Request "
        "unsuccessful. Incapsula incident ID: 1234-5678</body></html>",
        "<html><head><title>Just a moment...</title></head><body><div id='cf-chl'>"
        "</div></body></html>",
    ],
)
def test_bot_challenges(html: str) -> None:
    assert run(html).skip_reason == "challenge"


def test_an_article_about_challenges_is_an_article() -> None:
    quote = "<p>Visitors saw 'Checking if the site connection is secure' for hours.</p>"
    result = run(page(ARTICLE + quote + ARTICLE))
    assert result.skip_reason is None and "Checking if the site" in result.text


@pytest.mark.parametrize(
    ("html", "why"),
    [
        ("", "empty"),
        (None, "empty"),
        ("%PDF-1.7\n%âãÏÓ\n1 0 obj << /Type /Catalog >> endobj", "PDF"),
        ("\ufffd\x81\x8d\ufffd\x9d" * 200, "binary"),
        ("Just some plain text, no markup at all.", "markup"),
        ('[{"title": "<b>x</b>"}]', "JSON"),
        ("https://news.example.org/2024/03/05/story", "markup"),  # DATE-5: never fetched
    ],
)
def test_non_html_is_empty(html: str, why: str) -> None:
    result = run(html)
    assert result.skip_reason == "empty" and result.text == ""
    assert why in (result.detail or "")


def test_a_url_like_page_is_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    import htmldate.utils

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(htmldate.utils, "fetch_url", no_network, raising=False)
    assert run("https://news.example.org/2024/03/05/story").skip_reason == "empty"
    assert run(page(ARTICLE), url="https://news.example.org/2024/03/05/story").text


def test_js_shell_without_root_div_but_with_scripts() -> None:
    html = page("<script src='/app.js'></script><span>Loading…</span>")
    assert run(html).skip_reason == "js_shell"


def test_unexpected_errors_become_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(extract, "bare_extraction", broken)
    result = run(page(ARTICLE))
    assert result.skip_reason == "error" and "boom" in (result.detail or "")


def test_deep_nesting_falls_back_to_text() -> None:
    inner = "<p>" + "The hotline between the two ministries opens in spring. " * 12 + "</p>"
    html = page("<div>" * 5000 + inner + "</div>" * 5000)
    result = run(html)
    assert result.skip_reason is None
    assert "hotline between the two ministries" in result.text
    assert "fallback" in (result.detail or "")


def test_moderately_deep_nesting_needs_no_fallback() -> None:
    html = page("<div>" * 1000 + ARTICLE + "</div>" * 1000)
    result = run(html)
    assert "eastern quay" in result.text and result.detail is None


def test_control_characters_never_reach_the_text() -> None:
    result = run(page(ARTICLE.replace("Tuesday", "Tues\x00day\x07")))
    assert "Tuesday" in result.text and "\x00" not in result.text


# -- listings ---------------------------------------------------------------------


def headline_items(count: int) -> str:
    return "".join(
        f"<li><a href='/n/{i}'>Council reports progress on harbour project number {i}</a></li>"
        for i in range(count)
    )


def test_headline_list_without_teasers_is_a_listing() -> None:
    assert run(page(f"<ul>{headline_items(20)}</ul>")).skip_reason == "listing"


def test_article_with_a_long_headline_box_is_not_a_listing() -> None:
    head = '<meta property="og:type" content="article">'
    body = f"<article>{ARTICLE * 2}</article><aside><h3>MOST POPULAR</h3><ol>"
    result = run(page(body + headline_items(20) + "</ol></aside>", head))
    assert result.skip_reason is None and "eastern quay" in result.text
    assert "harbour project number" not in result.text


def test_wrapped_short_paragraphs_beside_headlines_are_an_article() -> None:
    paragraph = (
        "<div class='para'><p>The ferry crossed the strait in under an hour today, {}.</p></div>"
    )
    body = "".join(paragraph.format(f"said passenger number {i}") for i in range(6))
    result = run(page(f"<div class='story'>{body}</div><ul>{headline_items(8)}</ul>"))
    assert result.skip_reason is None and "passenger number 5" in result.text


def test_listing_reports_its_longest_text_block() -> None:
    teaser = "<p>" + "word " * 24 + "</p>"
    result = run(page(f"{teaser}<ul>{headline_items(20)}</ul>"))
    assert result.skip_reason == "listing"
    assert result.detail == "20 headline links, longest text block 119 characters"


def test_page_text_skips_hidden_tags_and_comments() -> None:
    html = (
        "<p>a < b</p><script>x</p></script><!-- <p>c --><div>d &amp; e<br>f</div>"
        "<TITLE>t</title><b>g</b>"
    )
    assert _page_text(html) == "a < b\nd & e\nf\ng"


# -- dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Published : Feb. 4, 2015 - 20:14", "2015-02-04T20:14:00Z"),
        ("Posted on 4 February 2015 at 8:14 pm", "2015-02-04T20:14:00Z"),
        ("입력 2024.03.05 14:20", "2024-03-05T14:20:00Z"),
        ("기사입력 2024-03-05 오후 2:20", "2024-03-05T14:20:00Z"),
        ("发布时间：2024年3月5日 09:05", "2024-03-05T09:05:00Z"),
    ],
)
def test_printed_publication_dates(line: str, expected: str) -> None:
    result = run(page(f"<div class='byline'>{line}</div>" + ARTICLE))
    assert (result.published_at, result.date_source) == (expected, "page")


def test_unlabelled_korean_date() -> None:
    result = run(page("<span>2024년 3월 5일</span>" + ARTICLE, lang="ko"))
    assert result.published_at == "2024-03-05T00:00:00Z"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta name="pubdate" content="Tue, 05 Mar 2024 09:30:00 +0900">', "2024-03-05T00:30:00Z"),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle", '
            '"datePublished": "2024-03-05 09:30:00"}</script>',
            "2024-03-05T09:30:00Z",
        ),
        ('<meta property="article:published_time" content="2024-13-45T10:00:00Z">', None),
        ('<meta property="article:published_time" content="1970-01-01T00:00:00Z">', None),
    ],
)
def test_metadata_dates(head: str, expected: str | None) -> None:
    assert run(page(ARTICLE, head)).published_at == expected


def test_tomorrow_is_allowed_but_not_next_week(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract.clock, "now", lambda: datetime(2024, 3, 5, 12, tzinfo=UTC))
    soon = '<meta property="article:published_time" content="2024-03-06T08:00:00Z">'
    later = '<meta property="article:published_time" content="2024-03-12T08:00:00Z">'
    assert run(page(ARTICLE, soon)).published_at == "2024-03-06T08:00:00Z"
    assert run(page(ARTICLE, later)).published_at is None


def test_date_from_the_url() -> None:
    result = run(page(ARTICLE), url="https://news.example.org/2024/03/05/harbour-terminal")
    assert (result.published_at, result.date_source) == ("2024-03-05T00:00:00Z", "url")


# -- language, text, words ------------------------------------------------------------


def test_language_from_script_then_site() -> None:
    chinese = (
        "<p>" + "中国国防部长常万全在首尔与韩国国防部长官举行会谈，双方同意开通热线。" * 8 + "</p>"
    )
    japanese = "<p>" + "防衛省は本日、ミサイル防衛システムについて記者会見を開いた。" * 8 + "</p>"
    bare = "<html><head><title>T</title></head><body>{}</body></html>"
    assert run(bare.format(chinese)).language == "zh"
    assert run(bare.format(japanese)).language == "ja"
    assert run(bare.format(ARTICLE), language="en-GB").language == "en"
    assert run(page(ARTICLE, lang="de-AT"), language="en").language == "de"


def test_site_boilerplate_lines_are_dropped() -> None:
    html = page(ARTICLE + "<p>Follow the Aldine Courier on social media</p>")
    result = run(html, boilerplate=["Follow the Aldine Courier on social media"])
    assert "social media" not in result.text and "eastern quay" in result.text


def test_short_article_is_partial_not_skipped() -> None:
    result = run(
        page("<article><p>Ferry services resume on Monday, the operator said.</p></article>")
    )
    assert result.skip_reason is None and result.partial


def test_extract_page_is_extract_article() -> None:
    html = (FIXTURES / "published_modified" / "input.html").read_text(encoding="utf-8")
    url = "https://news.example.org/x"
    assert extract_page(html, url, "en", ("Share",)) == extract_article(
        html, url, language="en", boilerplate=("Share",)
    )


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("The THAAD deployment emerged", 4),
        ("국방부는 핫라인 설치에 합의했다", 4),
        ("双方同意开通热线", 8),
        ("U.S.-led missile shield — 2024年3月", 7),
        ("", 0),
    ],
)
def test_word_count(text: str, count: int) -> None:
    assert word_count(text) == count


def test_dates_printed_without_an_offset_are_read_in_the_site_time_zone() -> None:
    body = "".join(
        f"<p>Paragraph {n} of the defence talks story, long enough to count as text.</p>"
        for n in range(8)
    )
    html = (
        "<html><head><title>Talks</title></head><body><article><h1>Talks</h1>"
        f"<p>Published : Feb. 4, 2015 - 20:14</p>{body}</article></body></html>"
    )
    url = "https://news.test/view/1"
    assert extract_article(html, url).published_at == "2015-02-04T20:14:00Z"
    seoul = extract_article(html, url, timezone="Asia/Seoul")
    assert (seoul.published_at, seoul.date_source) == ("2015-02-04T11:14:00Z", "page")
