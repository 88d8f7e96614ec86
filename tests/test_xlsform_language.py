"""The XLSForm import onto the grown survey language (issue 17): calculations, choice
filters over the choices sheet's columns, defaults, read-only questions, required
messages, answers shown in texts and forgiving translations — each imported from a small
workbook, checked in the YAML, and filled to the end through the real pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.test_xlsform import converted, fixture, questions, refused, workbook


def published(make_survey, tmp_path: Path, form: Path) -> str:
    """The YAML the import wrote for `form`, opened to the public and stored; its id."""
    out = tmp_path / f"{form.stem}.yaml"
    text = out.read_text() + "public: true\n"
    make_survey(text, name=f"{form.stem}-public.yaml")
    return next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("id: "))


def options(person, name: str) -> list[str]:
    return [i["value"] for i in person.page.select(f'input[name="{name}"]')]


# --- a cascade, calculations, defaults and piping, filled to the end -------------------

CASCADE = [
    [
        "type",
        "name",
        "label::English (en)",
        "label::Spanish (es)",
        "hint::English (en)",
        "hint::Spanish (es)",
        "required",
        "required_message::English (en)",
        "required_message::Spanish (es)",
        "constraint",
        "constraint_message::English (en)",
        "constraint_message::Spanish (es)",
        "calculation",
        "choice_filter",
        "default",
        "read_only",
        "trigger",
    ],
    ["text", "First-Name", "Your first name", "Tu nombre", *[None] * 13],
    [
        "integer",
        "Birth_Year",
        "Year of birth",
        "Año de nacimiento",
        None,
        None,
        "yes",
        "We need the year, ${First-Name}",
        "Necesitamos el año, ${First-Name}",
        ". >= 1900",
        "From 1900, ${First-Name}",
        "Desde 1900, ${First-Name}",
        *[None] * 5,
    ],
    [
        "calculate",
        "age_band",
        *[None] * 10,
        "if(2026 - ${Birth_Year} < 30, 'under_30', '30_plus')",
        *[None] * 4,
    ],
    ["select_one countries", "country", "Country", "País", *[None] * 13],
    [
        "select_one regions",
        "region",
        "Region of ${country}",
        "Región de ${country}",
        *[None] * 9,
        "Country_Code = ${country}",
        *[None] * 3,
    ],
    ["begin group", "more", "More about ${First-Name}", "Más sobre ${First-Name}", *[None] * 13],
    [
        "date",
        "joined",
        "When did you join?",
        "¿Cuándo te uniste?",
        *[None] * 10,
        "today()",
        None,
        None,
    ],
    [
        "select_one programmes",
        "programme",
        "Programme",
        "Programa",
        *[None] * 10,
        "gsoc",
        None,
        None,
    ],
    [
        "text",
        "source",
        "How this survey reached you",
        "Cómo te llegó",
        *[None] * 10,
        "public link",
        "yes",
        None,
    ],
    [
        "calculate",
        "greeting",
        *[None] * 10,
        "concat('Hello ', ${First-Name})",
        None,
        None,
        None,
        "${First-Name}",
    ],
    [
        "integer",
        "projects",
        "How many projects in ${programme}?",
        "¿Cuántos proyectos en ${programme}?",
        "Since ${joined}",
        "Desde ${joined}",
        *[None] * 11,
    ],
    ["end group", *[None] * 16],
]
CASCADE_CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Spanish (es)", "Country_Code"],
    ["countries", "KEN", "Kenya", "Kenia", None],
    ["countries", "BRA", "Brazil", "Brasil", None],
    ["regions", "nairobi", "Nairobi", "Nairobi", "KEN"],
    ["regions", "mombasa", "Mombasa", "Mombasa", "KEN"],
    ["regions", "bahia", "Bahia", "Bahía", "BRA"],
    ["programmes", "gsoc", "Google Summer of Code", "Google Summer of Code", None],
    ["programmes", "outreachy", "Outreachy (${First-Name}'s pick?)", "Outreachy", None],
]


@pytest.fixture
def cascade(runner, tmp_path):
    form = workbook(tmp_path / "cascade.xlsx", CASCADE, CASCADE_CHOICES)
    definition, warnings = converted(runner, form, tmp_path)
    return form, definition, warnings


def test_the_new_columns_become_the_new_keys(cascade):
    form, definition, warnings = cascade
    found = questions(definition)
    # Calculations, with the names they read renamed as the questions are.
    age_band = found["age_band"]
    assert (age_band["type"], age_band["label"]) == ("calculate", {})
    assert age_band["calculation"] == "if(2026 - ${birth_year} < 30, 'under_30', '30_plus')"
    assert found["greeting"]["calculation"] == "concat('Hello ', ${first_name})"
    # The choice filter reads the renamed column; each choice carries its value.
    assert found["region"]["choice_filter"] == "country_code = ${country}"
    assert definition["choices"]["regions"][0]["filter"] == {"country_code": "KEN"}
    assert "filter" not in definition["choices"]["countries"][0]
    # Answers shown in texts, in every language, renamed too.
    assert found["region"]["label"] == {"en": "Region of ${country}", "es": "Región de ${country}"}
    assert found["birth_year"]["required_message"] == {
        "en": "We need the year, ${first_name}",
        "es": "Necesitamos el año, ${first_name}",
    }
    assert found["birth_year"]["constraint_message"]["es"] == "Desde 1900, ${first_name}"
    assert found["projects"]["hint"] == {"en": "Since ${joined}", "es": "Desde ${joined}"}
    assert definition["pages"][1]["title"]["en"] == "More about ${first_name}"
    outreachy = definition["choices"]["programmes"][1]["label"]["en"]
    assert outreachy == "Outreachy (${first_name}'s pick?)"
    # Defaults: an expression by pyxform's rule, and values; read-only.
    assert (found["joined"]["default"], found["joined"]["default_is_expression"]) == (
        "today()",
        True,
    )
    assert (found["programme"]["default"], found["programme"]["default_is_expression"]) == (
        "gsoc",
        False,
    )
    assert found["source"]["read_only"] is True and found["source"]["default"] == "public link"
    # The trigger changes nothing here: said, and left out.
    assert warnings == [
        f"warning: {form}: survey row 2, column name: name 'First-Name' becomes 'first_name'",
        f"warning: {form}: survey row 3, column name: name 'Birth_Year' becomes 'birth_year'",
        f"warning: {form}: survey row 11, column trigger: trigger '${{First-Name}}' left out: "
        "Pathways works out every calculation again from the answers each time a page is saved",
        f"warning: {form}: choices sheet, column Country_Code: choice filter column "
        "'Country_Code' becomes 'country_code'",
    ]


def test_the_imported_cascade_is_filled_to_the_end(
    cascade, make_survey, respondent, responses_of, tmp_path
):
    form, _, _ = cascade
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    assert "region" not in person.questions()  # no country yet: the filter keeps nothing
    first = {"first_name": "Ana", "birth_year": "2000", "country": "KEN"}
    person.post(1, first)
    assert options(person, "region") == ["nairobi", "mombasa"]
    assert person.page.select_one("#q-region legend").get_text().startswith("Region of Kenya")
    # The required message (piping the answer into it is the server's: see below).
    response = person.post(1, {**first, "birth_year": "", "region": "nairobi"})
    assert response.status_code == 422
    assert "We need the year" in person.errors()["birth_year"]
    person.post(1, {**first, "region": "mombasa"})
    page = person.page
    assert "More about Ana" in page.select_one("h1").get_text()
    assert page.select_one('input[name="joined"]')["value"] == date.today().isoformat()
    assert page.select_one('input[name="programme"][value="gsoc"]').has_attr("checked")
    assert page.select_one('input[name="source"]').has_attr("disabled")
    assert "Outreachy (Ana's pick?)" in page.get_text()
    assert "How many projects in Google Summer of Code?" in page.get_text()
    shown = {"joined": date.today().isoformat(), "programme": "gsoc", "projects": "2"}
    assert person.post(2, shown, action="submit").status_code == 200
    ((_, answers),) = responses_of(survey_id)
    assert answers["age_band"] == "under_30"
    assert answers["greeting"] == "Hello Ana"
    assert answers["region"] == "mombasa"
    assert answers["source"] == "public link"
    assert answers["projects"] == 2


def test_an_imported_required_message_shows_the_answer_piped_in(
    cascade, make_survey, respondent, tmp_path
):
    form, _, _ = cascade
    person = respondent(published(make_survey, tmp_path, form))
    person.open()
    first = {"first_name": "Ana", "birth_year": "2000", "country": "KEN"}
    person.post(1, first)
    person.post(1, {**first, "birth_year": "", "region": "nairobi"})
    assert "We need the year, Ana" in person.errors()["birth_year"]


# --- the shared fixture with a cascade -------------------------------------------------


def test_choice_filter_test_is_filled_to_the_end(
    runner, make_survey, respondent, responses_of, tmp_path
):
    form = fixture("choice_filter_test.xlsx")
    converted(runner, form, tmp_path)
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    assert person.questions() == ["state"]
    person.post(1, {"state": "texas"})
    # King is a county of Texas too (its second row): offered with Cameron.
    assert options(person, "county") == ["king", "cameron"]
    person.post(1, {"state": "texas", "county": "cameron"})
    assert options(person, "city") == ["brownsville", "harlingen"]
    person.post(1, {"state": "texas", "county": "cameron", "city": "harlingen"}, action="submit")
    other = respondent(survey_id)
    other.open()
    other.post(1, {"state": "washington"})
    assert options(other, "county") == ["king", "pierce"]
    other.post(1, {"state": "washington", "county": "king"})
    assert options(other, "city") == ["dumont", "finney", "seattle", "redmond"]
    other.post(1, {"state": "washington", "county": "king", "city": "seattle"}, action="submit")
    answers = [a for _, a in responses_of(survey_id)]
    assert answers == [
        {"state": "texas", "county": "cameron", "city": "harlingen"},
        {"state": "washington", "county": "king", "city": "seattle"},
    ]


# --- a form of calculations and a note -------------------------------------------------


def test_a_form_of_calculations_and_a_note_imports_and_is_answered(
    runner, make_survey, respondent, responses_of, tmp_path
):
    survey = [
        ["type", "name", "label", "calculation"],
        ["calculate", "year", None, "format-date(today(), '%Y')"],
        ["calculate", "greeting", "Greeting", "concat('Hello in ', ${year})"],
        ["note", "hello", "${greeting}!", None],
    ]
    form = workbook(tmp_path / "calcs.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    assert warnings == []
    found = questions(definition)
    assert [q["type"] for q in found.values()] == ["calculate", "calculate", "note"]
    assert found["greeting"]["label"] == {"en": "Greeting"}  # kept, for exports
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    year = str(date.today().year)
    assert f"Hello in {year}!" in person.page.select_one("#q-hello").get_text()
    assert person.post(1, {}, action="submit").status_code == 200
    ((_, answers),) = responses_of(survey_id)
    assert answers == {"year": year, "greeting": f"Hello in {year}"}  # format-date: text


def test_calculations_between_groups_are_a_page_never_shown(
    runner, make_survey, respondent, responses_of, tmp_path
):
    survey = [
        ["type", "name", "label", "calculation"],
        ["begin group", "you", "You", None],
        ["text", "name", "Name", None],
        ["end group", None, None, None],
        ["calculate", "shout", None, "concat(${name}, '!')"],
        ["begin group", "end", "The end", None],
        ["note", "bye", "Bye, ${shout}", None],
        ["end group", None, None, None],
    ]
    form = workbook(tmp_path / "between.xlsx", survey)
    definition, _ = converted(runner, form, tmp_path)
    assert [[q["name"] for q in p["questions"]] for p in definition["pages"]] == [
        ["name"],
        ["shout"],
        ["bye"],
    ]
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    person.post(1, {"name": "Ana"})
    assert person.questions() == ["bye"]  # the page of the calculation is passed by
    assert "Bye, Ana!" in person.page.select_one("#q-bye").get_text()
    person.post(3, {}, action="submit")
    assert responses_of(survey_id) == [("en", {"name": "Ana", "shout": "Ana!"})]


def test_hidden_is_a_calculate_and_jr_choice_name_is_renamed(runner, tmp_path):
    survey = [
        ["type", "name", "label", "calculation"],
        ["select_one l", "Pick-One", "Pick", None],
        ["hidden", "picked", None, "jr:choice-name(${Pick-One}, '${Pick-One}')"],
    ]
    choices = [["list_name", "name", "label"], ["l", "a", "A"]]
    form = workbook(tmp_path / "hidden.xlsx", survey, choices)
    definition, _ = converted(runner, form, tmp_path)
    picked = questions(definition)["picked"]
    assert picked["type"] == "calculate"
    assert picked["calculation"] == "jr:choice-name(${pick_one}, '${pick_one}')"


def test_a_calculate_row_says_what_it_cannot_use(runner, tmp_path):
    survey = [
        ["type", "name", "label", "hint", "required", "constraint", "calculation", "read_only"],
        ["integer", "n", "N", None, None, None, None, None],
        ["calculate", "double", None, "A hint", "yes", ". > 1", "${n} * 2", "no"],
        ["calculate", "nothing", None, None, None, None, None, None],
    ]
    form = workbook(tmp_path / "calc.xlsx", survey)
    assert refused(runner, form) == [
        f"{form}: survey row 4, column calculation: a calculate row needs a calculation"
    ]
    del survey[3]
    form = workbook(tmp_path / "calc.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    assert questions(definition)["double"] == {
        **questions(definition)["double"],
        "calculation": "${n} * 2",
        "required": False,
        "constraint": None,
        "hint": {},
    }
    assert warnings == [
        f"warning: {form}: survey row 3, column {column}: a calculate question is never "
        f"shown, so its {column} is left out"
        for column in ("hint", "required", "constraint")
    ]


# --- choice filters --------------------------------------------------------------------


def test_a_choice_filter_reads_the_code_and_columns_and_renames_only_references(runner, tmp_path):
    survey = [
        ["type", "name", "label", "choice_filter"],
        ["select_multiple skills", "Known-Skills", "Skills", None],
        [
            "select_one skills",
            "best",
            "Best",
            "selected(${Known-Skills}, name) and level != 'none' and x-y = 'a'",
        ],
        ["text", "why", "Why?", "level = 'x'"],
    ]
    choices = [
        ["list_name", "name", "label", "level", "x-y", "image"],
        ["skills", "py", "Python", "high", "a", "py.png"],
        ["skills", "r", "R", None, "b", None],
    ]
    form = workbook(tmp_path / "filter.xlsx", survey, choices)
    definition, warnings = converted(runner, form, tmp_path)
    found = questions(definition)
    assert found["best"]["choice_filter"] == (
        "selected(${known_skills}, name) and level != 'none' and x_y = 'a'"
    )
    assert "choice_filter" not in found["why"]
    assert definition["choices"]["skills"] == [
        {"code": "py", "label": {"en": "Python"}, "filter": {"level": "high", "x_y": "a"}},
        {"code": "r", "label": {"en": "R"}, "filter": {"x_y": "b"}},
    ]
    assert (
        f"warning: {form}: survey row 4, column choice_filter: a choice_filter applies only to select_one and select_multiple; left out"
        in warnings
    )
    assert (
        f"warning: {form}: choices sheet, column image: media are not supported; column ignored"
        in warnings
    )


def test_a_column_that_cannot_be_one_of_our_names_is_said(runner, tmp_path):
    survey = [
        ["type", "name", "label", "choice_filter"],
        ["select_one l", "a", "A", "Region-Code = 'x'"],
    ]
    choices = [
        ["list_name", "name", "label", "Region-Code", "region_code", "div"],
        ["l", "one", "One", "x", "y", "z"],
        ["l", "two", "Two", "w", None, None],
    ]
    form = workbook(tmp_path / "columns.xlsx", survey, choices)
    definition, warnings = converted(runner, form, tmp_path)
    assert questions(definition)["a"]["choice_filter"] == "region_code = 'x'"
    assert [c["filter"] for c in definition["choices"]["l"]] == [
        {"region_code": "x"},
        {"region_code": "w"},
    ]
    assert warnings == [
        f"warning: {form}: choices sheet, column Region-Code: choice filter column "
        "'Region-Code' becomes 'region_code'",
        f"warning: {form}: choices sheet, column region_code: column 'region_code' cannot be "
        "a choice filter column: it becomes 'region_code', like column 'Region-Code'; left out",
        f"warning: {form}: choices sheet, column div: column 'div' cannot be a choice filter "
        "column: 'div' is a word expressions reserve; left out",
    ]


@pytest.mark.parametrize("flags", [(), ("--skip-unsupported",)])
def test_a_filter_on_a_column_no_choice_has_is_refused_inside_arithmetic(runner, tmp_path, flags):
    survey = [
        ["type", "name", "label", "choice_filter"],
        ["select_one l", "a", "A", "kind + 1 = 2"],
    ]
    choices = [["list_name", "name", "label"], ["l", "one", "One"]]
    form = workbook(tmp_path / "nocolumn.xlsx", survey, choices)
    assert refused(runner, form, *flags) == [
        f"{form}: survey row 2, column choice_filter: choice_filter 'kind + 1 = 2' reads "
        "'kind', which is no column of the choices of list 'l' (its columns: none); to "
        "compare with the text, write it in quotes: 'kind'"
    ]


@pytest.mark.parametrize(
    ("written", "imported"),
    [
        ("kind = 1", "false()"),
        ("1 != kind or name = 'one'", "false() or name = 'one'"),
        ("(kind < ${x}) and name = 'one'", "(false()) and name = 'one'"),
    ],
)
def test_a_comparison_with_a_column_no_choice_has_is_false_as_in_odk(
    runner, tmp_path, written, imported
):
    survey = [
        ["type", "name", "label", "choice_filter"],
        ["integer", "x", "X", None],
        ["select_one l", "a", "A", written],
    ]
    choices = [["list_name", "name", "label"], ["l", "one", "One"]]
    form = workbook(tmp_path / "nocolumn.xlsx", survey, choices)
    definition, warnings = converted(runner, form, tmp_path)
    assert questions(definition)["a"]["choice_filter"] == imported
    assert len(warnings) == 1 and "as in ODK, each comparison with it is false" in warnings[0]


# --- defaults, read-only questions and the messages --------------------------------------


def test_defaults_follow_pyxforms_rule(runner, tmp_path):
    survey = [
        ["type", "name", "label", "default", "read_only", "required", "required_message"],
        ["text", "word", "Word", "Hello (world)", None, None, None],
        ["text", "quoted", "Quoted", 'it\'s "x" (y)', None, None, None],
        ["integer", "sum", "Sum", "2 + 3", None, None, None],
        ["integer", "odd", "Odd", "(3)", None, None, None],
        ["date", "when", "When", "2024-01-02", None, None, None],
        ["date", "today", "Today", "today()", None, None, None],
        ["text", "again", "Again", "${word}", None, None, None],
        ["select_multiple l", "picks", "Picks", "one two", None, None, None],
        ["note", "hello", "Hello", "x", "yes", None, None],
        ["acknowledge", "agree", "Agree", "OK", None, None, None],
        ["text", "fixed", "Fixed", "kept", "TRUE()", "yes", "Say it"],
        ["text", "empty", "Empty", None, "yes", None, None],
        ["text", "free", "Free", None, "no", None, "Never shown"],
    ]
    choices = [["list_name", "name", "label"], ["l", "one", "One"], ["l", "two", "Two"]]
    form = workbook(tmp_path / "defaults.xlsx", survey, choices)
    definition, warnings = converted(runner, form, tmp_path)
    defaults = {
        name: (q["default"], q["default_is_expression"])
        for name, q in questions(definition).items()
        if "default" in q
    }
    assert defaults == {
        # Not an expression to pyxform, but '(' would make it one to us: a text in quotes.
        "word": ("'Hello (world)'", True),
        "quoted": ("""concat('it', "'", 's "x" (y)')""", True),
        # An expression to pyxform without '(' or '${': bracketed, so it stays one.
        "sum": ("(2 + 3)", True),
        "when": ("2024-01-02", False),
        "today": ("today()", True),
        "again": ("${word}", True),
        "picks": ("one two", False),
        "fixed": ("kept", False),
    }
    found = questions(definition)
    assert found["fixed"]["read_only"] is True and found["fixed"]["required"] is False
    assert "required_message" not in found["fixed"]
    assert "read_only" not in found["empty"]
    assert "read_only" not in found["hello"] and "read_only" not in found["free"]
    at = f"warning: {form}: survey row"
    assert warnings == [
        f"{at} 5, column default: default '(3)' holds '(' or '${{', which our definitions "
        "read as an expression, and is no integer value; left out",
        f"{at} 10, column default: a note has no answer; default left out",
        f"{at} 11, column default: Pathways never gives consent in advance; default left out",
        f"{at} 12, column required: a read-only question cannot be required (the respondent "
        "cannot answer it); required left out",
        f"{at} 12, column required_message: a required_message without a required is never "
        "shown; left out",
        f"{at} 13, column read_only: a read-only question needs a default to show, and no "
        "'other' box; read_only left out",
        f"{at} 14, column required_message: a required_message without a required is never "
        "shown; left out",
    ]


def test_a_constraint_message_needs_its_constraint(runner, tmp_path):
    survey = [
        [
            "type",
            "name",
            "label",
            "constraint",
            "constraint_message::English (en)",
            "constraint_message::French (fr)",
        ],
        ["integer", "n", "N", ". > 0", "More than 0", "Plus que 0"],
        ["integer", "m", "M", None, "Never shown", None],
    ]
    form = workbook(tmp_path / "messages.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    found = questions(definition)
    assert found["n"]["constraint_message"] == {"en": "More than 0", "fr": "Plus que 0"}
    assert found["m"]["constraint_message"] == {}
    assert (
        f"warning: {form}: survey row 3, column constraint_message::English (en): a "
        "constraint_message without a constraint is never shown; left out"
    ) in warnings


# --- answers shown in texts ------------------------------------------------------------

PIPING_A_SKIPPED_QUESTION = [
    ["type", "name", "label"],
    ["geopoint", "gps", "Where are you?"],
    ["note", "where", "You are at ${gps}"],
    ["begin group", "near", "Near ${gps}"],
    ["select_one l", "pick", "Pick"],
    ["end group", None, None],
]


def test_a_text_showing_a_question_left_out_is_left_out_with_it(runner, tmp_path):
    survey = [*PIPING_A_SKIPPED_QUESTION[:3], ["text", "ok", "OK"]]
    choices = [["list_name", "name", "label"], ["l", "a", "A"]]
    form = workbook(tmp_path / "piped.xlsx", survey, choices)
    assert refused(runner, form) == [
        f"{form}: survey row 2, column type: 'geopoint' is not supported: Pathways records no locations",
        f"{form}: survey row 3, column label: the label shows ${{gps}}, which is not imported "
        "(row 2: 'geopoint' is not supported: Pathways records no locations)",
    ]
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert list(questions(definition)) == ["ok"]
    assert warnings[1] == (
        f"warning: {form}: survey row 3, column label: the label shows ${{gps}}, which is not "
        "imported (row 2: 'geopoint' is not supported: Pathways records no locations); row skipped"
    )


def test_a_page_or_choice_showing_a_question_left_out_is_a_problem_said_once(runner, tmp_path):
    choices = [["list_name", "name", "label"], ["l", "a", "A at ${gps}"]]
    form = workbook(tmp_path / "piped.xlsx", PIPING_A_SKIPPED_QUESTION, choices)
    why = (
        "which is not imported (row 2: 'geopoint' is not supported: Pathways records no locations)"
    )
    assert refused(runner, form)[2:] == [
        f"{form}: survey row 4, column label: label refers to ${{gps}}, {why}",
        f"{form}: choices row 2, column label: label refers to ${{gps}}, {why}",
    ]
    # A page or a choice cannot be left out like a row: shown without the answer.
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings[2:] == [
        f"warning: {form}: survey row 4, column label: the label shows ${{gps}}, {why}; shown "
        "without it",
        f"warning: {form}: choices row 2, column label: the label shows ${{gps}}, {why}; shown "
        "without it",
    ]
    assert definition["pages"][0]["title"] == {"en": "Near"}
    assert definition["choices"]["l"][0]["label"] == {"en": "A at"}


def test_a_text_showing_no_question_is_the_validators_to_say(runner, tmp_path):
    survey = [["type", "name", "label", "hint"], ["text", "a", "A", "Hello ${nobody}"]]
    form = workbook(tmp_path / "nobody.xlsx", survey)
    assert refused(runner, form) == [
        f"{form}: survey row 2, column hint: question 'a': hint (piped) refers to ${{nobody}}, "
        "no question"
    ]


# --- forgiving translations --------------------------------------------------------------


def test_a_missing_translation_is_a_warning_and_surveys_translations_lists_it(runner, tmp_path):
    survey = [
        [
            "type",
            "name",
            "label::English (en)",
            "label::Swahili (sw)",
            "hint::English (en)",
            "hint::Swahili (sw)",
        ],
        ["text", "a", "A", "A sw", "Hint", None],
        ["text", "b", None, "B sw", None, None],
        ["integer", "c", "C", None, "h", "h sw"],
        ["select_one l", "d", "D", "D sw", None, None],
    ]
    choices = [
        ["list_name", "name", "label::English (en)", "label::Swahili (sw)"],
        ["l", "x", "X", None],
        ["l", "y", "Y", "Y sw"],
    ]
    form = workbook(tmp_path / "partly.xlsx", survey, choices)
    definition, warnings = converted(runner, form, tmp_path)
    assert warnings == [
        f"warning: {form}: survey sheet, column hint::Swahili (sw): hint has no 'sw' text in "
        "row 2; the 'en' text is shown there",
        f"warning: {form}: survey sheet, column label::English (en): label has no text in the "
        "default language 'en' in row 3; the 'sw' text is used there",
        f"warning: {form}: survey sheet, column label::Swahili (sw): label has no 'sw' text in "
        "row 4; the 'en' text is shown there",
        f"warning: {form}: choices sheet, column label::Swahili (sw): label has no 'sw' text "
        "in row 2; the 'en' text is shown there",
    ]
    found = questions(definition)
    assert found["b"]["label"] == {"en": "B sw", "sw": "B sw"}
    assert found["c"]["label"] == {"en": "C"}
    result = runner.invoke(
        args=["surveys", "translations", str(tmp_path / "partly.yaml"), "--missing"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split() == ["en", "100.0%", "10/10", "(default)"]
    assert lines[2].split() == ["sw", "50.0%", "5/10"]
    missing = [line.split("missing: ")[1] for line in lines[3:]]
    assert missing == [
        "survey title",  # XLSForm's form_title has one language
        "page 'page_1' title",  # and so the title of a page of questions outside groups
        "question 'a' hint",
        "question 'c' label",
        "choice l/x",
    ]


def test_a_language_without_a_column_is_said_once_for_its_sheet(runner, tmp_path):
    survey = [
        ["type", "name", "label::English (en)", "label::French (fr)", "hint::English (en)"],
        ["text", "a", "A", "A fr", "Hint a"],
        ["text", "b", "B", "B fr", "Hint b"],
    ]
    form = workbook(tmp_path / "hints.xlsx", survey, settings=[["default_language"], ["fr"]])
    definition, warnings = converted(runner, form, tmp_path)
    assert definition["default_language"] == "fr"
    assert questions(definition)["a"]["hint"] == {"fr": "Hint a", "en": "Hint a"}
    assert warnings == [
        f"warning: {form}: survey sheet: no hint in the default language 'fr': each is taken "
        "from the first language that has it ('en')"
    ]


# --- unsupported functions ---------------------------------------------------------------


def test_an_odk_function_we_lack_is_unsupported_and_what_reads_its_question_goes_with_it(
    runner, tmp_path
):
    survey = [
        ["type", "name", "label", "calculation", "relevant"],
        ["integer", "n", "N", None, None],
        ["calculate", "root", None, "sqrt(${n})", None],
        ["calculate", "id", None, "uuid()", None],
        ["text", "why", "Why?", None, "${root} > 2"],
    ]
    form = workbook(tmp_path / "sqrt.xlsx", survey)
    assert refused(runner, form)[2:] == [
        f"{form}: survey row 5, column relevant: relevant refers to ${{root}}, which is not "
        "imported (row 3: calculation calls sqrt(), which Pathways expressions do not have)"
    ]
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert list(questions(definition)) == ["n"]
    assert warnings == [
        f"warning: {form}: survey row 3, column calculation: calculation calls sqrt(), which "
        "Pathways expressions do not have; row skipped",
        f"warning: {form}: survey row 4, column calculation: calculation calls uuid(), which "
        "Pathways expressions do not have; row skipped",
        f"warning: {form}: survey row 5, column relevant: relevant reads ${{root}}, which is not "
        "imported (row 3: calculation calls sqrt(), which Pathways expressions do not have); "
        "row skipped",
    ]
