"""XLSForm expressions read the way pyxform reads them, with pyxform's own lexer: the
functions an expression calls (one that ODK has and our language does not makes its row
unsupported), its bare names (in a choice filter, the columns of the choices sheet) and
whether a default is a value or an expression (pyxform's "dynamic default" rule)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from ..expressions import FUNCTIONS

# The functions of ODK's XPath (XPath 1.0's and the ODK XForms spec's): one our language
# lacks is a thing Pathways cannot do; any other unknown name is a mistake in the form.
ODK_FUNCTIONS = frozenset(
    {
        # XPath 1.0
        *("last", "position", "count", "id", "local-name", "namespace-uri", "name"),
        *("string", "concat", "starts-with", "contains", "substring-before"),
        *("substring-after", "substring", "string-length", "normalize-space", "translate"),
        *("boolean", "not", "true", "false", "lang", "number", "sum", "floor", "ceiling"),
        "round",
        # ODK XForms
        *("if", "coalesce", "selected", "selected-at", "count-selected", "jr:choice-name"),
        *("jr:itext", "indexed-repeat", "count-non-empty", "checklist", "weighted-checklist"),
        *("ends-with", "substr", "join", "regex", "boolean-from-string", "once", "int"),
        *("pow", "log", "log10", "abs", "sin", "cos", "tan", "asin", "acos", "atan"),
        *("atan2", "sqrt", "exp", "exp10", "pi", "random", "randomize", "uuid", "today"),
        *("now", "date", "date-time", "decimal-date-time", "decimal-time", "format-date"),
        *("format-date-time", "digest", "base64-decode", "extract-signed", "area"),
        *("distance", "geofence", "min", "max", "pulldata", "instance", "current"),
        *("version", "property"),
    }
)
# Words XPath reads as operators, never as names.
KEYWORDS = frozenset({"and", "or", "div", "mod"})


class _Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int


def missing_functions(text: str) -> list[str]:
    """The ODK functions `text` calls that our language does not have, in order."""
    found = []
    for token in _tokens(text):
        if token.kind == "FUNC_CALL":
            name = token.text[:-1].strip()
            if name in ODK_FUNCTIONS and name not in FUNCTIONS and name not in found:
                found.append(name)
    return found


def bare_names(text: str) -> list[str]:
    """The bare names of `text` (in a choice filter, columns of the choice), in order."""
    found = []
    for token in _tokens(text):
        if token.kind == "NAME" and token.text not in KEYWORDS and token.text not in found:
            found.append(token.text)
    return found


# A comparison's operand that is one token: what `without_comparisons_to` can take out.
_OPERANDS = frozenset({"NAME", "PYXFORM_REF", "SYSTEM_LITERAL", "NUMBER"})
# What may stand on either side of such a comparison: it is then a whole condition.
_EDGES = frozenset({"OPS_BOOL", "OPEN_PAREN", "CLOSE_PAREN", "COMMA"})


def without_comparisons_to(text: str, missing: set[str]) -> str | None:
    """`text` with each comparison that reads a bare name in `missing` (a node that does
    not exist) replaced by `false()`: XPath compares nothing with an empty node-set, so
    such a comparison is false, whatever its operator. None when a missing name is used
    in any other way (inside arithmetic, as a function's argument)."""
    tokens = [t for t in _tokens(text) if t.kind != "WHITESPACE"]
    pieces: list[tuple[int, int]] = []  # spans to replace
    for i, token in enumerate(tokens):
        if token.kind != "NAME" or token.text not in missing:
            continue
        if i >= 2 and tokens[i - 1].kind == "OPS_COMP" and tokens[i - 2].kind in _OPERANDS:
            first, last = i - 2, i
        elif (
            i + 2 < len(tokens)
            and tokens[i + 1].kind == "OPS_COMP"
            and tokens[i + 2].kind in _OPERANDS
        ):
            first, last = i, i + 2
        else:
            return None
        before = tokens[first - 1].kind if first > 0 else "OPS_BOOL"
        after = tokens[last + 1].kind if last + 1 < len(tokens) else "OPS_BOOL"
        if before not in _EDGES or after not in _EDGES:
            return None
        pieces.append((tokens[first].start, tokens[last].end))
    result = text
    for start, end in sorted(set(pieces), reverse=True):
        result = result[:start] + "false()" + result[end:]
    return result


def rename_bare_names(text: str, names: Mapping[str, str]) -> str:
    """`text` with each bare name in `names` replaced, strings and ${...} left as they are."""
    pieces = []
    for token in _tokens(text):
        if token.kind == "NAME" and token.text in names:
            pieces.append(names[token.text])
        else:
            pieces.append(text[token.start : token.end])
    return "".join(pieces)


def default_is_dynamic(value: str, type_name: str | None) -> bool:
    """pyxform's rule: a default that calls a function, refers to an answer or computes
    (except a '-' in a date) is an expression; anything else is the value itself."""
    return bool(_pyxform()[1](value, type_name))


def as_text_expression(value: str) -> str:
    """An XPath expression whose value is the text `value`: in quotes, or concat() of
    pieces in quotes when it holds both kinds of quote."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    pieces = [f"'{piece}'" for piece in value.split("'")]
    separator = ', "\'", '
    return f"concat({separator.join(pieces)})"


def _tokens(text: str) -> Sequence[_Token]:
    """pyxform's tokens of `text`, which cover it end to end; one OTHER token for a text
    its lexer cannot read (our own parser then says what is wrong with it)."""
    try:
        tokens: Sequence[Any] = _pyxform()[0](text)
    except Exception:  # noqa: BLE001 - pyxform's lexer raises lark's errors, untyped
        return [_Token("OTHER", text, 0, len(text))]
    found = [_Token(str(t.type), str(t), int(t.start_pos), int(t.end_pos)) for t in tokens]
    if "".join(text[t.start : t.end] for t in found) != text:
        return [_Token("OTHER", text, 0, len(text))]
    return found


@lru_cache(maxsize=1)
def _pyxform() -> tuple[Callable[[str], Any], Callable[[str, str | None], Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyxform.parsing.expression import parse_expression
        from pyxform.utils import default_is_dynamic as is_dynamic
    return parse_expression, is_dynamic
