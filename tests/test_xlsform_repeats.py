"""The XLSForm import of `begin repeat` … `end repeat` onto our `type: repeat` (issue 17,
point 7): the repeat's texts, relevant and count, where it goes on the pages, the groups
inside it, what cannot nest or be read from outside it, the dates inside it — each from a
small workbook, checked in the YAML, and the shared tutorial form filled to the end
through the real pages."""

from __future__ import annotations

import pytest

from tests.test_xlsform import converted, fixture, questions, refused, workbook
from tests.test_xlsform_language import published

HEADER = ["type", "name", "label", "relevant", "repeat_count", "required", "calculation"]


def rows(*survey: list) -> list[list]:
    """Survey rows under HEADER, each padded to its length."""
    return [HEADER, *([*row, *[None] * (len(HEADER) - len(row))] for row in survey)]


YES_NO = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


def repeat_of(definition: dict, name: str) -> dict:
    return questions(definition)[name]


def entries(person, repeat: str) -> int:
    return len(person.page.select(f"#q-{repeat} .repetition"))


# --- the shared tutorial form: one large repeat ------------------------------------------


def test_tutorial_imports_as_one_repeat_without_skipping(runner, tmp_path):
    form = fixture("tutorial.xls")
    definition, warnings = converted(runner, form, tmp_path)
    # Its notes column is no XLSForm column (on the choices sheet, a filter column).
    assert warnings == [
        f"warning: {form}: survey sheet, column tutorial notes: not an XLSForm column we use; "
        "ignored",
        f"warning: {form}: choices sheet, column tutorial notes: choice filter column "
        "'tutorial notes' becomes 'tutorial_notes'",
    ]
    # Outside any group, the repeat is a page of its own, titled by its label.
    [page] = definition["pages"]
    assert (page["name"], page["title"]) == ("member", {"en": "Household Member or Visitor"})
    [member] = page["questions"]
    assert (member["type"], member["label"]) == ("repeat", {"en": "Household Member or Visitor"})
    assert (member["min_count"], member["max_count"]) == (0, 20)  # no count: add and remove
    assert "repeat_count" not in member
    inner = {q["name"]: q for q in member["questions"]}
    assert list(inner) == [
        "name",
        "relationship_to_household_head",
        "sex",
        "resident",
        "stayed_last_night",
        "older_than_five",
        "age_in_months",
        "age_in_years",
        "literate",
        "pregnant",
    ]
    # ${sibling} inside the repeat reads the same entry: written as it is.
    assert inner["age_in_months"]["relevant"] == "${older_than_five}='no'"
    assert inner["literate"]["relevant"] == (
        "${sex}='female' and ${age_in_years}>=15 and ${age_in_years}<=49"
    )


def test_tutorial_is_filled_to_the_end_with_three_members(
    runner, make_survey, respondent, responses_of, tmp_path
):
    form = fixture("tutorial.xls")
    converted(runner, form, tmp_path)
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    assert entries(person, "member") == 1
    first = {
        "member-0-name": "Amina",
        "member-0-relationship_to_household_head": "head",
        "member-0-sex": "female",
        "member-0-resident": "yes",
        "member-0-stayed_last_night": "yes",
        "member-0-older_than_five": "yes",
    }
    response = person.post(1, first, action="add:member", follow=False)
    assert response.status_code == 302
    person.open(response.headers["Location"])
    assert entries(person, "member") == 2
    # Relevance reads the entry's own answers: the first is older than five, so her age
    # is asked in years; nothing is asked yet of the second entry's age.
    assert "member-0-age_in_years" in person.questions()
    assert "member-0-age_in_months" not in person.questions()
    assert "member-1-age_in_years" not in person.questions()
    second = {
        "member-1-name": "Baraka",
        "member-1-relationship_to_household_head": "son_or_daughter",
        "member-1-sex": "male",
        "member-1-resident": "yes",
        "member-1-stayed_last_night": "no",
        "member-1-older_than_five": "no",
    }
    response = person.post(1, {**first, **second}, action="add:member", follow=False)
    person.open(response.headers["Location"])
    assert entries(person, "member") == 3
    assert "member-1-age_in_months" in person.questions()
    third = {
        "member-2-name": "Chausiku",
        "member-2-relationship_to_household_head": "wife_or_husband",
        "member-2-sex": "female",
        "member-2-resident": "no",
        "member-2-stayed_last_night": "yes",
        "member-2-older_than_five": "yes",
    }
    ages = {"member-0-age_in_years": "30", "member-1-age_in_months": "20"}
    response = person.post(1, {**first, **second, **third, **ages})
    # The first and third are women of 15 to 49: asked more once their ages are known.
    assert "member-0-literate" in person.questions()
    assert "member-2-age_in_years" in person.questions()
    assert "member-1-literate" not in person.questions()
    ages["member-2-age_in_years"] = "12"
    more = {"member-0-literate": "yes", "member-0-pregnant": "no"}
    response = person.post(1, {**first, **second, **third, **ages, **more}, action="submit")
    assert response.status_code == 200, response.text
    ((_, answers),) = responses_of(survey_id)
    assert answers["member"] == [
        {
            "name": "Amina",
            "relationship_to_household_head": "head",
            "sex": "female",
            "resident": "yes",
            "stayed_last_night": "yes",
            "older_than_five": "yes",
            "age_in_years": 30,
            "literate": "yes",
            "pregnant": "no",
        },
        {
            "name": "Baraka",
            "relationship_to_household_head": "son_or_daughter",
            "sex": "male",
            "resident": "yes",
            "stayed_last_night": "no",
            "older_than_five": "no",
            "age_in_months": 20,
        },
        {
            "name": "Chausiku",
            "relationship_to_household_head": "wife_or_husband",
            "sex": "female",
            "resident": "no",
            "stayed_last_night": "yes",
            "older_than_five": "yes",
            "age_in_years": 12,
        },
    ]


# --- the repeat row ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("begin", "end"),
    [
        ("begin repeat", "end repeat"),
        ("begin_repeat", "end_repeat"),
        ("BEGIN REPEAT", "END REPEAT"),
        ("begin looped group", "end looped group"),
        ("begin lgroup", "end lgroup"),
    ],
)
def test_every_alias_of_a_repeat_is_one(runner, tmp_path, begin, end):
    survey = rows([begin, "pets", "Pets"], ["text", "pet", "Pet"], [end])
    definition, warnings = converted(runner, workbook(tmp_path / "a.xlsx", survey), tmp_path)
    assert warnings == []
    pets = repeat_of(definition, "pets")
    assert pets["type"] == "repeat"
    assert [q["name"] for q in pets["questions"]] == ["pet"]


def test_the_repeat_takes_its_label_per_language_hint_and_relevant(runner, tmp_path):
    survey = [
        ["type", "name", "label::English (en)", "label::Swahili (sw)", "hint", "relevant"],
        ["text", "Owner", "Owner", "Mmiliki", None, None],
        [
            "begin repeat",
            "Pets",
            "Pets of ${Owner}",
            "Wanyama wa ${Owner}",
            "One per pet",
            ("${Owner} != ''"),
        ],
        ["text", "pet", "Pet", "Mnyama", None, None],
        ["end repeat"],
    ]
    form = workbook(tmp_path / "texts.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    pets = repeat_of(definition, "pets")
    assert pets["label"] == {"en": "Pets of ${owner}", "sw": "Wanyama wa ${owner}"}
    assert pets["hint"] == {"en": "One per pet"}
    assert pets["relevant"] == "${owner} != ''"
    # Its page, of its own, is titled by its label; the question before it is on another.
    assert [p["name"] for p in definition["pages"]] == ["page_1", "pets"]
    assert definition["pages"][1]["title"] == pets["label"]
    assert f"warning: {form}: survey row 3, column name: name 'Pets' becomes 'pets'" in warnings


def test_a_repeat_without_a_label_is_given_one_from_its_name(runner, tmp_path):
    survey = rows(["begin repeat", "house_visits"], ["text", "who", "Who"], ["end repeat"])
    form = workbook(tmp_path / "nolabel.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    assert repeat_of(definition, "house_visits")["label"] == {"en": "House visits"}
    assert warnings == [
        f"warning: {form}: survey row 2, column label: the repeat has no label; it is shown "
        "as 'House visits'"
    ]


def test_what_a_repeat_row_cannot_use_is_left_out_with_a_warning(runner, tmp_path):
    survey = [
        ["type", "name", "label", "required", "constraint", "default", "repeat_count"],
        ["begin repeat", "r", "R", "yes", ". > 1", "3", None],
        ["text", "a", "A", None, None, None, None],
        ["end repeat"],
        ["integer", "n", "N", None, None, None, "4"],
    ]
    form = workbook(tmp_path / "extra.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    assert warnings == [
        f"warning: {form}: survey row 2, column required: a repeat takes no required (its "
        "questions do); left out",
        f"warning: {form}: survey row 2, column constraint: a repeat takes no constraint (its "
        "questions do); left out",
        f"warning: {form}: survey row 2, column default: a repeat takes no default (its "
        "questions do); left out",
        f"warning: {form}: survey row 5, column repeat_count: repeat_count applies only to a "
        "begin repeat row; left out",
    ]
    assert "repeat_count" not in questions(definition)["n"]


# --- how many entries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "count", "written", "max_count"),
    [
        ("repeat_count", "3", 3, 20),
        ("jr:count", "30", 30, 30),  # more than our default of 20: as many may be asked
        ("count", "3.0", 3, 20),
        ("repeat_count", "0", 0, 20),
    ],
)
def test_a_count_that_is_a_number(runner, tmp_path, header, count, written, max_count):
    survey = [["type", "name", "label", header], ["begin repeat", "r", "R", count]]
    survey += [["text", "a", "A", None], ["end repeat", None, None, None]]
    form = workbook(tmp_path / "count.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    assert warnings == []
    r = repeat_of(definition, "r")
    assert (r["repeat_count"], r["max_count"]) == (str(written), max_count)


def test_a_count_above_fifty_is_said_and_asks_fifty(runner, tmp_path):
    survey = rows(["begin repeat", "r", "R", None, "60"], ["text", "a", "A"], ["end repeat"])
    form = workbook(tmp_path / "sixty.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    assert warnings == [
        f"warning: {form}: survey row 2, column repeat_count: repeat_count 60 is more than "
        "the 50 entries a Pathways repeat may have: 50 are asked"
    ]
    r = repeat_of(definition, "r")
    assert (r["repeat_count"], r["max_count"]) == ("50", 50)


def test_a_count_from_an_earlier_page_is_filled_through_the_pages(
    runner, make_survey, respondent, responses_of, tmp_path
):
    survey = rows(
        ["integer", "Kids", "How many children?"],
        ["begin repeat", "child", "Your children", None, "${Kids} + 0"],
        ["text", "kid_name", "Name of child"],
        ["select_one yn", "at_school", "Is ${kid_name} at school?", None, None, "yes"],
        ["end repeat"],
    )
    form = workbook(tmp_path / "kids.xlsx", survey, YES_NO)
    definition, _ = converted(runner, form, tmp_path)
    child = repeat_of(definition, "child")
    # An expression, its references renamed; it may reach the most a repeat may have.
    assert (child["repeat_count"], child["max_count"]) == ("${kids} + 0", 50)
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    person.post(1, {"kids": "2"})
    assert entries(person, "child") == 2
    assert person.page.select('button[value^="add:"]') == []  # the count decides
    page = {"child-0-kid_name": "Juma", "child-1-kid_name": "Neema"}
    # Each entry's answer is piped into its own question (shown once the page comes back).
    assert person.post(2, page).status_code == 422
    assert "Is Juma at school?" in person.page.get_text()
    assert "Is Neema at school?" in person.page.get_text()
    page |= {"child-0-at_school": "yes", "child-1-at_school": "no"}
    assert person.post(2, page, action="submit").status_code == 200
    ((_, answers),) = responses_of(survey_id)
    assert answers == {
        "kids": 2,
        "child": [
            {"kid_name": "Juma", "at_school": "yes"},
            {"kid_name": "Neema", "at_school": "no"},
        ],
    }


@pytest.mark.parametrize(
    "header", ["body::jr:noAddRemove", "control::jr:noAddRemove", "jr:noAddRemove"]
)
def test_no_add_remove_without_a_count_is_one_fixed_entry(runner, tmp_path, header):
    survey = [
        ["type", "name", "label", header],
        ["begin repeat", "r", "R", "true()"],
        ["text", "a", "A", None],
        ["end repeat"],
    ]
    definition, warnings = converted(runner, workbook(tmp_path / "n.xlsx", survey), tmp_path)
    assert warnings == []
    r = repeat_of(definition, "r")
    assert (r["min_count"], r["max_count"]) == (1, 1)


def test_no_add_remove_with_a_count_or_false_changes_nothing_and_a_condition_is_said(
    runner, tmp_path
):
    survey = [
        ["type", "name", "label", "repeat_count", "body::jr:noAddRemove"],
        ["integer", "n", "N", None, None],
        ["begin repeat", "counted", "C", "${n}", "true()"],
        ["text", "a", "A", None, None],
        ["end repeat"],
        ["begin repeat", "free", "F", None, "false()"],
        ["text", "b", "B", None, None],
        ["end repeat"],
        ["begin repeat", "maybe", "M", None, "${n} > 2"],
        ["text", "c", "C", None, None],
        ["end repeat"],
    ]
    form = workbook(tmp_path / "n.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    found = questions(definition)
    assert found["counted"]["max_count"] == 50 and found["counted"]["min_count"] == 0
    assert (found["free"]["min_count"], found["free"]["max_count"]) == (0, 20)
    assert (found["maybe"]["min_count"], found["maybe"]["max_count"]) == (0, 20)
    assert warnings == [
        f"warning: {form}: survey row 9, column body::jr:noAddRemove: a conditional "
        "jr:noAddRemove ('${n} > 2') is not supported; left out: the respondent may add and "
        "remove entries"
    ]


# --- where a repeat goes on the pages ---------------------------------------------------------


def test_a_repeat_outside_groups_is_a_page_between_the_pages_around_it(runner, tmp_path):
    survey = rows(
        ["text", "before", "Before"],
        ["begin repeat", "r", "R"],
        ["text", "a", "A"],
        ["end repeat"],
        ["text", "after", "After"],
        ["begin group", "g", "G"],
        ["text", "in_group", "In group"],
        ["begin repeat", "s", "S"],
        ["text", "b", "B"],
        ["end repeat"],
        ["text", "also_in_group", "Also in group"],
        ["end group"],
    )
    definition, _ = converted(runner, workbook(tmp_path / "p.xlsx", survey), tmp_path)
    assert [(p["name"], [q["name"] for q in p["questions"]]) for p in definition["pages"]] == [
        ("page_1", ["before"]),
        ("r", ["r"]),
        ("page_3", ["after"]),
        # Inside a group, one question of its page.
        ("g", ["in_group", "s", "also_in_group"]),
    ]


def test_a_count_read_on_its_own_page_starts_a_new_page(
    runner, make_survey, respondent, responses_of, tmp_path
):
    survey = rows(
        ["begin group", "household", "Household"],
        ["integer", "n", "How many?"],
        ["begin repeat", "people", "People", None, "${n}"],
        ["text", "who", "Who"],
        ["end repeat"],
        ["text", "notes", "Notes"],
        ["end group"],
    )
    form = workbook(tmp_path / "same.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    assert warnings == [
        f"warning: {form}: survey row 4, column repeat_count: repeat_count reads ${{n}}, "
        "asked on the same page: the repeat and the rest of its group go on a page of their "
        "own, since Pathways works out a count from the answers of earlier pages"
    ]
    assert [
        (p["name"], p["title"], [q["name"] for q in p["questions"]]) for p in definition["pages"]
    ] == [
        ("household", {"en": "Household"}, ["n"]),
        ("household_2", {"en": "Household"}, ["people", "notes"]),
    ]
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    person.post(1, {"n": "2"})
    assert entries(person, "people") == 2
    page = {"people-0-who": "Ana", "people-1-who": "Ben", "notes": ""}
    assert person.post(2, page, action="submit").status_code == 200
    ((_, answers),) = responses_of(survey_id)
    assert answers["people"] == [{"who": "Ana"}, {"who": "Ben"}]


def test_groups_around_a_repeat_and_inside_it_join_their_relevant(
    runner, make_survey, respondent, responses_of, tmp_path
):
    survey = rows(
        ["select_one yn", "has_pets", "Pets?"],
        ["begin group", "outer", "Outer", "${has_pets} = 'yes'"],
        ["begin repeat", "pets", "Pets", "true()"],
        ["text", "pet", "Pet"],
        ["begin group", "dog", "About the dog", "${pet} = 'dog'"],
        ["begin group", "old_dog", "Old dog", "1 = 1"],
        ["integer", "age", "Age of the dog"],
        ["end group"],
        ["end group"],
        ["end repeat"],
        ["end group"],
    )
    form = workbook(tmp_path / "groups.xlsx", survey, YES_NO)
    definition, warnings = converted(runner, form, tmp_path)
    assert warnings == []
    pets = repeat_of(definition, "pets")
    # The group around the repeat joins the repeat's relevant; those inside it (flattened:
    # nothing more than their questions) each inner question's.
    assert pets["relevant"] == "(${has_pets} = 'yes') and (true())"
    assert [q["name"] for q in pets["questions"]] == ["pet", "age"]
    assert pets["questions"][1]["relevant"] == "(${pet} = 'dog') and (1 = 1)"
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    person.post(1, {"has_pets": "yes"})
    response = person.post(2, {"pets-0-pet": "dog"}, action="add:pets", follow=False)
    person.open(response.headers["Location"])
    assert "pets-0-age" in person.questions() and "pets-1-age" not in person.questions()
    page = {"pets-0-pet": "dog", "pets-0-age": "9", "pets-1-pet": "cat"}
    assert person.post(2, page, action="submit").status_code == 200
    ((_, answers),) = responses_of(survey_id)
    assert answers["pets"] == [{"pet": "dog", "age": 9}, {"pet": "cat"}]


# --- what cannot be carried -----------------------------------------------------------------

NESTED = rows(
    ["begin repeat", "trees", "Trees"],
    ["integer", "tag", "Tag"],
    ["begin repeat", "stems", "Stems of ${tag}"],
    ["integer", "girth", "Girth"],
    ["end repeat"],
    ["text", "notes", "Notes"],
    ["end repeat"],
)


def test_a_repeat_inside_a_repeat_is_unsupported_and_left_out_with_its_rows(runner, tmp_path):
    form = workbook(tmp_path / "nested.xlsx", NESTED)
    assert refused(runner, form) == [
        f"{form}: survey row 4, column type: 'begin repeat' inside the repeat in row 2 is "
        "not supported: Pathways repeats do not nest"
    ]
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings == [
        f"warning: {form}: survey row 4, column type: 'begin repeat' inside the repeat in row "
        "2 is not supported: Pathways repeats do not nest; rows 4-6 skipped"
    ]
    trees = repeat_of(definition, "trees")
    assert [q["name"] for q in trees["questions"]] == ["tag", "notes"]


def test_what_reads_a_nested_repeat_left_out_is_refused_or_left_out_with_it(runner, tmp_path):
    survey = [
        ["type", "name", "label", "calculation"],
        ["begin repeat", "trees", "Trees", None],
        ["integer", "tag", "Tag", None],
        ["begin repeat", "stems", "Stems of ${tag}", None],
        ["integer", "girth", "Girth", None],
        ["end repeat"],
        ["text", "notes", "Notes", None],
        ["calculate", "big", None, "${girth} > 100"],
        ["end repeat"],
    ]
    form = workbook(tmp_path / "reads.xlsx", survey)
    why = "which is not imported (it is inside the repeat in row 4, which is not imported)"
    assert refused(runner, form)[1:] == [
        f"{form}: survey row 8, column calculation: calculation refers to ${{girth}}, {why}"
    ]
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings[1:] == [
        f"warning: {form}: survey row 8, column calculation: calculation reads ${{girth}}, "
        f"{why}; row skipped"
    ]
    assert [q["name"] for q in repeat_of(definition, "trees")["questions"]] == ["tag", "notes"]


def test_a_loop_over_a_choice_list_is_unsupported_with_its_rows(runner, tmp_path):
    survey = rows(
        ["text", "who", "Who"],
        ["begin loop over yn", "l", "Loop"],
        ["text", "a", "A"],
        ["end loop"],
    )
    form = workbook(tmp_path / "loop.xlsx", survey, YES_NO)
    message = (
        "survey row 3, column type: 'begin loop over yn' is not supported: Pathways has no "
        "loop over a choice list (a repeat asks its questions as often as the respondent needs)"
    )
    assert refused(runner, form) == [f"{form}: {message}"]
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings == [f"warning: {form}: {message}; rows 3-5 skipped"]
    assert list(questions(definition)) == ["who"]


OUTSIDE = rows(
    ["begin repeat", "r", "R"],
    ["integer", "inner", "Inner"],
    ["end repeat"],
)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ["calculate", "how_many", None, None, None, None, "count(${r})"],
            "column calculation: calculation calls count(), which Pathways expressions do not "
            "have: they cannot count, sum or index the entries of a repeat",
        ),
        (
            ["calculate", "first", *[None] * 4, "indexed-repeat(${inner}, ${r}, 1)"],
            "column calculation: calculation calls indexed-repeat(), which Pathways "
            "expressions do not have: they cannot count, sum or index the entries of a repeat",
        ),
        (
            ["calculate", "total", None, None, None, None, "sum(${inner})"],
            "column calculation: calculation refers to ${inner}, which is asked once per "
            "entry of the repeat 'r' (row 2): only the repeat's own questions can read it, "
            "since Pathways expressions cannot count, sum or index the entries of a repeat",
        ),
        (
            ["text", "why", "Why?", "${inner} > 2"],
            "column relevant: relevant refers to ${inner}, which is asked once per entry of "
            "the repeat 'r' (row 2): only the repeat's own questions can read it, since "
            "Pathways expressions cannot count, sum or index the entries of a repeat",
        ),
        (
            ["note", "shows", "You said ${inner}"],
            "column label: the label shows ${inner}, which is asked once per entry of the "
            "repeat 'r' (row 2): only the repeat's own questions can read it, since Pathways "
            "expressions cannot count, sum or index the entries of a repeat",
        ),
        (
            ["text", "any", "Any?", "${r} != ''"],
            "column relevant: relevant refers to ${r}, the repeat in row 2, which has no "
            "single answer: Pathways expressions cannot count, sum or index the entries of a "
            "repeat",
        ),
    ],
)
def test_a_question_outside_a_repeat_cannot_read_inside_it(runner, tmp_path, row, message):
    survey = [*OUTSIDE, *rows(row, ["text", "kept", "Kept"])[1:]]
    form = workbook(tmp_path / "outside.xlsx", survey)
    assert refused(runner, form) == [f"{form}: survey row 5, {message}"]
    # An unsupported row: left out when asked, and the rest imported.
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings == [f"warning: {form}: survey row 5, {message}; row skipped"]
    assert list(questions(definition)) == ["r", "kept"]


def test_position_inside_a_repeat_is_unsupported(runner, tmp_path):
    survey = [*OUTSIDE]
    survey.insert(3, ["calculate", "number", None, None, None, None, "position(..)"])
    form = workbook(tmp_path / "position.xlsx", survey)
    assert refused(runner, form) == [
        f"{form}: survey row 4, column calculation: calculation calls position(), which "
        "Pathways expressions do not have: they cannot count, sum or index the entries of a "
        "repeat"
    ]


def test_a_group_that_reads_inside_a_repeat_is_a_problem_at_its_row(runner, tmp_path):
    survey = [
        *OUTSIDE,
        ["begin group", "g", "About ${inner}", "${inner} > 1", None],
        ["text", "a", "A", None, None],
        ["end group"],
    ]
    form = workbook(tmp_path / "group.xlsx", survey)
    why = (
        "which is asked once per entry of the repeat 'r' (row 2): only the repeat's own "
        "questions can read it, since Pathways expressions cannot count, sum or index the "
        "entries of a repeat"
    )
    # Refused either way, said once (unlike a group whose relevant reads a question left
    # out, which --skip-unsupported leaves out: tests/test_xlsform_skip.py).
    assert refused(runner, form, "--skip-unsupported") == [
        f"{form}: survey row 5, column relevant: relevant refers to ${{inner}}, {why}",
        f"{form}: survey row 5, column label: label refers to ${{inner}}, {why}",
    ]


def test_a_repeat_row_that_cannot_be_imported_is_left_out_with_its_rows(runner, tmp_path):
    survey = rows(
        ["integer", "n", "N"],
        ["begin repeat", "r", "R", "pow(${n}, 2) > 4"],
        ["text", "a", "A"],
        ["end repeat"],
    )
    form = workbook(tmp_path / "pow.xlsx", survey)
    message = (
        "survey row 3, column relevant: relevant calls pow(), which Pathways expressions do "
        "not have"
    )
    assert refused(runner, form) == [f"{form}: {message}"]
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings == [f"warning: {form}: {message}; rows 3-5 skipped"]
    assert list(questions(definition)) == ["n"]


def test_a_repeat_left_with_no_question_is_left_out(runner, tmp_path):
    survey = rows(
        ["text", "a", "A"],
        ["begin repeat", "spots", "Spots"],
        ["geopoint", "where", "Where"],
        ["end repeat"],
    )
    form = workbook(tmp_path / "empty.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path, "--skip-unsupported")
    assert warnings == [
        f"warning: {form}: survey row 3, column type: the repeat has no question left to "
        "import; left out",
        f"warning: {form}: survey row 4, column type: 'geopoint' is not supported: Pathways "
        "records no locations; row skipped",
    ]
    assert [p["name"] for p in definition["pages"]] == ["page_1"]


@pytest.mark.parametrize(
    ("survey", "message"),
    [
        (
            rows(["begin repeat", "r", "R"], ["text", "a", "A"]),
            "survey row 2, column type: 'begin repeat' has no matching 'end repeat'",
        ),
        (
            rows(["text", "a", "A"], ["end repeat"]),
            "survey row 3, column type: 'end repeat' without a matching 'begin' before it",
        ),
        (
            rows(["begin repeat", "r", "R"], ["begin group", "g", "G"], ["end repeat"]),
            "survey row 4, column type: 'end repeat' without a matching 'begin' before it",
        ),
        (
            rows(["begin repeat", None, "R"], ["text", "a", "A"], ["end repeat"]),
            "survey row 2, column name: a repeat needs a name",
        ),
    ],
)
def test_a_repeat_badly_closed_or_unnamed_is_a_problem(runner, tmp_path, survey, message):
    form = workbook(tmp_path / "bad.xlsx", survey)
    assert message in [line.removeprefix(f"{form}: ") for line in refused(runner, form)]


# --- the questions inside ---------------------------------------------------------------------


def test_a_date_inside_a_repeat_is_sensitive_and_calculations_are_per_entry(
    runner, make_survey, respondent, responses_of, tmp_path
):
    survey = [
        ["type", "name", "label", "calculation"],
        ["date", "visited", "When did you visit?", None],
        ["begin repeat", "trips", "Trips", None],
        ["text", "place", "Place", None],
        ["date", "left_on", "Left on", None],
        ["calculate", "tag", None, "concat(${place}, '@', ${left_on})"],
        ["end repeat"],
    ]
    form = workbook(tmp_path / "dates.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    assert warnings == [
        f"warning: {form}: survey row 5, column type: a date inside a repeat is imported with "
        "privacy: sensitive, not as a quasi-identifier: the anonymisation cannot count a "
        "person's several answers yet"
    ]
    found = questions(definition)
    assert found["visited"]["privacy"] == "quasi_identifier"  # outside: the type's own
    inner = {q["name"]: q for q in found["trips"]["questions"]}
    assert inner["left_on"]["privacy"] == "sensitive"
    assert inner["tag"]["calculation"] == "concat(${place}, '@', ${left_on})"
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    person.post(1, {"visited": "2024-05-01"})
    page = {"trips-0-place": "Mombasa", "trips-0-left_on": "2024-05-02"}
    response = person.post(2, page, action="add:trips", follow=False)
    person.open(response.headers["Location"])
    page |= {"trips-1-place": "Lamu", "trips-1-left_on": "2024-05-09"}
    assert person.post(2, page, action="submit").status_code == 200
    ((_, answers),) = responses_of(survey_id)
    assert answers["trips"] == [
        {"place": "Mombasa", "left_on": "2024-05-02", "tag": "Mombasa@2024-05-02"},
        {"place": "Lamu", "left_on": "2024-05-09", "tag": "Lamu@2024-05-09"},
    ]


def test_inner_names_are_renamed_with_the_references_to_them(runner, tmp_path):
    survey = rows(
        ["begin repeat", "Kids", "Kids"],
        ["text", "Kid-Name", "Name"],
        ["integer", "Kid_Age", "Age of ${Kid-Name}", "${Kid-Name} != ''"],
        ["end repeat"],
    )
    form = workbook(tmp_path / "names.xlsx", survey)
    definition, warnings = converted(runner, form, tmp_path)
    kids = repeat_of(definition, "kids")
    age = kids["questions"][1]
    assert (age["name"], age["label"], age["relevant"]) == (
        "kid_age",
        {"en": "Age of ${kid_name}"},
        "${kid_name} != ''",
    )
    assert f"warning: {form}: survey row 3, column name: name 'Kid-Name' becomes 'kid_name'" in (
        warnings
    )


def test_a_question_of_a_repeat_reads_the_questions_outside_it(runner, tmp_path):
    survey = rows(
        ["integer", "n", "N"],
        ["begin repeat", "r", "R"],
        ["integer", "x", "X", "${n} > 1"],
        ["end repeat"],
    )
    definition, _ = converted(runner, workbook(tmp_path / "reads.xlsx", survey), tmp_path)
    assert repeat_of(definition, "r")["questions"][0]["relevant"] == "${n} > 1"


def test_a_reference_to_a_later_question_of_the_repeat_is_the_validators_to_say(runner, tmp_path):
    survey = rows(
        ["begin repeat", "r", "R"],
        ["integer", "x", "X", "${y} > 1"],
        ["integer", "y", "Y"],
        ["end repeat"],
    )
    form = workbook(tmp_path / "later.xlsx", survey)
    assert refused(runner, form) == [
        f"{form}: survey row 3, column relevant: question 'x': relevant refers to ${{y}}, "
        "which is asked later (or is this question)"
    ]
