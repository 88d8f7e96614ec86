"""What the bundle says about each column of the exported data.

The pipeline builds one `Column` per output column as it goes (flatten names them,
anonymisation records what it did); the writers and the bundle's metadata (datapackage,
codebook, Stata value labels) read only these, never the survey definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Table Schema types used in datapackage.json.
TYPES = ("string", "integer", "number", "boolean", "date")


@dataclass
class Column:
    name: str  # e.g. "age_range", "gender__woman", "pid", "wave", "period"
    title: str  # the question's text in the survey's default language, or a plain description
    type: str = "string"  # one of TYPES
    # Allowed codes -> labels (default language), for coded columns; None for free values.
    codes: dict[str, str] | None = None
    question: str | None = None  # the question it comes from; None for pid, wave, period
    privacy: str = "none"  # identifier | quasi_identifier | sensitive | free_text | none
    # What the export did to it, in words for the codebook ("generalised to M49 region").
    treatment: list[str] = field(default_factory=list)


# The code a suppressed quasi-identifier value becomes.
SUPPRESSED = "suppressed"
