"""The expression language of `relevant`, `constraint` and the other computed keys: the
XLSForm subset of XPath 1.0.

    ${name}  .  12  3.5  'text'  column
    - (unary)   * div mod   + -   = != < <= > >=   and   or      (tightest first)
    function(arguments), from expression_functions.FUNCTIONS

Lark parses the text into a tree; `_Compiler` turns it into small node objects that this
module's own interpreter evaluates. Nothing is ever passed to `eval`. Every failure,
whatever the input, is an `ExpressionError`.

regex() runs on the `regex` package with a time bound: a pattern that backtracks
catastrophically on what a respondent typed fails the constraint instead of holding a
worker for minutes. Texts that functions build are bounded too (MAX_TEXT).

Values follow XLSForm: an unanswered question is '', a select_multiple answer is a list
of codes, numbers compare as numbers, and text compares as text. Arithmetic is XPath's:
each side becomes a number ('' and other text become NaN), a division by zero is
±Infinity or NaN, and `mod` keeps the sign of the dividend. A bare name (`country`) is
not an answer but a column of the choice a `choice_filter` tests, read from the
`EvaluationContext`; `Expression.columns` lists them so the validator can refuse them
anywhere else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from .expression_functions import (
    FUNCTIONS,
    MAX_TEXT,
    REGEX_TIMEOUT,
    ExpressionError,
    Function,
    compile_pattern,
    is_empty,
    number_result,
    to_bool,
    to_number,
    to_text,
)

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TEXT",
    "REGEX_TIMEOUT",
    "Answers",
    "EvaluationContext",
    "Expression",
    "ExpressionError",
    "Function",
    "arithmetic",
    "compare",
    "parse",
    "to_answer",
    "to_bool",
    "to_number",
    "to_text",
]

MAX_LENGTH = 2000
MAX_DEPTH = 40

# The keywords end where a name would: `${a} division` is not `${a} div ision`.
_END_OF_WORD = r"(?![A-Za-z0-9_.:-])"
_GRAMMAR = rf"""
?start: or_expr
?or_expr: and_expr | or_expr OR and_expr -> or_
?and_expr: comparison | and_expr AND comparison -> and_
?comparison: additive | additive COMPARATOR additive -> compare
?additive: multiplicative | additive ADDITIVE multiplicative -> arithmetic
?multiplicative: unary | multiplicative MULTIPLICATIVE unary -> arithmetic
?unary: atom | "-" unary -> negate
?atom: NUMBER -> number
     | STRING -> string
     | "${{" NAME "}}" -> ref
     | "." -> current
     | FUNCTION "(" [or_expr ("," or_expr)*] ")" -> call
     | COLUMN -> column
     | "(" or_expr ")"
OR: /or{_END_OF_WORD}/
AND: /and{_END_OF_WORD}/
MULTIPLICATIVE: "*" | /(div|mod){_END_OF_WORD}/
ADDITIVE: "+" | "-"
COMPARATOR: "<=" | ">=" | "!=" | "=" | "<" | ">"
// A name followed by "(" is a function (`count-selected(`, `jr:choice-name(`); tried
// before COLUMN, which otherwise would take `count-selected` as a name.
FUNCTION.2: /[A-Za-z_][A-Za-z0-9_.:-]*(?=[ \t\r\n]*\()/
// XPath names may hold '-' and '.': `x-1` is a column named "x-1"; `x - 1` subtracts.
// A keyword is never a name, so `x and y` is two columns joined by `and`.
COLUMN: /(?!(and|or|div|mod){_END_OF_WORD})[A-Za-z_][A-Za-z0-9_.-]*/
NAME: /[A-Za-z_][A-Za-z0-9_.-]*/
// No sign: `3-1` is a subtraction, and `-1` a negation of 1.
NUMBER: /[0-9]+(\.[0-9]+)?/
STRING: /'[^']*'/ | /"[^"]*"/
%ignore /[ \t\r\n]+/
"""


if TYPE_CHECKING:
    from lark import Lark, Token, Tree
    from lark.exceptions import LarkError


@cache
def _parser() -> Lark:
    """Built on first use, and Lark imported then: a command that evaluates no expression
    (most of them) never pays for either."""
    from lark import Lark

    return Lark(_GRAMMAR, parser="lalr", maybe_placeholders=False)


# --- values -------------------------------------------------------------------------

# The answers an expression reads, by question name: text, numbers, a select_multiple's
# codes as a list. Any value is read: the conversions in expression_functions say how.
Answers = Mapping[str, object]


class EvaluationContext(Protocol):
    """What an expression reads besides the answers, supplied by the caller."""

    def choice_label(self, question: str, code: str) -> str:
        """The label of choice `code` of select question `question`, in the page's
        language (for jr:choice-name); the code itself, or '', when there is none."""
        ...

    def column(self, name: str) -> object:
        """The value of a bare name: a column of the choice a choice_filter tests, where
        `name` is its code."""
        ...


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


def _divide(a: float, b: float) -> float:
    if b == 0:  # XPath (IEEE 754): ±Infinity, and NaN for 0 div 0
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _modulo(a: float, b: float) -> float:
    # math.fmod keeps the sign of the dividend, as XPath's mod does (Python's % would not);
    # it raises where XPath gives NaN.
    if b == 0 or math.isinf(a):
        return math.nan
    return math.fmod(a, b)


# Floats never raise here: an overflow is ±inf and inf - inf is NaN.
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "div": _divide,
    "mod": _modulo,
}


def arithmetic(op: str, left: object, right: object) -> int | float:
    return number_result(_ARITHMETIC[op](to_number(left), to_number(right)))


def to_answer(value: object) -> str | int | float | bool | list[str]:
    """An evaluated value as an answer JSON can store: a whole number (up to 2**53) as an
    int, NaN and the infinities as '' (unanswered), a list as its codes, the rest as text;
    booleans stay booleans."""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return number_result(value) if math.isfinite(value) else ""
    if isinstance(value, list | tuple):
        return [to_text(v) for v in value]
    return to_text(value)


# --- nodes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What one evaluation reads: the answers, `.`, and the caller's context."""

    answers: Answers
    current: object
    context: EvaluationContext | None


class Node:
    def evaluate(self, scope: Scope) -> object:
        raise NotImplementedError


@dataclass(frozen=True)
class Literal(Node):
    value: int | float | str

    def evaluate(self, scope: Scope) -> object:
        return self.value


@dataclass(frozen=True)
class Reference(Node):
    name: str

    def evaluate(self, scope: Scope) -> object:
        value = scope.answers.get(self.name)
        return "" if value is None else value


@dataclass(frozen=True)
class Current(Node):
    def evaluate(self, scope: Scope) -> object:
        return "" if scope.current is None else scope.current


@dataclass(frozen=True)
class Column(Node):
    name: str

    def evaluate(self, scope: Scope) -> object:
        if scope.context is None:
            return ""
        value = scope.context.column(self.name)
        return "" if value is None else value


@dataclass(frozen=True)
class Call(Node):
    name: str
    function: Callable[..., object]
    arguments: tuple[Node, ...]

    def evaluate(self, scope: Scope) -> object:
        return self.function(*(a.evaluate(scope) for a in self.arguments))


@dataclass(frozen=True)
class If(Node):
    """if(): only the branch taken is evaluated, as in XPath."""

    condition: Node
    then: Node
    otherwise: Node

    def evaluate(self, scope: Scope) -> object:
        branch = self.then if to_bool(self.condition.evaluate(scope)) else self.otherwise
        return branch.evaluate(scope)


@dataclass(frozen=True)
class Coalesce(Node):
    """coalesce(): the second argument only when the first is empty, as in JavaRosa."""

    first: Node
    second: Node

    def evaluate(self, scope: Scope) -> object:
        value = self.first.evaluate(scope)
        return self.second.evaluate(scope) if is_empty(value) else value


@dataclass(frozen=True)
class ChoiceName(Node):
    """jr:choice-name(code, '${question}'): the label of a choice, from the context."""

    code: Node
    question: str

    def evaluate(self, scope: Scope) -> object:
        code = to_text(self.code.evaluate(scope))
        if scope.context is None or not code:
            return code
        return to_text(scope.context.choice_label(self.question, code))


@dataclass(frozen=True)
class Comparison(Node):
    op: str
    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> object:
        return compare(self.op, self.left.evaluate(scope), self.right.evaluate(scope))


@dataclass(frozen=True)
class Arithmetic(Node):
    op: str
    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> object:
        return arithmetic(self.op, self.left.evaluate(scope), self.right.evaluate(scope))


@dataclass(frozen=True)
class Negation(Node):
    operand: Node

    def evaluate(self, scope: Scope) -> object:
        return number_result(-to_number(self.operand.evaluate(scope)))


@dataclass(frozen=True)
class And(Node):
    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> object:
        return to_bool(self.left.evaluate(scope)) and to_bool(self.right.evaluate(scope))


@dataclass(frozen=True)
class Or(Node):
    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> object:
        return to_bool(self.left.evaluate(scope)) or to_bool(self.right.evaluate(scope))


# --- parsing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A parsed expression: what it refers to, and a way to evaluate it."""

    source: str
    root: Node
    # Questions named by ${name}, and by jr:choice-name's second argument.
    references: tuple[str, ...]
    uses_current: bool
    # A regex() whose pattern is not a text in quotes: a pattern an answer could supply.
    patterns_from_answers: bool = False
    # Bare names: columns of a choice, which only a choice_filter has.
    columns: tuple[str, ...] = ()

    def evaluate(
        self,
        answers: Answers,
        current: object = None,
        context: EvaluationContext | None = None,
    ) -> object:
        try:
            return self.root.evaluate(Scope(answers, current, context))
        except ExpressionError:
            raise
        except (
            ValueError,
            TypeError,
            ArithmeticError,
            LookupError,
            RecursionError,
        ) as error:
            raise ExpressionError(f"cannot evaluate {self.source!r}: {error}") from None

    def is_true(
        self,
        answers: Answers,
        current: object = None,
        context: EvaluationContext | None = None,
    ) -> bool:
        return to_bool(self.evaluate(answers, current, context))


def _syntax_message(error: LarkError) -> str:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        return "the expression ends too early"
    if isinstance(error, UnexpectedCharacters):
        return f"unexpected character {error.char!r} at position {error.column}"
    if isinstance(error, UnexpectedToken):
        return f"unexpected {str(error.token)!r} at position {error.column}"
    return "the expression cannot be read"


# How XLSForm names the select question of jr:choice-name: a text holding a reference.
_QUESTION_TEXT = re.compile(r"\s*\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}\s*")


class _Compiler:
    def __init__(self) -> None:
        self.references: list[str] = []
        self.columns: list[str] = []
        self.uses_current = False
        self.patterns_from_answers = False

    def compile(self, tree: Tree[Token] | Token, depth: int = 0) -> Node:
        if depth > MAX_DEPTH:
            raise ExpressionError("the expression is nested too deeply")
        from lark import Token  # imported by _parser() already: a lookup in sys.modules

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
            case "column":
                name = str(children[0])
                self.columns.append(name)
                return Column(name)
            case "current":
                self.uses_current = True
                return Current()
            case "compare" | "arithmetic":
                left, op, right = children
                first, second = self.compile(left, depth + 1), self.compile(right, depth + 1)
                kind = Comparison if tree.data == "compare" else Arithmetic
                return kind(str(op), first, second)
            case "negate":
                return Negation(self.compile(children[0], depth + 1))
            case "and_" | "or_":
                left, _, right = children
                first, second = self.compile(left, depth + 1), self.compile(right, depth + 1)
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
        function = FUNCTIONS[name]
        if len(arguments) < function.minimum or (
            function.maximum is not None and len(arguments) > function.maximum
        ):
            raise ExpressionError(f"{name}() takes {function.arity()}, not {len(arguments)}")
        if not arguments and name in ("string-length", "normalize-space"):
            # XLSForm: without an argument, these read the answer being checked.
            self.uses_current = True
            arguments = (Current(),)
        if name == "regex" and isinstance(arguments[1], Literal):
            compile_pattern(to_text(arguments[1].value))  # a bad pattern is a definition error
        elif name == "regex":
            # Parsed still, so stored definitions keep working; the validator refuses it.
            self.patterns_from_answers = True
        match name:
            case "if":
                return If(*arguments)
            case "coalesce":
                return Coalesce(*arguments)
            case "jr:choice-name":
                return ChoiceName(arguments[0], self._choice_question(arguments[1]))
        assert function.implementation is not None  # every other function has one
        return Call(name, function.implementation, arguments)

    def _choice_question(self, argument: Node) -> str:
        """The select question of jr:choice-name: '${q}' as XLSForm writes it, or ${q}."""
        if isinstance(argument, Reference):
            return argument.name
        if isinstance(argument, Literal) and isinstance(argument.value, str):
            match = _QUESTION_TEXT.fullmatch(argument.value)
            if match:
                self.references.append(match.group(1))
                return match.group(1)
        raise ExpressionError(
            "jr:choice-name() takes the select question as its second argument, written '${name}'"
        )


@lru_cache(maxsize=4096)
def parse(source: str) -> Expression:
    """Parse an expression, or raise ExpressionError naming the first problem."""
    if not isinstance(source, str):
        raise ExpressionError("an expression must be text")
    if not source.strip():
        raise ExpressionError("the expression is empty")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    parser = _parser()
    from lark.exceptions import LarkError

    try:
        tree = parser.parse(source)
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
        columns=tuple(dict.fromkeys(compiler.columns)),
    )
