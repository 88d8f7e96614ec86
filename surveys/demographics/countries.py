"""Countries of residence: ISO 3166-1 alpha-3 codes, names from CLDR (Babel), M49 regions."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
from babel import Locale

M49_FILE = Path(__file__).parent / "data" / "m49.csv"

# Not in ISO 3166-1: the user-assigned code most organisations use, and CLDR's region code.
USER_ASSIGNED_ALPHA_2 = {"XKX": "XK"}


@cache
def m49_regions() -> dict[str, dict[str, str]]:
    """iso3 -> the row of the M49 data file (sub-region and region codes and names)."""
    with M49_FILE.open(encoding="utf-8") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        return {row["iso3"]: row for row in csv.DictReader(lines)}


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def _alpha_2(iso3: str) -> str:
    if iso3 in USER_ASSIGNED_ALPHA_2:
        return USER_ASSIGNED_ALPHA_2[iso3]
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        raise LookupError(f"{iso3!r} is neither an ISO 3166-1 alpha-3 code nor user-assigned")
    alpha_2: str = country.alpha_2
    return alpha_2


def country_name(iso3: str, language: str) -> str:
    """The country's name in `language`, as the Unicode CLDR (through Babel) gives it.

    CLDR's names are those people of each language use ("Côte d’Ivoire" and "Túnez" in
    Spanish, "Marekani" in Swahili), reviewed by native speakers, and Babel already ships
    them for every language we offer; its locale falls back to its parent's names (and
    so to English) only where CLDR has none of its own."""
    return _locale(language).territories[_alpha_2(iso3)]


def country_choices(spec: Mapping[str, Any], languages: list[str]) -> list[dict[str, Any]]:
    """Every country in the M49 file as a choice, labelled in each language, in code
    order (a page sorts them in its reader's language)."""
    return [
        {"code": iso3, "label": {lang: country_name(iso3, lang) for lang in languages}}
        for iso3 in sorted(m49_regions())
    ]


def m49_hierarchy() -> list[dict]:
    """country -> M49 sub-region -> M49 region, as hierarchy levels of codes."""
    rows = m49_regions().values()
    subregions = {row["iso3"]: f"m49_{row['subregion_code']}" for row in rows}
    regions = {f"m49_{row['subregion_code']}": f"m49_{row['region_code']}" for row in rows}
    names = m49_names()
    # English names of the generalised codes, for the export's codebook.
    return [
        {"level": "m49_subregion", "map": subregions, "labels": _named(subregions, names)},
        {"level": "m49_region", "map": regions, "labels": _named(regions, names)},
    ]


# M49 sub-regions the organisers' question needs kept apart: Latin America and the
# Caribbean (419), Sub-Saharan (202) and Northern Africa (015), Northern America (021);
# elsewhere the M49 region stands for them.
AREAS_OF_INTEREST = ("419", "202", "015", "021")
# The broadest level before suppression: Latin America, Africa (the M49 region), the rest.
BROAD = {"m49_419": "m49_419", "m49_202": "m49_002", "m49_015": "m49_002"}
ELSEWHERE = "elsewhere"


def region_of_interest_hierarchy() -> list[dict]:
    """country -> M49 sub-region -> region of interest -> Latin America / Africa /
    elsewhere: the hierarchy that keeps under-represented regions visible.

    The region of interest is the M49 sub-region for Latin America and the Caribbean (419),
    Sub-Saharan Africa (202), Northern Africa (015) and Northern America (021), and the M49
    region elsewhere (Asia 142, Europe 150, Oceania 009), so that Latin America never
    merges with the USA and Canada as it does in the M49 region "Americas".
    """
    rows = m49_regions().values()
    names = {**m49_names(), ELSEWHERE: "Elsewhere"}
    subregions = {row["iso3"]: f"m49_{row['subregion_code']}" for row in rows}
    interest = {
        f"m49_{row['subregion_code']}": f"m49_{row['subregion_code']}"
        if row["subregion_code"] in AREAS_OF_INTEREST
        else f"m49_{row['region_code']}"
        for row in rows
    }
    broad = {code: BROAD.get(code, ELSEWHERE) for code in set(interest.values())}
    return [
        {"level": "m49_subregion", "map": subregions, "labels": _named(subregions, names)},
        {"level": "region_of_interest", "map": interest, "labels": _named(interest, names)},
        {"level": "latin_america_africa", "map": broad, "labels": _named(broad, names)},
    ]


def _named(mapping: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    return {code: names[code] for code in sorted(set(mapping.values())) if code in names}


def m49_names() -> dict[str, str]:
    """English names of the M49 sub-region and region codes used in the hierarchy."""
    names = {}
    for row in m49_regions().values():
        names[f"m49_{row['subregion_code']}"] = row["subregion"]
        names[f"m49_{row['region_code']}"] = row["region"]
    return names
