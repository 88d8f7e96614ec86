"""The export pipeline over a real database: what leaves, what stays, and k holds."""

from __future__ import annotations

import json
import random
import zipfile
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from exports import kanon, pipeline, release
from exports.columns import SUPPRESSED
from exports.flatten import columns_of
from surveys.extensions import db
from surveys.models import Contact, Participant, Programme, Response, SurveyVersion, Term
from surveys.survey_versions import latest_version

COUNTRIES = ["KEN"] * 10 + ["BRA"] * 8 + ["IND"] * 6 + ["NGA"] * 5
AGES = ["18-24"] * 5 + ["25-29"] * 4 + ["30-34"] * 2 + ["35-39"]


def intake_answers(rng: random.Random, **override) -> dict:
    answers = {
        "consent": True,
        "programme": rng.choice(["gsoc", "lfx"]),
        "project_area": rng.sample(["docs", "code", "design"], k=rng.randint(1, 2)),
        "motivation_text": "I love open source — write to me at lena@example.org",
        "prior_contributions": rng.choice(["never", "few"]),
        "years_programming": rng.randint(0, 10),
        "age_range": rng.choice(AGES),
        "country": rng.choice(COUNTRIES),
        "gender": [rng.choice(["woman", "man", "woman", "man", "non_binary"])],
        "gender_self_describe": "my own words",
        "qualification_earned": rng.choice(["ED3", "ED6", "ED6", "ED7"]),
        "relative_income": rng.choice(["below", "average", "above"]),
    }
    answers.update(override)
    return answers


@pytest.fixture
def programme_data(app, runner):
    """70 mentees with personal-link intakes, 40 of them with a 1-year follow-up."""
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    rng = random.Random(7)
    with app.app_context():
        intake = latest_version("intake")
        followup = latest_version("followup-1y")
        gsoc = Programme(code="gsoc", name="Google Summer of Code")
        term = Term(programme=gsoc, name="2025", end=date(2025, 9, 1))
        db.session.add_all([gsoc, term])
        for i in range(70):
            person = Participant(
                term=term, role="mentee", status="completed", status_changed_on=date(2025, 9, 1)
            )
            person.contact = Contact(name=f"Person {i}", email=f"person{i}@example.org")
            db.session.add(person)
            db.session.flush()
            override = {}
            if i == 0:  # the only 60-64-year-old, from Iceland
                override = {"age_range": "60-64", "country": "ISL"}
            db.session.add(_response(intake, person, "intake", intake_answers(rng, **override)))
            if i < 40:
                db.session.add(
                    _response(
                        followup,
                        person,
                        "followup-1y",
                        {
                            "still_contributing": rng.choice([["same_project"], ["no"]]),
                            "occupation": rng.choice(["employed", "student"]),
                            "recommend": "definitely",
                            "comments": '=HYPERLINK("http://evil")',
                        },
                    )
                )
        db.session.commit()
        return {"intake": intake.id}


def one_mentee_answered(app) -> None:
    """The bundled surveys' intake answered by one mentee of gsoc 2025: one person."""
    with app.app_context():
        gsoc = Programme(code="gsoc", name="Google Summer of Code")
        term = Term(programme=gsoc, name="2025", end=date(2025, 9, 1))
        person = Participant(
            term=term, role="mentee", status="completed", status_changed_on=date(2025, 9, 1)
        )
        person.contact = Contact(name="Ana", email="ana@example.org")
        db.session.add(person)
        db.session.flush()
        intake = latest_version("intake")
        db.session.add(_response(intake, person, "intake", intake_answers(random.Random(1))))
        db.session.commit()


def _response(version: SurveyVersion, person: Participant, wave: str, answers: dict) -> Response:
    year = 2025 if wave == "intake" else 2026  # a follow-up comes a year later
    return Response(
        survey_version_id=version.id,
        locale="en",
        started_at=datetime(year, 7, 1, tzinfo=UTC),
        submitted_at=datetime(year, 8, 14, 10, 30, tzinfo=UTC),
        answers=answers,
        submission_key=f"{wave}-{person.public_id}",
        wave=wave,
        participant_id=person.id,
    )


def export(app, **options):
    with app.app_context():
        opts = pipeline.Options(**options)
        with db.engine.connect() as connection:
            data, columns, definitions = pipeline.load_table(connection, "intake", opts)
        result = pipeline.anonymise(data, columns, definitions, opts, seed=1)
        return result.data, result.columns, result.methodology


def person_classes(table: pd.DataFrame, qis: list[str]) -> pd.Series:
    """Equivalence class sizes, counting each person once over all their rows: per column,
    the person's non-empty values in wave order (what a reader of the file can tell)."""
    names = [c for c in table.columns if c in qis or c.split("__")[0] in qis]
    ordered = table.sort_values(["pid", "wave"])
    cells = ordered[names].astype(object).where(ordered[names].notna(), "").map(str)
    people = cells.groupby(ordered["pid"]).agg(lambda s: "+".join(v for v in s if v))
    return people.agg("|".join, axis=1).value_counts()


def test_no_identifier_contact_or_free_text_leaves(app, programme_data):
    table, columns, methodology = export(app, with_followups=True)
    text = table.to_csv()
    for secret in ("example.org", "Person 1", "my own words", "HYPERLINK", "lena"):
        assert secret not in text
    assert "motivation_text" not in table and "gender_self_describe" not in table
    assert "comments" not in table and "programme_other" not in table
    assert {"motivation_text", "gender_self_describe", "comments"} <= set(methodology["dropped"])
    with app.app_context():
        public_ids = db.session.scalars(select(Participant.public_id)).all()
    assert not set(public_ids) & set(table["pid"])
    assert list(table.columns[:3]) == ["pid", "wave", "period"]
    # The quarter of each person's first answers, once per person.
    assert set(table.loc[table["wave"] == "intake", "period"]) == {"2025-Q3"}
    assert table.loc[table["wave"] != "intake", "period"].isna().all()


def test_intake_and_followups_share_a_pid_and_bundles_do_not(app, programme_data):
    table, _, _ = export(app, with_followups=True)
    waves = table.groupby("pid")["wave"].apply(set)
    assert (waves == {"intake", "followup-1y"}).sum() == 40
    assert len(table) == 110
    again, _, _ = export(app, with_followups=True)
    assert not set(table["pid"]) & set(again["pid"])


def test_every_class_over_the_quasi_identifiers_has_k_people(app, programme_data):
    table, _, methodology = export(app, k=5, with_followups=True)
    sizes = person_classes(table, methodology["quasi_identifiers"])
    assert sizes.min() >= 5
    assert methodology["k_achieved"] >= 5
    assert methodology["records"] == len(table)
    assert {"age_range", "country", "gender", "qualification_earned", "programme"} <= set(
        methodology["quasi_identifiers"] + methodology["quasi_identifiers_removed"]
    )


def test_the_lone_person_from_a_small_country_is_not_singled_out(app, programme_data):
    table, _, methodology = export(app, k=5)
    assert "ISL" not in set(table["country"].astype(str))
    assert not ((table["age_range"] == "60-64") & (table["country"] == "ISL")).any()
    assert methodology["people_suppressed"] <= 0.05 * 70 or methodology["generalisation"]


def test_l_diversity_of_sensitive_answers_is_reported(app, runner, programme_data, tmp_path):
    with app.app_context():
        for response in db.session.scalars(select(Response)):
            if response.wave == "intake":
                response.answers = {**response.answers, "transgender": random.choice(["no", "yes"])}
        db.session.commit()
    out = tmp_path / "intake.zip"
    result = runner.invoke(args=["export", "intake", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as bundle:
        methodology = json.loads(bundle.read("methodology.json"))
    assert "transgender" in methodology["sensitive"]
    assert methodology["l_diversity"]["transgender"] >= 1


def test_a_question_asked_only_after_a_quasi_identifier_is_one_too(app, programme_data):
    """Income is not asked in every programme: whether it was answered tells the
    programme, so it is generalised and suppressed with the quasi-identifiers."""
    _, columns, methodology = export(app, with_followups=True)
    assert "relative_income" not in methodology["sensitive"]
    assert (
        "relative_income"
        in methodology["quasi_identifiers"] + methodology["quasi_identifiers_removed"]
    )


def test_too_few_people_is_refused(app, runner):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    with pytest.raises(kanon.CannotAnonymise):
        export(app, k=5)


def test_suppressed_values_are_marked(app, programme_data):
    table, _, methodology = export(app, k=5, max_suppression=0.2)
    if methodology["people_suppressed"] >= 5:
        assert (table["age_range"] == SUPPRESSED).any()
    else:
        assert methodology["records_removed"] == methodology["records_suppressed"]


def test_generalised_countries_carry_their_region_names(app, runner):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    with app.app_context():
        definition = latest_version("intake").definition
    columns = [c for c in columns_of(definition) if c.name == "country"]
    (qi,) = [q for q in pipeline.quasi_identifiers(columns, {1: definition}) if q.name == "country"]
    data = pd.DataFrame(
        {
            "_person": ["a", "b", "c"],
            "_wave": ["intake"] * 3,
            "_submitted_at": pd.to_datetime(["2025-08-01"] * 3, utc=True),
            "country": pd.Categorical(["KEN", "BRA", None]),
        }
    )
    levels = np.full((3, 1), qi.levels.index("m49_region"))
    columns, removed = release.write(data, columns, [qi], levels)
    assert columns[0].codes == {"m49_002": "Africa", "m49_019": "Americas"} and not removed
    assert list(data["country"][:2]) == ["m49_002", "m49_019"] and pd.isna(data["country"][2])


# The World Bank income group of the country: a quasi-identifier of its own --------------

GROUPS = {"KEN": "LM", "BRA": "UM", "IND": "LM", "NGA": "LM", "ISL": "H"}


def test_the_income_group_of_the_country_is_exported_and_counted_for_k(app, programme_data):
    table, columns, methodology = export(
        app, k=5, with_followups=True, income_groups=GROUPS, income_groups_year="FY2026"
    )
    assert "country_income_group" in methodology["quasi_identifiers"]
    assert methodology["income_groups"].endswith("FY2026")
    names = [c.name for c in columns]
    assert names.index("country_income_group") == names.index("country") + 1
    column = next(c for c in columns if c.name == "country_income_group")
    assert "FY2026" in column.title and column.privacy == "quasi_identifier"
    # k holds with the income group counted beside the country: Iceland's lone mentee
    # is not left as the only "High income" person.
    assert person_classes(table, methodology["quasi_identifiers"]).min() >= 5
    values = set(table.loc[table["wave"] == "intake", "country_income_group"].astype(str))
    assert "H" not in values
    assert values & {"LM", "UM", "L-LM", "UM-H", SUPPRESSED}
    # Follow-ups do not ask the country, so they carry no income group either.
    assert table.loc[table["wave"] == "followup-1y", "country_income_group"].isna().all()


def test_without_a_classification_there_is_no_income_group_column(app, programme_data):
    table, _, methodology = export(app)
    assert "country_income_group" not in table
    assert methodology["income_groups"] is None
