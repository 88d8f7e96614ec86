"""Reading and checking definition files: every kind of problem, named with its place."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from surveys.config import BUNDLED_SURVEYS_DIR
from surveys.definitions import definition_files, read_definition

ROOT = Path(__file__).parents[1]

VALID = """\
id: demo
version: 1
title: Demo
languages: [en, es]
pages:
  - title: One
    questions:
      - name: age
        type: integer
        label: Age
      - name: colour
        type: select_one colours
        label: {en: Colour, es: Color}
        relevant: "${age} > 3"
choices:
  colours:
    - {code: red, label: Red}
"""


def problems_of(tmp_path: Path, text: str, strict: bool = False) -> list[str]:
    path = tmp_path / "survey.yaml"
    path.write_text(textwrap.dedent(text))
    definition, problems = read_definition(path, strict=strict)
    assert (definition is None) == bool(problems)
    return [str(p).replace(str(path), "F") for p in problems]


def test_a_valid_definition_is_normalised(tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_text(VALID)
    definition, problems = read_definition(path)
    assert problems == []
    question = definition["pages"][0]["questions"][1]
    assert question == {
        "name": "colour",
        "type": "select_one",
        "list": "colours",
        "label": {"en": "Colour", "es": "Color"},
        "hint": {},
        "required": False,
        "relevant": "${age} > 3",
        "constraint": None,
        "constraint_message": {},
        "other": False,
        "privacy": "none",
        "appearance": None,
        "export": None,
    }
    assert definition["title"] == {"en": "Demo"}
    assert definition["pages"][0]["name"] == "page_1"
    assert definition["choices"] == {"colours": [{"code": "red", "label": {"en": "Red"}}]}


@pytest.mark.parametrize(
    ("type_", "privacy"),
    [
        ("text", "free_text"),
        ("long_text", "free_text"),
        ("email", "identifier"),
        ("integer", "none"),
        ("date", "quasi_identifier"),
        ("select_one colours", "none"),
    ],
)
def test_privacy_defaults_per_type(tmp_path, type_, privacy):
    path = tmp_path / "survey.yaml"
    path.write_text(VALID.replace("type: integer", f"type: {type_}"))
    definition, problems = read_definition(path)
    assert problems == []
    assert definition["pages"][0]["questions"][0]["privacy"] == privacy


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("title: Demo", "title: Demo\ntitel: x"),
            "F:4: survey: unknown key 'titel'; did you mean 'title'?",
        ),
        (
            ("        label: Age", "        label: Age\n        lable: x"),
            "F:11: question 'age': unknown key 'lable'; did you mean 'label'?",
        ),
        (
            ("type: integer", "type: integr"),
            "F:9: question 'age': unknown type 'integr'; did you mean 'integer'?",
        ),
        (
            ("type: integer", "type: rating"),
            "F:9: question 'age': unknown type 'rating'; known types: text, ",
        ),
        (("name: colour", "name: age"), "F:11: question 'age': duplicate question name 'age'"),
        (
            (
                "    - {code: red, label: Red}",
                "    - {code: red, label: Red}\n    - {code: red, label: Rot}",
            ),
            "F:18: choice list 'colours': duplicate choice code 'red'",
        ),
        (
            ("select_one colours", "select_one colors"),
            "F:12: question 'colour': unknown choice list 'colors'",
        ),
        (
            ("select_one colours", "select_one"),
            "F:12: question 'colour': select_one needs a choice list",
        ),
        (
            ('"${age} > 3"', '"${agee} > 3"'),
            "F:14: question 'colour': relevant refers to ${agee}, no question",
        ),
        (
            ('"${age} > 3"', '"${age} >"'),
            "F:14: question 'colour': relevant '${age} >': the expression ends too early",
        ),
        (
            ('"${age} > 3"', '"pow(${age}, 2) > 3"'),
            "F:14: question 'colour': relevant 'pow(${age}, 2) > 3': unknown function pow()",
        ),
        (('"${age} > 3"', '". > 3"'), "F:14: question 'colour': relevant cannot use '.'"),
        (
            ("        label: Age", "        label: {es: Edad}"),
            "F:10: question 'age': label is missing in the default language 'en'",
        ),
        (("        label: Age", "        hint: x"), "F:8: question 'age': label is missing"),
        (
            ("{en: Colour, es: Color}", "{en: Colour, fr: Couleur}"),
            "F:13: question 'colour': label in 'fr', which is not one of the survey's languages (en, es)",
        ),
        (("name: age", "name: Age"), "F:8: question 'Age': name must be lower-case letters"),
        (("name: age", "name: data"), "F:8: question 'data': name 'data' is reserved"),
        (("version: 1", "version: one"), "F:2: survey: version must be a whole number from 1 up"),
        (("id: demo", "id: Demo Survey"), "F:1: survey: id must be lower-case letters"),
        (
            ("languages: [en, es]", "languages: [en, xx_YY]"),
            "F:4: survey: 'xx_YY' is not a language code Babel knows",
        ),
        (
            ("        label: Age", "        label: Age\n        required: maybe"),
            "F:11: question 'age': required must be true or false",
        ),
        (
            ("        label: Age", "        label: Age\n        privacy: secret"),
            "F:11: question 'age': privacy must be one of identifier, quasi_identifier, sensitive, free_text, none",
        ),
        (
            ("        label: Age", "        label: Age\n        other: true"),
            "F:11: question 'age': other only applies to select_one and select_multiple",
        ),
        (
            ("        label: Age", "        label: Age\n        constraint_message: x"),
            "F:11: question 'age': constraint_message without a constraint",
        ),
        (
            ("        label: Age", "        label: Age\n        constraint: \"regex(., '(')\""),
            "F:11: question 'age': constraint \"regex(., '(')\": regex pattern '(' is not valid",
        ),
        (
            ("type: integer", "type: note"),
            "F:14: question 'colour': relevant refers to ${age}, a note, which has no answer",
        ),
        (
            ("        label: Age", '        label: Age\n        constraint: "regex(., ${age})"'),
            "F:11: question 'age': constraint 'regex(., ${age})': regex() takes its pattern "
            "as text in quotes, written in the definition",
        ),
        (
            ("version: 1", "version: 1\npublic: yes please"),
            "F:3: survey: public must be true or false",
        ),
    ],
)
def test_each_problem_is_named_with_its_place(tmp_path, change, expected):
    old, new = change
    assert old in VALID
    found = problems_of(tmp_path, VALID.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_relevant_may_not_look_ahead(tmp_path):
    text = VALID.replace('relevant: "${age} > 3"', "").replace(
        "        label: Age", "        label: Age\n        relevant: \"${colour} = 'red'\""
    )
    assert problems_of(tmp_path, text) == [
        "F:11: question 'age': relevant refers to ${colour}, which is asked later "
        "(or is this question)"
    ]


def test_yaml_syntax_errors_name_the_line(tmp_path):
    found = problems_of(tmp_path, VALID.replace("languages: [en, es]", "languages: [en, es"))
    assert len(found) == 1
    assert re.match(r"F:5: YAML syntax: .*", found[0]), found


def test_duplicate_yaml_keys_are_an_error(tmp_path):
    found = problems_of(tmp_path, VALID.replace("version: 1", "version: 1\nversion: 2"))
    assert found and found[0].startswith("F:3: YAML syntax:") and "duplicate key" in found[0]


def test_every_problem_is_listed_not_just_the_first(tmp_path):
    text = VALID.replace("type: integer", "type: integr").replace(
        "select_one colours", "select_one nope"
    )
    found = problems_of(tmp_path, text.replace("title: Demo", "title: Demo\nextra: 1"))
    assert len(found) == 3


def test_strict_reports_missing_translations(tmp_path):
    assert problems_of(tmp_path, VALID) == []
    found = problems_of(tmp_path, VALID, strict=True)
    assert "F:3: survey: title has no 'es' translation" in found
    assert "F:10: question 'age': label has no 'es' translation" in found
    assert not any("'colour'" in p for p in found)


def test_not_a_mapping_and_empty_files(tmp_path):
    assert problems_of(tmp_path, "- just\n- a list\n")[0].startswith("F:1: a survey definition")
    assert problems_of(tmp_path, "")[0].startswith("F: a survey definition")


def test_other_adds_a_code_that_must_be_free(tmp_path):
    text = VALID.replace("        relevant:", "        other: true\n        relevant:").replace(
        "    - {code: red, label: Red}",
        "    - {code: red, label: Red}\n    - {code: other, label: O}",
    )
    found = problems_of(tmp_path, text)
    assert found == [
        "F:14: question 'colour': other: true adds the code 'other', which list "
        "'colours' already has"
    ]


def test_bundled_definitions_are_valid_and_complete(tmp_path):
    files = definition_files([BUNDLED_SURVEYS_DIR])
    assert {f.stem for f in files} == {"intake", "followup-1y", "followup-5y", "mentor"}
    for path in files:
        definition, problems = read_definition(path, strict=True)
        assert problems == [], [str(p) for p in problems]
        assert definition["id"] == path.stem


def test_the_documented_example_is_valid(tmp_path):
    docs = (ROOT / "docs" / "definitions.md").read_text(encoding="utf-8")
    example = re.search(r"## A complete example\n\n```yaml\n(.*?)```", docs, re.S).group(1)
    path = tmp_path / "example.yaml"
    path.write_text(example)
    definition, problems = read_definition(path)
    assert problems == [], [str(p) for p in problems]
    types = {q["type"] for page in definition["pages"] for q in page["questions"]}
    assert types == {
        "note",
        "consent",
        "select_one",
        "select_multiple",
        "integer",
        "date",
        "decimal",
        "text",
        "email",
        "long_text",
    }


def test_public_is_stored_only_when_true(tmp_path):
    """Definitions without `public:` normalise exactly as before the flag existed."""
    path = tmp_path / "survey.yaml"
    for text, expected in [
        (VALID, None),
        (VALID.replace("version: 1", "version: 1\npublic: false"), None),
        (VALID.replace("version: 1", "version: 1\npublic: true"), True),
    ]:
        path.write_text(text)
        definition, problems = read_definition(path)
        assert problems == []
        assert definition.get("public") is expected


def test_only_the_bundled_intake_is_public():
    public = {
        path.stem: read_definition(path)[0].get("public", False)
        for path in definition_files([BUNDLED_SURVEYS_DIR])
    }
    assert public == {"intake": True, "followup-1y": False, "followup-5y": False, "mentor": False}


@pytest.mark.parametrize(
    "depth",
    [60, pytest.param(1000, marks=pytest.mark.slow), pytest.param(100_000, marks=pytest.mark.slow)],
)
@pytest.mark.parametrize("kind", ["flow", "block"])
def test_deeply_nested_yaml_is_one_problem(tmp_path, runner, depth, kind):
    if kind == "flow":
        text = VALID + "extra: " + "[" * depth + "]" * depth + "\n"
    else:
        text = VALID + "".join(" " * i + "k:\n" for i in range(min(depth, 2000)))
    assert problems_of(tmp_path, text) == ["F: the file is nested more than 50 levels deep"]
    result = runner.invoke(args=["surveys", "validate", str(tmp_path / "survey.yaml")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{tmp_path / 'survey.yaml'}: the file is nested more than 50 levels deep"
    ]
