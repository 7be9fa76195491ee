"""Watchlist terms and the query language, parsed once into a small AST.

Grammar (DESIGN.md, "Matching rules"); precedence NOT > AND > OR::

    query   := and ("OR" and)*
    and     := unary (["AND"] unary)*          bare operands side by side mean AND
    unary   := "NOT" unary | near
    near    := operand ["NEAR/n" operand]      operands of NEAR: terms, phrases, or
                                               a parenthesised OR of them
    operand := term | "phrase" | "(" query ")"

Operators are upper case only; ``and``/``or``/``not`` are ordinary words. A
term is matched by the rules of :class:`Term`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from monitor.textnorm import MASK, fold, is_unspaced

_CASED = re.compile(r"[A-Z0-9]{2,5}")
_LEXEME = re.compile(r'\s*(?:(?P<paren>[()])|(?P<phrase>"[^"]*"?)|(?P<word>[^\s()"]+))', re.UNICODE)
_NEAR = re.compile(r"NEAR(?:/(\d+))?$")
MAX_QUERY = 2000
MAX_DEPTH = 32  # nested parentheses and NOTs


class QuerySyntaxError(ValueError):
    """A query or term that cannot be parsed; ``column`` is 1-based."""

    def __init__(self, message: str, column: int, query: str) -> None:
        self.message = message
        self.column = column
        self.query = query
        super().__init__(f"{message} (column {column})")

    def pointer(self, indent: str = "  ") -> str:
        """The query with a caret under the offending column, on two lines."""
        line = self.query.replace("\n", " ").replace("\t", " ")
        return f"{indent}{line}\n{indent}{' ' * (self.column - 1)}^"


@dataclass(frozen=True, eq=False)  # compared by identity: hashing stays cheap in matching
class Term:
    """One term or phrase: its words in folded form, and how they must match.

    ``prefix`` (a trailing ``*``) matches any continuation of the last word.
    A term of 2-5 ASCII capitals and digits (``US``, ``G7``) is case-sensitive.
    Start and end are whole-word boundaries unless the term starts (ends) with a
    Hangul/CJK character, which matches inside words (``사드`` in ``사드를``).
    """

    text: str
    key: str
    cased_key: str | None = None
    prefix: bool = False

    @property
    def start_bounded(self) -> bool:
        return not is_unspaced(self.key[0])

    @property
    def end_bounded(self) -> bool:
        return not self.prefix and not is_unspaced(self.key[-1])


def parse_term(text: str, column: int = 1, query: str | None = None) -> Term:
    """A :class:`Term` from a watchlist entry or a query operand; bad ones raise."""
    source = query if query is not None else text
    raw = text.strip()
    prefix = raw.endswith("*")
    body = raw.rstrip("*") if prefix else raw
    if "*" in body:
        raise QuerySyntaxError("'*' may only end a word, as in hotline*", column, source)
    folded = fold(body)
    key = folded.folded.strip()
    if MASK in key:
        raise QuerySyntaxError("a term cannot be a URL or e-mail address", column, source)
    if not key:
        raise QuerySyntaxError(f"'{text}' has no letters or digits to match", column, source)
    if prefix and len(key) < 2:
        raise QuerySyntaxError("give at least 2 characters before '*'", column, source)
    written = unicodedata.normalize("NFKC", body).strip()  # full-width ＴＨＡＡＤ is THAAD
    cased = folded.cased.strip() if _CASED.fullmatch(written) else None
    return Term(text=raw, key=key, cased_key=cased, prefix=prefix)


@dataclass(frozen=True)
class Near:
    """Some term of ``left`` within ``distance`` words of some term of ``right``."""

    left: tuple[Term, ...]
    right: tuple[Term, ...]
    distance: int


@dataclass(frozen=True)
class Not:
    operand: Node
    column: int = field(default=0, compare=False)  # where the NOT was written


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Term | Near | Not | And | Or


def terms_of(node: Node, *, positive: bool = True) -> list[Term]:
    """The terms of ``node``; with ``positive``, only those not under a NOT."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Near):
        return [*node.left, *node.right]
    if isinstance(node, Not):
        return [] if positive else terms_of(node.operand, positive=False)
    return [term for child in node.operands for term in terms_of(child, positive=positive)]


def is_positive(node: Node) -> bool:
    """True when ``node`` can only match a text holding at least one of its terms."""
    if isinstance(node, (Term, Near)):
        return True
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(is_positive(child) for child in node.operands)
    return all(is_positive(child) for child in node.operands)


@dataclass(frozen=True)
class _Lexeme:
    kind: str  # "(", ")", "AND", "OR", "NOT", "NEAR", "phrase", "word", "end"
    text: str
    column: int
    distance: int = 0


def parse_query(query: str) -> Node:
    """Parse ``query`` into its AST, or raise :class:`QuerySyntaxError` with the column."""
    if len(query) > MAX_QUERY:
        raise QuerySyntaxError(f"a query is at most {MAX_QUERY} characters", MAX_QUERY, query)
    parser = _Parser(query, _lex(query))
    node = parser.parse_or()
    parser.expect_end()
    if not is_positive(node):
        message = "NOT needs something to subtract from, as in THAAD NOT festival"
        raise QuerySyntaxError(message, _lone_not(node), query)
    return node


def _lone_not(node: Node) -> int:
    """The column of the NOT that leaves ``node`` with nothing positive."""
    if isinstance(node, Not):
        return node.column
    assert isinstance(node, (And, Or))
    return _lone_not(next(child for child in node.operands if not is_positive(child)))


def _lex(query: str) -> list[_Lexeme]:
    lexemes: list[_Lexeme] = []
    pos = 0
    while (match := _LEXEME.match(query, pos)) and match.end() > pos:
        kind = match.lastgroup or "word"
        start, text = match.start(kind), match.group(kind)
        lexemes.append(_lexeme(kind, text, start + 1, query))
        pos = match.end()
    lexemes.append(_Lexeme("end", "", len(query.rstrip()) + 1))
    return lexemes


def _lexeme(kind: str, text: str, column: int, query: str) -> _Lexeme:
    if kind == "paren":
        return _Lexeme(text, text, column)
    if kind == "phrase":
        if len(text) < 2 or not text.endswith('"'):
            raise QuerySyntaxError("this quote is never closed", column, query)
        return _Lexeme("phrase", text[1:-1], column)
    if text in ("AND", "OR", "NOT"):
        return _Lexeme(text, text, column)
    if near := _NEAR.match(text):
        if near.group(1) is None:
            raise QuerySyntaxError("NEAR needs a distance in words, as in NEAR/5", column, query)
        return _Lexeme("NEAR", text, column, int(near.group(1)))
    if text.startswith("NEAR/"):
        raise QuerySyntaxError("NEAR needs a distance in words, as in NEAR/5", column, query)
    return _Lexeme("word", text, column)


class _Parser:
    """Recursive descent over the lexemes, one method per grammar rule."""

    def __init__(self, query: str, lexemes: list[_Lexeme]) -> None:
        self.query = query
        self.lexemes = lexemes
        self.pos = 0
        self.depth = 0

    @property
    def next(self) -> _Lexeme:
        return self.lexemes[self.pos]

    def take(self) -> _Lexeme:
        lexeme = self.lexemes[self.pos]
        self.pos += 1
        return lexeme

    def error(self, message: str, lexeme: _Lexeme | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(message, (lexeme or self.next).column, self.query)

    def expect_end(self) -> None:
        if self.next.kind == ")":
            raise self.error("this ')' closes no '('")
        if self.next.kind != "end":
            raise self.error(f"unexpected {self.next.text!r}")

    def _nested(self, lexeme: _Lexeme, parse: Callable[[], Node]) -> Node:
        """``parse()`` one level deeper; too deep a query is refused, not a crash."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep", lexeme)
        node = parse()
        self.depth -= 1
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.next.kind == "OR":
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_unary()]
        while self.next.kind in ("AND", "NOT", "(", "phrase", "word"):
            if self.next.kind == "AND":
                self.take()
            operands.append(self.parse_unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_unary(self) -> Node:
        if self.next.kind == "NOT":
            lexeme = self.take()
            return Not(self._nested(lexeme, self.parse_unary), lexeme.column)
        return self.parse_near()

    def parse_near(self) -> Node:
        start = self.next
        left = self.parse_operand()
        if self.next.kind != "NEAR":
            return left
        near = self.take()
        right_start = self.next
        right = self.parse_operand()
        if self.next.kind == "NEAR":
            raise self.error("one NEAR at a time: join NEAR pairs with AND")
        return Near(
            self._near_side(left, start), self._near_side(right, right_start), near.distance
        )

    def _near_side(self, node: Node, lexeme: _Lexeme) -> tuple[Term, ...]:
        if isinstance(node, Term):
            return (node,)
        if isinstance(node, Or) and all(isinstance(child, Term) for child in node.operands):
            return tuple(child for child in node.operands if isinstance(child, Term))
        raise self.error("NEAR joins terms, phrases or an (A OR B) group of them", lexeme)

    def parse_operand(self) -> Node:
        lexeme = self.next
        if lexeme.kind in ("word", "phrase"):
            self.take()
            return parse_term(lexeme.text, lexeme.column, self.query)
        if lexeme.kind == "(":
            self.take()
            node = self._nested(lexeme, self.parse_or)
            if self.next.kind != ")":
                raise self.error("this '(' is never closed", lexeme)
            self.take()
            return node
        if lexeme.kind == "end":
            what = "a query needs a term" if self.pos == 0 else "a term is missing at the end"
            raise self.error(what)
        raise self.error(f"expected a term, found {lexeme.text!r}")
