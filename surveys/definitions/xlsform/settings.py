"""The settings sheet and what it says of the survey as a whole: its id (form_id, else the
file name, unless one is given), its title (form_title, else form_id, else the file name)
and its version as our whole number."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..validator import SURVEY_ID
from .columns import SETTINGS_COLUMNS, Sheet
from .messages import Report
from .names import our_survey_id

# The largest version the database stores (a 32-bit integer column).
MAX_VERSION = 2**31 - 1

# Field -> (value, header, row) of the settings given.
Settings = dict[str, tuple[str, str, int]]


@dataclass(frozen=True)
class Identity:
    """What names the survey: its id, title (in the default language) and version."""

    survey_id: str
    title: str
    version: int


def read_settings(sheet: Sheet | None) -> Settings:
    """form_title, form_id, default_language, version: (value, header, row)."""
    if sheet is None:
        return {}
    found: Settings = {}
    for index, row in enumerate(sheet.rows):
        if not row:
            continue
        for column in sheet.columns:
            value = row.get(column.header)
            if column.field in SETTINGS_COLUMNS and value:
                found.setdefault(column.field, (value, column.header, index + 2))
        break  # the first row with values holds the settings
    return found


def identify(settings: Settings, path: Path, survey_id: str | None, report: Report) -> Identity:
    """The survey's id, title and version; a bad id given is a problem, a version that had
    to be mapped a warning."""
    form_id = settings.get("form_id")
    if survey_id is not None:
        if not SURVEY_ID.match(survey_id):
            report.problem(
                f"--id {survey_id!r}: an id is lower-case letters, digits, '-' or '_', "
                "starting with a letter"
            )
    else:
        survey_id = our_survey_id(form_id[0] if form_id else path.stem)
    title = settings.get("form_title") or form_id
    version_raw = settings.get("version")
    version, mapped = our_version(version_raw[0] if version_raw else None)
    if mapped and version_raw:
        report.warn(
            f"version {version_raw[0]!r} is not a whole number from 1 up; using {version}",
            "settings",
            version_raw[2],
            version_raw[1],
        )
    return Identity(survey_id, title[0] if title else path.stem, version)


def our_version(raw: str | None) -> tuple[int, bool]:
    """A settings version as our whole-number version; True when it had to be mapped."""
    if raw is None:
        return 1, False
    text = raw.strip()
    if text.isdigit() and 1 <= int(text) <= MAX_VERSION:
        return int(text), False
    date = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2})(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?)?", text
    )
    if date:  # 2024-01-31 16:26 -> 2024013116, the yyyymmddhh convention
        year, month, day, hour = date.groups()
        return int(f"{year}{month}{day}{hour or '00'}"), True
    dotted = re.fullmatch(r"(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?", text)
    if dotted and int(dotted.group(1)) <= 2000:  # 1.2.3 -> 1002003, keeping the order
        major, minor, patch = (int(p or 0) for p in dotted.groups())
        number = major * 1_000_000 + minor * 1_000 + patch
        if number >= 1:
            return number, True
    digits = re.sub(r"\D", "", text)
    if digits and 1 <= int(digits) <= MAX_VERSION:
        return int(digits), True
    return zlib.crc32(text.encode()) % (MAX_VERSION - 1) + 1, True
