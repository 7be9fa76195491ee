"""Hits: what matched, how strongly, where, the snippet; stored with the article, kept true."""

from __future__ import annotations

import json

from monitor.ingest import Ingester
from monitor.matching import compile_rules
from monitor.snippets import make_snippet, snippet_html, snippet_plain
from monitor.store import ArticleRecord, Store
from monitor.tagging import Tagger, retag, save_hits
from tests.test_ingest import page

LEAD = "Seoul and Beijing agreed on a THAAD briefing and a hotline on Wednesday."
BODY = "Officials said the THAAD question remains open.\nThe hotline opens in March."


def tagger(**watchlists: list[str]) -> Tagger:
    return Tagger(compile_rules(name, terms=terms) for name, terms in watchlists.items())


def test_a_hit_counts_weighs_and_places_its_matches() -> None:
    [hit] = tagger(thaad=["THAAD"]).tag("THAAD row deepens", f"{LEAD}\n{BODY}")
    assert (hit.watchlist, hit.terms, hit.count) == ("thaad", ("THAAD",), 3)
    assert hit.strength == 3 + 1 + 1  # the title occurrence counts three times
    assert hit.where == ("title", "lead", "body")
    assert hit.snippet.startswith("Seoul and Beijing agreed on a [[THAAD]] briefing")
    assert "[[THAAD]] question" in hit.snippet


def test_terms_are_listed_in_watchlist_order_once_each() -> None:
    [hit] = tagger(mixed=["hotline*", "THAAD", "missile defense"]).tag(
        "", "THAAD and hotlines. The hotline. Missile-defense talks."
    )
    assert hit.terms == ("hotline*", "THAAD", "missile defense")
    assert hit.count == 4
    assert hit.snippet == (
        "[[THAAD]] and [[hotlines]]. The [[hotline]]. [[Missile-defense]] talks."
    )


def test_only_a_title_match_gives_a_title_snippet() -> None:
    [hit] = tagger(thaad=["THAAD"]).tag("Beijing warns over THAAD", "Nothing else here.")
    assert (hit.where, hit.strength, hit.snippet) == (
        ("title",),
        3,
        "Beijing warns over [[THAAD]]",
    )


def test_no_match_and_an_exclusion_give_no_hit() -> None:
    rules = compile_rules("md", terms=["THAAD"], exclude=["THAAD festival"])
    assert Tagger([rules]).tag("", "The THAAD festival opens.") == []
    assert Tagger([rules]).tag("", "Nothing to see.") == []


def test_the_snippet_window_holds_the_most_matches() -> None:
    filler = "Unrelated words fill this sentence. " * 12
    text = f"A hotline at first. {filler}The hotline and another hotline here. {filler}"
    [hit] = tagger(h=["hotline"]).tag("", text)
    assert hit.snippet.count("[[hotline]]") == 2
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert 150 <= len(hit.snippet) <= 260


def test_snippet_text_is_escaped_for_html_and_brackets_cannot_forge_marks() -> None:
    text = 'A <script>alert("x")</script> [[fake]] mark and THAAD [here].'
    snippet = make_snippet(text, [(text.index("THAAD"), text.index("THAAD") + 5)])
    html = snippet_html(snippet)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<b>") == 1 and "<b>THAAD</b>" in html
    assert "[ [fake] ]" in html
    assert snippet_plain(snippet).count("THAAD") == 1 and "[[" not in snippet_plain(snippet)


def test_a_bracket_next_to_a_match_stays_text() -> None:
    text = "The [THAAD] battery."
    snippet = make_snippet(text, [(5, 10)])
    assert snippet_html(snippet) == "The [ <b>THAAD</b> ] battery."


def test_save_hits_is_idempotent_and_reports_changes(store: Store) -> None:
    with store.write():
        article_id = store.insert_article(_record())
    tags = tagger(thaad=["THAAD"], hotline=["hotline"])
    hits = tags.tag("Title", LEAD)
    with store.write():
        first = save_hits(store, article_id, hits, tags.names)
        again = save_hits(store, article_id, hits, tags.names)
    assert sorted(first.added) == [(article_id, "hotline"), (article_id, "thaad")]
    assert (again.added, again.changed, again.removed) == ([], [], [])
    fewer = tags.tag("Title", "Only a hotline now, and another hotline.")
    with store.write():
        changes = save_hits(store, article_id, fewer, tags.names)
    assert changes.removed == [(article_id, "thaad")]
    assert changes.changed == [(article_id, "hotline")]
    row = store.rows("SELECT terms, count FROM hits WHERE article_id = ?", [article_id])
    assert row == [{"terms": '["hotline"]', "count": 2}]


def test_a_revision_recomputes_the_hits(store: Store) -> None:
    tags = tagger(thaad=["THAAD"], hotline=["hotline"])
    ingester = Ingester(store, store.start_crawl("herald"), tagger=tags)
    with store.write():
        first = ingester.ingest(page("https://h.test/a", LEAD, title="Talks"))
    assert set(first.matched) == {"thaad", "hotline"}
    with store.write():
        revised = ingester.ingest(page("https://h.test/a", "A hotline only.", title="Talks"))
    assert (revised.kind, revised.matched) == ("revised", ("hotline",))
    rows = store.rows("SELECT watchlist, snippet FROM hits ORDER BY watchlist")
    assert rows == [{"watchlist": "hotline", "snippet": "A [[hotline]] only."}]


def test_a_line_learned_as_boilerplate_takes_its_hit_away(store: Store) -> None:
    """A sidebar line repeated on every page must not keep tagging the first articles."""
    tags = tagger(thaad=["THAAD"])
    ingester = Ingester(store, store.start_crawl("herald"), min_pages=3, tagger=tags)
    sidebar = "Most read: THAAD row deepens"
    pages = [
        page(f"https://h.test/{n}", f"Story number {n} has its own words here.\n{sidebar}")
        for n in range(4)
    ]
    with store.write():
        outcomes = [ingester.ingest(p) for p in pages]
    assert outcomes[0].matched == ("thaad",)  # before the line was learned
    assert store.scalar("SELECT count(*) FROM hits") == 0
    assert all(sidebar not in store.article(o.article_id)["text"] for o in outcomes)


def test_retag_adds_removes_and_is_idempotent(store: Store) -> None:
    with store.write():
        first = store.insert_article(_record("https://h.test/1", "A THAAD story."))
        second = store.insert_article(_record("https://h.test/2", "A hotline story."))
    old = tagger(thaad=["THAAD"])
    retag(store, old)
    new = tagger(thaad=["THAAD", "hotline"])
    changes = retag(store, new)
    assert (changes.added, changes.changed, changes.removed) == ([(second, "thaad")], [], [])
    again = retag(store, new)
    assert (again.added, again.changed, again.removed) == ([], [], [])
    gone = retag(store, tagger(hotline=["hotline"]), orphans=["thaad"])
    assert sorted(gone.removed) == [(first, "thaad"), (second, "thaad")]
    assert gone.added == [(second, "hotline")]
    terms = store.rows("SELECT watchlist, terms FROM hits")
    assert [(r["watchlist"], json.loads(r["terms"])) for r in terms] == [("hotline", ["hotline"])]


def test_retag_since_leaves_older_articles_alone(store: Store) -> None:
    with store.write():
        store.insert_article(
            _record("https://h.test/1", "THAAD", fetched_at="2015-02-01T00:00:00Z")
        )
        recent = store.insert_article(
            _record("https://h.test/2", "THAAD", fetched_at="2015-02-05T00:00:00Z")
        )
    changes = retag(store, tagger(thaad=["THAAD"]), since="2015-02-04")
    assert changes.added == [(recent, "thaad")]


def _record(url: str = "https://h.test/a", text: str = LEAD, **extra: str) -> ArticleRecord:
    fields = {
        "url": url,
        "site": "herald",
        "title": "Title",
        "author": None,
        "published_at": "2015-02-04T11:00:00Z",
        "date_source": "meta",
        "fetched_at": "2015-02-04T12:00:00Z",
        "language": "en",
        "text": text,
        "content_hash": url,
        "word_count": len(text.split()),
        "partial": False,
        "encoding_suspect": False,
    } | extra
    return ArticleRecord(**fields)
