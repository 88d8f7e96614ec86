"""The expression language of `relevant` and `constraint`: the XLSForm subset.

    ${name}  .  12  3.5  'text'  = != < <= > >=  and  or  not()
    selected(${q}, 'code')  count-selected(${q})  string-length(.)  regex(., 'pattern')

Lark parses the text into a tree; `_compile` turns it into small node objects that this
module's own interpreter evaluates. Nothing is ever passed to `eval`. Every failure,
whatever the input, is an `ExpressionError`.

regex() runs on the `regex` package with a time bound: a pattern that backtracks
catastrophically on what a respondent typed fails the constraint instead of holding a
worker for minutes.

Values follow XLSForm: an unanswered question is '', a select_multiple answer is a list
of codes, numbers compare as numbers, and text compares as text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import regex
from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

MAX_LENGTH = 2000
MAX_DEPTH = 40
# Seconds one regex() may take. Real patterns on an answer take microseconds; a pattern that
# backtracks exponentially would take minutes, and its answer is refused instead.
REGEX_TIMEOUT = 0.1

_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr | or_expr "or" and_expr -> or_
?and_expr: comparison | and_expr "and" comparison -> and_
?comparison: atom | atom COMPARATOR atom -> compare
?atom: NUMBER -> number
     | STRING -> string
     | "${" NAME "}" -> ref
     | "." -> current
     | FUNCTION "(" [or_expr ("," or_expr)*] ")" -> call
     | "(" or_expr ")"
COMPARATOR: "<=" | ">=" | "!=" | "=" | "<" | ">"
FUNCTION: /[a-z][a-z0-9-]*/
NAME: /[A-Za-z_][A-Za-z0-9_.-]*/
NUMBER: /-?[0-9]+(\.[0-9]+)?/
STRING: /'[^']*'/ | /"[^"]*"/
%ignore /[ \t\r\n]+/
"""


@cache
def _parser() -> Lark:
    """Built on first use: building it is most of the cost of importing this module."""
    return Lark(_GRAMMAR, parser="lalr", maybe_placeholders=False)


class ExpressionError(Exception):
    """An expression that cannot be parsed or evaluated; the message says why."""


# --- values -------------------------------------------------------------------------

# The answers an expression reads, by question name: text, numbers, a select_multiple's
# codes as a list. Any value is read: the conversions below say how.
Answers = Mapping[str, object]


def to_number(value: object) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return math.nan
    return math.nan


def to_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return " ".join(to_text(v) for v in value)
    return str(value)


def to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, list | tuple):
        return len(value) > 0
    return to_text(value) != ""


def _codes(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [to_text(v) for v in value]
    return to_text(value).split()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# Applied to two numbers or to two texts, never one of each (hence Any).
_RELATIONAL: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def compare(op: str, left: object, right: object) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        if op in ("=", "!="):
            return (to_bool(left) == to_bool(right)) == (op == "=")
        left, right = to_number(left), to_number(right)
    elif _is_number(left) or _is_number(right):
        left, right = to_number(left), to_number(right)
    elif op in _RELATIONAL:
        # Two texts: numerically when both are numbers, else as text (ISO dates order right).
        a, b = to_number(left), to_number(right)
        if math.isnan(a) or math.isnan(b):
            return _RELATIONAL[op](to_text(left), to_text(right))
        left, right = a, b
    else:
        return (to_text(left) == to_text(right)) == (op == "=")
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    return _RELATIONAL[op](left, right)


# --- functions ----------------------------------------------------------------------


@lru_cache(maxsize=256)
def _pattern(pattern: str) -> regex.Pattern[str]:
    try:
        # VERSION0: the syntax and meaning of Python's `re`, which definitions are written in.
        return regex.compile(pattern, regex.VERSION0)
    except regex.error as error:
        raise ExpressionError(f"regex pattern {pattern!r} is not valid: {error}") from None


def _regex(value: object, pattern: object) -> bool:
    compiled = _pattern(to_text(pattern))
    try:
        return compiled.search(to_text(value), timeout=REGEX_TIMEOUT) is not None
    except TimeoutError:
        raise ExpressionError(
            f"regex pattern {compiled.pattern!r} took too long on this answer"
        ) from None


# name -> (number of arguments, implementation)
FUNCTIONS: dict[str, tuple[int, Callable[..., object]]] = {
    "not": (1, lambda v: not to_bool(v)),
    "selected": (2, lambda v, code: to_text(code) in _codes(v)),
    "count-selected": (1, lambda v: len(_codes(v))),
    "string-length": (1, lambda v: len(to_text(v))),
    "regex": (2, _regex),
}


# --- nodes --------------------------------------------------------------------------


class Node:
    def evaluate(self, answers: Answers, current: object) -> object:
        raise NotImplementedError


@dataclass(frozen=True)
class Literal(Node):
    value: int | float | str

    def evaluate(self, answers: Answers, current: object) -> object:
        return self.value


@dataclass(frozen=True)
class Reference(Node):
    name: str

    def evaluate(self, answers: Answers, current: object) -> object:
        value = answers.get(self.name)
        return "" if value is None else value


@dataclass(frozen=True)
class Current(Node):
    def evaluate(self, answers: Answers, current: object) -> object:
        return "" if current is None else current


@dataclass(frozen=True)
class Call(Node):
    name: str
    arguments: tuple[Node, ...]

    def evaluate(self, answers: Answers, current: object) -> object:
        _, function = FUNCTIONS[self.name]
        return function(*(a.evaluate(answers, current) for a in self.arguments))


@dataclass(frozen=True)
class Comparison(Node):
    op: str
    left: Node
    right: Node

    def evaluate(self, answers: Answers, current: object) -> object:
        return compare(
            self.op, self.left.evaluate(answers, current), self.right.evaluate(answers, current)
        )


@dataclass(frozen=True)
class And(Node):
    left: Node
    right: Node

    def evaluate(self, answers: Answers, current: object) -> object:
        return to_bool(self.left.evaluate(answers, current)) and to_bool(
            self.right.evaluate(answers, current)
        )


@dataclass(frozen=True)
class Or(Node):
    left: Node
    right: Node

    def evaluate(self, answers: Answers, current: object) -> object:
        return to_bool(self.left.evaluate(answers, current)) or to_bool(
            self.right.evaluate(answers, current)
        )


# --- parsing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A parsed expression: what it refers to, and a way to evaluate it."""

    source: str
    root: Node
    references: tuple[str, ...]
    uses_current: bool
    # A regex() whose pattern is not a text in quotes: a pattern an answer could supply.
    patterns_from_answers: bool = False

    def evaluate(self, answers: Answers, current: object = None) -> object:
        try:
            return self.root.evaluate(answers, current)
        except ExpressionError:
            raise
        except (ValueError, TypeError, OverflowError, RecursionError) as error:
            raise ExpressionError(f"cannot evaluate {self.source!r}: {error}") from None

    def is_true(self, answers: Answers, current: object = None) -> bool:
        return to_bool(self.evaluate(answers, current))


def _syntax_message(error: LarkError) -> str:
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        return "the expression ends too early"
    if isinstance(error, UnexpectedCharacters):
        return f"unexpected character {error.char!r} at position {error.column}"
    if isinstance(error, UnexpectedToken):
        return f"unexpected {str(error.token)!r} at position {error.column}"
    return "the expression cannot be read"


class _Compiler:
    def __init__(self) -> None:
        self.references: list[str] = []
        self.uses_current = False
        self.patterns_from_answers = False

    def compile(self, tree: Tree[Token] | Token, depth: int = 0) -> Node:
        if depth > MAX_DEPTH:
            raise ExpressionError("the expression is nested too deeply")
        if isinstance(tree, Token):  # pragma: no cover - the grammar names every token
            raise ExpressionError(f"unexpected {str(tree)!r}")
        children = tree.children
        match tree.data:
            case "number":
                text = str(children[0])
                return Literal(float(text) if "." in text else int(text))
            case "string":
                return Literal(str(children[0])[1:-1])
            case "ref":
                name = str(children[0])
                self.references.append(name)
                return Reference(name)
            case "current":
                self.uses_current = True
                return Current()
            case "compare":
                left, op, right = children
                return Comparison(
                    str(op), self.compile(left, depth + 1), self.compile(right, depth + 1)
                )
            case "and_" | "or_":
                first, second = (self.compile(c, depth + 1) for c in children)
                return And(first, second) if tree.data == "and_" else Or(first, second)
            case "call":
                name = str(children[0])
                arguments = tuple(self.compile(c, depth + 1) for c in children[1:] if c is not None)
                return self._call(name, arguments)
        raise ExpressionError(f"unexpected {tree.data!r}")  # pragma: no cover

    def _call(self, name: str, arguments: tuple[Node, ...]) -> Node:
        if name not in FUNCTIONS:
            known = ", ".join(f"{n}()" for n in FUNCTIONS)
            raise ExpressionError(f"unknown function {name}(); known functions: {known}")
        arity, _ = FUNCTIONS[name]
        if len(arguments) != arity:
            raise ExpressionError(
                f"{name}() takes {arity} argument{'s' if arity > 1 else ''}, not {len(arguments)}"
            )
        if name == "regex" and isinstance(arguments[1], Literal):
            _pattern(to_text(arguments[1].value))  # a bad pattern is a definition error
        elif name == "regex":
            # Parsed still, so stored definitions keep working; the validator refuses it.
            self.patterns_from_answers = True
        return Call(name, arguments)


@lru_cache(maxsize=4096)
def parse(source: str) -> Expression:
    """Parse an expression, or raise ExpressionError naming the first problem."""
    if not isinstance(source, str):
        raise ExpressionError("an expression must be text")
    if not source.strip():
        raise ExpressionError("the expression is empty")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = _parser().parse(source)
    except LarkError as error:
        raise ExpressionError(_syntax_message(error)) from None
    compiler = _Compiler()
    root = compiler.compile(tree)
    return Expression(
        source=source,
        root=root,
        references=tuple(dict.fromkeys(compiler.references)),
        uses_current=compiler.uses_current,
        patterns_from_answers=compiler.patterns_from_answers,
    )
