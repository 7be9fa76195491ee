"""`pressmon search`, `pressmon retag` and `pressmon check` on watchlists, end to end.

Each test builds a config home (the sample site's sites, our own watchlists, the
Asia/Seoul timezone) and a database filled by hand and tagged with
:func:`monitor.tagging.retag`, then runs the CLI in a subprocess.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load_config
from monitor.store import ArticleRecord, Store, open_store
from monitor.tagging import Tagger, retag, rules_for
from tests.conftest import pressmon, write_home

SETTINGS = 'timezone = "Asia/Seoul"\n'
WATCHLISTS = {
    "missile-defense": 'description = "Missile defence"\n'
    'terms = ["THAAD", "사드"]\n'
    'exclude = ["THAAD festival"]\n',
    "hotline": 'terms = ["hotline"]\n',
    "festival": 'terms = ["festival"]\n',
}
# name -> (site, language, published_at, fetched_at, title, text); every fetch is in
# the same day in UTC and in Seoul, every publication time is not
ARTICLES = {
    "hotline": (
        "herald",
        "en",
        "2015-02-04T11:14:00Z",  # Seoul: 2015-02-04 20:14
        "2015-02-04T12:00:00Z",
        "Seoul opens hotline as THAAD debate grows",
        "The defence ministry set up a hotline with Beijing.\n"
        "Officials said THAAD would not target China.",
    ),
    "festival": (
        "daily",
        "en",
        "2015-02-04T20:00:00Z",  # Seoul: 2015-02-05 05:00
        "2015-02-04T13:00:00Z",
        "Town hosts THAAD festival",
        "The THAAD festival drew crowds.",
    ),
    "korean": (
        "daily",
        "ko",
        "2015-02-05T02:00:00Z",  # Seoul: 2015-02-05 11:00
        "2015-02-05T03:00:00Z",
        "사드 논란",
        "정부는 사드를 배치하지 않겠다고 밝혔다.",
    ),
    "kamd": (
        "herald",
        "en",
        "2015-02-05T22:00:00Z",  # Seoul: 2015-02-06 07:00
        "2015-02-06T00:00:00Z",
        "KAMD progress",
        "South Korea develops KAMD and weighs THAAD.",
    ),
    "hotlines": (
        "herald",
        "en",
        "2015-02-06T05:00:00Z",  # Seoul: 2015-02-06 14:00
        "2015-02-06T06:00:00Z",
        "Hotlines ring",
        "Two hotlines were opened between the militaries.",
    ),
}


class Home:
    """A config home with a tagged database."""

    def __init__(self, root: Path) -> None:
        self.home = write_home(root / "home", "http://127.0.0.1:9", settings=SETTINGS)
        watchlists = self.home / "watchlists"
        watchlists.mkdir(exist_ok=True)
        for path in watchlists.glob("*.toml"):
            path.unlink()
        for name, text in WATCHLISTS.items():
            self.watchlist(name, text)
        self.db = root / "m.db"
        store = open_store(self.db)
        self.ids: dict[str, int] = {}
        with store.write():
            for name, (site, lang, published, fetched, title, text) in ARTICLES.items():
                self.ids[name] = store.insert_article(
                    ArticleRecord(
                        url=f"https://{site}.test/view/{name}",
                        site=site,
                        title=title,
                        author=None,
                        published_at=published,
                        date_source="meta",
                        fetched_at=fetched,
                        language=lang,
                        text=text,
                        content_hash=f"hash-{name}",
                        word_count=len(text.split()),
                    )
                )
                store.mark_seen(f"https://{site}.test/view/{name}", site, "article")
            store.mark_seen("https://herald.test/list", "herald", "not_article")
        crawl = store.start_crawl("herald")
        store.finish_crawl(crawl, "ok", {"fetched": 5, "articles_new": 5})
        retag(store, self.tagger())
        store.close()

    def watchlist(self, name: str, text: str | None) -> None:
        path = self.home / "watchlists" / f"{name}.toml"
        if text is None:
            path.unlink()
        else:
            path.write_text(text, encoding="utf-8")

    def tagger(self) -> Tagger:
        config = load_config(self.home)
        return Tagger(rules_for(watchlist) for watchlist in config.watchlists.values())

    def run(self, *args: str):
        return pressmon("--home", str(self.home), "--db", str(self.db), *args)

    def invoke(self, *args: str):
        """The same command in this process (for the cheap extra cases)."""
        return CliRunner().invoke(cli, ["--home", str(self.home), "--db", str(self.db), *args])

    def store(self) -> Store:
        return open_store(self.db)

    def hits(self) -> dict[tuple[int, str], dict]:
        store = self.store()
        try:
            rows = store.rows("SELECT * FROM hits")
        finally:
            store.close()
        return {(row["article_id"], row["watchlist"]): row for row in rows}

    def hit_pairs(self) -> set[tuple[str, str]]:
        names = {article_id: name for name, article_id in self.ids.items()}
        return {(names[article_id], watchlist) for article_id, watchlist in self.hits()}

    def others(self) -> dict[str, object]:
        """Everything in the database that is not ``hits``."""
        store = self.store()
        try:
            counts = {
                table: store.scalar(f"SELECT count(*) FROM {table}")
                for table in ("articles", "article_urls", "crawls", "seen_urls", "crawl_errors")
            }
            articles = store.rows("SELECT * FROM articles ORDER BY id")
            crawls = store.rows("SELECT * FROM crawls ORDER BY id")
            seen = store.rows("SELECT * FROM seen_urls ORDER BY url")
        finally:
            store.close()
        return {"counts": counts, "articles": articles, "crawls": crawls, "seen": seen}


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path)


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr, result.stderr


# -- search ----------------------------------------------------------------------


def test_search_prints_matches_snippets_per_day_counts_and_a_total(home: Home) -> None:
    result = home.run("search", "THAAD NOT festival")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Town hosts THAAD festival" not in out
    assert out.index("KAMD progress") < out.index("Seoul opens hotline as THAAD debate grows")
    assert "https://herald.test/view/kamd" in out
    assert "THAAD: South Korea develops KAMD and weighs [[THAAD]]." in out
    assert "[[THAAD]] would not target China" in out
    assert "per day: 2015-02-04 1, 2015-02-06 1" in out  # local days, in Seoul
    assert out.rstrip().endswith("2 article(s)")


def test_search_json(home: Home) -> None:
    result = home.run("search", "--json", "--limit", "1", "THAAD OR 사드")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total"] == 4
    assert data["per_day"] == {"2015-02-04": 1, "2015-02-05": 2, "2015-02-06": 1}
    [article] = data["articles"]
    assert article["id"] == home.ids["kamd"]
    assert article["title"] == "KAMD progress" and article["site"] == "herald"
    assert article["terms"] == ["THAAD"]
    assert "[[THAAD]]" in article["snippet"]
    assert article["cluster_size"] == 1 and article["strength"] == 1


def test_search_with_a_watchlist_and_no_query(home: Home) -> None:
    result = home.run("search", "--watchlist", "missile-defense")
    assert result.returncode == 0, result.stderr
    assert "정부는 [[사드]]를 배치하지" in result.stdout
    assert "Town hosts THAAD festival" not in result.stdout  # the watchlist's exclusion
    assert "per day: 2015-02-04 1, 2015-02-05 1, 2015-02-06 1" in result.stdout
    assert "3 article(s)" in result.stdout
    both = home.invoke("search", "--watchlist", "missile-defense", "--json", "hotline OR KAMD")
    assert both.exit_code == 0, both.output
    ids = {row["id"] for row in json.loads(both.output)["articles"]}
    assert ids == {home.ids["hotline"], home.ids["kamd"]}


def test_search_refuses_an_unknown_watchlist_and_a_missing_query(home: Home) -> None:
    unknown = home.run("search", "--watchlist", "nope")
    assert unknown.returncode == 2
    no_traceback(unknown)
    assert "unknown watchlist 'nope'" in unknown.stderr
    assert "missile-defense" in unknown.stderr  # the known ones are listed
    nothing = home.run("search")
    assert nothing.returncode == 2
    no_traceback(nothing)
    assert "QUERY" in nothing.stderr and "--watchlist" in nothing.stderr


def caret_column(stderr: str, query: str) -> int:
    """The 1-based column of ``query`` that the caret line points at."""
    lines = stderr.splitlines()
    [number] = [n for n, line in enumerate(lines) if line.rstrip().endswith(query)]
    start = lines[number].rindex(query)
    caret = lines[number + 1]
    assert caret.strip() == "^", stderr
    return caret.index("^") - start + 1


def test_a_query_syntax_error_shows_the_column_and_a_caret(home: Home) -> None:
    result = home.run("search", "(THAAD OR")
    assert result.returncode == 2
    no_traceback(result)
    assert result.stdout == ""
    assert "column 10" in result.stderr
    assert caret_column(result.stderr, "(THAAD OR") == 10
    for query, column in (
        ("THAAD NEAR/x hotline", 7),
        ('hotline "missile defense', 9),
        ("THAAD AND OR hotline", 11),
        ("(THAAD OR hotline))", 19),
        ("NOT festival", 1),
    ):
        again = home.invoke("search", query)
        assert again.exit_code == 2, (query, again.output)
        assert f"column {column}" in again.output, again.output
        assert caret_column(again.output, query) == column, again.output


def test_since_and_until_are_the_local_days_of_the_per_day_counts(home: Home) -> None:
    everything = json.loads(home.invoke("search", "--json", "THAAD OR 사드").output)
    assert everything["per_day"] == {"2015-02-04": 1, "2015-02-05": 2, "2015-02-06": 1}
    for day, count in everything["per_day"].items():
        one_day = home.invoke("search", "--json", "--since", day, "--until", day, "THAAD OR 사드")
        assert json.loads(one_day.output)["per_day"] == {day: count}, day


# -- check -------------------------------------------------------------------------


def test_check_points_at_a_query_syntax_error(home: Home) -> None:
    home.watchlist(
        "broken",
        '# a watchlist with a bad query\ndescription = "x"\n'
        "query = '\"missile defense\" NEAR/5 (Korea OR'\n",
    )
    result = home.run("check")
    assert result.returncode == 2
    no_traceback(result)
    assert re.search(r"broken\.toml:3: .*column 35", result.stderr), result.stderr
    assert caret_column(result.stderr, '"missile defense" NEAR/5 (Korea OR') == 35


@pytest.mark.parametrize(("term", "reason"), [("ho*t", "'*'"), ("!!!", "no letters or digits")])
def test_check_points_at_a_bad_term(home: Home, term: str, reason: str) -> None:
    home.watchlist("broken", f'description = "x"\nterms = [\n    "THAAD",\n    "{term}",\n]\n')
    result = home.run("check")
    assert result.returncode == 2
    no_traceback(result)
    assert re.search(rf"broken\.toml:4: .*{re.escape(reason)}", result.stderr), result.stderr
    assert term in result.stderr


# -- retag -------------------------------------------------------------------------

RETAG_LINE = re.compile(
    r"^(\S+)\s+\+(\d+) added\s+-(\d+) removed\s+~(\d+) updated\s+\((\d+) articles with hits\)$"
)


def retag_report(stdout: str) -> dict[str, tuple[int, int, int, int]]:
    report = {}
    for line in stdout.splitlines():
        match = RETAG_LINE.match(line.strip())
        assert match, line
        report[match.group(1)] = tuple(int(n) for n in match.groups()[1:])
    return report


def diff(before: dict, after: dict, watchlist: str) -> tuple[int, int, int]:
    """Added, removed and updated hits of ``watchlist`` between two snapshots."""
    keys_before = {key for key in before if key[1] == watchlist}
    keys_after = {key for key in after if key[1] == watchlist}
    fields = ("terms", "count", "strength", "where", "snippet")
    updated = [
        key
        for key in keys_before & keys_after
        if any(before[key][f] != after[key][f] for f in fields)
    ]
    return len(keys_after - keys_before), len(keys_before - keys_after), len(updated)


def change_watchlists(home: Home) -> None:
    """hotline: a term widened; missile-defense: one term removed, one added; festival: gone."""
    home.watchlist("hotline", 'terms = ["hotline*"]\n')
    home.watchlist(
        "missile-defense",
        'terms = ["THAAD", "KAMD"]\nexclude = ["THAAD festival"]\n',
    )
    home.watchlist("festival", None)


def test_the_fixture_is_tagged_as_expected(home: Home) -> None:
    assert home.hit_pairs() == {
        ("hotline", "missile-defense"),
        ("korean", "missile-defense"),
        ("kamd", "missile-defense"),
        ("hotline", "hotline"),
        ("festival", "festival"),
    }


def test_retag_reports_what_changed_in_hits_and_is_idempotent(home: Home) -> None:
    before, others = home.hits(), home.others()
    change_watchlists(home)
    result = home.run("retag")
    assert result.returncode == 0, result.stderr
    after = home.hits()
    report = retag_report(result.stdout)
    assert report == {
        "hotline": (1, 0, 1, 2),  # hotlines added; "hotline*" replaces "hotline"
        "missile-defense": (0, 1, 1, 2),  # 사드 gone; KAMD joins THAAD
        "festival": (0, 1, 0, 0),  # the deleted watchlist's hits are removed
    }
    for name, (added, removed, updated, total) in report.items():
        assert diff(before, after, name) == (added, removed, updated), name
        assert sum(1 for _, watchlist in after if watchlist == name) == total
    assert home.hit_pairs() == {
        ("hotline", "missile-defense"),
        ("kamd", "missile-defense"),
        ("hotline", "hotline"),
        ("hotlines", "hotline"),
    }
    kamd = after[(home.ids["kamd"], "missile-defense")]
    assert json.loads(kamd["terms"]) == ["THAAD", "KAMD"]
    # the hits are what tagging the articles afresh gives
    tagger = home.tagger()
    for name, (site, language, _, _, title, text) in ARTICLES.items():
        for hit in tagger.tag(title, text, site=site, language=language):
            stored = after[(home.ids[name], hit.watchlist)]
            assert {k: stored[k] for k in hit.row(0) if k != "article_id"} == {
                k: v for k, v in hit.row(0).items() if k != "article_id"
            }
    assert home.others() == others  # retag writes nothing but hits

    again = home.run("retag")
    assert again.returncode == 0, again.stderr
    assert retag_report(again.stdout) == {
        "hotline": (0, 0, 0, 2),
        "missile-defense": (0, 0, 0, 2),
    }
    assert home.hits() == after  # same rows, same ids, same tagged_at
    assert home.others() == others


def test_retag_watchlist_limits_it_to_that_watchlist(home: Home) -> None:
    before, others = home.hits(), home.others()
    change_watchlists(home)
    result = home.run("retag", "--watchlist", "hotline")
    assert result.returncode == 0, result.stderr
    assert retag_report(result.stdout) == {"hotline": (1, 0, 1, 2)}
    after = home.hits()
    for name in ("missile-defense", "festival"):  # untouched, even the deleted one
        assert {k: v for k, v in after.items() if k[1] == name} == {
            k: v for k, v in before.items() if k[1] == name
        }
    assert home.others() == others
    unknown = home.run("retag", "--watchlist", "festival")  # no longer configured
    assert unknown.returncode == 2
    no_traceback(unknown)
    assert "unknown watchlist 'festival'" in unknown.stderr
    assert home.hits() == after


def test_retag_since_only_touches_articles_fetched_since(home: Home) -> None:
    before, others = home.hits(), home.others()
    change_watchlists(home)
    result = home.run("retag", "--since", "2015-02-05")
    assert result.returncode == 0, result.stderr
    assert retag_report(result.stdout) == {
        "hotline": (1, 0, 0, 2),  # the older "hotline" article keeps its old hit
        "missile-defense": (0, 1, 1, 2),
        "festival": (0, 0, 0, 1),  # its only hit is on an older article
    }
    after = home.hits()
    older = {home.ids["hotline"], home.ids["festival"]}  # fetched on 2015-02-04
    assert {k: v for k, v in after.items() if k[0] in older} == {
        k: v for k, v in before.items() if k[0] in older
    }
    assert (home.ids["hotlines"], "hotline") in after
    assert (home.ids["korean"], "missile-defense") not in after
    assert home.others() == others
