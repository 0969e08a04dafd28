"""``-k EXPR`` selection: boolean expressions over substring matches, as pytest's.

Grammar (a small recursive-descent parser)::

    expression := or_expr? EOF
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | IDENT

An ``IDENT`` matches when it is a case-insensitive substring of any of the
names an item offers (its node id, experiment name, command, file name).
An empty expression matches everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sacred_runner.errors import UsageError

__all__ = ["KeywordExpression", "parse_keyword_expression"]

_TOKEN = re.compile(r"\s*(?:(?P<paren>[()])|(?P<ident>[\w:+\-.\[\]\\/=@*]+)|(?P<bad>\S))")
_KEYWORDS = ("and", "or", "not")

Matcher = Callable[[str], bool]


@dataclass(frozen=True)
class _Token:
    kind: str  # "(" ")" "and" "or" "not" "ident" "eof"
    text: str
    column: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # only trailing whitespace is left
            break
        column = match.start(match.lastgroup) + 1 if match.lastgroup else position + 1
        if match.group("paren"):
            tokens.append(_Token(match.group("paren"), match.group("paren"), column))
        elif match.group("ident"):
            word = match.group("ident")
            kind = word if word in _KEYWORDS else "ident"
            tokens.append(_Token(kind, word, column))
        elif match.group("bad"):
            raise _syntax_error(text, column, f"unexpected character {match.group('bad')!r}")
        position = match.end()
    tokens.append(_Token("eof", "end of input", len(text) + 1))
    return tokens


def _syntax_error(text: str, column: int, message: str) -> UsageError:
    return UsageError(
        f"Wrong expression passed to '-k': {text!r}: at column {column}: {message}. "
        "Use names combined with 'and', 'or', 'not' and parentheses, e.g. "
        "-k 'mnist and not slow'"
    )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def accept(self, kind: str) -> _Token | None:
        if self.current.kind == kind:
            token = self.current
            self.index += 1
            return token
        return None

    def expect(self, kind: str) -> _Token:
        token = self.accept(kind)
        if token is None:
            raise _syntax_error(
                self.text, self.current.column, f"expected {kind!r}; got {self.current.text!r}"
            )
        return token

    def parse(self) -> Callable[[Matcher], bool]:
        if self.current.kind == "eof":
            return lambda matches: True
        node = self.or_expr()
        self.expect("eof")
        return node

    def or_expr(self) -> Callable[[Matcher], bool]:
        parts = [self.and_expr()]
        while self.accept("or"):
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda matches: any(part(matches) for part in parts)

    def and_expr(self) -> Callable[[Matcher], bool]:
        parts = [self.not_expr()]
        while self.accept("and"):
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda matches: all(part(matches) for part in parts)

    def not_expr(self) -> Callable[[Matcher], bool]:
        if self.accept("not"):
            inner = self.not_expr()
            return lambda matches: not inner(matches)
        if self.accept("("):
            inner = self.or_expr()
            self.expect(")")
            return inner
        token = self.current
        if token.kind != "ident":
            raise _syntax_error(
                self.text, token.column, f"expected a name, 'not' or '('; got {token.text!r}"
            )
        self.index += 1
        word = token.text
        return lambda matches: matches(word)


class KeywordExpression:
    """A compiled ``-k`` expression; call :meth:`matches` with an item's names."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._evaluate = _Parser(text).parse()

    def matches(self, names: Iterable[str]) -> bool:
        """True if the expression holds for an item known by ``names``."""
        lowered = [name.lower() for name in names]

        def contains(word: str) -> bool:
            needle = word.lower()
            return any(needle in name for name in lowered)

        return bool(self._evaluate(contains))

    def __repr__(self) -> str:
        return f"KeywordExpression({self.text!r})"


def parse_keyword_expression(text: str) -> KeywordExpression:
    """Compile ``text``; raise :class:`UsageError` naming the column if it does not parse."""
    return KeywordExpression(text)
