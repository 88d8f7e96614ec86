"""`participants import` and `participants erase`, as an operator runs them."""

from __future__ import annotations

import textwrap
from datetime import date

import pytest
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import (
    Contact,
    Erasure,
    Participant,
    Programme,
    Response,
    StatusChange,
    Term,
)

GOOD = """\
email,name,role,language,status
ana@example.org,Ana Souza,mentee,pt-BR,completed
Juan@Example.ORG,Juan Pérez,mentee,es,completed
amina@example.org,Amina,mentee,sw,failed
kim@example.org,,mentor,,active
"""


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str, name: str = "people.csv", encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_bytes(textwrap.dedent(text).encode(encoding))
        return str(path)

    return write


def run_import(runner, path, *extra, programme="gsoc", term="2025", end="2025-09-01"):
    return runner.invoke(
        args=[
            "participants",
            "import",
            path,
            "--programme",
            programme,
            "--term",
            term,
            "--term-end",
            end,
            *extra,
        ]
    )


def people(app) -> dict[str, tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(
                Contact.email,
                Contact.name,
                Participant.role,
                Participant.language,
                Participant.status,
            ).join(Participant, Contact.participant_id == Participant.id)
        )
        return {email: rest for email, *rest in rows}


def test_import_creates_programme_term_participants_and_contacts(app, runner, csv_file):
    result = run_import(runner, csv_file(GOOD), "--today", "2025-09-02")
    assert result.exit_code == 0, result.output
    assert "4 added, 0 updated, 0 unchanged, 0 bad row(s) left out" in result.output
    assert people(app) == {
        "ana@example.org": ["Ana Souza", "mentee", "pt_BR", "completed"],
        "juan@example.org": ["Juan Pérez", "mentee", "es", "completed"],
        "amina@example.org": ["Amina", "mentee", "sw", "failed"],
        "kim@example.org": [None, "mentor", None, "active"],
    }
    with app.app_context():
        term = db.session.scalar(select(Term))
        assert (term.programme.code, term.name, term.end) == ("gsoc", "2025", date(2025, 9, 1))
        # Each participant has a random opaque id, unrelated to the email.
        ids = db.session.scalars(select(Participant.public_id)).all()
        assert len(set(ids)) == 4 and all(len(i) == 32 and "@" not in i for i in ids)


def test_every_bad_row_is_reported_with_its_line_and_the_good_rows_are_imported(
    app, runner, csv_file
):
    path = csv_file(
        """\
        email,name,role,language,status
        ok@example.org,Ok,mentee,fr,active
        not-an-address,Bad,mentee,,active
        ,No email,mentee,,active
        who@example.org,Who,boss,,active
        late@example.org,Late,mentee,,finished
        tongue@example.org,Tongue,mentee,klingon-xx-yy,active
        OK@example.org,Twice,mentee,,active
        """
    )
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}: line 3: the email is not a valid address",
        f"{path}: line 4: the email is missing",
        f"{path}: line 5: role must be one of mentee, mentor",
        f"{path}: line 6: status must be one of active, completed, failed, withdrawn",
        f"{path}: line 7: the language is not a language code like es, pt-BR or sw",
        f"{path}: line 8: the same email as line 2",
    ]
    assert "1 added" in result.output
    assert list(people(app)) == ["ok@example.org"]
    # The report never repeats what the rows held.
    assert "not-an-address" not in result.stderr and "Tongue" not in result.stderr


def test_international_addresses_are_imported_and_unsendable_ones_refused_by_line(
    app, runner, csv_file
):
    too_long = "é" * 33  # 33 characters but 66 bytes: past SMTP's 64 before the @
    path = csv_file(
        f"""\
        email,name
        José@Example.org,José
        用户@例子.广告,
        ana@bücher.example,Ana
        {too_long}@example.org,Long
        ana@[127.0.0.1],Literal
        jo\u200bse@example.org,Invisible
        josé@@example.org,Twice at
        """
    )
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}: line 5: the email has more than 64 bytes before the @",
        f"{path}: line 6: the email is not a valid address",
        f"{path}: line 7: the email is not a valid address",
        f"{path}: line 8: the email is not a valid address",
    ]
    assert sorted(people(app)) == ["ana@bücher.example", "josé@example.org", "用户@例子.广告"]
    assert "é" not in result.stderr


def test_reimporting_the_same_file_changes_nothing(app, runner, csv_file):
    path = csv_file(GOOD)
    assert run_import(runner, path).exit_code == 0
    before = people(app)
    again = run_import(runner, path)
    assert again.exit_code == 0, again.output
    assert "0 added, 0 updated, 4 unchanged" in again.output
    assert people(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Participant)) == 4
        # Each joined (active), and three then completed or failed.
        assert db.session.scalar(select(func.count()).select_from(StatusChange)) == 7


def test_a_changed_status_is_updated_with_the_day_it_changed(app, runner, csv_file):
    assert run_import(runner, csv_file(GOOD), "--today", "2025-06-01").exit_code == 0
    changed = GOOD.replace("kim@example.org,,mentor,,active", "kim@example.org,,mentor,,withdrawn")
    result = run_import(runner, csv_file(changed, "v2.csv"), "--today", "2025-07-15")
    assert "0 added, 1 updated, 3 unchanged" in result.output
    with app.app_context():
        kim = db.session.scalar(
            select(Participant).join(Contact).where(Contact.email == "kim@example.org")
        )
        assert (kim.status, kim.status_changed_on) == ("withdrawn", date(2025, 7, 15))
        history = [(c.status, c.changed_on) for c in kim.status_changes]
        assert history == [("active", date(2025, 6, 1)), ("withdrawn", date(2025, 7, 15))]


def histories(app) -> dict[str, list[tuple[str, date]]]:
    """Each participant's statuses with their days, by email."""
    with app.app_context():
        return {
            participant.contact.email: [
                (c.status, c.changed_on) for c in participant.status_changes
            ]
            for participant in db.session.scalars(select(Participant))
        }


def test_a_past_terms_statuses_are_dated_in_the_term_not_on_the_import_day(app, runner, csv_file):
    result = run_import(
        runner,
        csv_file(GOOD),
        "--term-start",
        "2019-05-27",
        "--today",
        "2025-03-01",
        term="2019",
        end="2019-09-01",
    )
    assert result.exit_code == 0, result.output
    joined, ended = ("active", date(2019, 5, 27)), date(2019, 9, 1)
    assert histories(app) == {
        "ana@example.org": [joined, ("completed", ended)],
        "juan@example.org": [joined, ("completed", ended)],
        "amina@example.org": [joined, ("failed", ended)],
        "kim@example.org": [joined],
    }
    with app.app_context():
        latest = dict(
            db.session.execute(
                select(Contact.email, Participant.status_changed_on).join(Participant)
            ).all()
        )
    assert latest == {
        "ana@example.org": ended,
        "juan@example.org": ended,
        "amina@example.org": ended,
        "kim@example.org": date(2019, 5, 27),
    }


def test_a_term_without_a_first_day_is_joined_on_its_last(app, runner, csv_file):
    path = csv_file("email,status\nana@example.org,completed\nkim@example.org,active\n")
    assert (
        run_import(runner, path, "--today", "2025-03-01", term="2019", end="2019-09-01").exit_code
        == 0
    )
    ended = date(2019, 9, 1)
    assert histories(app) == {
        "ana@example.org": [("active", ended), ("completed", ended)],
        "kim@example.org": [("active", ended)],
    }


def test_a_term_under_way_dates_a_final_status_on_the_import_day(app, runner, csv_file):
    path = csv_file("email,status\nana@example.org,withdrawn\nkim@example.org,active\n")
    result = run_import(runner, path, "--term-start", "2025-05-27", "--today", "2025-07-01")
    assert result.exit_code == 0, result.output
    assert histories(app) == {
        "ana@example.org": [("active", date(2025, 5, 27)), ("withdrawn", date(2025, 7, 1))],
        "kim@example.org": [("active", date(2025, 5, 27))],
    }


def test_a_status_date_column_dates_the_rows_status(app, runner, csv_file):
    path = csv_file(
        """\
        email,status,status_date
        lee@example.org,withdrawn,2019-07-02
        mo@example.org,active,2019-06-10
        ana@example.org,completed,
        bad@example.org,failed,02/07/2019
        soon@example.org,failed,2025-03-02
        """
    )
    result = run_import(
        runner,
        path,
        "--term-start",
        "2019-05-27",
        "--today",
        "2025-03-01",
        term="2019",
        end="2019-09-01",
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}: line 5: the status_date is not a date like 2025-09-01",
        f"{path}: line 6: the status_date is after the day of the import",
    ]
    joined = ("active", date(2019, 5, 27))
    assert histories(app) == {
        "lee@example.org": [joined, ("withdrawn", date(2019, 7, 2))],
        "mo@example.org": [("active", date(2019, 6, 10))],
        "ana@example.org": [joined, ("completed", date(2019, 9, 1))],
    }
    # A later file that changes a status dates the change by its own status_date.
    again = csv_file("email,status,status_date\nmo@example.org,failed,2019-08-20\n", "v2.csv")
    assert run_import(runner, again, term="2019", end="2019-09-01").exit_code == 0
    assert histories(app)["mo@example.org"] == [
        ("active", date(2019, 6, 10)),
        ("failed", date(2019, 8, 20)),
    ]


def test_the_same_people_in_another_term_are_other_participants(app, runner, csv_file):
    path = csv_file(GOOD)
    assert run_import(runner, path).exit_code == 0
    assert run_import(runner, path, term="2026", end="2026-09-01").exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Participant)) == 8


def test_an_existing_programme_is_found_by_name_and_a_new_one_is_created(app, runner, csv_file):
    with app.app_context():
        db.session.add(Programme(code="gsod", name="Google Season of Docs"))
        db.session.commit()
    path = csv_file(GOOD)
    assert run_import(runner, path, programme="google season of docs").exit_code == 0
    assert run_import(runner, path, programme="Open Mentors Club").exit_code == 0
    with app.app_context():
        codes = sorted(db.session.scalars(select(Programme.code)))
    assert codes == ["gsod", "open-mentors-club"]


@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        ("", "utf-8", "the file is empty"),
        ("name,role\nAna,mentee\n", "utf-8", "the email column is missing"),
        ("email,statuss\na@example.org,active\n", "utf-8", "unknown column(s) 'statuss'"),
        ("email,name\nana@example.org,Jos\u00e9\n", "latin-1", "the file is not UTF-8 text"),
    ],
)
def test_a_file_that_cannot_be_read_imports_nothing(
    app, runner, csv_file, content, encoding, message
):
    result = run_import(runner, csv_file(content, encoding=encoding))
    assert result.exit_code == 1
    assert "nothing imported: " + message in result.stderr
    assert people(app) == {}


def test_a_spreadsheet_export_with_bom_and_crlf_imports(app, runner, csv_file):
    result = run_import(runner, csv_file("\ufeffEmail,Name\r\nana@example.org,Ana\r\n\r\n"))
    assert result.exit_code == 0, result.output
    assert list(people(app)) == ["ana@example.org"]


def test_a_term_end_that_differs_from_the_stored_one_is_refused(app, runner, csv_file):
    path = csv_file(GOOD)
    assert run_import(runner, path).exit_code == 0
    result = run_import(runner, path, end="2025-10-01")
    assert result.exit_code == 1
    assert "term '2025' of gsoc ends on 2025-09-01, not 2025-10-01" in result.stderr


def test_a_bad_date_is_refused_by_the_command(runner, csv_file):
    result = run_import(runner, csv_file(GOOD), end="01/09/2025")
    assert result.exit_code == 2
    assert "--term-end" in result.output


# --- erasure ----------------------------------------------------------------------------


def test_erase_removes_contact_answers_and_records_only_that_it_happened(app, runner, csv_file):
    assert run_import(runner, csv_file(GOOD)).exit_code == 0
    assert run_import(runner, csv_file(GOOD), term="2026", end="2026-09-01").exit_code == 0
    with app.app_context():
        from surveys.models import SurveyVersion

        version = SurveyVersion(
            survey_id="x", version=1, title="X", definition={}, content_hash="0" * 64
        )
        db.session.add(version)
        db.session.flush()
        for participant in db.session.scalars(select(Participant)):
            db.session.add(
                Response(
                    survey_version_id=version.id,
                    locale="en",
                    started_at=participant.created_at,
                    answers={"q": participant.contact.email},
                    submission_key=participant.public_id,
                    participant_id=participant.id,
                )
            )
        db.session.commit()

    result = runner.invoke(args=["participants", "erase", "  JUAN@example.org "])
    assert result.exit_code == 0, result.output
    assert "erased 2 participant record(s) and 2 response(s)" in result.output
    assert "juan" not in result.output.lower()
    assert "juan@example.org" not in people(app)
    with app.app_context():
        answers = db.session.scalars(select(Response.answers)).all()
        assert len(answers) == 6 and all("juan" not in a["q"] for a in answers)
        erasure = db.session.scalar(select(Erasure))
        assert (erasure.participants, erasure.responses) == (2, 2)
        columns = {c.name for c in Erasure.__table__.columns}
        assert columns == {"id", "erased_at", "participants", "responses"}


def test_erasing_an_unknown_address_says_so_and_records_nothing(app, runner):
    result = runner.invoke(args=["participants", "erase", "nobody@example.org"])
    assert result.exit_code == 1
    assert "nobody with that email address" in result.stderr
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Erasure)) == 0


def test_a_new_programme_whose_code_is_taken_is_refused_in_a_sentence(app, runner, csv_file):
    path = csv_file(GOOD)
    assert run_import(runner, path).exit_code == 0
    # "GSoC!" matches no code or name, but would be given the code "gsoc".
    result = run_import(runner, path, programme="GSoC!")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "would get the code 'gsoc'" in result.stderr


def test_a_project_column_is_imported_and_updated(app, runner, csv_file):
    path = csv_file(
        """\
        email,project
        ana@example.org,  Kubernetes
        ben@example.org,
        """
    )
    assert run_import(runner, path).exit_code == 0
    with app.app_context():
        projects = dict(
            db.session.execute(
                select(Contact.email, Participant.project).join(
                    Participant, Contact.participant_id == Participant.id
                )
            ).all()
        )
    assert projects == {"ana@example.org": "Kubernetes", "ben@example.org": None}
    changed = csv_file("email,project\nana@example.org,Jenkins\n", name="changed.csv")
    result = run_import(runner, changed)
    assert "1 updated" in result.output
    long_name = csv_file(f"email,project\ncy@example.org,{'x' * 201}\n", name="long.csv")
    result = run_import(runner, long_name)
    assert result.exit_code == 1
    assert "line 2: the project is longer than 200 characters" in result.output


def test_the_import_names_the_rows_of_people_already_mentees_elsewhere(app, runner, csv_file):
    first = csv_file("email,role\nana@example.org,mentee\nben@example.org,mentor\n")
    assert (
        run_import(runner, first, programme="outreachy", term="2023", end="2023-08-31").exit_code
        == 0
    )
    again = csv_file(
        "email,role\nzoe@example.org,mentee\nANA@example.org,mentee\nben@example.org,mentee\n",
        name="again.csv",
    )
    result = run_import(runner, again)
    assert result.exit_code == 0, result.output
    # Ana (line 3) was a mentee; Ben was a mentor, which does not make him a returning mentee.
    lines = [line for line in result.output.splitlines() if "already a mentee" in line]
    assert lines == [f"{again}: line 3: already a mentee in outreachy – 2023"]
    assert "ana@" not in result.output.lower()
