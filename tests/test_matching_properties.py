"""monitor.matching.locate (the automaton) against the slow reference in _reference_matcher."""

from __future__ import annotations

import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from monitor.matching import locate
from monitor.query import QuerySyntaxError, parse_term
from tests import _reference_matcher as reference

# No '.', '@' or '/': nothing here may look like a URL or an e-mail address.
LETTERS = string.ascii_letters + string.digits + "éÉüñ" + "사드를핫라인" + "萨德热线" + "ＴＨＡＤｔ"
SEPARATORS = " \n,-'“”’—"
SMALL_LETTERS = "aAbB1éÉ사드萨Ｔｔ"  # few letters, so that words repeat and collide
VOCABULARY = [
    "THAAD",
    "thaad",
    "ＴＨＡＡＤ",
    "US",
    "us",
    "G7",
    "hotline",
    "Hotlines",
    "café",
    "CAFE",
    "über",
    "사드",
    "사드를",
    "핫라인",
    "萨德",
    "热线",
    "ñu",
]
CASE_CHANGES = [str, str.upper, str.lower, str.swapcase]

words = st.one_of(
    st.sampled_from(VOCABULARY),
    st.text(alphabet=SMALL_LETTERS, min_size=1, max_size=4),
    st.text(alphabet=LETTERS, min_size=1, max_size=6),
)
separators = st.text(alphabet=SEPARATORS, min_size=1, max_size=3)


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Words joined by separator runs, sometimes by nothing (so words run together)."""
    parts = draw(st.lists(st.tuples(words, st.one_of(st.just(""), separators)), max_size=12))
    lead = draw(st.one_of(st.just(""), separators))
    return lead + "".join(word + separator for word, separator in parts)


@st.composite
def term_words(draw: st.DrawFn, text: str) -> list[str]:
    """1-3 words for a term, often a run of the text's own words or a piece of one."""
    found = [word for _, word in reference.split_words(text)]
    how = draw(st.sampled_from(["run", "piece", "any"] if found else ["any"]))
    if how == "run":
        start = draw(st.integers(0, len(found) - 1))
        size = draw(st.integers(1, 3))
        chosen = found[start : start + size]
    elif how == "piece":
        word = draw(st.sampled_from(found))
        start = draw(st.integers(0, len(word) - 1))
        chosen = [word[start : draw(st.integers(start + 1, len(word)))]]
    else:
        chosen = draw(st.lists(words, min_size=1, max_size=3))
    change = draw(st.sampled_from(CASE_CHANGES))
    return [change(word) for word in chosen]


@st.composite
def terms(draw: st.DrawFn, text: str) -> str:
    """A term: words joined by separator runs, maybe with a trailing '*'."""
    chosen = draw(term_words(text))
    term = chosen[0]
    for word in chosen[1:]:
        term += draw(separators) + word
    if len(chosen[-1]) >= 2 and draw(st.booleans()):
        term += "*"
    try:
        parse_term(term)
    except QuerySyntaxError:
        assume(False)
    return term


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A text and a few distinct terms to look for in it."""
    text = draw(texts())
    chosen = draw(st.lists(terms(text), min_size=1, max_size=4, unique=True))
    return text, chosen


@settings(max_examples=300, deadline=None)
@given(cases())
def test_locate_counts_agree_with_the_reference(case: tuple[str, list[str]]) -> None:
    text, chosen = case
    found = {term: len(spans) for term, spans in locate(chosen, text).items()}
    assert found == reference.counts(chosen, text)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_locate_spans_cover_the_term_in_the_text(case: tuple[str, list[str]]) -> None:
    text, chosen = case
    for term, spans in locate(chosen, text).items():
        first_word = reference.normalise(reference.split_words(term)[0][1])
        for start, end in spans:
            assert 0 <= start < end <= len(text)
            assert first_word in reference.normalise(text[start:end])
