"""The survey model reads every stored definition without loss, and is shared per content."""

from __future__ import annotations

import pytest

from surveys.config import BUNDLED_SURVEYS_DIR
from surveys.definitions import definition_files, read_definition
from surveys.definitions.model import read_survey, survey_of

BUNDLED = [path.stem for path in definition_files([BUNDLED_SURVEYS_DIR])]


@pytest.fixture(params=BUNDLED)
def definition(request) -> dict:
    definition, problems = read_definition(BUNDLED_SURVEYS_DIR / f"{request.param}.yaml")
    assert not problems
    return definition


def test_every_question_and_choice_of_the_stored_json_is_in_the_model(definition):
    survey = read_survey(definition)
    assert [page.name for page in survey.pages] == [page["name"] for page in definition["pages"]]
    stored = [q for page in definition["pages"] for q in page["questions"]]
    assert [q.name for q in survey.questions] == [q["name"] for q in stored]
    for q in stored:
        model = survey.question(q["name"])
        assert (model.type, model.list_name, model.required, model.relevant) == (
            q["type"],
            q["list"],
            q["required"],
            q["relevant"],
        )
        assert (model.privacy, model.other, dict(model.label)) == (
            q["privacy"],
            q["other"],
            q["label"],
        )
        if q["list"]:
            assert list(survey.choice_list(model).codes) == [
                c["code"] for c in definition["choices"][q["list"]]
            ]
    assert survey.id == definition["id"] and survey.version == definition["version"]
    alphabetical = {name for name, choices in survey.lists.items() if choices.alphabetical}
    assert alphabetical == set(definition["sorted_lists"])


def test_a_question_is_asked_when_its_relevance_holds():
    definition, _ = read_definition(BUNDLED_SURVEYS_DIR / "intake.yaml")
    describe = read_survey(definition).question("gender_self_describe")
    assert describe.is_relevant({"gender": "self_describe"})
    assert not describe.is_relevant({"gender": "woman"})
    assert not describe.is_relevant({})


def test_an_unknown_question_is_a_key_error():
    definition, _ = read_definition(BUNDLED_SURVEYS_DIR / "intake.yaml")
    with pytest.raises(KeyError):
        read_survey(definition).question("no_such_question")


def test_one_model_per_content():
    definition, _ = read_definition(BUNDLED_SURVEYS_DIR / "intake.yaml")
    again, _ = read_definition(BUNDLED_SURVEYS_DIR / "intake.yaml")
    assert survey_of(definition) is survey_of(again)
    changed = {**again, "version": again["version"] + 1}
    assert survey_of(changed) is not survey_of(definition)
