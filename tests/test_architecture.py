"""The layers of docs/architecture.md that import-linter cannot see: what loads at run time,
and the question types that the definition language and the forms each keep a registry of.
(`.importlinter` holds the import rules; `lint-imports` checks them.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

from forms.types import FIELD_TYPES
from surveys import models, vocabulary
from surveys.definitions.question_types import NUMBER_TYPES, QUESTION_TYPES

DATABASE_MODULES = ("flask_sqlalchemy", "flask_migrate", "surveys.extensions", "surveys.models")


@pytest.mark.parametrize("module", ["forms", "surveys.definitions", "surveys.demographics"])
def test_the_language_and_the_forms_load_without_the_database(module):
    code = (
        f"import sys, {module}\n"
        f"print(' '.join(m for m in {DATABASE_MODULES!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []


def test_every_question_type_of_the_language_has_one_form_behaviour_and_no_other():
    assert list(FIELD_TYPES) == list(QUESTION_TYPES)
    for name, field_type in FIELD_TYPES.items():
        assert field_type.name == name
        assert field_type.question_type is QUESTION_TYPES[name]


def test_a_note_is_the_one_type_without_a_field():
    without_field = {name for name, t in FIELD_TYPES.items() if t.field_class is None}
    assert without_field == {name for name, t in QUESTION_TYPES.items() if t.is_note} == {"note"}


def test_number_types_are_the_ones_whose_answers_are_numbers():
    assert NUMBER_TYPES == ("integer", "decimal")


def test_the_database_constrains_roles_and_statuses_to_the_shared_codes():
    assert models.ROLES is vocabulary.ROLES
    assert models.STATUSES is vocabulary.STATUSES
