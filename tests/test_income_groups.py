"""The World Bank income-group file: read from the Bank's CLASS.xlsx, used by exports."""

from __future__ import annotations

import io
import json
import random
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from surveys import Config, ConfigError
from surveys.demographics.income_groups import latest, read_data_file
from surveys.extensions import db
from surveys.models import Response
from surveys.survey_versions import latest_version
from tests.test_export_pipeline import intake_answers

# Rows as the Bank's workbook has them: economies, one without a group, the Channel
# Islands under a code of its own, then the aggregates.
ROWS = [
    ("Brazil", "BRA", "Latin America & Caribbean", "Upper middle income", "IBRD"),
    ("Channel Islands", "CHI", "Europe & Central Asia", "High income", None),
    ("Kenya", "KEN", "Sub-Saharan Africa", "Lower middle income", "Blend"),
    ("Kosovo", "XKX", "Europe & Central Asia", "Upper middle income", "IDA"),
    ("Niger", "NER", "Sub-Saharan Africa", "Low income", "IDA"),
    ("Venezuela, RB", "VEN", "Latin America & Caribbean", None, None),
    (None, None, None, None, None),
    ("East Asia & Pacific", "EAS", None, None, None),
]


def class_workbook(path: Path, rows=ROWS, header=True) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "List of economies"
    if header:
        sheet.append(["Economy", "Code", "Region", "Income group", "Lending category"])
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def text_file(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_banks_workbook_becomes_a_data_file_naming_its_fiscal_year(runner, tmp_path):
    workbook = class_workbook(tmp_path / "CLASS.xlsx")
    out = tmp_path / "data"
    result = runner.invoke(
        args=["demographics", "income-groups", str(workbook), "--fiscal-year", "FY2026",
              "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "6 countries, 2 row(s) left out" in result.output
    assert "VEN: no income group" in result.output
    assert "EAS: not a country of residence" in result.output
    path = out / "wb_income_FY2026.csv"
    assert path.read_text().startswith("# World Bank income groups, fiscal year FY2026.")
    loaded = read_data_file(path)
    assert loaded.fiscal_year == "FY2026"
    assert loaded.groups == {
        "BRA": "UM", "GGY": "H", "JEY": "H", "KEN": "LM", "XKX": "UM", "NER": "L",
    }  # fmt: skip


def test_the_newest_fiscal_year_is_the_one_used(runner, tmp_path):
    for year, group in (("FY2025", "Low income"), ("FY2026", "Lower middle income")):
        workbook = class_workbook(tmp_path / f"{year}.xlsx", [("Kenya", "KEN", "", group, "")])
        args = ["demographics", "income-groups", str(workbook), "--fiscal-year", year]
        assert runner.invoke(args=[*args, "--out", str(tmp_path)]).exit_code == 0
    newest = latest(tmp_path)
    assert (newest.fiscal_year, newest.groups) == ("FY2026", {"KEN": "LM"})
    assert latest(tmp_path / "nothing-here") is None


@pytest.mark.parametrize(
    ("make", "year", "message"),
    [
        (lambda p: class_workbook(p), "2026", "must look like FY2026"),
        (lambda p: class_workbook(p, header=False), "FY2026", "no header row with 'Code'"),
        (lambda p: text_file(p, "Economy,Code\nKenya,KEN\n"), "FY2026", "not an Excel"),
        (lambda p: class_workbook(p, rows=[ROWS[-1]]), "FY2026", "no country with an income"),
    ],
)
def test_a_wrong_file_is_refused_with_a_reason_and_nothing_written(
    runner, tmp_path, make, year, message
):
    workbook = make(tmp_path / "CLASS.xlsx")
    out = tmp_path / "data"
    args = ["demographics", "income-groups", str(workbook), "--fiscal-year", year]
    result = runner.invoke(args=[*args, "--out", str(out)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not list(out.iterdir())


def test_an_export_uses_the_classification_it_finds(app, runner, tmp_path):
    """From the command line: the bundle's data, codebook and methodology name it."""

    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    rng = random.Random(3)
    with app.app_context():
        intake = latest_version("intake")
        for i in range(30):
            db.session.add(
                Response(
                    survey_version_id=intake.id,
                    locale="en",
                    started_at=datetime(2025, 7, 1, tzinfo=UTC),
                    answers=intake_answers(rng, country="KEN" if i % 2 else "BRA"),
                    submission_key=f"k{i}",
                    wave="intake",
                )
            )
        db.session.commit()
    workbook = class_workbook(tmp_path / "CLASS.xlsx")
    args = ["demographics", "income-groups", str(workbook), "--fiscal-year", "FY2026"]
    assert runner.invoke(args=[*args, "--out", str(tmp_path / "wb")]).exit_code == 0
    app.config["PATHWAYS"].income_groups_dir = tmp_path / "wb"
    out = tmp_path / "intake.zip"
    result = runner.invoke(args=["export", "intake", "--k", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as bundle:
        data = pd.read_csv(io.BytesIO(bundle.read("data.csv")), keep_default_na=False)
        codebook = pd.read_csv(io.BytesIO(bundle.read("codebook.csv")), keep_default_na=False)
        methodology = json.loads(bundle.read("methodology.json"))
    assert set(data["country_income_group"]) <= {"LM", "UM", "L-LM", "UM-H", "suppressed"}
    assert "FY2026" in methodology["income_groups"]
    assert "country_income_group" in methodology["quasi_identifiers"]
    row = codebook[codebook.iloc[:, 0] == "country_income_group"].iloc[0]
    assert "World Bank classification for FY2026" in " ".join(row.astype(str))


def test_the_folder_must_exist():
    with pytest.raises(ConfigError, match="INCOME_GROUPS_DIR"):
        Config(income_groups_dir=Path("/no/such/folder")).check()
