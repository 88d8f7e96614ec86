"""Code list versions: crosswalks map every retired code, and answers harmonise to one version."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from surveys.definitions import read_definition
from surveys.demographics import load_block
from surveys.demographics.crosswalks import bundled_library, check_library, harmonise

DEFINITIONS = Path(__file__).parent.parent / "surveys" / "bundled"

# A small library of one block whose list went 1 -> 2 -> 3:
#   v1: student, employed, unemployed, homemaker, pnts
#   v2: student, employed_full_time, employed_part_time, unemployed, pnts
#       (employed split in two, homemaker has no equivalent)
#   v3: student, employed_full_time, employed_part_time, not_working, pnts
#       (unemployed merged into not_working)
BLOCK = """\
block: work
code_list: {id: work, version: 3}
questions:
  - {name: work, type: select_multiple work, label: Work, privacy: quasi_identifier}
  - {name: main_work, type: select_one main_work, label: Main, privacy: quasi_identifier}
choices:
  work:
    - {code: student, label: Student}
    - {code: employed_full_time, label: Full-time}
    - {code: employed_part_time, label: Part-time}
    - {code: not_working, label: Not working}
    - {code: pnts, label: Prefer not to say}
  main_work:
    - {code: studying, label: Studying}
    - {code: working, label: Working}
    - {code: pnts, label: Prefer not to say}
retired:
  work: [employed, unemployed, homemaker]
hierarchy:
  work: []
  main_work: []
"""
STEP_1 = """\
list: work
from: 1
to: 2
from_codes: [student, employed, unemployed, homemaker, pnts]
map:
  employed: [employed_full_time, employed_part_time]
  homemaker: null
"""
STEP_2 = """\
list: work
from: 2
to: 3
from_codes: [student, employed_full_time, employed_part_time, unemployed, pnts]
map:
  unemployed: not_working
"""
# The block's other list shares its version but did not change: its steps map nothing.
MAIN_WORK_STEPS = {
    f"work.main_work-{n}-to-{n + 1}": (
        f"list: work.main_work\nfrom: {n}\nto: {n + 1}\n"
        "from_codes: [studying, working, pnts]\nmap: {}\n"
    )
    for n in (1, 2)
}
DEFINITION = {
    "code_lists": {
        "work": {"id": "work", "version": 1, "block": "work", "hierarchy": []},
        "main_work": {"id": "work.main_work", "version": 1, "block": "work", "hierarchy": []},
    },
    "pages": [
        {
            "questions": [
                {"name": "now", "type": "select_multiple", "list": "work"},
                {"name": "before", "type": "select_one", "list": "work"},
                {"name": "main", "type": "select_one", "list": "main_work"},
                {"name": "note", "type": "text", "list": None},
            ]
        }
    ],
}


def library_in(tmp_path: Path, block: str = BLOCK, step_1: str = STEP_1, step_2: str = STEP_2):
    """Check a fixture library: blocks/work.yaml and the crosswalks of both its lists."""
    (tmp_path / "blocks").mkdir()
    (tmp_path / "crosswalks").mkdir(exist_ok=True)
    (tmp_path / "blocks" / "work.yaml").write_text(block)
    files = {"work-1-to-2": step_1, "work-2-to-3": step_2, **MAIN_WORK_STEPS}
    for name, text in files.items():
        if text:
            (tmp_path / "crosswalks" / f"{name}.yaml").write_text(text)
    return check_library(tmp_path / "blocks", tmp_path / "crosswalks")


def fixture_library(tmp_path: Path):
    library, problems = library_in(tmp_path)
    assert problems == []
    return library


# --- the bundled library ------------------------------------------------------------------


def test_crosswalks_map_every_retired_code_of_the_bundled_library():
    # Every list is at version 1 today, so this holds trivially; it fails as soon as a
    # block retires a code or raises its version without a complete crosswalk.
    library, problems = check_library()
    assert problems == []
    for code_list in library.lists.values():
        for code in code_list.retired:
            assert any(code in step.map for step in library.crosswalks.values())


def test_the_library_knows_every_list_a_bundled_survey_records():
    current = bundled_library().current_versions()
    for path in sorted(DEFINITIONS.glob("*.yaml")):
        definition, _ = read_definition(path)
        for info in (definition or {}).get("code_lists", {}).values():
            assert current[info["id"]] == info["version"], (path.name, info["id"])


NOT_MAPPED = (
    "block employment: retired code 'not_looking' of employment is not mapped by any "
    "crosswalk; raise the list's version and add a crosswalk"
)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (1, [NOT_MAPPED]),
        (
            2,
            [
                "code list employment: no crosswalk employment-1-to-2.yaml (the list is at "
                "version 2)",
                NOT_MAPPED,
            ],
        ),
    ],
)
def test_retiring_a_bundled_code_without_a_crosswalk_is_caught(tmp_path, version, expected):
    blocks = tmp_path / "blocks"
    blocks.mkdir()
    employment = load_block("employment")
    employment["choices"]["employment"] = [
        c for c in employment["choices"]["employment"] if c["code"] != "not_looking"
    ]
    employment["retired"] = {"employment": ["not_looking"]}
    employment["code_list"]["version"] = version
    with (blocks / "employment.yaml").open("w") as handle:
        YAML(typ="safe").dump(employment, handle)
    _, problems = check_library(blocks, tmp_path / "crosswalks")
    assert problems == expected


# --- checks on a fixture library with versions 1, 2 and 3 --------------------------------


def test_a_complete_history_has_no_problems(tmp_path):
    library = fixture_library(tmp_path)
    assert library.current_versions() == {"work": 3, "work.main_work": 3}
    assert library.codes("work", 2) == (
        "student",
        "employed_full_time",
        "employed_part_time",
        "unemployed",
        "pnts",
    )


@pytest.mark.parametrize(
    ("step_1", "step_2", "block", "problem"),
    [
        (
            STEP_1.replace("  homemaker: null\n", ""),
            STEP_2,
            BLOCK,
            "work-1-to-2.yaml: retired code 'homemaker' is not mapped",
        ),
        (
            STEP_1,
            STEP_2.replace("not_working", "jobless"),
            BLOCK,
            "work-2-to-3.yaml: map: 'unemployed' -> 'jobless', which is not a code of version 3",
        ),
        (
            STEP_1,
            STEP_2.replace("map:\n", "map:\n  student: not_working\n"),
            BLOCK,
            "work-2-to-3.yaml: map: 'student' is still a code of version 3; a code keeps its "
            "meaning, only retired codes are mapped",
        ),
        (
            STEP_1,
            STEP_2.replace("map:\n", "map:\n  typo: not_working\n"),
            BLOCK,
            "work-2-to-3.yaml: map: 'typo' is not a code of version 2",
        ),
        (
            STEP_1,
            STEP_2,
            BLOCK.replace(
                "    - {code: not_working",
                "    - {code: homemaker, label: H}\n    - {code: not_working",
            ),
            "work-2-to-3.yaml: code 'homemaker' of version 3 was retired in version 2 and can "
            "never be used again",
        ),
        (
            STEP_1,
            STEP_2,
            BLOCK.replace("[employed, unemployed, homemaker]", "[employed, unemployed]"),
            "block work: code 'homemaker' of work was dropped; list it under retired: so no "
            "survey adds it back",
        ),
        (
            STEP_1,
            STEP_2,
            BLOCK.replace("homemaker]\n", "homemaker]\n  main_work: [working]\n"),
            "block work: code 'working' of work.main_work is retired but still offered",
        ),
        (
            STEP_1,
            STEP_2,
            BLOCK.replace("homemaker]\n", "homemaker]\n  main_work: [volunteering]\n"),
            "block work: retired code 'volunteering' of work.main_work is not mapped by any "
            "crosswalk; raise the list's version and add a crosswalk",
        ),
        (
            STEP_1,
            STEP_2.replace("to: 3", "to: 4"),
            BLOCK,
            "work-2-to-3.yaml: must be named work-2-to-4.yaml",
        ),
        (
            STEP_1,
            STEP_2.replace("not_working", "7"),
            BLOCK,
            "work-2-to-3.yaml: map: 'unemployed' must be a code (quoted if it looks like a "
            "number) mapped to a code, a list of codes, or null",
        ),
    ],
)
def test_a_broken_history_is_reported(tmp_path, step_1, step_2, block, problem):
    _, problems = library_in(tmp_path, block, step_1, step_2)
    assert problem in problems


def test_a_missing_step_is_reported(tmp_path):
    _, problems = library_in(tmp_path, step_1="")
    assert "code list work: no crosswalk work-1-to-2.yaml (the list is at version 3)" in problems


def test_a_crosswalk_beyond_the_current_version_is_reported(tmp_path):
    step_3 = "list: work\nfrom: 3\nto: 4\nfrom_codes: [student]\nmap: {}\n"
    (tmp_path / "crosswalks").mkdir()
    (tmp_path / "crosswalks" / "work-3-to-4.yaml").write_text(step_3)
    _, problems = library_in(tmp_path)
    assert "work-3-to-4.yaml: work is only at version 3" in problems


def test_a_select_one_list_cannot_split_a_code(tmp_path):
    block = BLOCK.replace("type: select_multiple work", "type: select_one work")
    _, problems = library_in(tmp_path, block)
    assert (
        "work-1-to-2.yaml: map: 'employed' -> several codes, but work is asked as select_one; "
        "map it to one code or null"
    ) in problems


# --- harmonise ----------------------------------------------------------------------------


def test_answers_harmonise_through_the_chain_of_crosswalks(tmp_path):
    library = fixture_library(tmp_path)
    answers = {
        "now": ["student", "employed", "unemployed"],
        "before": "unemployed",
        "main": "working",
        "note": "unemployed",
    }
    result = harmonise(
        answers, {"work": 1, "work.main_work": 1}, definition=DEFINITION, library=library
    )
    assert result == {
        "now": ["student", "employed_full_time", "employed_part_time", "not_working"],
        "before": "not_working",
        "main": "working",
        "note": "unemployed",  # not a coded question
    }
    assert answers["now"] == ["student", "employed", "unemployed"]  # the input is left alone


def test_answers_harmonise_to_a_given_version(tmp_path):
    library = fixture_library(tmp_path)
    result = harmonise(
        {"now": ["unemployed"], "before": "employed"},
        {"work": 1},
        {"work": 2},
        definition=DEFINITION,
        library=library,
    )
    assert result == {"now": ["unemployed"], "before": None}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"now": ["homemaker"], "before": "homemaker"}, {"now": None, "before": None}),
        ({"now": ["homemaker", "pnts"]}, {"now": ["pnts"]}),
        ({"now": ["unemployed", "not_working"]}, {"now": ["not_working"]}),  # no duplicates
        ({"now": None, "before": None}, {"now": None, "before": None}),
        ({"now": ["bootcamp"]}, {"now": ["bootcamp"]}),  # a code the survey added itself
        ({}, {}),
    ],
)
def test_codes_without_an_equivalent_and_edge_cases(tmp_path, answers, expected):
    library = fixture_library(tmp_path)
    assert harmonise(answers, {"work": 1}, definition=DEFINITION, library=library) == expected


def test_answers_at_the_target_version_are_unchanged(tmp_path):
    library = fixture_library(tmp_path)
    answers = {"now": ["not_working"], "before": "student"}
    assert harmonise(answers, {"work": 3}, definition=DEFINITION, library=library) == answers


def test_harmonising_backwards_is_refused(tmp_path):
    library = fixture_library(tmp_path)
    with pytest.raises(ValueError, match="cannot harmonise version 3 back to 1"):
        harmonise(
            {"now": ["student"]}, {"work": 3}, {"work": 1}, definition=DEFINITION, library=library
        )


def test_bundled_answers_harmonise_to_themselves():
    definition, problems = read_definition(DEFINITIONS / "intake.yaml")
    assert problems == []
    versions = {info["id"]: info["version"] for info in definition["code_lists"].values()}
    answers = {"age_range": "25-29", "employment": ["student_full_time"], "country": "BRA"}
    assert harmonise(answers, versions, definition=definition) == answers
