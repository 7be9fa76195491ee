"""Locating every term of every watchlist in one pass, and deciding the hits.

All terms, query operands and exclusions of all watchlists go into one
Aho-Corasick automaton (pyahocorasick), built once. Matching an article is one
pass of the automaton over its folded text (:mod:`monitor.textnorm`), a check
of word boundaries and case for each candidate, then each watchlist's rules
evaluated on the positions found (:mod:`monitor.query`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import ahocorasick

from monitor.query import And, Near, Node, Not, Term, parse_query, parse_term, terms_of
from monitor.textnorm import BREAK, Folded, fold, fold_sections, is_boundary

Span = tuple[int, int]


class TermIndex:
    """An automaton over a set of terms; :meth:`find` gives each term's spans."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self.terms: list[Term] = list(dict.fromkeys(terms))
        by_key: dict[str, list[tuple[int, bool, bool, str | None, bool]]] = {}
        for index, term in enumerate(self.terms):
            checks = (index, term.start_bounded, term.end_bounded, term.cased_key, term.prefix)
            by_key.setdefault(term.key, []).append(checks)
        self._automaton = ahocorasick.Automaton()
        for key, entries in by_key.items():
            self._automaton.add_word(key, (len(key), tuple(entries)))
        if by_key:
            self._automaton.make_automaton()

    def find(self, text: Folded) -> dict[Term, list[Span]]:
        """Each term found in ``text`` → its spans in folded positions, in order."""
        return {self.terms[index]: spans for index, spans in self.find_ids(text).items()}

    def find_ids(self, text: Folded) -> dict[int, list[Span]]:
        """Like :meth:`find`, keyed by the term's index in :attr:`terms`."""
        found: dict[int, list[Span]] = {}
        if not self.terms:
            return found
        folded, cased = text.folded, text.cased
        size = len(folded)
        for last, (length, entries) in self._automaton.iter(folded):
            start, end = last - length + 1, last + 1
            before_ok = start == 0 or _boundary(folded[start - 1])
            after_ok = end == size or _boundary(folded[end])
            for index, start_bounded, end_bounded, cased_key, prefix in entries:
                if (start_bounded and not before_ok) or (end_bounded and not after_ok):
                    continue
                if cased_key is not None and cased[start:end] != cased_key:
                    continue
                stop = _word_end(folded, end) if prefix else end
                found.setdefault(index, []).append((start, stop))
        return found


def _boundary(char: str) -> bool:
    """:func:`is_boundary`, quick for the common case of a Latin letter or a space."""
    return char in " \x00\x01" or (char >= "\u0e00" and is_boundary(char))


def _word_end(folded: str, pos: int) -> int:
    """Where the word running on at ``pos`` ends (a ``hotline*`` match covers ``hotlines``)."""
    size = len(folded)
    while pos < size and not _boundary(folded[pos]):
        pos += 1
    return pos


def locate(terms: Iterable[str], text: str) -> dict[str, list[Span]]:
    """Each of ``terms`` found in ``text`` → its spans in ``text`` (for tools and tests)."""
    folded = fold(text)
    found = TermIndex(parse_term(term) for term in terms).find(folded)
    return {
        term.text: [folded.source_span(start, end) for start, end in spans]
        for term, spans in found.items()
    }


@dataclass(frozen=True)
class Rules:
    """One watchlist's compiled rules."""

    name: str
    terms: tuple[Term, ...]
    query: Node | None
    exclude: tuple[Term, ...]
    sites: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()

    @cached_property
    def term_order(self) -> dict[Term, int]:
        """Each watchlist term → its place in the watchlist."""
        return {term: place for place, term in enumerate(self.terms)}

    def all_terms(self) -> list[Term]:
        query_terms = terms_of(self.query, positive=False) if self.query is not None else []
        return [*self.terms, *query_terms, *self.exclude]

    def applies_to(self, site: str | None, language: str | None) -> bool:
        """False when the watchlist's ``sites`` or ``languages`` filter leaves the article out."""
        if self.sites and site not in self.sites:
            return False
        primary = (language or "").split("-")[0].lower()
        return not self.languages or primary in self.languages


def compile_rules(
    name: str,
    terms: Sequence[str] = (),
    query: str | None = None,
    exclude: Sequence[str] = (),
    sites: Sequence[str] = (),
    languages: Sequence[str] = (),
) -> Rules:
    """Parse a watchlist's (or a search's) terms, query and exclusions."""
    return Rules(
        name=name,
        terms=tuple(parse_term(term) for term in terms),
        query=parse_query(query) if query else None,
        exclude=tuple(parse_term(term) for term in exclude),
        sites=frozenset(sites),
        languages=frozenset(code.lower() for code in languages),
    )


@dataclass(frozen=True)
class Match:
    """Why an article matches one set of rules: the terms found and where."""

    rules: str
    terms: tuple[str, ...]
    spans: tuple[Span, ...]  # folded positions of every counted occurrence, in order


class Matcher:
    """Every watchlist's rules over one shared automaton."""

    def __init__(self, rules: Iterable[Rules]) -> None:
        self.rules = list(rules)
        self.index = TermIndex(term for rule in self.rules for term in rule.all_terms())
        ids = {term: index for index, term in enumerate(self.index.terms)}
        # which rules a found term may make match: their terms and positive query terms
        self._triggers: dict[int, list[int]] = {}
        # every rule a term belongs to, as what (a term, a query operand, an exclusion)
        self._members: dict[int, list[tuple[int, Term]]] = {}
        for number, rule in enumerate(self.rules):
            positive = [*rule.terms, *(terms_of(rule.query) if rule.query is not None else [])]
            for term_id in dict.fromkeys(ids[term] for term in positive):
                self._triggers.setdefault(term_id, []).append(number)
            for term in dict.fromkeys(rule.all_terms()):
                self._members.setdefault(ids[term], []).append((number, term))

    def match(
        self,
        title: str,
        text: str,
        *,
        site: str | None = None,
        language: str | None = None,
        folded: Folded | None = None,
    ) -> tuple[Folded, list[Match]]:
        """The folded article (``folded``, if the caller has it) and the rules it matches."""
        folded = folded or fold_sections([title or "", text or ""])
        found_ids = self.index.find_ids(folded)
        candidates = {n for term_id in found_ids for n in self._triggers.get(term_id, ())}
        found: dict[int, dict[Term, list[Span]]] = {number: {} for number in candidates}
        for term_id, spans in found_ids.items():
            for number, term in self._members[term_id]:
                if number in found:
                    found[number][term] = spans
        matches = []
        for number in sorted(candidates):
            rule = self.rules[number]
            if rule.applies_to(site, language) and (hit := evaluate(rule, found[number], folded)):
                matches.append(hit)
        return folded, matches


Found = dict[Term, list[Span]]
Evidence = list[tuple[Term, Span]]


def evaluate(rules: Rules, found: Found, text: Folded) -> Match | None:
    """The :class:`Match` of ``rules`` on a text whose term spans are ``found``, or None.

    The evidence is every occurrence of the watchlist's terms found, plus the
    occurrences that make the query hold (for NEAR, only the pairs close enough).
    """
    if any(term in found for term in rules.exclude):
        return None
    order = rules.term_order
    terms = sorted((term for term in found if term in order), key=order.__getitem__)
    evidence = [(term, span) for term in terms for span in found[term]]
    if rules.query is not None:
        evidence += _evidence(rules.query, found, text) or []
    if not evidence:
        return None
    matched = list(dict.fromkeys(term for term, _ in evidence))
    spans = sorted({span for _, span in evidence})
    return Match(rules.name, tuple(term.text for term in matched), tuple(spans))


def _evidence(node: Node, found: Found, text: Folded) -> Evidence | None:
    """The occurrences that make ``node`` hold, or None when it does not hold."""
    if isinstance(node, Term):
        return [(node, span) for span in found[node]] if node in found else None
    if isinstance(node, Not):
        return [] if _evidence(node.operand, found, text) is None else None
    if isinstance(node, Near):
        return _near(node, found, text) or None
    parts = [_evidence(child, found, text) for child in node.operands]
    if isinstance(node, And) and any(part is None for part in parts):
        return None
    held = [part for part in parts if part is not None]
    return [item for part in held for item in part] if held else None


def _near(node: Near, found: Found, text: Folded) -> Evidence:
    """The occurrences of either side within ``node.distance`` words of the other side."""
    left = [(term, span) for term in node.left for span in found.get(term, ())]
    right = [(term, span) for term in node.right for span in found.get(term, ())]
    close: Evidence = []
    for a in left:
        for b in right:
            (_, one), (_, other) = a, b
            apart = one[1] <= other[0] or other[1] <= one[0]  # never one occurrence as both
            if apart and _words_between(one, other, text) <= node.distance:
                close += [a, b]
    return list(dict.fromkeys(close))


def _words_between(a: Span, b: Span, text: Folded) -> int:
    """Words strictly between two spans; sections never mix."""
    first, second = (a, b) if a[0] <= b[0] else (b, a)
    if BREAK in text.folded[first[0] : second[1]]:
        return 1 << 30
    return text.token_at(second[0]) - text.token_at(first[1] - 1) - 1
