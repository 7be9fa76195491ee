"""The daily digest: its window, one entry per story, late arrivals, storage, golden Markdown.

The fixed database (:func:`fill`) is a day of THAAD news in Seoul: a story
carried by two outlets and copied by a third, a hostile headline, a late
arrival fetched exactly at the window's start, an article fetched exactly at its
end, a link that is not a web link, and a hit for another watchlist.
Set ``PRESSMON_UPDATE_GOLDEN=1`` to rewrite the golden files after a deliberate change.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor import clock
from monitor.cli import cli
from monitor.digest import (
    Digest,
    build_digest,
    latest_complete_day,
    save_digest,
    stored_digests,
    window,
)
from monitor.exports import render_json, render_markdown
from monitor.store import ArticleRecord, Store
from tests.conftest import pressmon

GOLDEN = Path(__file__).parent / "fixtures" / "digest"
DAY = date(2015, 2, 5)
TZ = "Asia/Seoul"
AT = "07:00"
GENERATED = datetime(2015, 2, 4, 22, 5, tzinfo=UTC)  # 07:05 in Seoul
WATCHLIST = "missile-defense"
HOSTILE = (
    "<script>document.title='pwned'</script>THAAD {{ 7*7 }} "
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
)
DESIGN_KEYS = {"date", "watchlist", "timezone", "window", "generated_at", "entries"}
ENTRY_KEYS = {
    "cluster_id",
    "article_id",
    "title",
    "url",
    "site",
    "published_at",
    "fetched_at",
    "late",
    "terms",
    "strength",
    "snippet",
    "also",
}


def add_article(
    store: Store,
    url: str,
    title: str,
    fetched_at: str,
    *,
    site: str = "koreaherald",
    published_at: str | None = None,
    hits: dict[str, tuple[int, str]] | None = None,
    terms: tuple[str, ...] = ("THAAD",),
    cluster: int | None = None,
) -> int:
    """Store one article with its hits (watchlist → (strength, snippet)); returns its id."""
    record = ArticleRecord(
        url=url,
        site=site,
        title=title,
        author=None,
        published_at=published_at,
        date_source="meta" if published_at else None,
        fetched_at=fetched_at,
        language="en",
        text=f"{title}\nBody text.",
        content_hash=url,
        word_count=3,
    )
    with store.write():
        article_id = store.insert_article(record)
        if cluster is not None:
            store.db.execute(
                "UPDATE articles SET cluster_id = ? WHERE id = ?", [cluster, article_id]
            )
        for watchlist, (strength, snippet) in (hits or {}).items():
            store.db["hits"].insert(
                {
                    "article_id": article_id,
                    "watchlist": watchlist,
                    "terms": json.dumps(list(terms)),
                    "count": strength,
                    "strength": strength,
                    "where": "lead",
                    "snippet": snippet,
                    "tagged_at": fetched_at,
                }
            )
    return article_id


def md_hit(strength: int, snippet: str) -> dict[str, tuple[int, str]]:
    return {WATCHLIST: (strength, snippet)}


def fill(store: Store) -> dict[str, int]:
    """The fixed database of the golden tests; returns article ids by role."""
    ids: dict[str, int] = {}
    ids["story"] = add_article(
        store,
        "https://www.koreaherald.com/view.php?ud=20150204000001",
        "Seoul, Beijing set up THAAD hotline",
        "2015-02-04T03:00:00Z",
        published_at="2015-02-04T02:30:00Z",
        hits=md_hit(5, "Seoul and Beijing agreed on a [[THAAD]] briefing and a [[hotline]]."),
        terms=("THAAD", "hotline"),
    )
    with store.write():
        store.add_article_url("https://daily.example/copy/1", ids["story"], "daily")
    ids["copy"] = add_article(
        store,
        "https://en.yna.co.kr/view/AEN20150204000100315",
        "S. Korea, China to open defence hotline",
        "2015-02-04T05:00:00Z",
        site="yonhap",
        published_at="2015-02-04T04:10:00Z",
        hits=md_hit(2, "The [[THAAD]] question remains open."),
        cluster=ids["story"],
    )
    ids["hostile"] = add_article(
        store,
        "https://daily.example/a/3?x=1&y=2",
        HOSTILE,
        "2015-02-04T09:00:00Z",
        site="daily",
        published_at="2015-02-04T08:00:00Z",
        hits=md_hit(3, "<img src=x onerror=alert(1)> the [[THAAD]] battery <script>x()</script>"),
    )
    ids["late"] = add_article(
        store,
        "https://www.koreaherald.com/view.php?ud=20150130000002",
        "THAAD decision delayed again",
        "2015-02-03T22:00:00Z",  # exactly the window's start: in
        published_at="2015-01-30T00:00:00Z",
        hits=md_hit(3, "The [[THAAD]] decision was delayed."),
    )
    ids["at_end"] = add_article(
        store,
        "https://www.koreaherald.com/view.php?ud=20150205000003",
        "THAAD story of the next digest",
        "2015-02-04T22:00:00Z",  # exactly the window's end: out
        hits=md_hit(9, "[[THAAD]] tomorrow."),
    )
    ids["not_web"] = add_article(
        store,
        "javascript:alert(document.cookie)",
        "A link that is not a web link",
        "2015-02-04T10:00:00Z",
        site="daily",
        hits=md_hit(1, "A [[THAAD]] mention."),
    )
    ids["other"] = add_article(
        store,
        "https://www.koreaherald.com/view.php?ud=20150204000009",
        "Hotline only",
        "2015-02-04T11:00:00Z",
        hits={"hotline": (3, "The [[hotline]] opens.")},
        terms=("hotline",),
    )
    return ids


@pytest.fixture
def ids(store: Store) -> dict[str, int]:
    return fill(store)


def digest_of(store: Store, watchlist: str = WATCHLIST, day: date = DAY) -> Digest:
    return build_digest(store, watchlist, day, timezone=TZ, digest_time=AT, generated_at=GENERATED)


def golden(name: str, text: str) -> str:
    """The golden file's text (rewritten first when PRESSMON_UPDATE_GOLDEN=1)."""
    path = GOLDEN / name
    if os.environ.get("PRESSMON_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


# -- the window -------------------------------------------------------------------------------


def test_the_window_runs_from_the_previous_morning_to_this_morning_local_time() -> None:
    start, end = window(DAY, TZ, AT)
    assert start == datetime(2015, 2, 3, 22, 0, tzinfo=UTC)  # 2015-02-04 07:00 KST
    assert end == datetime(2015, 2, 4, 22, 0, tzinfo=UTC)  # 2015-02-05 07:00 KST


def test_the_latest_complete_day_turns_over_at_digest_time() -> None:
    before = datetime(2015, 2, 4, 21, 59, 59, tzinfo=UTC)  # 06:59:59 KST on the 5th
    at = datetime(2015, 2, 4, 22, 0, tzinfo=UTC)
    assert latest_complete_day(before, TZ, AT) == date(2015, 2, 4)
    assert latest_complete_day(at, TZ, AT) == DAY


def test_an_article_fetched_at_the_start_is_in_and_one_at_the_end_is_out(
    store: Store, ids: dict[str, int]
) -> None:
    articles = {entry.article_id for entry in digest_of(store).entries}
    assert ids["late"] in articles
    assert ids["at_end"] not in articles
    assert ids["at_end"] in {e.article_id for e in digest_of(store, day=date(2015, 2, 6)).entries}


# -- entries ----------------------------------------------------------------------------------


def test_two_outlets_of_one_story_make_one_entry_that_lists_the_other(
    store: Store, ids: dict[str, int]
) -> None:
    digest = digest_of(store)
    [entry] = [e for e in digest.entries if e.cluster_id == ids["story"]]
    assert entry.article_id == ids["story"]  # the strongest article represents the story
    assert [(o.site, o.url) for o in entry.also] == [
        ("daily", "https://daily.example/copy/1"),
        ("yonhap", "https://en.yna.co.kr/view/AEN20150204000100315"),
    ]
    assert ids["copy"] not in {e.article_id for e in digest.entries}
    assert digest.article_count == 5 and len(digest.entries) == 4


def test_the_earliest_article_represents_a_story_when_strengths_tie(store: Store) -> None:
    first = add_article(
        store, "https://a.example/1", "First", "2015-02-04T01:00:00Z", hits=md_hit(2, "[[THAAD]]")
    )
    add_article(
        store,
        "https://b.example/1",
        "Second",
        "2015-02-04T00:30:00Z",
        site="b",
        hits=md_hit(2, "[[THAAD]]"),
        cluster=first,
    )
    [entry] = digest_of(store).entries
    assert entry.title == "Second" and entry.cluster_id == first
    assert [o.title for o in entry.also] == ["First"]


def test_entries_are_ordered_by_strength_then_time(store: Store, ids: dict[str, int]) -> None:
    entries = digest_of(store).entries
    assert [e.article_id for e in entries] == [
        ids["story"],
        ids["late"],
        ids["hostile"],
        ids["not_web"],
    ]
    assert [e.strength for e in entries] == [5, 3, 3, 1]


def test_a_late_arrival_is_marked(store: Store, ids: dict[str, int]) -> None:
    late = {e.article_id: e.late for e in digest_of(store).entries}
    assert late == {
        ids["story"]: False,
        ids["late"]: True,
        ids["hostile"]: False,
        ids["not_web"]: False,
    }


def test_the_json_has_designs_shape(store: Store, ids: dict[str, int]) -> None:
    data = json.loads(render_json(digest_of(store)))
    assert set(data) == DESIGN_KEYS
    assert data["window"] == {"start": "2015-02-03T22:00:00Z", "end": "2015-02-04T22:00:00Z"}
    assert (data["date"], data["timezone"], data["generated_at"]) == (
        "2015-02-05",
        TZ,
        "2015-02-04T22:05:00Z",
    )
    for entry in data["entries"]:
        assert set(entry) == ENTRY_KEYS
        assert all(set(also) == {"site", "url", "title"} for also in entry["also"])
    assert data["entries"][0]["terms"] == ["THAAD", "hotline"]
    assert Digest.from_json(data) == digest_of(store)


def test_a_watchlist_without_hits_gets_a_digest_that_says_so(store: Store, ids) -> None:
    digest = digest_of(store, "quiet")
    assert digest.entries == () and digest.article_count == 0
    assert render_markdown(digest).splitlines()[2] == (
        "No new articles matched quiet between 2015-02-04 07:00 and 2015-02-05 07:00 (Asia/Seoul)."
    )


# -- storage ----------------------------------------------------------------------------------


def test_rebuilding_a_digest_replaces_its_row(store: Store, ids: dict[str, int]) -> None:
    first = digest_of(store)
    save_digest(store, first, render_markdown(first))
    add_article(
        store,
        "https://c.example/new",
        "A new THAAD piece",
        "2015-02-04T12:00:00Z",
        site="c",
        hits=md_hit(4, "[[THAAD]]"),
    )
    again = build_digest(
        store,
        WATCHLIST,
        DAY,
        timezone=TZ,
        digest_time=AT,
        generated_at=datetime(2015, 2, 5, 1, 0, tzinfo=UTC),
    )
    save_digest(store, again, render_markdown(again))
    rows = store.rows("SELECT * FROM digests")
    assert len(rows) == 1
    assert rows[0]["generated_at"] == "2015-02-05T01:00:00Z"
    assert rows[0]["article_count"] == 6
    assert len(json.loads(rows[0]["json"])["entries"]) == 5
    assert "A new THAAD piece" in rows[0]["markdown"]


def test_stored_digests_come_back_newest_first_and_a_broken_row_is_skipped(
    store: Store, ids: dict[str, int]
) -> None:
    for day in (date(2015, 2, 3), date(2015, 2, 5), date(2015, 2, 4)):
        digest = digest_of(store, day=day)
        save_digest(store, digest, render_markdown(digest))
    store.db.execute("UPDATE digests SET json = '{' WHERE date = '2015-02-04'")
    days = [d.day for d in stored_digests(store, WATCHLIST, batch=1)]
    assert days == [date(2015, 2, 5), date(2015, 2, 3)]


# -- golden files -----------------------------------------------------------------------------


def test_the_markdown_is_exactly_the_golden_file(store: Store, ids: dict[str, int]) -> None:
    text = render_markdown(digest_of(store))
    assert text == golden("missile-defense-2015-02-05.md", text)


def test_the_empty_markdown_is_exactly_the_golden_file(store: Store) -> None:
    text = render_markdown(digest_of(store, "quiet"))
    assert text == golden("quiet-2015-02-05.md", text)


def test_the_json_is_exactly_the_golden_file(store: Store, ids: dict[str, int]) -> None:
    text = render_json(digest_of(store))
    assert text == golden("missile-defense-2015-02-05.json", text)


# -- pressmon digest --------------------------------------------------------------------------

SETTINGS = 'timezone = "Asia/Seoul"\ndigest_time = "07:00"\n'


def write_home(
    tmp_path: Path, watchlists: tuple[str, ...] = (WATCHLIST, "hotline", "quiet")
) -> Path:
    """A config directory with Seoul settings and the named watchlists (no sites needed)."""
    home = tmp_path / "home"
    (home / "watchlists").mkdir(parents=True)
    (home / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    for name in watchlists:
        (home / "watchlists" / f"{name}.toml").write_text('terms = ["THAAD"]\n', encoding="utf-8")
    return home


@pytest.fixture
def home(tmp_path: Path, store: Store) -> Path:
    """A config home whose database (``store``) holds the fixed day of news."""
    fill(store)
    return write_home(tmp_path)


def run(home: Path, store: Store, *args: str) -> Result:
    """``pressmon --home HOME --db DB ARGS`` in this process."""
    return CliRunner().invoke(cli, ["--home", str(home), "--db", str(store.path), *args])


def test_digest_writes_every_format_of_every_watchlist(home: Path, store: Store) -> None:
    result = run(home, store, "digest", "--date", "2015-02-05")
    assert result.exit_code == 0, result.output
    out = home.resolve() / "exports"
    for name in (WATCHLIST, "hotline", "quiet"):
        for ext in ("md", "html", "csv", "json", "atom"):
            assert (out / "2015-02-05" / f"{name}.{ext}").is_file()
            assert f"  {out / '2015-02-05' / f'{name}.{ext}'}\n" in result.output
        assert (out / f"{name}.atom").is_file()
    assert "missile-defense 2015-02-05: 4 stories\n" in result.output
    assert "quiet 2015-02-05: no new articles\n" in result.output
    assert store.scalar("SELECT count(*) FROM digests") == 3


def test_digest_formats_and_watchlists_can_be_repeated(
    home: Path, store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "elsewhere"
    args = ["--date", "2015-02-05", "--format", "md", "--format", "json", "--out", str(out)]
    result = run(home, store, "digest", *args, "--watchlist", WATCHLIST, "--watchlist", "quiet")
    assert result.exit_code == 0, result.output
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == [
        "2015-02-05/missile-defense.json",
        "2015-02-05/missile-defense.md",
        "2015-02-05/quiet.json",
        "2015-02-05/quiet.md",
    ]
    again = run(home, store, "digest", *args, "--watchlist", WATCHLIST)
    assert again.exit_code == 0 and store.scalar("SELECT count(*) FROM digests") == 2


def test_digest_without_a_date_builds_the_latest_complete_window(
    home: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "now", lambda: datetime(2015, 2, 5, 1, 0, tzinfo=UTC))  # 10:00 KST
    result = run(home, store, "digest", "--watchlist", WATCHLIST, "--format", "md")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("missile-defense 2015-02-05: 4 stories")
    row = store.rows("SELECT date, generated_at FROM digests")[0]
    assert row == {"date": "2015-02-05", "generated_at": "2015-02-05T01:00:00Z"}


def test_digest_of_a_window_not_yet_over_says_it_is_partial(
    home: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "now", lambda: datetime(2015, 2, 5, 1, 0, tzinfo=UTC))
    result = run(home, store, "digest", "--date", "2015-02-06", "--format", "md")
    assert result.exit_code == 0
    assert "note: the window of 2015-02-06 ends at 2015-02-06 07:00: this digest is partial" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--watchlist", "nope"], "unknown watchlist 'nope' (known: hotline, missile-defense"),
        (["--watchlist", "../../etc/x"], "unknown watchlist '../../etc/x'"),
        (["--date", "2015-02-30"], "'2015-02-30' does not match the format '%Y-%m-%d'"),
        (["--date", "yesterday"], "Invalid value for '--date'"),
        (["--format", "pdf"], "'pdf' is not one of 'md', 'html', 'csv', 'json', 'atom'"),
    ],
)
def test_digest_refuses_bad_usage_with_exit_2(
    home: Path, store: Store, args: list[str], message: str
) -> None:
    result = run(home, store, "digest", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (home / "exports").exists()


def test_digest_without_watchlists_exits_2(tmp_path: Path, store: Store) -> None:
    result = run(write_home(tmp_path, ()), store, "digest")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no watchlists in ")


def test_digest_reports_an_unwritable_export_directory_with_exit_1(
    home: Path, store: Store
) -> None:
    (home / "exports").write_text("a file, not a directory", encoding="utf-8")
    result = run(home, store, "digest", "--date", "2015-02-05", "--format", "md")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot write the exports: ")


def test_digest_with_a_bad_config_exits_2_without_a_traceback(tmp_path: Path) -> None:
    home = write_home(tmp_path)
    (home / "settings.toml").write_text('timezone = "Asia/Seul"\n', encoding="utf-8")
    result = pressmon("--home", str(home), "--db", str(tmp_path / "m.db"), "digest")
    assert result.returncode == 2
    assert "settings.toml:1:" in result.stderr and "Traceback" not in result.stderr
