"""The layers of docs/architecture.md that import-linter cannot see: what loads at run time,
the question types that the definition language and the forms each keep a registry of,
and that only services write. (`.importlinter` holds the import rules; `lint-imports`
checks them.)"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import surveys
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


def test_notes_calculations_and_repeats_are_the_types_without_a_field():
    without_field = {name for name, t in FIELD_TYPES.items() if t.field_class is None}
    no_field = {
        name for name, t in QUESTION_TYPES.items() if t.is_note or t.is_calculated or t.is_repeat
    }
    assert without_field == no_field == {"note", "calculate", "repeat"}


def test_number_types_are_the_ones_whose_answers_are_numbers():
    assert NUMBER_TYPES == ("integer", "decimal")


def test_the_database_constrains_roles_and_statuses_to_the_shared_codes():
    assert models.ROLES is vocabulary.ROLES
    assert models.STATUSES is vocabulary.STATUSES


# --- only services write ------------------------------------------------------------------

SURVEYS = Path(surveys.__file__).parent
VIEW_FOLDERS = (SURVEYS / "blueprints", SURVEYS / "admin" / "views")
# What a view may do with the database itself: end the request's transaction.
VIEW_COMMITS = {"commit", "rollback"}
WHERE_IT_BELONGS = (
    "a view reads the request, calls a service, commits once; the query or the write "
    "belongs in the service that owns the table (surveys/participants, surveys/followups, "
    "surveys/admin/accounts.py, surveys/exporting, surveys/dashboard, surveys/audit_log.py, "
    "surveys/survey_versions.py …), which the view then calls"
)


def database_work(source: str) -> list[tuple[int, str]]:
    """(line, what) for each thing in a view's source that reads or writes the database
    other than `db.session.commit()` and `db.session.rollback()`: any other use of `db`
    (`db.session.add`, `scalars`, `execute`, `db.paginate`, `db.get_or_404` …), and any
    import from SQLAlchemy but its exceptions (a view catches them around its commit)."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    db_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("extensions")
        for alias in node.names
        if alias.name == "db"
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in db_names:
            outer = node  # the whole dotted name: db.session.add
            while isinstance(parents.get(outer), ast.Attribute):
                outer = parents[outer]
            dotted = ast.unparse(outer).split(".")
            if not (len(dotted) == 3 and dotted[1] == "session" and dotted[2] in VIEW_COMMITS):
                found.append((node.lineno, ast.unparse(outer)))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
            )
            found += [
                (node.lineno, f"import of {module}")
                for module in modules
                if module.split(".")[0] == "sqlalchemy" and module != "sqlalchemy.exc"
            ]
    return sorted(found)


def view_modules() -> list[Path]:
    return sorted(path for folder in VIEW_FOLDERS for path in folder.glob("*.py"))


def test_views_leave_reading_and_writing_the_database_to_services():
    found = [
        f"{path.relative_to(SURVEYS.parent)}:{line}: {what}"
        for path in view_modules()
        for line, what in database_work(path.read_text(encoding="utf-8"))
    ]
    assert not found, WHERE_IT_BELONGS + ":\n" + "\n".join(found)


def test_the_views_checked_are_the_views():
    names = {path.stem for path in view_modules()}
    assert {"public", "followup", "health", "people", "users", "sign_in", "audit"} <= names


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("db.session.commit()\ndb.session.rollback()", []),
        ("db.session.add(user)", [(1, "db.session.add")]),
        ("db.session.scalars(query).all()", [(1, "db.session.scalars")]),
        ("db.get_or_404(User, 1)", [(1, "db.get_or_404")]),
        ("session = db.session\nsession.delete(user)", [(1, "db.session")]),
        ("from sqlalchemy import select", [(1, "import of sqlalchemy")]),
        ("import sqlalchemy.orm", [(1, "import of sqlalchemy.orm")]),
        ("from sqlalchemy.exc import IntegrityError", []),
        (
            "from ...extensions import db as database\ndatabase.session.execute(q)",
            [(2, "database.session.execute")],
        ),
    ],
)
def test_the_view_check_finds_database_work(source, found):
    prelude = "" if "extensions" in source else "from ..extensions import db\n"
    offset = prelude.count("\n")
    assert database_work(prelude + source) == [(line + offset, what) for line, what in found]
