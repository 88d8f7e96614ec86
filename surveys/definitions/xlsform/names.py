"""XLSForm names and expression text as ours: names in our `[a-z][a-z0-9_]*` form, a form id
or file name as a survey id, and expressions with curly quotes straightened."""

from __future__ import annotations

import re

# A reference to a question in an expression or a text: ${name}.
REFERENCE = re.compile(r"\$\{\s*([^}\s]*)\s*\}")
SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def our_name(name: str) -> str:
    """An XLSForm name as ours: lower-case, other characters '_', starting with a letter."""
    converted = re.sub(r"[^a-z0-9_]", "_", name.strip().lower()).lstrip("_")
    if not converted[:1].isalpha():
        converted = f"q_{converted}"
    return converted


def our_survey_id(text: str) -> str:
    """A form id or file name as a survey id `[a-z][a-z0-9_-]*`."""
    converted = re.sub(r"[^a-z0-9_-]+", "_", text.strip().lower()).strip("_-")
    if not converted[:1].isalpha():
        converted = f"survey_{converted}".rstrip("_")
    return converted[:64].rstrip("_-")


def expression_text(text: str) -> str:
    """An expression as a spreadsheet may have written it, with its quotes straightened."""
    return text.translate(SMART_QUOTES).strip()
