"""Our YAML as written for a person to review: texts in the survey's language order,
multi-line texts as blocks, words a YAML 1.1 reader would take for something else quoted."""

from __future__ import annotations

import io

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString, SingleQuotedScalarString

from .languages import Languages

# Words that YAML 1.1 readers take for something else (yes, null, ...): written in quotes.
YAML_WORDS = {"yes", "no", "y", "n", "on", "off", "true", "false", "null", "~"}


def text_node(texts: dict[str, str], languages: Languages) -> CommentedMap:
    """{code: text} in the survey's language order."""
    mapping = CommentedMap()
    for code in sorted(texts, key=languages.rank):
        value = texts[code]
        if "\n" in value:
            value = LiteralScalarString(value)
        elif value.lower() in YAML_WORDS:
            value = SingleQuotedScalarString(value)
        mapping[code] = value
    return mapping


def code_node(code: str) -> str:
    """A choice code, quoted when YAML would misread it."""
    return SingleQuotedScalarString(code) if code.lower() in YAML_WORDS else code


def dump(data: CommentedMap) -> str:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
