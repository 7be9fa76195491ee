"""monitor.matching and monitor.query: every matching rule of DESIGN.md, as a table."""

from __future__ import annotations

import pytest

from monitor.matching import Matcher, compile_rules, locate
from monitor.query import QuerySyntaxError, parse_query


def count_of(term: str, text: str) -> int:
    """How often ``term`` is found in ``text`` (0 when absent)."""
    return len(locate([term], text).get(term, []))


def query_matches(query: str, text: str, title: str = "") -> bool:
    """Does a watchlist holding only ``query`` match the article?"""
    _, matches = Matcher([compile_rules("w", query=query)]).match(title, text)
    return bool(matches)


# (term, text, expected count); 0 means "does not match"
TERM_CASES = [
    # whole words, case-insensitive by default
    ("hotline", "hotlines", 0),
    ("hotline", "hot line", 0),
    ("hotline", "Hotline", 1),
    ("hotline", "HOTLINE hotline Hotline", 3),
    ("hotline", "Call the hotline.", 1),
    ("hotline", "(hotline)", 1),
    ("hotline", "nothotline", 0),
    # trailing *
    ("hotline*", "hotlines", 1),
    ("hotline*", "Hotlines", 1),
    ("hotline*", "hotline", 1),
    ("hotline*", "hotlines and hotline-numbers", 2),
    ("hotline*", "hot-lines", 0),
    ("hotline*", "the nothotlines", 0),
    ("missile def*", "missile defenses", 1),
    # 2-5 ASCII capitals and digits are case-sensitive
    ("US", "us", 0),
    ("US", "US", 1),
    ("US", "U.S.", 0),
    ("US", "U.S. and US", 1),
    ("US", "USA", 0),
    ("US", "US-led", 1),
    ("US", "Us", 0),
    ("us", "US", 1),
    ("Us", "US", 1),
    ("G7", "G7 summit", 1),
    ("G7", "g7", 0),
    ("G7", "G77", 0),
    ("G7", "(G7)", 1),
    ("G7", "G7's", 1),
    ("THAAD", "thaad", 0),
    ("THAAD", "THAADs", 0),
    ("THAAD", "THAAD1", 0),
    ("THAAD", "anti-THAAD", 1),
    ("thaad", "THAAD", 1),
    ("2024", "20245", 0),
    ("2024", "in 2024, then", 1),
    # phrases: any separators between the words, never none, never other words
    ("missile defense", "missile defense", 1),
    ("missile defense", "missile-defense", 1),
    ("missile defense", "missile\ndefense", 1),
    ("missile defense", "missile — defense", 1),
    ("missile defense", "Missile, defense", 1),
    ("missile defense", "missiles defense", 0),
    ("missile defense", "missile defenses", 0),
    ("missile defense", "missiledefense", 0),
    ("missile defense", "missile and defense", 0),
    ("missile-defense", "missile defense", 1),
    # Hangul and CJK match inside words
    ("사드", "사드를", 1),
    ("사드", "반사드", 1),
    ("사드", "사드를 반대하는 사드 집회", 2),
    ("사드 배치", "사드 배치를", 1),
    ("사드 배치", "사드를 배치", 0),
    ("사사", "사사사", 2),
    ("萨德", "美国在韩国部署萨德系统", 1),
    ("热线", "热线电话热线", 2),
    ("サード", "サードミサイル", 1),
    # a Latin term next to a word of a script without spaces
    ("THAAD", "THAAD를", 1),
    ("THAAD", "사드THAAD", 1),
    ("THAAD", "THAAD系统", 1),
    ("THAAD", "xTHAAD", 0),
    # NFKC: full-width forms
    ("THAAD", "ＴＨＡＡＤ", 1),
    ("THAAD", "ｔｈａａｄ", 0),
    ("thaad", "ｔｈａａｄ", 1),
    ("US", "ＵＳ", 1),
    ("Ｇ７", "G7", 1),
    # accents on Latin letters; case folding beyond ASCII
    ("café", "cafe", 1),
    ("cafe", "café", 1),
    ("cafe", "CAFÉ", 1),
    ("über", "UBER", 1),
    ("naïve", "NAIVE", 1),
    ("ñu", "Ñu", 1),
    ("Straße", "STRASSE", 1),
    # a term in capitals with accents is not "ASCII capitals": case-insensitive
    ("ÉTÉ", "été", 1),
    ("ETE", "été", 0),
    ("ETE", "ÉTÉ", 1),
    # typographic quotes and dashes
    ('"Kim Jong-un"', "Kim Jong‐un", 1),
    ("Kim Jong-un", "Kim Jong‐un", 1),
    ("Kim Jong-un", "Kim Jong Un", 1),
    ("Kim Jong-un", "“Kim Jong–un”", 1),
    ("Korea", "Korea’s", 1),
    ("Korea", "Korea's", 1),
    ("don't", "don’t", 1),
    ("THAAD", "“THAAD”", 1),
    # never inside URLs or e-mail addresses, still elsewhere in the same text
    ("thaad", "https://example.com/thaad-news", 0),
    ("thaad", "https://example.com/thaad-news thaad", 1),
    ("thaad", "thaad https://example.com/thaad-news THAAD", 2),
    ("thaad", "www.thaad.com", 0),
    ("thaad", "www.thaad.com and thaad", 1),
    ("hotline", "press@hotline.org", 0),
    ("hotline", "press@hotline.org hotline", 1),
    ("hotline", "hotline@example.org", 0),
    ("hotline", "visit hotline.org now", 0),
    ("hotline", "see example.com/hotline", 0),
    ("missile defense", "missile https://x.com defense", 0),
]


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    TERM_CASES,
    ids=[f"{term!r}-in-{text!r}" for term, text, _ in TERM_CASES],
)
def test_term_matching(term: str, text: str, expected: int) -> None:
    assert count_of(term, text) == expected


SPAN_CASES = [
    ("THAAD", "The ＴＨＡＡＤ system", ["ＴＨＡＡＤ"]),
    ("hotline*", "Call the Hotlines now", ["Hotlines"]),
    ("hotline", "HOTLINE and hotline", ["HOTLINE", "hotline"]),
    ("missile defense", "a missile — defense shield", ["missile — defense"]),
    ("사드", "미국이 사드를 배치", ["사드"]),
    ("萨德", "美国在韩国部署萨德系统", ["萨德"]),
    ("cafe", "Le CAFÉ", ["CAFÉ"]),
    ("Kim Jong-un", "said “Kim Jong‐un”.", ["Kim Jong‐un"]),
    ("thaad", "https://example.com/thaad-news and thaad", ["thaad"]),
    ("THAAD", "ＴＨＡＡＤ를 THAAD", ["ＴＨＡＡＤ", "THAAD"]),
]


@pytest.mark.parametrize(("term", "text", "expected"), SPAN_CASES)
def test_locate_spans_point_at_the_original_text(term: str, text: str, expected: list[str]) -> None:
    spans = locate([term], text)[term]
    assert [text[start:end] for start, end in spans] == expected


def test_locate_reports_each_term_found_and_only_those() -> None:
    found = locate(["THAAD", "사드", "festival", "US"], "THAAD (사드를) in the US")
    assert sorted(found) == ["THAAD", "US", "사드"]


# (query, text, expected)
QUERY_CASES = [
    # implicit and explicit AND
    ("THAAD Korea", "THAAD in Korea", True),
    ("THAAD Korea", "THAAD only", False),
    ("THAAD Korea", "Korea only", False),
    ("THAAD AND Korea", "Korea and THAAD", True),
    ("THAAD AND Korea", "THAAD only", False),
    # OR
    ("THAAD OR 사드", "사드를 배치", True),
    ("THAAD OR 사드", "THAAD system", True),
    ("THAAD OR 사드", "missile defense", False),
    # NOT
    ("THAAD NOT festival", "THAAD deployment", True),
    ("THAAD NOT festival", "THAAD festival", False),
    ("THAAD AND NOT festival", "the THAAD festival", False),
    # precedence NOT > AND > OR
    ("a OR b AND c", "a", True),
    ("a OR b AND c", "b", False),
    ("a OR b AND c", "c", False),
    ("a OR b AND c", "b c", True),
    ("b AND c OR a", "a", True),
    ("(a OR b) AND c", "a", False),
    ("(a OR b) AND c", "a c", True),
    ("a NOT b OR c", "a b", False),
    ("a NOT b OR c", "a b c", True),
    ("a NOT b OR c", "a", True),
    ("a NOT (b OR c)", "a c", False),
    ("a NOT (b OR c)", "a d", True),
    # lower-case and/or/not are ordinary words
    ("hotline and", "hotline", False),
    ("hotline and", "hotline and more", True),
    ("hotline or crisis", "hotline", False),
    ("hotline or crisis", "hotline or crisis", True),
    ("hotline not festival", "hotline festival", False),
    ("hotline not festival", "hotline, not a festival", True),
    # phrases, prefixes and case inside queries
    ('"missile defense"', "missile, defense", True),
    ('"missile defense"', "missile — defense", True),
    ('"missile defense"', "missile and defense", False),
    ('"missile defense" Korea', "Korea: missile-defense", True),
    ("hotline*", "two hotlines", True),
    ("hotline* crisis", "crisis hotlines", True),
    ("hotline* crisis", "hotlines", False),
    ("US THAAD", "the US sends THAAD", True),
    ("US THAAD", "let us see THAAD", False),
    # NEAR/n: at most n words between, either order
    ("a NEAR/2 b", "a x y b", True),
    ("a NEAR/2 b", "a x y z b", False),
    ("a NEAR/2 b", "b x y a", True),
    ("a NEAR/2 b", "b x y z a", False),
    ("a NEAR/0 b", "a b", True),
    ("a NEAR/0 b", "b, a", True),
    ("a NEAR/0 b", "a x b", False),
    ("a NEAR/1 b", "a — x — b", True),
    ("a NEAR/2 b", "a x y z b then a b", True),
    (
        '"missile defense" NEAR/5 (Korea OR peninsula)',
        "missile defense on the Korean peninsula",
        True,
    ),
    (
        '"missile defense" NEAR/5 (Korea OR peninsula)',
        "Korea one two three four five missile defense",
        True,
    ),
    (
        '"missile defense" NEAR/5 (Korea OR peninsula)',
        "peninsula 1 2 3 4 5 6 missile defense",
        False,
    ),
    ('"missile defense" NEAR/5 (Korea OR peninsula)', "missile defense of Japan", False),
    ("THAAD NEAR/1 Korea AND festival", "THAAD in Korea festival", True),
    ("THAAD NEAR/1 Korea AND festival", "THAAD in Korea", False),
]


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    QUERY_CASES,
    ids=[f"{query!r}-in-{text!r}" for query, text, _ in QUERY_CASES],
)
def test_query_matching(query: str, text: str, expected: bool) -> None:
    assert query_matches(query, text) is expected


@pytest.mark.parametrize(
    ("query", "title", "text", "expected"),
    [
        ("Korea NEAR/30 THAAD", "Korea", "THAAD deployment", False),
        ("Korea NEAR/30 THAAD", "Korea and THAAD", "Nothing here", True),
        ("Korea NEAR/30 THAAD", "News", "Korea and THAAD", True),
        ("Korea THAAD", "Korea", "THAAD deployment", True),
        ('"Korea THAAD"', "Korea", "THAAD deployment", False),
    ],
)
def test_near_and_phrases_do_not_reach_from_title_into_body(
    query: str, title: str, text: str, expected: bool
) -> None:
    assert query_matches(query, text, title=title) is expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("", "THAAD deployment", True),
        ("", "THAAD festival", False),
        ("", "THAAD festival, and THAAD deployment", False),
        ("THAAD festival", "THAAD deployment", False),
        ("", "thaad festival only", False),
        ("", "THAAD Festival", False),
    ],
)
def test_exclude_vetoes_a_term_hit(title: str, text: str, expected: bool) -> None:
    matcher = Matcher([compile_rules("w", terms=["THAAD"], exclude=["THAAD festival"])])
    _, matches = matcher.match(title, text)
    assert bool(matches) is expected


def test_exclude_vetoes_a_query_hit() -> None:
    rules = compile_rules("w", query="THAAD OR 사드", exclude=["festival"])
    matcher = Matcher([rules])
    assert matcher.match("", "사드 배치")[1]
    assert not matcher.match("", "사드 festival")[1]


@pytest.mark.parametrize(
    ("site", "language", "expected"),
    [
        ("kr-daily", "ko", True),
        ("kr-daily", "ko-KR", True),
        ("kr-daily", "KO", True),
        ("kr-daily", "en", False),
        ("kr-daily", None, False),
        ("other", "ko", False),
        (None, "ko", False),
    ],
)
def test_sites_and_languages_filters(
    site: str | None, language: str | None, expected: bool
) -> None:
    rules = compile_rules("w", terms=["THAAD"], sites=["kr-daily"], languages=["ko"])
    _, matches = Matcher([rules]).match("", "THAAD", site=site, language=language)
    assert bool(matches) is expected


def test_without_filters_every_site_and_language_applies() -> None:
    _, matches = Matcher([compile_rules("w", terms=["THAAD"])]).match(
        "", "THAAD", site="anything", language="fr"
    )
    assert [match.rules for match in matches] == ["w"]


def test_match_lists_the_terms_found_in_watchlist_order() -> None:
    rules = compile_rules("md", terms=["missile defense", "THAAD", "사드", "festival"])
    _, matches = Matcher([rules]).match("사드 배치", "The THAAD battery (missile-defense).")
    assert [(match.rules, match.terms) for match in matches] == [
        ("md", ("missile defense", "THAAD", "사드"))
    ]
    assert len(matches[0].spans) == 3


def test_match_terms_leave_out_negated_and_absent_query_terms() -> None:
    rules = compile_rules("q", query="(THAAD OR 사드) NOT festival")
    _, matches = Matcher([rules]).match("", "THAAD THAAD deployment")
    assert [match.terms for match in matches] == [("THAAD",)]
    assert len(matches[0].spans) == 2


def test_matcher_reports_each_matching_watchlist() -> None:
    matcher = Matcher(
        [
            compile_rules("defense", terms=["THAAD"]),
            compile_rules("hotline", terms=["hotline*"]),
            compile_rules("festival", query="festival NOT THAAD"),
        ]
    )
    folded, matches = matcher.match("Hotlines open", "THAAD festival")
    assert [(match.rules, match.terms) for match in matches] == [
        ("defense", ("THAAD",)),
        ("hotline", ("hotline*",)),
    ]
    assert "thaad" in folded.folded


# (query, column of the offending token, 1-based)
BAD_QUERIES = [
    ("a AND", 6),  # the missing term, at the end
    ("(a OR b", 1),  # the unclosed '('
    ("a OR b)", 7),  # the stray ')'
    ("NOT a", 1),
    ("a NEAR b", 3),
    ("a NEAR/x b", 3),
    ('"abc', 1),
    ("ho*t", 1),  # the word holding the misplaced '*'
    ("*", 1),
    ("", 1),
    ("   ", 1),
    ("a NEAR/2 b NEAR/2 c", 12),  # the second NEAR
    ("a NEAR/3 (b AND c)", 10),  # the group NEAR cannot take
    ("a OR", 5),
    ("OR a", 1),
    ("a AND AND b", 7),
    ("a ()", 4),
    ("a NEAR/2", 9),
    ("NEAR/2 a", 1),
    ("a NEAR/3 NOT b", 10),
    ("ho* *t", 5),
    ("a !!!", 3),
    ("a OR NOT b", 6),  # the NOT with nothing to subtract from
]


@pytest.mark.parametrize(("query", "column"), BAD_QUERIES)
def test_bad_queries_raise_with_the_column(query: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse_query(query)
    assert raised.value.column == column
    assert raised.value.message
    assert f"(column {column})" in str(raised.value)


@pytest.mark.parametrize("query", [query for query, _ in BAD_QUERIES])
def test_pointer_puts_the_caret_under_the_column(query: str) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse_query(query)
    line, caret = raised.value.pointer(indent="").split("\n")
    assert line == query
    assert caret == " " * (raised.value.column - 1) + "^"


def test_pointer_keeps_the_indent_and_flattens_tabs() -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse_query("THAAD\tNEAR/x Korea")
    assert raised.value.pointer() == "  THAAD NEAR/x Korea\n        ^"


def test_bad_watchlist_terms_raise() -> None:
    for term in ("", "!!!", "ho*t", "a*", "https://example.com/thaad"):
        with pytest.raises(QuerySyntaxError):
            compile_rules("w", terms=[term])
