"""Keep exported text inert when a spreadsheet opens it (CSV / formula injection).

Answers and labels are typed by people we do not control; a cell such as `=HYPERLINK(...)`
would run as a formula in Excel or LibreOffice on the analyst's machine. Following OWASP,
a text cell that starts with a formula trigger gets a leading single quote, so the
spreadsheet shows it as text. Numbers are never touched: -5 stays the number -5.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

# The characters a spreadsheet reads as the start of a formula (OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: Any) -> Any:
    """Return `value` with a leading quote when it is text a spreadsheet would evaluate.

    Anything that is not a string (numbers, NA, dates) comes back unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return QUOTE + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `df` whose text cells are neutralised; numeric columns are left alone.

    Works column by column with vectorised string operations, so a million rows cost one
    pass per text column rather than a Python call per cell.
    """
    out = df.copy(deep=False)
    for name in df.columns:
        if _holds_text(df[name]):
            out[name] = neutralise_series(df[name])
    return out


def neutralise_series(series: pd.Series) -> pd.Series:
    """Return `series` with its formula-like text cells quoted (see `neutralise`)."""
    if not _holds_text(series):
        return series
    try:
        starts = series.str.startswith(FORMULA_TRIGGERS, na=False)
    except AttributeError:
        # Text mixed with numbers (an object column pandas will not treat as text):
        # rare and small enough to check cell by cell.
        return series.map(neutralise)
    dangerous = starts.to_numpy(dtype=bool)
    if not dangerous.any():
        return series
    out = series.copy()
    # Positional assignment: the pipeline's index need not be unique.
    quoted = QUOTE + series[dangerous].astype(str)
    out.iloc[dangerous.nonzero()[0]] = quoted.to_numpy()
    return out


def _holds_text(series: pd.Series) -> bool:
    """Whether a column can hold text: string dtype, or object (mixed) values."""
    return isinstance(series.dtype, pd.StringDtype) or series.dtype == object
