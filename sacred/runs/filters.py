"""The run filter language: parse ``config.lr > 0.01 and status == 'COMPLETED'`` safely (never eval).

Grammar (keywords are case-insensitive)::

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := value [op value]          a lone value tests truthiness
    op         := == | != | < | <= | > | >= | =~ (regex search) | in | not in
    value      := field | number | string | true | false | null | list | "(" expr ")"
    list       := "[" [value ("," value)*] "]"
    field      := name ("." name)*          e.g. config.optimizer.lr, metrics.loss, sweep.id
    string     := '...' | "..."             backslash escapes \\ \' \"

Fields: ``id experiment status stored_status start_time stop_time heartbeat
duration result comment command broken``, ``config.<path>``,
``metrics.<name>`` (the final value), ``sweep.<key>``, ``result.<key>``.
A missing value is ``null``; comparing values of different kinds is false
(never an error), except that a string compared with a time is read as an ISO
time (``start_time > '2024-05-01'``).
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sacred.runs.model import FilterError, RunSummary

__all__ = ["parse_filter", "Expr", "Field", "Literal", "ListValue", "Compare", "Not", "And", "Or",
           "evaluate", "compile_filter", "to_text", "field_value", "walk_fields", "GRAMMAR", "SIMPLE_FIELDS", "PREFIX_FIELDS"]

GRAMMAR = (
    "filter grammar: FIELD OP VALUE joined with and/or/not and parentheses; OP is one of "
    "== != < <= > >= =~ in 'not in'; FIELD is id, experiment, status, start_time, stop_time, "
    "heartbeat, duration, result, comment, command, config.KEY, metrics.NAME, sweep.KEY; VALUE is a "
    "number, a 'quoted string', true, false, null or a [list] (e.g. \"config.lr > 0.01 and "
    "status == 'COMPLETED'\")"
)

SIMPLE_FIELDS = ("id", "experiment", "status", "stored_status", "start_time", "stop_time", "heartbeat",
                 "duration", "result", "comment", "command", "broken")
PREFIX_FIELDS = ("config", "metrics", "metric", "sweep", "result")
OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "=~", "in", "not in")
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null", "none"}
MAX_FILTER_LENGTH = 10_000
MAX_DEPTH = 100


# --- AST ---------------------------------------------------------------------------


class Expr:
    """Base of the filter's syntax tree."""


@dataclass(frozen=True)
class Field(Expr):
    """A run field: ``path[0]`` is the field name, the rest a key path below it."""

    path: tuple[str, ...]


@dataclass(frozen=True)
class Literal(Expr):
    """A constant: number, string, bool or None."""

    value: Any


@dataclass(frozen=True)
class ListValue(Expr):
    """A list of values (right side of ``in``)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Compare(Expr):
    """``left op right``."""

    left: Expr
    op: str
    right: Expr


@dataclass(frozen=True)
class Not(Expr):
    """Negation."""

    operand: Expr


@dataclass(frozen=True)
class And(Expr):
    """All operands hold."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or(Expr):
    """Any operand holds."""

    operands: tuple[Expr, ...]


# --- tokens --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # name, number, string, op, punct, end
    text: str
    value: Any
    pos: int


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)*")
_NUMBER = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_OPS = ("==", "!=", "<=", ">=", "=~", "<", ">")


def _error(text: str, pos: int, message: str) -> FilterError:
    shown = text if len(text) <= 200 else text[:200] + "..."
    caret = " " * (min(pos, len(shown)) + 2) + "^"
    return FilterError(f"cannot parse filter at column {pos + 1}: {message}\n  {shown}\n{caret}\n{GRAMMAR}")


def _read_string(text: str, pos: int) -> tuple[str, int]:
    quote = text[pos]
    out = []
    i = pos + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == quote:
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise _error(text, pos, "string not closed")


def tokenize(text: str) -> list[_Token]:
    """Split a filter into tokens; FilterError at the first character that fits no token."""
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char in "'\"":
            value, end = _read_string(text, i)
            tokens.append(_Token("string", text[i:end], value, i))
            i = end
            continue
        if char in "()[],":
            tokens.append(_Token("punct", char, char, i))
            i += 1
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op:
            tokens.append(_Token("op", op, op, i))
            i += len(op)
            continue
        number = _NUMBER.match(text, i)
        if number and (char.isdigit() or char in "+-." ):
            literal = number.group()
            value = float(literal) if any(c in literal for c in ".eE") else int(literal)
            tokens.append(_Token("number", literal, value, i))
            i = number.end()
            continue
        name = _NAME.match(text, i)
        if name:
            tokens.append(_Token("name", name.group(), name.group(), i))
            i = name.end()
            continue
        if char == "=":
            raise _error(text, i, "'=' is not an operator; compare with '=='")
        raise _error(text, i, f"unexpected character {char!r}")
    tokens.append(_Token("end", "", None, len(text)))
    return tokens


# --- parser --------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def keyword(self, word: str) -> bool:
        token = self.token
        return token.kind == "name" and token.text.lower() == word

    def advance(self) -> _Token:
        token = self.token
        self.index += 1
        return token

    def fail(self, message: str) -> FilterError:
        token = self.token
        found = "the end of the filter" if token.kind == "end" else repr(token.text)
        return _error(self.text, token.pos, f"{message}, found {found}")

    def parse(self) -> Expr:
        if not self.text.strip():
            raise _error(self.text, 0, "empty filter")
        expr = self.parse_or()
        if self.token.kind != "end":
            raise self.fail("expected 'and', 'or' or the end")
        return expr

    def nested(self, parse: Callable[[], Expr]) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels")
        try:
            return parse()
        finally:
            self.depth -= 1

    def parse_or(self) -> Expr:
        operands = [self.parse_and()]
        while self.keyword("or"):
            self.advance()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Expr:
        operands = [self.parse_not()]
        while self.keyword("and"):
            self.advance()
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_not(self) -> Expr:
        if self.keyword("not"):
            self.advance()
            return Not(self.nested(self.parse_not))
        return self.parse_comparison()

    def parse_comparison(self) -> Expr:
        left = self.parse_value()
        token = self.token
        if token.kind == "op":
            self.advance()
            op = token.text
        elif self.keyword("in"):
            self.advance()
            op = "in"
        elif self.keyword("not") and self.tokens[self.index + 1].kind == "name" \
                and self.tokens[self.index + 1].text.lower() == "in":
            self.index += 2
            op = "not in"
        else:
            return left
        right = self.parse_value()
        if op == "=~":
            if not isinstance(right, Literal) or not isinstance(right.value, str):
                raise _error(self.text, token.pos, "'=~' needs a quoted regular expression on its right")
            try:
                re.compile(right.value)
            except re.error as exc:
                raise _error(self.text, token.pos, f"bad regular expression {right.value!r}: {exc}") from None
        return Compare(left, op, right)

    def parse_value(self) -> Expr:
        token = self.token
        if token.kind in ("number", "string"):
            self.advance()
            return Literal(token.value)
        if token.kind == "punct" and token.text == "(":
            self.advance()
            inner = self.nested(self.parse_or)
            if not (self.token.kind == "punct" and self.token.text == ")"):
                raise self.fail("expected ')'")
            self.advance()
            return inner
        if token.kind == "punct" and token.text == "[":
            self.advance()
            items: list[Expr] = []
            if not (self.token.kind == "punct" and self.token.text == "]"):
                items.append(self.nested(self.parse_value))
                while self.token.kind == "punct" and self.token.text == ",":
                    self.advance()
                    items.append(self.nested(self.parse_value))
            if not (self.token.kind == "punct" and self.token.text == "]"):
                raise self.fail("expected ',' or ']'")
            self.advance()
            return ListValue(tuple(items))
        if token.kind == "name":
            word = token.text.lower()
            if word in ("true", "false"):
                self.advance()
                return Literal(word == "true")
            if word in ("null", "none"):
                self.advance()
                return Literal(None)
            if word in _KEYWORDS:
                raise self.fail("expected a field or a value")
            self.advance()
            return Field(_check_field(self.text, token))
        raise self.fail("expected a field or a value")


def _check_field(text: str, token: _Token) -> tuple[str, ...]:
    path = tuple(token.text.split("."))
    head = path[0]
    if head in PREFIX_FIELDS and len(path) > 1:
        return ("metrics", *path[1:]) if head == "metric" else path
    if head in SIMPLE_FIELDS and len(path) == 1:
        return path
    if head in PREFIX_FIELDS:
        if head in SIMPLE_FIELDS:
            return path
        raise _error(text, token.pos, f"{head!r} needs a key, e.g. {head}.NAME")
    raise _error(text, token.pos, f"unknown field {token.text!r} (config values are written config.{token.text})")


def parse_filter(text: str) -> Expr:
    """Parse a filter expression; FilterError (a ValueError) says where it fails and gives the grammar."""
    if not isinstance(text, str):
        raise FilterError(f"a filter must be a string, got {type(text).__name__}")
    if len(text) > MAX_FILTER_LENGTH:
        raise FilterError(f"filter longer than {MAX_FILTER_LENGTH} characters")
    return _Parser(text).parse()


# --- rendering -----------------------------------------------------------------------


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def to_text(expr: Expr) -> str:
    """The filter text of ``expr`` (parses back to the same tree)."""
    if isinstance(expr, Field):
        return ".".join(expr.path)
    if isinstance(expr, Literal):
        value = expr.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return _quote(value)
        return repr(value)
    if isinstance(expr, ListValue):
        return "[" + ", ".join(to_text(item) for item in expr.items) + "]"
    if isinstance(expr, Compare):
        return f"{_operand_text(expr.left)} {expr.op} {_operand_text(expr.right)}"
    if isinstance(expr, Not):
        return f"not ({to_text(expr.operand)})"
    if isinstance(expr, And):
        return " and ".join(f"({to_text(op)})" for op in expr.operands)
    if isinstance(expr, Or):
        return " or ".join(f"({to_text(op)})" for op in expr.operands)
    raise TypeError(f"not a filter expression: {expr!r}")


def _operand_text(expr: Expr) -> str:
    text = to_text(expr)
    return text if isinstance(expr, (Field, Literal, ListValue)) else f"({text})"


# --- evaluation ----------------------------------------------------------------------

_MISSING = None


def _walk(value: Any, keys: tuple[str, ...]) -> Any:
    for i, key in enumerate(keys):
        if not isinstance(value, dict):
            return _MISSING
        if key in value:
            value = value[key]
            continue
        rest = ".".join(keys[i:])
        return value.get(rest, _MISSING)  # a dotted key stored as such (sweep points, metric names)
    return value


def field_value(summary: RunSummary, path: tuple[str, ...]) -> Any:
    """The value of field ``path`` for a run (None when absent)."""
    head, rest = path[0], path[1:]
    if head == "config":
        return _walk(summary.config, rest)
    if head == "metrics":
        return _walk(summary.final_metrics, rest)
    if head == "sweep":
        return _walk(summary.sweep or {}, rest)
    value = getattr(summary, head, None)
    return _walk(value, rest) if rest else value


def _as_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else \
            value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        try:
            return _as_time(dt.datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _comparable(left: Any, right: Any) -> tuple[Any, Any] | None:
    if isinstance(left, dt.datetime) or isinstance(right, dt.datetime):
        a, b = _as_time(left), _as_time(right)
        return (a, b) if a is not None and b is not None else None
    numeric = (int, float)
    if isinstance(left, numeric) and isinstance(right, numeric):
        if isinstance(left, float) and math.isnan(left) or isinstance(right, float) and math.isnan(right):
            return None
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    return None


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    pair = _comparable(left, right)
    if pair is not None:
        return pair[0] == pair[1]
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return type(left) is type(right) and left == right


def _resolve(expr: Expr, summary: RunSummary) -> Any:
    if isinstance(expr, Field):
        return field_value(summary, expr.path)
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, ListValue):
        return [_resolve(item, summary) for item in expr.items]
    return evaluate(expr, summary)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if op in ("in", "not in"):
        if isinstance(right, list):
            found = any(_equal(left, item) for item in right)
        elif isinstance(right, str) and isinstance(left, str):
            found = left in right
        elif isinstance(right, dict) and isinstance(left, str):
            found = left in right
        else:
            found = False
        return found if op == "in" else not found
    if op == "=~":
        return isinstance(left, str) and re.search(right, left) is not None
    pair = _comparable(left, right)
    if pair is None:
        return False
    a, b = pair
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _is_id(expr: Expr) -> bool:
    return isinstance(expr, Field) and expr.path == ("id",)


def _as_id(value: Any, other: Any) -> Any:
    """A run id (stored as text) as a number when it is compared with a number and spells one.

    So ``id == 25`` and ``id > 38`` compare numeric ids as numbers, while ``id == '25'``
    and the ids of TinyDB (uuid-like text) still compare as text.
    """
    if isinstance(value, str) and isinstance(other, int | float) and not isinstance(other, bool):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return value


def _compare_id(op: str, left: Any, right: Any, id_on_left: bool) -> bool:
    """:func:`_compare` where the left (or right) operand is the run's id."""
    if id_on_left and op in ("in", "not in") and isinstance(right, list):
        found = any(_equal(_as_id(left, item), item) for item in right)
        return found if op == "in" else not found
    if id_on_left:
        return _compare(op, _as_id(left, right), right)
    return _compare(op, left, _as_id(right, left))


def evaluate(expr: Expr, summary: RunSummary) -> bool:
    """Whether the run ``summary`` satisfies ``expr``."""
    if isinstance(expr, Or):
        return any(evaluate(op, summary) for op in expr.operands)
    if isinstance(expr, And):
        return all(evaluate(op, summary) for op in expr.operands)
    if isinstance(expr, Not):
        return not evaluate(expr.operand, summary)
    if isinstance(expr, Compare):
        left, right = _resolve(expr.left, summary), _resolve(expr.right, summary)
        if _is_id(expr.left) or _is_id(expr.right):
            return _compare_id(expr.op, left, right, _is_id(expr.left))
        return _compare(expr.op, left, right)
    value = _resolve(expr, summary)
    return bool(value) and value == value  # NaN is false


def walk_fields(expr: Expr) -> list[Expr]:
    """Every node of ``expr`` (to find which fields a filter uses)."""
    nodes: list[Expr] = [expr]
    if isinstance(expr, Compare):
        nodes += walk_fields(expr.left) + walk_fields(expr.right)
    elif isinstance(expr, ListValue):
        for item in expr.items:
            nodes += walk_fields(item)
    elif isinstance(expr, Not):
        nodes += walk_fields(expr.operand)
    elif isinstance(expr, And | Or):
        for operand in expr.operands:
            nodes += walk_fields(operand)
    return nodes


def _compile_value(expr: Expr) -> Callable[[RunSummary], Any]:
    if isinstance(expr, Field):
        path = expr.path
        head, rest = path[0], path[1:]
        if head == "config":
            return lambda run: _walk(run.config, rest)
        if head == "metrics":
            return lambda run: _walk(run.final_metrics, rest)
        if head == "sweep":
            return lambda run: _walk(run.sweep or {}, rest)
        if rest:
            return lambda run: _walk(getattr(run, head, None), rest)
        return lambda run: getattr(run, head, None)
    if isinstance(expr, Literal):
        value = expr.value
        return lambda run: value
    if isinstance(expr, ListValue):
        items = [_compile_value(item) for item in expr.items]
        return lambda run: [item(run) for item in items]
    return compile_filter(expr)


_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _fast_compare(left: Callable[[RunSummary], Any], op: str, right: Expr) -> Callable[[RunSummary], bool] | None:
    """A comparison with a number or string literal, skipping the general rules when the kinds match."""
    if not isinstance(right, Literal) or op not in (*_ORDER, "==", "!="):
        return None
    literal = right.value
    kinds: tuple[type, ...]
    if type(literal) in (int, float) and literal == literal:
        kinds = (int, float)
    elif type(literal) is str:
        kinds = (str,)
    else:
        return None
    compare = _ORDER.get(op) or (operator.eq if op == "==" else operator.ne)

    def fast(run: RunSummary) -> bool:
        value = left(run)
        if type(value) in kinds and value == value:
            return compare(value, literal)
        return _compare(op, value, literal)

    return fast


def compile_filter(expr: Expr) -> Callable[[RunSummary], bool]:
    """``expr`` as a function of a run (the same answers as :func:`evaluate`, without walking the tree per run)."""
    if isinstance(expr, Or):
        parts = [compile_filter(op) for op in expr.operands]
        return lambda run: any(part(run) for part in parts)
    if isinstance(expr, And):
        parts = [compile_filter(op) for op in expr.operands]
        return lambda run: all(part(run) for part in parts)
    if isinstance(expr, Not):
        inner = compile_filter(expr.operand)
        return lambda run: not inner(run)
    if isinstance(expr, Compare):
        left, right, op = _compile_value(expr.left), _compile_value(expr.right), expr.op
        if _is_id(expr.left) or _is_id(expr.right):
            id_on_left = _is_id(expr.left)
            return lambda run: _compare_id(op, left(run), right(run), id_on_left)
        fast = _fast_compare(left, op, expr.right)
        if fast is not None:
            return fast
        if op == "=~":
            pattern = re.compile(expr.right.value)  # type: ignore[attr-defined]
            return lambda run: isinstance(value := left(run), str) and pattern.search(value) is not None
        return lambda run: _compare(op, left(run), right(run))
    value_of = _compile_value(expr)

    def truthy(run: RunSummary) -> bool:
        value = value_of(run)
        return bool(value) and value == value

    return truthy
