"""`flask --app wsgi export …` as an analyst runs it: the bundle, the audit log, refusals."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditEvent, Programme, Term
from tests.test_export_pipeline import one_mentee_answered, programme_data  # noqa: F401

BUNDLE = {"datapackage.json", "codebook.csv", "methodology.json", "README.txt"}


def methodology_removed(out) -> int:
    with zipfile.ZipFile(out) as bundle:
        return json.loads(bundle.read("methodology.json"))["records_removed"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "json", "dta"])
def test_export_writes_the_bundle_in_each_format(app, runner, programme_data, tmp_path, fmt):  # noqa: F811
    out = tmp_path / f"intake.{fmt}.zip"
    result = runner.invoke(
        args=["export", "intake", "--with-followups", "--format", fmt, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"{110 - methodology_removed(out)} records, k=5 (achieved" in result.output
    with zipfile.ZipFile(out) as bundle:
        names = set(bundle.namelist())
        assert {n for n in names if not n.startswith("tables/")} == BUNDLE | {f"data.{fmt}"}
        assert "tables/region_of_interest_by_programme_year.csv" in names
        methodology = json.loads(bundle.read("methodology.json"))
        raw = bundle.read(f"data.{fmt}")
    assert methodology["k"] == 5 and methodology["k_achieved"] >= 5
    assert methodology["records"] + methodology["records_removed"] == 110
    for key in (
        "quasi_identifiers",
        "sensitive",
        "records_suppressed",
        "generalisation",
        "dropped",
    ):
        assert key in methodology
    if fmt == "csv":
        data = pd.read_csv(io.BytesIO(raw))
        assert list(data.columns[:3]) == ["pid", "wave", "period"]
        assert set(data["wave"]) == {"intake", "followup-1y"}


def test_every_export_is_audited_without_answers(app, runner, programme_data, tmp_path):  # noqa: F811
    out = tmp_path / "a.zip"
    assert runner.invoke(args=["export", "intake", "--k", "3", "--out", str(out)]).exit_code == 0
    with app.app_context():
        event = db.session.scalar(select(AuditEvent))
    assert event.action == "export" and event.actor.startswith("cli:")
    assert event.details["k"] == 3 and event.details["k_achieved"] >= 3
    assert 65 <= event.details["records"] <= 70  # a few may be suppressed
    # No l, programme or term was asked: those are left out rather than recorded as None.
    assert set(event.details) == {
        "survey",
        "format",
        "purpose",
        "k",
        "max_suppression",
        "with_followups",
        "k_achieved",
        "records",
        "records_suppressed",
    }


def test_an_export_that_cannot_protect_anyone_is_refused(app, runner, tmp_path):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    out = tmp_path / "none.zip"
    result = runner.invoke(args=["export", "intake", "--out", str(out)])
    assert result.exit_code == 1
    assert "nothing exported: only 0 people" in result.output
    assert not out.exists()
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action)) == "export refused"


def test_an_unknown_survey_is_named(app, runner, tmp_path):
    result = runner.invoke(args=["export", "nope", "--out", str(tmp_path / "x.zip")])
    assert result.exit_code == 1
    assert "there is no survey 'nope'" in result.output


def test_bad_options_are_refused_by_the_command(runner, tmp_path):
    out = str(tmp_path / "x.zip")
    assert runner.invoke(args=["export", "intake", "--k", "1", "--out", out]).exit_code == 2
    assert runner.invoke(args=["export", "intake", "--format", "sav", "--out", out]).exit_code == 2
    bad = runner.invoke(args=["export", "intake", "--max-suppression", "1.5", "--out", out])
    assert bad.exit_code == 2


def test_summary_tables_show_no_count_under_k(app, runner, programme_data, tmp_path):  # noqa: F811
    out = tmp_path / "t.zip"
    assert runner.invoke(args=["export", "intake", "--out", str(out)]).exit_code == 0
    with zipfile.ZipFile(out) as bundle:
        tables = [n for n in bundle.namelist() if n.startswith("tables/")]
        assert "tables/age_range_by_programme_year.csv" in tables
        for name in tables:
            table = pd.read_csv(io.BytesIO(bundle.read(name)), dtype=str, keep_default_na=False)
            for value in table.drop(columns=table.columns[0]).to_numpy().ravel():
                assert value == "suppressed" or value == "0" or int(value) >= 5, (name, value)


def test_programme_and_term_filters(app, runner, programme_data, tmp_path):  # noqa: F811
    out = str(tmp_path / "f.zip")
    kept = runner.invoke(
        args=["export", "intake", "--programme", "gsoc", "--term", "2025", "--out", out]
    )
    # Everyone is in gsoc 2025, so the subset is the whole release: all but the few people
    # too rare to keep (fewer than k, so removed rather than suppressed).
    assert kept.exit_code == 0
    assert 65 <= int(re.search(r"(\d+) records", kept.output).group(1)) <= 70
    with app.app_context():
        lfx = Programme(code="lfx", name="LFX Mentorship")
        db.session.add_all([lfx, Term(programme=lfx, name="2019", end=date(2019, 9, 1))])
        db.session.commit()
    other = runner.invoke(args=["export", "intake", "--programme", "lfx", "--out", out])
    assert other.exit_code == 1 and "only 0 people are in this subset" in other.output
    no_term = runner.invoke(args=["export", "intake", "--term", "2019", "--out", out])
    assert no_term.exit_code == 1 and "only 0 people are in this subset" in no_term.output


def test_an_unknown_programme_or_term_is_named_with_the_ones_there_are(
    app,
    runner,
    programme_data,  # noqa: F811
    tmp_path,
):
    out = str(tmp_path / "f.zip")
    typo = runner.invoke(args=["export", "intake", "--programme", "GSoC", "--out", out])
    assert typo.exit_code == 1
    # gsoc is registered; the others are the bundled intake's to choose from.
    assert "there is no programme 'GSoC'; the programmes are gsoc, gsod, lfx, outreachy" in (
        typo.output
    )
    term = runner.invoke(args=["export", "intake", "--term", "2052", "--out", out])
    assert term.exit_code == 1 and "there is no term '2052'; the terms are 2025" in term.output
    both = runner.invoke(
        args=["export", "intake", "--programme", "gsoc", "--term", "2024", "--out", out]
    )
    assert both.exit_code == 1 and "there is no term '2024' of gsoc" in both.output
    with app.app_context():
        # A slip of the keyboard is not an export: nothing to audit.
        assert db.session.scalar(select(AuditEvent)) is None


def test_one_person_is_one_person(app, runner, tmp_path):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    one_mentee_answered(app)
    result = runner.invoke(args=["export", "intake", "--out", str(tmp_path / "one.zip")])
    assert result.exit_code == 1
    assert "nothing exported: only 1 person; k=5 needs at least 5" in result.output
