"""Exports of the digest and of articles: untrusted text stays text, files stay inside.

SEC-1 (HTML escaping), SEC-2 (http/https hrefs only), SEC-3 (CSV formula cells),
SEC-6 (file names from watchlist names), DB-3 (the article export reads in batches).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import feedparser
import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from monitor.article_export import export_articles, write_articles_csv, write_articles_jsonl
from monitor.atom import entry_id, render_atom, rolling_entries, write_rolling_atom
from monitor.digest import Digest, Entry, Outlet, save_digest, window
from monitor.exports import (
    ExportError,
    export_path,
    inside,
    md,
    render_csv,
    render_html,
    render_markdown,
    safe_name,
)
from monitor.publish import publish_digest
from monitor.store import Store
from monitor.untrusted import clean_text, neutralise, safe_href
from tests.test_digest import (
    AT,
    DAY,
    GENERATED,
    HOSTILE,
    TZ,
    WATCHLIST,
    add_article,
    digest_of,
    fill,
    run,
    write_home,
)

INJECTIONS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "\0NUL"]


def entry(cluster_id: int, title: str | None = "A story", **fields) -> Entry:
    values = {
        "cluster_id": cluster_id,
        "article_id": cluster_id,
        "title": title,
        "url": f"https://news.example/{cluster_id}",
        "site": "news",
        "published_at": "2015-02-04T01:00:00Z",
        "fetched_at": "2015-02-04T02:00:00Z",
        "late": False,
        "terms": ("THAAD",),
        "strength": 1,
        "snippet": "A [[THAAD]] story.",
    } | fields
    return Entry(**values)


def digest_with(*entries: Entry, day: date = DAY, watchlist: str = WATCHLIST) -> Digest:
    start, end = window(day, TZ, AT)
    return Digest(day, watchlist, TZ, start, end, GENERATED, tuple(entries), len(entries))


# -- untrusted text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "href"),
    [
        ("https://a.example/x?y=1&z=2", "https://a.example/x?y=1&z=2"),
        ("HTTP://A.example/", "HTTP://A.example/"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        (" javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("file:///etc/passwd", None),
        ("//evil.example/x", None),
        ("https://", None),
        ("https://a.example/\nx", None),
        ("", None),
        (None, None),
    ],
)
def test_only_http_and_https_urls_become_hrefs(url: str | None, href: str | None) -> None:
    assert safe_href(url) == href


@pytest.mark.parametrize("cell", INJECTIONS)
def test_formula_like_cells_get_a_quote(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["THAAD", " =1", "", "'=1", 5, None])
def test_other_cells_are_left_alone(cell) -> None:
    assert neutralise(cell) == cell


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_markdown_text_never_renders_as_markup(text: str) -> None:
    rendered = MarkdownIt("commonmark").renderInline(md(text))
    assert "<" not in rendered  # no tag of any kind: escaped text only


def test_the_markdown_digest_renders_hostile_text_as_text(store: Store) -> None:
    fill(store)
    rendered = MarkdownIt("commonmark").render(render_markdown(digest_of(store)))
    tree = lxml.html.fragment_fromstring(rendered, create_parent="div")
    assert tree.xpath("//script | //img") == []
    assert tree.xpath("//h2")[2].text_content() == "3. " + HOSTILE
    hrefs = tree.xpath("//@href")
    assert len(hrefs) == 5 and all(href.startswith("https://") for href in hrefs)
    assert [b.text for b in tree.xpath("//blockquote//strong")][:2] == ["THAAD", "hotline"]
    assert tree.xpath("//strong")[2].text == "late"


def test_text_loses_control_characters_and_line_breaks() -> None:
    assert clean_text("a\x00b\x0bc\r\n d\ufffe\u200be") == "abc d\u200be"


# -- HTML -------------------------------------------------------------------------------------


def html_tree(digest: Digest) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(render_html(digest))


def test_a_hostile_headline_is_shown_as_text_in_html(store: Store) -> None:
    fill(store)
    text = render_html(digest_of(store))
    tree = lxml.html.document_fromstring(text)
    assert tree.xpath("//script") == [] and tree.xpath("//img") == []
    attributes = [name for element in tree.iter() for name in element.attrib]
    assert not [name for name in attributes if name.lower().startswith("on")]
    headlines = [h.text_content() for h in tree.xpath("//h2")]
    assert HOSTILE in headlines  # shown, whole, as text; {{ 7*7 }} stays literal
    snippets = [p.text_content() for p in tree.xpath("//p[@class='snippet']")]
    assert any("<img src=x onerror=alert(1)> the THAAD battery" in s for s in snippets)
    assert "<script" not in text and "<img" not in text and "{{ 7*7 }}" in text


def test_every_href_in_html_is_http_or_https_and_other_urls_are_text(store: Store) -> None:
    fill(store)
    tree = html_tree(digest_of(store))
    hrefs = tree.xpath("//@href")
    assert hrefs and all(re.match(r"https?://", href) for href in hrefs)
    assert "https://daily.example/a/3?x=1&y=2" in hrefs
    urls = [p.text_content() for p in tree.xpath("//p[@class='url']")]
    assert urls == ["javascript:alert(document.cookie)"]


def test_html_is_self_contained_and_fit_for_phones_and_print(store: Store) -> None:
    fill(store)
    text = render_html(digest_of(store))
    tree = lxml.html.document_fromstring(text)
    assert tree.xpath("//meta[@name='viewport']/@content") == [
        "width=device-width, initial-scale=1"
    ]
    assert tree.xpath("//link") == [] and tree.xpath("//@src") == []
    assert tree.xpath("//script | //iframe | //object | //embed | //img") == []
    style = tree.xpath("string(//style)")
    assert "@media print" in style and "@import" not in style and "url(" not in style
    csp = tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "default-src 'none'" in csp and "script-src" not in csp


def test_cluster_folding_and_late_arrivals_show_in_html(store: Store) -> None:
    ids = fill(store)
    tree = html_tree(digest_of(store))
    entries = tree.xpath("//li[contains(@class, 'entry')]")
    assert len(entries) == 4
    also = entries[0].xpath(".//div[@class='also']//a/@href")
    assert also == [
        "https://daily.example/copy/1",
        "https://en.yna.co.kr/view/AEN20150204000100315",
    ]
    late = [e.xpath("string(.//h2)") for e in entries if "is-late" in e.get("class")]
    assert late == ["THAAD decision delayed again"]
    assert entries[1].xpath("string(.//span[@class='badge'])") == "late"
    assert ids["copy"] and "S. Korea, China to open defence hotline" in entries[0].text_content()


def test_an_empty_digest_says_so_in_html() -> None:
    tree = html_tree(digest_with())
    assert tree.xpath("string(//p[contains(@class, 'window')])").startswith(
        "No new articles matched missile-defense between 2015-02-04 07:00 and 2015-02-05 07:00"
    )
    assert tree.xpath("//li") == []


# -- CSV --------------------------------------------------------------------------------------


def test_csv_has_one_row_per_entry_and_neutralises_every_formula_cell() -> None:
    entries = [entry(i, title, site=title, snippet=title) for i, title in enumerate(INJECTIONS, 1)]
    rows = list(csv.DictReader(io.StringIO(render_csv(digest_with(*entries)))))
    assert len(rows) == len(INJECTIONS)
    for row, cell in zip(rows, INJECTIONS, strict=True):
        assert row["title"] == "'" + cell
        assert row["site"] == "'" + cell
        assert row["snippet"] == "'" + cell
        assert row["rank"].isdigit() and row["url"].startswith("https://")


def test_csv_snippets_are_plain_and_also_lists_the_outlets(store: Store) -> None:
    fill(store)
    rows = list(csv.DictReader(io.StringIO(render_csv(digest_of(store)))))
    assert rows[0]["snippet"] == "Seoul and Beijing agreed on a THAAD briefing and a hotline."
    assert rows[0]["also"] == (
        "daily https://daily.example/copy/1; yonhap https://en.yna.co.kr/view/AEN20150204000100315"
    )
    assert [row["late"] for row in rows] == ["no", "yes", "no", "no"]
    assert rows[2]["title"] == HOSTILE


# -- Atom -------------------------------------------------------------------------------------


def test_atom_parses_cleanly_with_stable_ids_and_safe_links(store: Store) -> None:
    ids = fill(store)
    feed = feedparser.parse(render_atom(digest_of(store)))
    assert feed.bozo == 0, feed.get("bozo_exception")
    titles = [e.title for e in feed.entries]
    assert titles == [
        "Seoul, Beijing set up THAAD hotline",
        "THAAD decision delayed again",
        HOSTILE,
        "A link that is not a web link",
    ]
    assert feed.entries[0].id == f"tag:press-monitor,2026:missile-defense/story/{ids['story']}"
    links = [link.href for e in feed.entries for link in e.get("links", [])]
    assert links and all(link.startswith("https://") for link in links)
    assert "javascript" not in " ".join(links)
    assert feed.entries[0].updated == "2015-02-04T03:00:00+00:00"


def test_atom_survives_characters_xml_cannot_hold() -> None:
    feed = feedparser.parse(render_atom(digest_with(entry(1, "Bell\x07 and\x0bvtab\x00"))))
    assert feed.bozo == 0 and feed.entries[0].title == "Bell andvtab"


def test_a_storys_atom_id_is_the_same_in_every_digest() -> None:
    one = feedparser.parse(render_atom(digest_with(entry(7), day=date(2015, 2, 5))))
    two = feedparser.parse(render_atom(digest_with(entry(7, "Update"), day=date(2015, 2, 6))))
    assert one.entries[0].id == two.entries[0].id == entry_id(WATCHLIST, 7)
    assert one.feed.id != two.feed.id


def test_the_rolling_feed_keeps_the_newest_100_stories_newest_first(
    store: Store, tmp_path: Path
) -> None:
    for offset in range(3):  # three digests of 40 stories; story 0 comes back on the last day
        day = DAY + timedelta(days=offset)
        start, _ = window(day, TZ, AT)
        stories = [
            entry(
                0 if offset == 2 and n == 0 else 100 * offset + n,
                f"Day {offset} story {n}",
                fetched_at=(start + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            for n in range(40)
        ]
        digest = digest_with(*stories, day=day)
        save_digest(store, digest, render_markdown(digest))
    path = write_rolling_atom(store, WATCHLIST, tmp_path, GENERATED)
    feed = feedparser.parse(path.read_bytes())
    assert feed.bozo == 0 and len(feed.entries) == 100
    assert feed.entries[0].title == "Day 2 story 39"
    updated = [e.updated for e in feed.entries]
    assert updated == sorted(updated, reverse=True)
    assert [e.id for e in feed.entries].count(entry_id(WATCHLIST, 0)) == 1
    assert feed.entries[-1].title == "Day 0 story 20"


def test_rolling_entries_take_each_story_once_from_its_newest_digest() -> None:
    older = digest_with(entry(1, "Old"), entry(2, "Two"), day=date(2015, 2, 4))
    newer = digest_with(entry(1, "New", fetched_at="2015-02-05T01:00:00Z"))
    chosen = rolling_entries([newer, older], limit=100)
    assert [e.title for e, _ in chosen] == ["New", "Two"]
    assert len(rolling_entries([newer, older], limit=1)) == 1


# -- file names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../etc/cron.d/pwn", "a/b", "..", ".hidden", "", "Upper", "x\0y", "ok\n", "a b", "é", "-x"],
)
def test_unsafe_watchlist_names_are_refused_as_file_names(name: str) -> None:
    with pytest.raises(ExportError, match="slug"):
        safe_name(name)


def test_export_paths_stay_inside_the_export_directory(tmp_path: Path) -> None:
    out = tmp_path / "exports"
    assert export_path(out, DAY, "missile-defense", "md") == (
        out.resolve() / "2015-02-05" / "missile-defense.md"
    )
    with pytest.raises(ExportError, match="outside"):
        inside(out, "..", "x.md")
    (out / "2015-02-05").parent.mkdir(parents=True)
    (out / "2015-02-05").symlink_to(tmp_path)  # a symlink that leads out is refused too
    with pytest.raises(ExportError, match="outside"):
        export_path(out, DAY, "missile-defense", "md")
    with pytest.raises(ExportError):
        export_path(out, DAY, "missile-defense", "exe")


def test_publishing_refuses_a_path_traversal_name_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    fill(store)
    with pytest.raises(ExportError):
        publish_digest(store, "../../evil", DAY, timezone=TZ, digest_time=AT, out=tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.parent.glob("evil*"))
    assert store.scalar("SELECT count(*) FROM digests") == 0


def test_publishing_writes_every_format_where_design_says(store: Store, tmp_path: Path) -> None:
    fill(store)
    published = publish_digest(
        store, WATCHLIST, DAY, timezone=TZ, digest_time=AT, out=tmp_path, generated_at=GENERATED
    )
    names = [str(p.relative_to(tmp_path.resolve())) for p in published.paths]
    day = "2015-02-05/missile-defense"
    assert names == [
        f"{day}.md",
        f"{day}.html",
        f"{day}.csv",
        f"{day}.json",
        f"{day}.atom",
        "missile-defense.atom",
    ]
    stored = store.rows("SELECT markdown, json FROM digests")[0]
    assert stored["markdown"] == (tmp_path / f"{day}.md").read_text(encoding="utf-8")
    assert json.loads(stored["json"]) == json.loads((tmp_path / f"{day}.json").read_text())
    assert not list(tmp_path.rglob("*.tmp"))


# -- the article export -----------------------------------------------------------------------


def test_the_article_export_streams_in_batches_with_hits_per_article(store: Store) -> None:
    ids = fill(store)
    articles = list(export_articles(store, "2015-02-03T22:00:00Z", "2015-02-04T22:00:00Z", 2))
    assert [a["id"] for a in articles] == [
        ids["late"],
        ids["story"],
        ids["copy"],
        ids["hostile"],
        ids["not_web"],
        ids["other"],
    ]
    story = articles[1]
    assert story["hits"] == [
        {
            "watchlist": WATCHLIST,
            "terms": ["THAAD", "hotline"],
            "count": 5,
            "strength": 5,
            "where": ["lead"],
            "snippet": "Seoul and Beijing agreed on a [[THAAD]] briefing and a [[hotline]].",
        }
    ]
    assert len(list(export_articles(store, "2015-02-03T22:00:00Z", None, 1))) == 7


def test_the_article_export_pages_through_equal_fetch_times_once_each(store: Store) -> None:
    same = "2015-02-04T12:00:00Z"
    made = [add_article(store, f"https://x.example/{n}", f"T{n}", same) for n in range(5)]
    made.append(add_article(store, "https://x.example/9", "Later", "2015-02-04T12:00:01Z"))
    for batch in (1, 2, 500):
        assert [a["id"] for a in export_articles(store, same, None, batch)] == made


def test_the_article_csv_has_one_row_per_hit_plain_snippets_and_no_formulas(
    store: Store,
) -> None:
    fill(store)
    first = add_article(
        store,
        "https://x.example/1",
        "=cmd|' /C calc'!A0",
        "2015-02-04T12:00:00Z",
        hits={WATCHLIST: (1, "@[[THAAD]]"), "hotline": (2, "-[[hotline]]")},
    )
    buffer = io.StringIO(newline="")
    articles = export_articles(store, "2015-02-04T12:00:00Z", "2015-02-04T12:00:01Z")
    count = write_articles_csv(articles, buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert count == 2 and [row["watchlist"] for row in rows] == ["hotline", WATCHLIST]
    assert {row["id"] for row in rows} == {str(first)}
    assert rows[0]["title"] == "'=cmd|' /C calc'!A0"
    assert [row["snippet"] for row in rows] == ["'-hotline", "'@THAAD"]
    assert list(rows[0]) == [
        "id",
        "site",
        "url",
        "title",
        "published_at",
        "fetched_at",
        "cluster_id",
        "watchlist",
        "terms",
        "strength",
        "where",
        "snippet",
    ]


def test_the_article_jsonl_has_one_object_per_article(store: Store) -> None:
    ids = fill(store)
    buffer = io.StringIO()
    count = write_articles_jsonl(export_articles(store, "2015-02-04T00:00:00Z"), buffer)
    objects = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert count == len(objects) == 6
    assert objects[0]["id"] == ids["story"] and objects[0]["hits"][0]["watchlist"] == WATCHLIST
    assert objects[0]["title"] == "Seoul, Beijing set up THAAD hotline"


def test_an_article_with_no_hit_gets_one_csv_row(store: Store) -> None:
    add_article(store, "https://x.example/2", "Nothing matched", "2015-02-04T12:00:00Z")
    buffer = io.StringIO(newline="")
    assert write_articles_csv(export_articles(store, "2015-02-04T00:00:00Z"), buffer) == 1
    [row] = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert row["title"] == "Nothing matched" and row["watchlist"] == "" and row["terms"] == ""


def test_entries_without_a_title_or_dates_still_render() -> None:
    bare = entry(
        3, None, published_at=None, snippet="", terms=(), also=(Outlet("x", "ftp://x", None),)
    )
    digest = digest_with(bare)
    assert "(untitled)" in render_markdown(digest) and "(untitled)" in render_html(digest)
    assert feedparser.parse(render_atom(digest)).bozo == 0
    assert "ftp://x" in render_csv(digest)


# -- pressmon export --------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, store: Store) -> Path:
    """A config home (Asia/Seoul) whose database (``store``) holds the fixed day of news."""
    fill(store)
    return write_home(tmp_path)


def test_export_writes_csv_of_local_days_to_stdout(home: Path, store: Store) -> None:
    result = run(
        home, store, "export", "--since", "2015-02-04", "--until", "2015-02-04", "--format", "csv"
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # Seoul's 2015-02-04 runs from 2015-02-03T15:00Z to 2015-02-04T15:00Z
    assert [row["fetched_at"] for row in rows] == [
        "2015-02-03T22:00:00Z",
        "2015-02-04T03:00:00Z",
        "2015-02-04T05:00:00Z",
        "2015-02-04T09:00:00Z",
        "2015-02-04T10:00:00Z",
        "2015-02-04T11:00:00Z",
    ]
    assert rows[0]["snippet"] == "The THAAD decision was delayed."
    assert result.stdout_bytes.count(b"\r\n") == 7  # CSV line ends, header included
    assert result.stderr == ""


def test_export_writes_jsonl_to_a_file_whole(home: Path, store: Store, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old", encoding="utf-8")
    result = run(
        home, store, "export", "--since", "2015-02-05", "--format", "jsonl", "--out", str(target)
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"1 articles written to {target}\n"
    [line] = target.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["title"] == "THAAD story of the next digest"
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv"], "Missing option '--since'"),
        (["--since", "2015-02-04"], "Missing option '--format'"),
        (["--since", "2015-02-04", "--format", "xlsx"], "'xlsx' is not one of 'csv', 'jsonl'"),
        (["--since", "2015-02-05", "--until", "2015-02-04", "--format", "csv"], "is before"),
        (["--since", "04/02/2015", "--format", "csv"], "Invalid value for '--since'"),
    ],
)
def test_export_refuses_bad_usage_with_exit_2(
    home: Path, store: Store, args: list[str], message: str
) -> None:
    result = run(home, store, "export", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_export_to_a_missing_directory_exits_1(home: Path, store: Store, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "dir" / "x.csv"
    target.parent.parent.write_text("not a directory", encoding="utf-8")
    result = run(
        home, store, "export", "--since", "2015-02-04", "--format", "csv", "--out", str(target)
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot write {target}: ")
