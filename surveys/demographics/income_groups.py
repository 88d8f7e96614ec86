"""The World Bank income group of each country of residence, from the Bank's own file.

Every 1 July the World Bank classifies economies as low, lower-middle, upper-middle or
high income by their GNI per capita (Atlas method) for its next fiscal year, and the
groups change from year to year. So the classification is data with a date: a file
`wb_income_<FY>.csv` (say `wb_income_FY2026.csv`) in INCOME_GROUPS_DIR holds one fiscal
year, an export uses the newest file and says which year it used. Nobody types the
rows by hand: `flask --app wsgi demographics income-groups CLASS.xlsx --fiscal-year
FY2026` reads the Bank's "World Bank Country and Lending Groups" workbook as published
and writes the file (the Bank's data are CC BY 4.0; the file names its source).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from zipfile import BadZipFile

from exports.derived import INCOME_GROUP_LABELS

from .countries import m49_regions

FISCAL_YEAR = re.compile(r"FY(\d{4})")
FILE_NAME = "wb_income_{fiscal_year}.csv"
FILE_PATTERN = re.compile(r"wb_income_(FY\d{4})\.csv")
SOURCE = (
    "World Bank Country and Lending Groups (CLASS.xlsx), "
    "https://datahelpdesk.worldbank.org/knowledgebase/articles/906519, CC BY 4.0"
)
# The workbook's wording -> our codes.
GROUP_CODES = {label.lower(): code for code, label in INCOME_GROUP_LABELS.items()}
# Economies the Bank codes otherwise than ISO 3166-1 alpha-3: the Channel Islands are
# two countries in our list. (Kosovo is XKX in both.)
SPLIT_CODES = {"CHI": ("GGY", "JEY")}
SHEET = "List of economies"


class IncomeGroupsError(Exception):
    """The workbook or data file cannot be read; the message says what is wrong."""


@dataclass
class IncomeGroups:
    fiscal_year: str
    groups: dict[str, str]  # iso3 -> L | LM | UM | H
    # What was left out of the workbook, one line each, for the operator to check.
    skipped: list[str] = field(default_factory=list)


def read_class_workbook(path: Path, fiscal_year: str) -> IncomeGroups:
    """The income groups of every country of ours in the Bank's CLASS.xlsx."""
    if not FISCAL_YEAR.fullmatch(fiscal_year):
        raise IncomeGroupsError(f"the fiscal year must look like FY2026, not {fiscal_year!r}")
    from openpyxl import load_workbook  # only this command reads workbooks
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as error:
        raise IncomeGroupsError(f"{path} is not an Excel workbook ({error})") from None
    try:
        return _groups_in(workbook, path, fiscal_year)
    finally:
        workbook.close()


def _groups_in(workbook, path: Path, fiscal_year: str) -> IncomeGroups:
    """The rows under the workbook's header of "Code" and "Income group"."""
    sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    code_at = group_at = None
    for number, row in enumerate(rows, start=1):
        cells = [str(cell or "").strip().lower() for cell in row]
        if "code" in cells and "income group" in cells:
            code_at, group_at = cells.index("code"), cells.index("income group")
            break
        if number >= 20:
            break
    if code_at is None or group_at is None:  # both are found together, or neither
        raise IncomeGroupsError(
            f"{path}: no header row with 'Code' and 'Income group' in sheet {sheet.title!r}; "
            "is this the World Bank's CLASS.xlsx?"
        )
    ours = m49_regions()
    result = IncomeGroups(fiscal_year, {})
    for row in rows:
        code = str(row[code_at] or "").strip().upper() if len(row) > code_at else ""
        group = str(row[group_at] or "").strip() if len(row) > group_at else ""
        if not code:
            continue
        countries = [c for c in SPLIT_CODES.get(code, (code,)) if c in ours]
        if not countries:
            result.skipped.append(f"{code}: not a country of residence in our list")
        elif group.lower() not in GROUP_CODES:
            result.skipped.append(f"{code}: no income group ({group or 'empty'})")
        else:
            for country in countries:
                result.groups[country] = GROUP_CODES[group.lower()]
    if not result.groups:
        raise IncomeGroupsError(f"{path}: no country with an income group was found")
    return result


def write_data_file(income_groups: IncomeGroups, folder: Path) -> Path:
    """Write `wb_income_<FY>.csv`: iso3, income group code, the Bank's wording."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME.format(fiscal_year=income_groups.fiscal_year)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(f"# World Bank income groups, fiscal year {income_groups.fiscal_year}.\n")
        handle.write(f"# Source: {SOURCE}.\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["iso3", "income_group", "label"])
        for iso3, code in sorted(income_groups.groups.items()):
            writer.writerow([iso3, code, INCOME_GROUP_LABELS[code]])
    return path


def read_data_file(path: Path) -> IncomeGroups:
    match = FILE_PATTERN.fullmatch(path.name)
    if match is None:
        raise IncomeGroupsError(f"{path.name} is not named wb_income_FY<year>.csv")
    with path.open(encoding="utf-8") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        groups = {row["iso3"]: row["income_group"] for row in csv.DictReader(lines)}
    unknown = sorted(set(groups.values()) - set(INCOME_GROUP_LABELS))
    if unknown:
        raise IncomeGroupsError(f"{path}: unknown income group code {unknown[0]!r}")
    return IncomeGroups(match.group(1), groups)


def latest(folder: Path) -> IncomeGroups | None:
    """The newest fiscal year's classification in `folder`, or None when there is none."""
    files = sorted(
        (p for p in folder.glob("wb_income_FY*.csv") if FILE_PATTERN.fullmatch(p.name)),
        key=lambda p: p.name,
    )
    return read_data_file(files[-1]) if files else None
