"""`flask --app wsgi surveys import FORM.xlsx|.xls`: XLSForm to our YAML, checked by our validator.

The real-world forms are in tests/fixtures/xlsform (from pyxform's own test suite); the
small workbooks are built here with openpyxl, one feature each.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from surveys.definitions import read_definition

FIXTURES = Path(__file__).parent / "fixtures" / "xlsform"


def import_form(runner, form: Path, *options: str):
    return runner.invoke(args=["surveys", "import", str(form), *options])


def converted(runner, form: Path, tmp_path: Path, *options: str) -> tuple[dict, list[str]]:
    """Import into a file, check it with our validator; (definition, warning lines)."""
    out = tmp_path / f"{form.stem}.yaml"
    result = import_form(runner, form, "--out", str(out), *options)
    assert result.exit_code == 0, result.stderr
    definition, problems = read_definition(out)
    assert problems == [], [str(p) for p in problems]
    warnings = result.stderr.splitlines()
    assert all(line.startswith("warning: ") for line in warnings), warnings
    return definition, warnings


def refused(runner, form: Path, *options: str) -> list[str]:
    result = import_form(runner, form, *options)
    assert result.exit_code == 1, result.stdout
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]


def questions(definition: dict) -> dict[str, dict]:
    return {q["name"]: q for page in definition["pages"] for q in page["questions"]}


def workbook(path: Path, survey: list[list], choices=None, settings=None, **sheets) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in {
        "survey": survey,
        "choices": choices,
        "settings": settings,
        **sheets,
    }.items():
        if rows is None:
            continue
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


# --- the shared real-world fixtures ----------------------------------------------------


def fixture(name: str) -> Path:
    return FIXTURES / name


def test_every_shared_fixture_is_covered():
    files = {p.name for p in FIXTURES.iterdir() if p.suffix in (".xlsx", ".xls")}
    assert files == {
        "UCL_Biomass_Plot_Form.xlsx",
        "case_insensitivity.xlsx",
        "choice_filter_test.xlsx",
        "field-list.xlsx",
        "group.xlsx",
        "or_other.xlsx",
        "specify_other.xlsx",
        "text_and_integer.xlsx",
        "tutorial.xls",
        "unknown_question_type.xls",
        "yes_or_no_question.xlsx",
    }


def test_ucl_biomass_is_refused_naming_each_unsupported_row(runner):
    form = fixture("UCL_Biomass_Plot_Form.xlsx")
    lines = refused(runner, form)
    for expected in [
        "survey row 11, column type: 'start' is not supported: form metadata (device, user, times) is not collected",
        "survey row 16, column type: 'select_one_from_file UCL_regions.csv' is not supported: its choices come from a file or an external list",
        "survey row 22, column type: 'geopoint' is not supported: Pathways records no locations",
        "survey row 23, column type: 'image' is not supported: Pathways takes no photos, recordings or files",
        # A calculate is imported, but not one calling functions our expressions lack.
        "survey row 26, column calculation: calculation calls sqrt(), cos(), atan(), which "
        "Pathways expressions do not have",
        # Its four repeats are imported (tests/test_xlsform_repeats.py), but not the one
        # inside the first.
        "survey row 43, column type: 'begin repeat' inside the repeat in row 32 is not "
        "supported: Pathways repeats do not nest",
        "survey row 65, column type: 'image' is not supported: Pathways takes no photos, recordings or files",
        "survey row 91, column type: 'deviceid' is not supported: form metadata (device, user, times) is not collected",
    ]:
        assert f"{form}: {expected}" in lines
    # A note showing that calculation cannot show it; the rows inside the nested repeat are
    # not examined.
    assert (
        f"{form}: survey row 28, column label::Swahili (sw): the label shows ${{slope_radius}}, "
        "which is not imported (row 26: calculation calls sqrt(), cos(), atan(), which "
        "Pathways expressions do not have)"
    ) in lines
    assert not any("row 45" in line for line in lines)


# What the repeats of the UCL form read that is left out: without --skip-unsupported each
# is a problem naming its row; with it, each row is left out in turn, or its constraint
# (tests/test_xlsform_skip.py).
UCL_READS_LEFT_OUT = {
    33: "calculation refers to ${plot_id}, which is not imported (row 20: "
    "'select_one_from_file ULC_Biomass_Plots.csv' is not supported: its choices come from a "
    "file or an external list)",
    36: "relevant refers to ${latin_name_id}, which is not imported (row 35: "
    "'select_one_from_file species_names.csv' is not supported: its choices come from a file "
    "or an external list)",
    38: "constraint refers to ${slope_radius}, which is not imported (row 26: calculation calls "
    "sqrt(), cos(), atan(), which Pathways expressions do not have)",
    39: "calculation refers to ${slope_radius_inner}, which is not imported (row 27: "
    "calculation calls sqrt(), cos(), atan(), which Pathways expressions do not have)",
    58: "relevant refers to ${stump_latin_name_id}, which is not imported (row 57: "
    "'select_one_from_file species_names.csv' is not supported: its choices come from a file "
    "or an external list)",
    60: "constraint refers to ${slope_radius}, which is not imported (row 26: calculation calls "
    "sqrt(), cos(), atan(), which Pathways expressions do not have)",
    74: "relevant refers to ${latin_name_id_sp1}, which is not imported (row 73: "
    "'select_one_from_file species_names.csv' is not supported: its choices come from a file "
    "or an external list)",
    82: "relevant refers to ${latin_name_id_sp2}, which is not imported (row 81: "
    "'select_one_from_file species_names.csv' is not supported: its choices come from a file "
    "or an external list)",
}


def test_ucl_biomass_without_skip_unsupported_names_each_row_that_reads_one_left_out(runner):
    form = fixture("UCL_Biomass_Plot_Form.xlsx")
    lines = refused(runner, form)
    columns = {33: "calculation", 39: "calculation", 38: "constraint", 60: "constraint"}
    for row, text in UCL_READS_LEFT_OUT.items():
        assert f"{form}: survey row {row}, column {columns.get(row, 'relevant')}: {text}" in lines


def test_ucl_biomass_version_is_mapped_to_a_whole_number(runner):
    form = fixture("UCL_Biomass_Plot_Form.xlsx")
    result = import_form(runner, form, "--skip-unsupported")
    assert (
        f"warning: {form}: settings row 2, column version: version '2022-04-11 16:26:28.971000' "
        "is not a whole number from 1 up; using 2022041116"
    ) in result.stderr.splitlines()


@pytest.mark.parametrize("options", [(), ("--skip-unsupported",)])
def test_or_other_compares_with_a_column_no_choice_has(runner, tmp_path, options):
    # 'pastel=yes' reads a column 'yes' of each choice: in XPath an empty node-set, with
    # which every comparison is false, so ODK offers no pastel at all. Imported with that
    # meaning (the question is never asked), and said, since the author meant 'yes'.
    form = fixture("or_other.xlsx")
    definition, warnings = converted(runner, form, tmp_path, *options)
    assert questions(definition)["fav_pastel"]["choice_filter"] == "false()"
    assert questions(definition)["fav_color"]["other"] is True
    assert warnings == [
        f"warning: {form}: survey row 3, column choice_filter: choice_filter 'pastel=yes' "
        "reads 'yes', which is no column of the choices of list 'colors' (its columns: "
        "pastel); to compare with the text, write it in quotes: 'yes'; as in ODK, each "
        "comparison with it is false"
    ]


def test_or_other_imported_is_filled_to_the_end(runner, tmp_path, make_survey, respondent):
    form = fixture("or_other.xlsx")
    out = tmp_path / "or_other.yaml"
    assert import_form(runner, form, "--out", str(out)).exit_code == 0
    make_survey(out.read_text().replace("id: or_other", "id: or_other\npublic: true"))
    person = respondent("or_other")
    person.open()
    # The pastel question offers nothing, as in ODK: it is not asked.
    assert person.questions() == ["fav_color"]
    done = person.post(1, {"fav_color": "other", "fav_color_other": "teal"}, action="submit")
    assert done.status_code == 200


def test_specify_other_old_syntax_converts(runner, tmp_path):
    definition, warnings = converted(runner, fixture("specify_other.xlsx"), tmp_path)
    assert warnings == []
    sex = questions(definition)["sex"]
    assert (sex["type"], sex["list"], sex["other"]) == ("select_one", "sexes", True)
    assert sex["label"] == {"en": "What sex are you?"}
    assert definition["languages"] == ["en"]
    assert len(definition["pages"]) == 1


def test_choice_filter_test_imports_its_cascade(runner, tmp_path):
    # Filled to the end through the pages in test_xlsform_language.py.
    form = fixture("choice_filter_test.xlsx")
    definition, warnings = converted(runner, form, tmp_path)
    assert definition["id"] == "cascading_selects1"
    assert definition["title"] == {"en": "cascading selects"}
    found = questions(definition)
    assert list(found) == ["state", "county", "city"]
    # 'king' is a county of both states (allow_choice_duplicates): kept once, with the
    # second row's column as a copy that the filter tries too.
    assert found["county"]["choice_filter"] == "(${state}=cf) or (${state}=cf_2)"
    assert found["city"]["choice_filter"] == "${county}=cf"
    counties = {c["code"]: c["filter"] for c in definition["choices"]["counties"]}
    assert counties == {
        "king": {"cf": "washington", "cf_2": "texas"},
        "pierce": {"cf": "washington", "cf_2": "washington"},
        "cameron": {"cf": "texas", "cf_2": "texas"},
    }
    assert "filter" not in definition["choices"]["states"][0]
    assert warnings == [
        f"warning: {form}: choices row 6, column name: choice name 'king' again (first in "
        "row 4), as allow_choice_duplicates allows: Pathways keeps it once, offered wherever "
        "either row's filter columns match"
    ]


def test_group_fixture_makes_two_pages(runner, tmp_path):
    definition, _ = converted(runner, fixture("group.xlsx"), tmp_path)
    assert definition["languages"] == ["en"]  # 'label:English (en)', one colon
    assert [p["name"] for p in definition["pages"]] == ["page_1", "father"]
    assert definition["pages"][1]["title"] == {"en": "Father"}
    assert [q["name"] for q in definition["pages"][1]["questions"]] == ["phone_number", "age"]
    phone = questions(definition)["phone_number"]
    # 'phone number' is text that must be digits, as pyxform defines it.
    assert (phone["type"], phone["constraint"]) == ("text", r"regex(., '^\d*$')")


def test_field_list_fixture_languages_by_name(runner, tmp_path):
    form = fixture("field-list.xlsx")
    definition, warnings = converted(runner, form, tmp_path)
    assert definition["languages"] == ["en", "zh"]  # 'english' and 'chinese'
    assert [p["name"] for p in definition["pages"]] == ["name"]
    question = questions(definition)["table_list_question"]
    assert question["label"] == {"en": "table list question"}
    assert question["hint"] == {"en": "hint"}  # a plain column is the default language
    assert definition["choices"]["yes_no"][0]["label"] == {"en": "Yes", "zh": "是"}
    assert warnings == [
        # Chinese only on the choices sheet: the question is shown in English.
        f"warning: {form}: survey sheet: no label in 'zh': the 'en' text is shown instead",
        f"warning: {form}: survey sheet: no hint in 'zh': the 'en' text is shown instead",
        f"warning: {form}: survey row 2, column label: the group has no label; its page is titled 'Name'",
    ]


def test_text_and_integer_fixture(runner, tmp_path):
    definition, _ = converted(runner, fixture("text_and_integer.xlsx"), tmp_path)
    assert [(q["name"], q["type"]) for q in questions(definition).values()] == [
        ("your_name", "text"),
        ("your_age", "integer"),
    ]
    assert questions(definition)["your_age"]["label"] == {"en": "How many years old are you?"}


def test_yes_or_no_fixture(runner, tmp_path):
    definition, _ = converted(runner, fixture("yes_or_no_question.xlsx"), tmp_path)
    good_day = questions(definition)["good_day"]
    assert (good_day["type"], good_day["list"]) == ("select_one", "yes_or_no")
    assert [c["code"] for c in definition["choices"]["yes_or_no"]] == ["yes", "no"]


def test_case_insensitivity_fixture(runner, tmp_path):
    form = fixture("case_insensitivity.xlsx")
    assert refused(runner, form) == [
        f"{form}: survey row 3, column TYPE: 'select_one_external c1' is not supported: its choices come from a file or an external list",
        f"{form}: survey row 4, column TYPE: 'osm c1' is not supported: Pathways takes no photos, recordings or files",
        f"{form}: entities sheet: entities (saving to a dataset) are not supported",
    ]
    definition, _ = converted(runner, form, tmp_path, "--skip-unsupported")
    assert definition["id"] == "yesno"  # form_id YesNo
    assert definition["title"] == {"en": "Yes or no"}
    assert definition["languages"] == ["en"]  # LABEL::EN and DEFAULT_LANGUAGE EN
    assert questions(definition)["q1"]["label"] == {"en": "Are you good?"}
    assert [c["code"] for c in definition["choices"]["c1"]] == ["n1-c", "n2-c"]


@pytest.mark.parametrize("options", [(), ("--skip-unsupported",)])
def test_unknown_question_type_fixture_is_refused(runner, options):
    form = fixture("unknown_question_type.xls")
    lines = refused(runner, form, *options)
    assert f"{form}: survey row 52, column type: unknown question type 'unknown'" in lines
    assert f"{form}: survey row 2, column type: unknown question type 'set form title'" in lines
    # Expressions outside our subset, with their row and column.
    assert (
        f"{form}: survey row 14, column bind:relevant: relevant \"../zone = '1_NW'\": "
        "unexpected '.' at position 2"
    ) in lines
    assert any(
        line.startswith(f"{form}: choices row 51, column name: choice name 'Cross cutting'")
        for line in lines
    )


# --- small workbooks, one feature each -------------------------------------------------

TWO_LANGUAGES = [
    ["type", "name", "label::English (en)", "label::Swahili (sw)", "hint::English (en)"],
    ["text", "name", "Your name", "Jina lako", "As you like to be called"],
    ["integer", "age", "Your age", "Umri wako", None],
]


def test_languages_by_code(runner, tmp_path):
    form = workbook(tmp_path / "codes.xlsx", TWO_LANGUAGES)
    definition, _ = converted(runner, form, tmp_path)
    assert (definition["default_language"], definition["languages"]) == ("en", ["en", "sw"])
    assert questions(definition)["name"]["label"] == {"en": "Your name", "sw": "Jina lako"}
    assert questions(definition)["name"]["hint"] == {"en": "As you like to be called"}


def test_languages_by_name_only_with_one_or_two_colons(runner, tmp_path):
    survey = [
        [
            "type",
            "name",
            "label::English",
            "label:Swahili",
            "constraint",
            "constraint_message:Swahili",
        ],
        ["integer", "age", "Your age", "Umri wako", ". > 0", "Zaidi ya 0"],
    ]
    settings = [["default_language"], ["Swahili"]]
    form = workbook(tmp_path / "names.xlsx", survey, settings=settings)
    definition, _ = converted(runner, form, tmp_path)
    assert definition["default_language"] == "sw"
    assert sorted(definition["languages"]) == ["en", "sw"]
    age = questions(definition)["age"]
    assert age["label"] == {"en": "Your age", "sw": "Umri wako"}
    assert age["constraint_message"] == {"sw": "Zaidi ya 0"}


def test_an_unknown_language_is_a_problem(runner, tmp_path):
    survey = [["type", "name", "label::Klingon"], ["text", "name", "pong"]]
    form = workbook(tmp_path / "klingon.xlsx", survey)
    lines = refused(runner, form)
    assert lines[0] == (
        f"{form}: survey sheet, column label::Klingon: unknown language 'Klingon'; "
        "write it with its code, e.g. 'Swahili (sw)'"
    )


def test_or_other_and_choices(runner, tmp_path):
    survey = [["type", "name", "label"], ["select_one colours or_other", "colour", "Colour?"]]
    choices = [
        ["list_name", "name", "label"],
        ["colours", "red", "Red"],
        ["colours", "blue", "Blue"],
    ]
    form = workbook(tmp_path / "other.xlsx", survey, choices)
    definition, _ = converted(runner, form, tmp_path)
    colour = questions(definition)["colour"]
    assert (colour["type"], colour["list"], colour["other"]) == ("select_one", "colours", True)
    assert definition["choices"]["colours"] == [
        {"code": "red", "label": {"en": "Red"}},
        {"code": "blue", "label": {"en": "Blue"}},
    ]


def test_groups_become_pages(runner, tmp_path):
    survey = [
        ["type", "name", "label", "relevant", "required"],
        ["text", "first", "First", None, "TRUE"],
        ["note", "intro", "Hello", None, None],
        ["begin group", "about", "About you", "${first} != ''", None],
        ["integer", "age", "Age", None, "yes"],
        ["begin_group", "inner", "Inner", "${age} > 17", None],
        ["date", "since", "Since when?", None, None],
        ["end_group", None, None, None, None],
        ["end group", None, None, None, None],
        ["acknowledge", "agree", "I agree", None, "true"],
        ["decimal", "hours", "Hours", None, None],
    ]
    form = workbook(tmp_path / "groups.xlsx", survey)
    definition, _ = converted(runner, form, tmp_path)
    pages = definition["pages"]
    assert [(p["name"], [q["name"] for q in p["questions"]]) for p in pages] == [
        ("page_1", ["first", "intro"]),
        ("about", ["age", "since"]),  # the nested group is flattened into the outer page
        ("page_3", ["agree", "hours"]),
    ]
    assert pages[1]["title"] == {"en": "About you"}
    found = questions(definition)
    assert found["first"]["required"] is True and found["age"]["required"] is True
    assert found["agree"]["type"] == "consent" and found["agree"]["required"] is True
    # A group's relevant applies to each of its questions.
    assert found["age"]["relevant"] == "${first} != ''"
    assert found["since"]["relevant"] == "(${first} != '') and (${age} > 17)"


def test_curly_quotes_and_renamed_references(runner, tmp_path):
    survey = [
        ["type", "name", "label", "relevant"],
        ["select_one yn", "Likes-Tea", "Tea?", None],
        ["text", "why", "Why?", "${Likes-Tea} = ‘yes’ or ${Likes-Tea} = “maybe”"],
    ]
    choices = [["list name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "maybe", "Maybe"]]
    form = workbook(tmp_path / "quotes.xlsx", survey, choices)
    definition, warnings = converted(runner, form, tmp_path)
    found = questions(definition)
    assert list(found) == ["likes_tea", "why"]
    assert found["why"]["relevant"] == "${likes_tea} = 'yes' or ${likes_tea} = \"maybe\""
    assert warnings == [
        f"warning: {form}: survey row 2, column name: name 'Likes-Tea' becomes 'likes_tea'"
    ]


def test_a_name_clash_after_conversion_is_a_problem(runner, tmp_path):
    survey = [["type", "name", "label"], ["text", "Age", "Age"], ["text", "age", "Age again"]]
    form = workbook(tmp_path / "clash.xlsx", survey)
    assert refused(runner, form) == [
        f"{form}: survey row 3, column name: name 'age' becomes 'age', like 'Age' in row 2"
    ]


UNSUPPORTED = [
    ["type", "name", "label", "relevant"],
    ["text", "place", "Where are you?", None],
    ["geopoint", "gps", "Your position", None],
    ["integer", "people", "How many people?", None],
]


def test_an_unsupported_type_is_refused_with_its_row_and_column(runner, tmp_path):
    form = workbook(tmp_path / "form.xlsx", UNSUPPORTED)
    assert refused(runner, form) == [
        f"{form}: survey row 3, column type: 'geopoint' is not supported: Pathways records no locations"
    ]


def test_skip_unsupported_leaves_the_row_out_with_a_warning(runner, tmp_path):
    form = workbook(tmp_path / "form.xlsx", UNSUPPORTED)
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings == [
        f"warning: {form}: survey row 3, column type: 'geopoint' is not supported: Pathways records no locations; row skipped"
    ]
    assert list(questions(definition)) == ["place", "people"]


def test_a_question_reading_a_skipped_question_is_an_error_or_left_out_with_it(runner, tmp_path):
    survey = [*UNSUPPORTED, ["text", "why", "Why?", "${gps} != ''"]]
    form = workbook(tmp_path / "form.xlsx", survey)
    assert refused(runner, form)[1:] == [
        f"{form}: survey row 5, column relevant: relevant refers to ${{gps}}, which is not "
        "imported (row 3: 'geopoint' is not supported: Pathways records no locations)"
    ]
    # Skipping: left out in turn (more in tests/test_xlsform_skip.py).
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings[1:] == [
        f"warning: {form}: survey row 5, column relevant: relevant reads ${{gps}}, which is not "
        "imported (row 3: 'geopoint' is not supported: Pathways records no locations); row "
        "skipped"
    ]
    assert list(questions(definition)) == ["place", "people"]


def test_unsupported_columns_and_conditional_required(runner, tmp_path):
    survey = [
        ["type", "name", "label", "default", "required", "calculation", "save_to", "read_only"],
        ["integer", "n", "N", "3", None, None, None, None],
        ["text", "t", "T", None, "${n} > 2", None, None, None],
        ["calculate", "c", None, None, None, "${n} * 2", None, None],
        ["integer", "d", "D", None, None, "${n} + 1", None, None],
        ["text", "s", "S", None, None, None, "prop", None],
        ["text", "r", "R", "x", None, None, None, "${n} > 1"],
        ["text", "ok", "OK", None, None, None, None, None],
    ]
    form = workbook(tmp_path / "columns.xlsx", survey)
    assert refused(runner, form) == [
        f"{form}: survey row 3, column required: a conditional required ('${{n}} > 2') is not supported",
        f"{form}: survey row 5, column calculation: a calculation on a 'integer' question (it "
        "would set the answer) is not supported; only a calculate row may have one",
        f"{form}: survey row 6, column save_to: a save_to ('prop') is not supported",
        f"{form}: survey row 7, column read_only: a conditional read_only ('${{n}} > 1') is not supported",
    ]
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert list(questions(definition)) == ["n", "c", "ok"]
    assert questions(definition)["n"]["default"] == "3"
    assert questions(definition)["c"]["calculation"] == "${n} * 2"
    assert len(warnings) == 4 and all(w.endswith("; row skipped") for w in warnings)


def test_an_expression_outside_our_subset_names_its_cell(runner, tmp_path):
    survey = [
        ["type", "name", "label", "constraint"],
        ["integer", "n", "N", "pow(., 2) > 2"],
        ["integer", "m", "M", "squared(.) > 2"],
    ]
    form = workbook(tmp_path / "expr.xlsx", survey)
    lines = refused(runner, form)
    # pow() is ODK's, one our expressions lack: unsupported, so it can be skipped.
    assert lines[0] == (
        f"{form}: survey row 2, column constraint: constraint calls pow(), which Pathways "
        "expressions do not have"
    )
    # squared() is nobody's: a mistake in the form, refused even when skipping.
    assert lines[1].startswith(
        f"{form}: survey row 3, column constraint: constraint 'squared(.) > 2': "
        "unknown function squared()"
    )
    assert len(lines) == 2
    assert refused(runner, form, "--skip-unsupported") == lines[1:]


def test_bad_choice_codes_are_problems(runner, tmp_path):
    survey = [["type", "name", "label"], ["select_multiple l", "pick", "Pick"]]
    choices = [
        ["list_name", "name", "label"],
        ["l", "a b", "A B"],
        ["l", "c", "C"],
        ["l", "c", "C again"],
    ]
    form = workbook(tmp_path / "codes.xlsx", survey, choices)
    assert refused(runner, form) == [
        f"{form}: choices row 2, column name: choice name 'a b': a code must be letters, "
        "digits, '.', '_', '+' or '-' (at most 64)",
        f"{form}: choices row 4, column name: duplicate choice name 'c' in list 'l' (first in row 3)",
    ]


def test_validator_problems_are_placed_in_the_workbook(runner, tmp_path):
    survey = [
        ["type", "name", "label"],
        ["text", "page", "A reserved name"],
        ["text", "nolabel", None],
    ]
    form = workbook(tmp_path / "checks.xlsx", survey)
    assert refused(runner, form) == [
        f"{form}: survey row 2, column name: question 'page': name 'page' is reserved; choose another",
        f"{form}: survey row 3, column label: question 'nolabel': label is missing in the default language 'en'",
    ]


@pytest.mark.parametrize(
    ("raw", "version", "warned"),
    [
        ("2024010101", 2024010101, False),
        ("7", 7, False),
        ("1.2", 1002000, True),
        ("2024-03-05", 2024030500, True),
    ],
)
def test_versions_become_whole_numbers(runner, tmp_path, raw, version, warned):
    survey = [["type", "name", "label"], ["text", "q", "Q"]]
    form = workbook(tmp_path / "version.xlsx", survey, settings=[["version"], [raw]])
    definition, warnings = converted(runner, form, tmp_path)
    assert definition["version"] == version
    assert bool(warnings) is warned
    if warned:
        assert warnings == [
            f"warning: {form}: settings row 2, column version: version {raw!r} is not a whole "
            f"number from 1 up; using {version}"
        ]


# --- broken files: one line each, never a traceback ------------------------------------


def test_a_file_that_is_not_a_workbook(runner, tmp_path):
    form = tmp_path / "notes.xlsx"
    form.write_text("type,name,label\ntext,a,A\n")
    assert refused(runner, form) == [f"{form}: not an Excel workbook (.xlsx or .xls)"]


def test_a_zip_that_is_not_a_workbook(runner, tmp_path):
    form = tmp_path / "archive.xlsx"
    form.write_bytes(b"PK\x03\x04 not really a zip")
    lines = refused(runner, form)
    assert len(lines) == 1 and lines[0].startswith(f"{form}: not a readable .xlsx workbook")


SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>%s</sheetData></worksheet>"
)
HEADER_ROW = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>name</t></is></c>'
    b'<c r="C1" t="inlineStr"><is><t>label</t></is></c></row>'
)


def swollen_workbook(path: Path, rows: bytes | None = None) -> Path:
    """A small workbook whose survey sheet is replaced by `rows` (default: a header row and
    40 MB of blanks, which pack into some 40 KB) — what a decompression bomb looks like."""
    small = workbook(path.with_name("small.xlsx"), [["type", "name", "label"]])
    body = SHEET % (HEADER_ROW + b" " * (40 << 20) if rows is None else rows)
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(
                info.filename, body if info.filename == "xl/worksheets/sheet1.xml" else data
            )
    return path


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (None, "the workbook unpacks to more than 20 MB, the most a survey form may take"),
        (
            HEADER_ROW + b"".join(b'<row r="%d"/>' % n for n in range(2, 10_003)),
            "the workbook has more than 10000 rows, the most a survey form may have",
        ),
        (
            HEADER_ROW + b"<row>" + b"<c><v>1</v></c>" * 200_001 + b"</row>",
            "the workbook has more than 200000 cells, the most a survey form may have",
        ),
    ],
)
def test_a_workbook_too_large_to_be_a_form_is_refused_before_it_is_read(
    runner, tmp_path, rows, message
):
    form = swollen_workbook(tmp_path / "bomb.xlsx", rows)
    assert form.stat().st_size < 512 * 1024  # small enough to upload
    started = time.monotonic()
    assert refused(runner, form) == [f"{form}: {message}"]
    assert time.monotonic() - started < 5


def test_a_missing_file(runner, tmp_path):
    assert refused(runner, tmp_path / "nope.xlsx") == [f"{tmp_path / 'nope.xlsx'}: no such file"]


def test_a_workbook_without_a_survey_sheet(runner, tmp_path):
    form = workbook(
        tmp_path / "plain.xlsx", None, Sheet1=[["type", "name", "label"], ["text", "a", "A"]]
    )
    assert refused(runner, form) == [
        f"{form}: the workbook has no 'survey' sheet (its sheets: 'Sheet1')"
    ]


def test_duplicate_column_headers(runner, tmp_path):
    form = workbook(
        tmp_path / "dup.xlsx", [["type", "name", "label", "label"], ["text", "a", "A", "B"]]
    )
    assert refused(runner, form) == [
        f"{form}: duplicate column header 'label': each column of a sheet needs a header of its own"
    ]
    form = workbook(
        tmp_path / "dupcase.xlsx", [["type", "name", "label", "LABEL"], ["text", "a", "A", "B"]]
    )
    assert refused(runner, form) == [
        f"{form}: survey sheet: duplicate column header 'LABEL': each column of a sheet needs a header of its own"
    ]


def test_a_survey_sheet_without_a_type_column(runner, tmp_path):
    form = workbook(tmp_path / "notype.xlsx", [["name", "label"], ["a", "A"]])
    assert refused(runner, form) == [f"{form}: the survey sheet has no 'type' column"]


# --- options, output, and the imported survey in use -----------------------------------


def test_yaml_goes_to_stdout_by_default(runner, tmp_path):
    form = workbook(tmp_path / "Staff Survey.xlsx", TWO_LANGUAGES)
    result = import_form(runner, form)
    assert (result.exit_code, result.stderr) == (
        0,
        f"warning: {form}: survey sheet: no hint in 'sw': the 'en' text is shown instead\n",
    )
    out = tmp_path / "printed.yaml"
    out.write_text(result.stdout)
    definition, problems = read_definition(out)
    assert problems == []
    assert definition["id"] == "staff_survey"  # from the file name
    assert "        label:\n          en: Your name\n          sw: Jina lako\n" in result.stdout


def test_id_and_out_then_load_and_serve(runner, client, tmp_path):
    form = workbook(
        tmp_path / "form.xlsx",
        TWO_LANGUAGES,
        settings=[["form_id", "form_title"], ["ignored", "Staff"]],
    )
    out = tmp_path / "staff.yaml"
    result = import_form(runner, form, "--id", "staff-2024", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"written: {out}: staff-2024 version 1: 1 pages, 2 questions, languages en, sw\n"
    )
    definition, problems = read_definition(out)
    assert problems == [] and definition["id"] == "staff-2024"
    assert definition["title"] == {"en": "Staff"}

    # Imported forms are answered through personal links unless the YAML says otherwise.
    assert "public" not in out.read_text() and "public" not in definition
    out.write_text(out.read_text() + "public: true\n")
    result = runner.invoke(args=["surveys", "load", str(out)])
    assert (result.exit_code, result.output) == (0, "loaded: staff-2024 version 1\n")
    page = client.get("/s/staff-2024", follow_redirects=True)
    assert page.status_code == 200
    assert "Your name" in page.text and "Your age" in page.text


def test_a_bad_id_is_refused(runner, tmp_path):
    form = workbook(tmp_path / "form.xlsx", TWO_LANGUAGES)
    assert refused(runner, form, "--id", "Not An Id") == [
        f"{form}: --id 'Not An Id': an id is lower-case letters, digits, '-' or '_', starting with a letter"
    ]
