"""`surveys import --skip-unsupported` as a KoboToolbox user expects it: import what can be
imported, and say what was left out. What reads a question left out (its relevant,
calculation, choice filter, default, a repeat's count, a group's relevant) goes with it, in
order, one warning naming each row; a constraint that reads one goes, the question stays;
a page title or choice label is shown without the answer. Without the option each is a
problem naming the row, as before. The shared UCL form, which needs all of it, is imported
and filled to the end through the pages."""

from __future__ import annotations

import pytest

from tests.test_xlsform import converted, fixture, questions, refused, workbook
from tests.test_xlsform_language import published

HEADER = ["type", "name", "label", "relevant", "calculation", "choice_filter", "default"]
GPS = ["geopoint", "gps", "Where are you?"]
GPS_GONE = "'geopoint' is not supported: Pathways records no locations"
YES_NO = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


def rows(*survey: list) -> list[list]:
    """Survey rows under HEADER, each padded to its length."""
    return [HEADER, *([*row, *[None] * (len(HEADER) - len(row))] for row in survey)]


# --- a question row that reads a question left out is left out with it -------------------


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (["text", "why", "Why?", "${gps} != ''"], "relevant"),
        (["calculate", "copy", None, None, "${gps}"], "calculation"),
        (["select_one yn", "pick", "Pick", None, None, "name != ${gps}"], "choice_filter"),
        (["text", "again", "Again", None, None, None, "${gps}"], "default"),
    ],
)
def test_a_question_reading_a_question_left_out_is_left_out_with_it(runner, tmp_path, row, column):
    survey = rows(GPS, row, ["text", "kept", "Kept"])
    form = workbook(tmp_path / "reads.xlsx", survey, YES_NO)
    ref = "${gps}"
    # Without the option: a problem naming the row, as before.
    assert refused(runner, form) == [
        f"{form}: survey row 2, column type: {GPS_GONE}",
        f"{form}: survey row 3, column {column}: {column} refers to {ref}, which is not "
        f"imported (row 2: {GPS_GONE})",
    ]
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings == [
        f"warning: {form}: survey row 2, column type: {GPS_GONE}; row skipped",
        f"warning: {form}: survey row 3, column {column}: {column} reads {ref}, which is not "
        f"imported (row 2: {GPS_GONE}); row skipped",
    ]
    assert list(questions(definition)) == ["kept"]


def test_what_reads_a_row_left_out_for_reading_one_is_left_out_in_turn(runner, tmp_path):
    survey = rows(
        GPS,
        ["calculate", "has_gps", None, None, "${gps} != ''"],
        ["integer", "n", "N"],
        ["text", "where", "Where?", "${has_gps} and ${n} > 1"],
        ["note", "said", "You said ${where}"],
        ["integer", "m", "M", "${n} > 2"],
    )
    form = workbook(tmp_path / "cascade.xlsx", survey)
    # Without the option, only the first row that reads the geopoint is a problem.
    assert refused(runner, form) == [
        f"{form}: survey row 2, column type: {GPS_GONE}",
        f"{form}: survey row 3, column calculation: calculation refers to ${{gps}}, which is "
        f"not imported (row 2: {GPS_GONE})",
    ]
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    at = f"warning: {form}: survey row"
    assert warnings == [
        f"{at} 2, column type: {GPS_GONE}; row skipped",
        f"{at} 3, column calculation: calculation reads ${{gps}}, which is not imported "
        f"(row 2: {GPS_GONE}); row skipped",
        f"{at} 5, column relevant: relevant reads ${{has_gps}}, which is not imported "
        "(row 3: its calculation reads ${gps}, which is not imported); row skipped",
        f"{at} 6, column label: the label shows ${{where}}, which is not imported (row 5: "
        "its relevant reads ${has_gps}, which is not imported); row skipped",
    ]
    found = questions(definition)
    assert list(found) == ["n", "m"]
    assert found["m"]["relevant"] == "${n} > 2"


# --- a constraint that reads a question left out: left out, the question kept ------------


def test_a_constraint_reading_a_question_left_out_is_left_out_and_the_question_kept(
    runner, make_survey, respondent, responses_of, tmp_path
):
    survey = [
        ["type", "name", "label", "calculation", "constraint", "constraint_message"],
        ["integer", "slope", "Slope", None, None, None],
        ["calculate", "radius", None, "sqrt(${slope})", None, None],
        ["decimal", "distance", "Distance", None, ". < ${radius}", "At most ${radius} m"],
        ["text", "phone", "Phone", None, ". != ${radius}", None],
    ]
    form = workbook(tmp_path / "constraint.xlsx", survey)
    why = "(row 3: calculation calls sqrt(), which Pathways expressions do not have)"
    assert refused(runner, form)[1:] == [
        f"{form}: survey row 4, column constraint_message: the constraint_message shows "
        f"${{radius}}, which is not imported {why}",
        f"{form}: survey row 5, column constraint: constraint refers to ${{radius}}, which is "
        f"not imported {why}",
    ]
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings[1:] == [
        # The message shows what is gone too: it goes with its constraint, not the row.
        f"warning: {form}: survey row 4, column constraint: constraint reads ${{radius}}, "
        f"which is not imported {why}; the constraint and its constraint_message left out, "
        "the question is kept",
        f"warning: {form}: survey row 5, column constraint: constraint reads ${{radius}}, "
        f"which is not imported {why}; the constraint left out, the question is kept",
    ]
    found = questions(definition)
    assert list(found) == ["slope", "distance", "phone"]
    assert found["distance"]["constraint"] is None
    assert found["distance"]["constraint_message"] == {}
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    person.post(1, {"slope": "10", "distance": "99.5", "phone": "x"}, action="submit")
    assert person.last.status_code == 200
    assert person.errors() == {}
    ((_, answers),) = responses_of(survey_id)
    assert answers == {"slope": 10, "distance": 99.5, "phone": "x"}


def test_the_constraint_a_type_implies_stays_when_the_written_one_goes(runner, tmp_path):
    survey = [
        ["type", "name", "label", "calculation", "constraint"],
        ["calculate", "root", None, "sqrt(4)", None],
        ["phone number", "phone", "Phone", None, ". != ${root}"],
    ]
    form = workbook(tmp_path / "phone.xlsx", survey)
    definition, _ = converted(runner, form, tmp_path, "--skip-unsupported")
    phone = questions(definition)["phone"]
    assert "${root}" not in phone["constraint"]
    assert phone["constraint"].startswith("regex(")


# --- texts ------------------------------------------------------------------------------------


def test_a_hint_showing_a_question_left_out_leaves_its_row_out(runner, tmp_path):
    survey = [
        ["type", "name", "label", "hint"],
        GPS,
        ["text", "a", "A", "Near ${gps}?"],
        ["text", "b", "B"],
    ]
    form = workbook(tmp_path / "hint.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings[1] == (
        f"warning: {form}: survey row 3, column hint: the hint shows ${{gps}}, which is not "
        f"imported (row 2: {GPS_GONE}); row skipped"
    )
    assert list(questions(definition)) == ["b"]


# --- groups -----------------------------------------------------------------------------------


def test_a_group_whose_relevant_reads_a_question_left_out_is_left_out_with_its_questions(
    runner, tmp_path
):
    survey = rows(
        ["text", "before", "Before"],
        GPS,
        ["begin group", "near", "Near you", "${gps} != ''"],
        ["text", "a", "A"],
        ["begin group", "inner", "Inner"],
        ["integer", "b", "B"],
        ["end group"],
        ["end group"],
        ["integer", "c", "C", "${b} > 1"],
        ["text", "after", "After"],
    )
    form = workbook(tmp_path / "group.xlsx", survey)
    assert refused(runner, form)[1] == (
        f"{form}: survey row 4, column relevant: relevant refers to ${{gps}}, which is not "
        f"imported (row 3: {GPS_GONE})"
    )
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    at = f"warning: {form}: survey row"
    # One warning for the group and what is in it; what reads inside it goes in turn.
    assert warnings == [
        f"{at} 3, column type: {GPS_GONE}; row skipped",
        f"{at} 4, column relevant: relevant reads ${{gps}}, which is not imported (row 3: "
        f"{GPS_GONE}); rows 4-9 skipped",
        f"{at} 10, column relevant: relevant reads ${{b}}, which is not imported (it is "
        "inside the group in row 4, which is not imported); row skipped",
    ]
    pages = [[q["name"] for q in page["questions"]] for page in definition["pages"]]
    assert pages == [["before"], ["after"]]


def test_a_group_inside_a_repeat_is_left_out_the_same_way(runner, tmp_path):
    survey = rows(
        GPS,
        ["begin repeat", "r", "R"],
        ["text", "a", "A"],
        ["begin group", "g", "G", "${gps} != ''"],
        ["text", "b", "B"],
        ["end group"],
        ["end repeat"],
    )
    form = workbook(tmp_path / "inner.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings[-1].endswith("; rows 5-7 skipped")
    assert [q["name"] for q in questions(definition)["r"]["questions"]] == ["a"]


def test_a_group_left_out_and_never_closed_is_a_problem(runner, tmp_path):
    survey = rows(GPS, ["begin group", "g", "G", "${gps} != ''"], ["text", "b", "B"])
    form = workbook(tmp_path / "open.xlsx", survey)
    assert refused(runner, form, "--skip-unsupported") == [
        f"{form}: survey row 3, column type: 'begin group' has no matching 'end group'"
    ]


PIPED = [
    ["type", "name", "label::English (en)", "label::French (fr)"],
    ["geopoint", "gps", "Where?", "Où ?"],
    ["begin group", "near", "Near ${gps}", "${gps}"],
    ["select_one l", "pick", "Pick", "Choisir"],
    ["end group", None, None, None],
]


def test_a_page_title_or_choice_label_is_shown_without_the_answer_left_out(runner, tmp_path):
    choices = [
        ["list_name", "name", "label::English (en)", "label::French (fr)"],
        ["l", "a", "A at ${gps}  now", "${gps}"],
        ["l", "b", "B", "B"],
    ]
    form = workbook(tmp_path / "piped.xlsx", PIPED, choices)
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    shows = f"shows ${{gps}}, which is not imported (row 2: {GPS_GONE}); shown without it"
    assert warnings[1:] == [
        f"warning: {form}: survey row 3, column label::English (en): the label {shows}",
        f"warning: {form}: survey row 3, column label::French (fr): the label {shows}",
        f"warning: {form}: choices row 2, column label::English (en): the label {shows}",
        f"warning: {form}: choices row 2, column label::French (fr): the label {shows}",
    ]
    # A text left with nothing to show: the page as one without a title, the choice its code.
    assert definition["pages"][0]["title"] == {"en": "Near", "fr": "Near"}
    assert definition["choices"]["l"][0]["label"] == {"en": "A at now", "fr": "a"}


# --- repeats ----------------------------------------------------------------------------------

REPEAT_HEADER = ["type", "name", "label", "relevant", "repeat_count", "calculation"]


@pytest.mark.parametrize(
    ("begin", "column"),
    [
        (["begin repeat", "r", "R", "${gps} != ''"], "relevant"),
        (["begin repeat", "r", "R", None, "${gps}"], "repeat_count"),
    ],
)
def test_a_repeat_whose_relevant_or_count_reads_a_question_left_out_goes_with_its_rows(
    runner, tmp_path, begin, column
):
    survey = [
        REPEAT_HEADER,
        GPS,
        begin,
        ["text", "a", "A"],
        ["end repeat"],
        ["text", "kept", "Kept"],
        ["calculate", "c", None, None, None, "${a}"],
    ]
    form = workbook(tmp_path / "repeat.xlsx", survey)
    assert refused(runner, form)[1] == (
        f"{form}: survey row 3, column {column}: {column} refers to ${{gps}}, which is not "
        f"imported (row 2: {GPS_GONE})"
    )
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings[1:] == [
        f"warning: {form}: survey row 3, column {column}: {column} reads ${{gps}}, which is "
        f"not imported (row 2: {GPS_GONE}); rows 3-5 skipped",
        f"warning: {form}: survey row 7, column calculation: calculation reads ${{a}}, which "
        "is not imported (it is inside the repeat in row 3, which is not imported); row skipped",
    ]
    assert list(questions(definition)) == ["kept"]


def test_a_repeat_whose_questions_all_read_what_is_left_out_is_left_out(runner, tmp_path):
    survey = [
        REPEAT_HEADER,
        GPS,
        ["begin repeat", "r", "R"],
        ["text", "a", "A", "${gps} != ''"],
        ["calculate", "c", None, None, None, "${a}"],
        ["end repeat"],
        ["text", "kept", "Kept"],
        ["text", "any", "Any?", "${r} != ''"],
    ]
    form = workbook(tmp_path / "empty.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    at = f"warning: {form}: survey row"
    assert warnings == [
        f"{at} 2, column type: {GPS_GONE}; row skipped",
        f"{at} 3, column type: the repeat has no question left to import; left out",
        f"{at} 4, column relevant: relevant reads ${{gps}}, which is not imported (row 2: "
        f"{GPS_GONE}); row skipped",
        f"{at} 5, column calculation: calculation reads ${{a}}, which is not imported (row 4: "
        "its relevant reads ${gps}, which is not imported); row skipped",
        f"{at} 8, column relevant: relevant reads ${{r}}, which is not imported (row 3: it has "
        "no question); row skipped",
    ]
    assert list(questions(definition)) == ["kept"]


# --- the shared UCL form ----------------------------------------------------------------------

UCL = "UCL_Biomass_Plot_Form.xlsx"
FROM_FILE = "is not supported: its choices come from a file or an external list"
NO_SQRT = "calculation calls sqrt(), cos(), atan(), which Pathways expressions do not have"
# What its repeats read that is left out: each row left out in turn, or its constraint.
UCL_LEFT_OUT_IN_TURN = [
    f"33, column calculation: calculation reads ${{plot_id}}, which is not imported (row 20: "
    f"'select_one_from_file ULC_Biomass_Plots.csv' {FROM_FILE}); row skipped",
    f"36, column relevant: relevant reads ${{latin_name_id}}, which is not imported (row 35: "
    f"'select_one_from_file species_names.csv' {FROM_FILE}); row skipped",
    f"38, column constraint: constraint reads ${{slope_radius}}, which is not imported (row "
    f"26: {NO_SQRT}); the constraint and its constraint_message left out, the question is kept",
    f"39, column calculation: calculation reads ${{slope_radius_inner}}, which is not imported "
    f"(row 27: {NO_SQRT}); row skipped",
    f"58, column relevant: relevant reads ${{stump_latin_name_id}}, which is not imported (row "
    f"57: 'select_one_from_file species_names.csv' {FROM_FILE}); row skipped",
    f"60, column constraint: constraint reads ${{slope_radius}}, which is not imported (row "
    f"26: {NO_SQRT}); the constraint and its constraint_message left out, the question is kept",
    f"74, column relevant: relevant reads ${{latin_name_id_sp1}}, which is not imported (row "
    f"73: 'select_one_from_file species_names.csv' {FROM_FILE}); row skipped",
    f"82, column relevant: relevant reads ${{latin_name_id_sp2}}, which is not imported (row "
    f"81: 'select_one_from_file species_names.csv' {FROM_FILE}); row skipped",
]


def test_ucl_biomass_imports_with_skip_unsupported(runner, tmp_path):
    form = fixture(UCL)
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert definition["id"] == "ucl_biomass_plot_form"
    assert definition["default_language"] == "sw"
    assert sorted(definition["languages"]) == ["en", "sw"]
    for line in UCL_LEFT_OUT_IN_TURN:
        assert f"warning: {form}: survey row {line}" in warnings
    # Every warning names its row (but the version's, on the settings sheet).
    assert all(f"{form}: survey row " in w or "settings row 2" in w for w in warnings)
    skipped = [int(w.split("survey row ")[1].split(",")[0]) for w in warnings if "skipped" in w]
    assert skipped == [
        *(11, 12, 16, 17, 18, 20, 22, 23, 26, 27, 28),  # metadata, from files, gps, sqrt()
        *(33, 35, 36, 39, 43),  # in the trees repeat: 43 the stems repeat inside it
        *(57, 58, 65, 73, 74, 81, 82, 91),
    ]
    pages = [(p["name"], [q["name"] for q in p["questions"]]) for p in definition["pages"]]
    assert pages == [
        ("intro", ["note2", "note1"]),
        ("info", ["leader_name", "leader_name_other", "leader_number"]),
        ("location", ["plant_phase", "canopy_cover", "monumented", "slope"]),
        ("page_4", ["any_trees"]),
        ("trees", ["trees"]),
        ("page_6", ["stumps_in_plot"]),
        ("stumps", ["stumps"]),
        ("page_8", ["regen_in_subplot1"]),
        ("subplot1", ["subplot1"]),
        ("page_10", ["regen_in_subplot2"]),
        ("subplot2", ["subplot2"]),
        ("page_12", ["disturbance", "remarks"]),
    ]
    assert definition["pages"][1]["title"] == {
        "sw": "Taarifa za mtu anayejaza fomu",
        "en": "Enumerator Details.",
    }
    found = questions(definition)
    assert found["leader_name"]["label"] == {"sw": "Jina Lako", "en": "Your Name"}
    # Curly quotes in relevant become straight ones, on a repeat too.
    assert found["leader_name_other"]["relevant"] == "${leader_name} = 'other'"
    assert found["trees"]["relevant"] == "${any_trees} = 'yes'"
    inner = {
        name: [q["name"] for q in found[name]["questions"]]
        for name in found
        if found[name]["type"] == "repeat"
    }
    assert inner == {
        "trees": ["tag", "tree_bearing", "tree_distance", "bole_height", "stem_count"],
        "stumps": [
            "stump_bearing",
            "stump_distance",
            "stump_age",
            "stump_height",
            "stump_center_circumference",
            "stump_30cm_circumference",
            "stump_health_id",
            "stump_decay_class",
            "stump_notes",
        ],
        "subplot1": ["seedling_1", "coppice_1", "sucker_1"],
        "subplot2": ["seedling_2", "coppice_2", "sucker_2"],
    }
    distance = found["trees"]["questions"][2]
    assert distance["constraint"] is None and distance["constraint_message"] == {}
    # Every text is in both languages: no translation is missing.
    assert not any("text is shown" in w for w in warnings)


def test_ucl_biomass_is_filled_to_the_end_through_the_pages(
    runner, make_survey, respondent, responses_of, tmp_path
):
    form = fixture(UCL)
    converted(runner, form, tmp_path, "--skip-unsupported")
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    assert person.questions() == ["note2", "note1"]
    person.post(1, {})
    info = {"leader_name": "Aloyce", "leader_number": "0712345678"}
    person.post(2, info)
    location = {"plant_phase": "2023", "canopy_cover": "40", "monumented": "yes", "slope": "12"}
    person.post(3, location)
    person.post(4, {"any_trees": "yes"})
    assert "trees-0-tag" in person.questions()
    # Two trees; the distance is no longer checked against a radius worked out with sqrt().
    tree = {"trees-0-tag": "101", "trees-0-tree_bearing": "90", "trees-0-tree_distance": "14.5"}
    response = person.post(5, tree, action="add:trees", follow=False)
    person.open(response.headers["Location"])
    tree |= {
        "trees-1-tag": "102",
        "trees-1-tree_bearing": "180",
        "trees-1-tree_distance": "99",
        "trees-1-stem_count": "2",
    }
    person.post(5, tree)
    assert person.errors() == {}
    person.post(6, {"stumps_in_plot": "no"})  # the stumps page is not asked
    assert person.questions() == ["regen_in_subplot1"]
    person.post(8, {"regen_in_subplot1": "yes"})
    subplot = {
        "subplot1-0-seedling_1": "3",
        "subplot1-0-coppice_1": "0",
        "subplot1-0-sucker_1": "1",
    }
    person.post(9, subplot)
    person.post(10, {"regen_in_subplot2": "no"})
    assert person.questions() == ["disturbance", "remarks"]
    last = {"disturbance": ["grazing", "cutting"], "remarks": "Dry season"}
    assert person.post(12, last, action="submit").status_code == 200
    ((_, answers),) = responses_of(survey_id)
    assert answers["trees"] == [
        {"tag": 101, "tree_bearing": 90, "tree_distance": 14.5},
        {"tag": 102, "tree_bearing": 180, "tree_distance": 99, "stem_count": 2},
    ]
    assert answers["subplot1"] == [{"seedling_1": 3, "coppice_1": 0, "sucker_1": 1}]
    assert answers["disturbance"] == ["grazing", "cutting"]
    assert "stumps" not in answers and "subplot2" not in answers  # not asked
