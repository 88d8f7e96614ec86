"""Releases keep their promise where it is delivered: in the written file.

Every check here reads the bundle back as an outsider would — the zip's bytes, with
pandas' own readers — and counts people with code of its own, sharing nothing with
`exports/` (neither the search nor `exports.verify`).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from fractions import Fraction
from itertools import product

import pandas as pd
import pytest
from sqlalchemy import func, select

from exports.bundle import NotReleased, write_bundle
from exports.columns import Column
from surveys.definitions import read_definition
from surveys.demographics.countries import m49_regions
from surveys.extensions import db
from surveys.models import (
    AuditEvent,
    Participant,
    Programme,
    Release,
    Response,
    SurveyVersion,
    Term,
)

K = 5
LATIN_AMERICA, AFRICA = "419", ("202", "015", "002")


# --- an outsider's reading of a bundle ------------------------------------------------------


def read_bundle(path) -> tuple[pd.DataFrame, dict, pd.DataFrame, dict[str, str]]:
    """The data (every cell as text, '' when empty), methodology, codebook, tables."""
    with zipfile.ZipFile(path) as bundle:
        names = bundle.namelist()
        (data_name,) = [n for n in names if n.startswith("data.")]
        raw = bundle.read(data_name)
        methodology = json.loads(bundle.read("methodology.json"))
        codebook = pd.read_csv(io.BytesIO(bundle.read("codebook.csv")), keep_default_na=False)
        tables = {n: bundle.read(n).decode() for n in names if n.startswith("tables/")}
    fmt = data_name.split(".", 1)[1]
    if fmt == "csv":
        data = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    elif fmt == "parquet":
        data = pd.read_parquet(io.BytesIO(raw))
    elif fmt == "json":
        data = pd.DataFrame(json.loads(raw))
    elif fmt == "xlsx":
        data = pd.read_excel(io.BytesIO(raw), sheet_name="data", dtype=object)
    else:
        data = pd.read_stata(io.BytesIO(raw), convert_categoricals=False)
    data = data.astype(object).where(data.notna(), "").map(_text)
    return data, methodology, codebook, tables


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def people(data: pd.DataFrame, questions: list[str]) -> pd.DataFrame:
    """One row per pid: per column of these questions, the person's non-empty values in
    wave order, joined."""
    names = [c for c in data.columns if c.split("__")[0] in questions]
    ordered = data.sort_values(["pid", "wave"], kind="stable")
    return ordered.groupby("pid")[names].agg(lambda s: "+".join(v for v in s if v))


def class_sizes(data: pd.DataFrame, questions: list[str]) -> pd.Series:
    table = people(data, questions)
    if table.shape[1] == 0:
        return pd.Series([len(table)] * len(table))
    key = table.agg("|".join, axis=1)
    return key.map(key.value_counts())


def assert_released_safely(path, k: int = K) -> tuple[pd.DataFrame, dict]:
    data, methodology, codebook, _ = read_bundle(path)
    sizes = class_sizes(data, methodology["quasi_identifiers"])
    assert sizes.min() >= k, f"{path}: a class of {sizes.min()}"
    assert methodology["k_achieved"] == sizes.min()
    # Codes listed in the codebook are the codes in the data, no more (Stata keeps codes as
    # labelled integers instead).
    for row in codebook.itertuples() if "stata_name" not in codebook else ():
        if row.codes and row.type == "string" and row.variable in data:
            listed = {part.split("=", 1)[0] for part in row.codes.split("; ")}
            present = set(data[row.variable]) - {""}
            assert listed == present, (row.variable, listed ^ present)
    return data, methodology


# --- the verifier refuses what it must -------------------------------------------------------


def planted(k_of_last: int) -> tuple[pd.DataFrame, list[Column]]:
    """Ten people in two countries of five, and one more planted in a country of their own."""
    countries = ["KEN"] * 5 + ["BRA"] * 5 + ["ISL"] * k_of_last
    frame = pd.DataFrame(
        {
            "pid": [f"p{i}" for i in range(len(countries))],
            "wave": ["intake"] * len(countries),
            "country": countries,
        }
    )
    columns = [
        Column("pid", "pseudonym"),
        Column("wave", "wave"),
        Column(
            "country",
            "Country",
            codes={"KEN": "Kenya", "BRA": "Brazil", "ISL": "Iceland"},
            question="country",
            privacy="quasi_identifier",
        ),
    ]
    return frame, columns


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "json", "dta"])
def test_a_planted_class_of_one_is_never_released(tmp_path, fmt):
    data, columns = planted(1)
    out = tmp_path / "bundle.zip"
    methodology = {"k": K, "records": len(data)}
    with pytest.raises(NotReleased, match="group of only 1 person where k=5"):
        write_bundle(out, data, columns, fmt, methodology, "Planted")
    assert not out.exists()
    # The same file with the planted group grown to k is released.
    data, columns = planted(K)
    written = write_bundle(out, data, columns, fmt, methodology, "Planted")
    assert written["k_achieved"] == K == class_sizes(read_bundle(out)[0], ["country"]).min()


def test_a_requested_l_that_the_file_misses_is_refused(tmp_path):
    data, columns = planted(K)
    data["income"] = ["low"] * 5 + ["low", "high"] * 2 + ["low"] + ["high", "low"] * 2 + ["low"]
    columns.append(
        Column("income", "Income", codes={"low": "low", "high": "high"}, question="income")
    )
    columns[-1].privacy = "sensitive"
    out = tmp_path / "l.zip"
    with pytest.raises(NotReleased, match="'income' answers take only 1 value"):
        write_bundle(out, data, columns, "csv", {"k": K, "records": 15}, "L", l_diversity=2)
    assert not out.exists()
    written = write_bundle(out, data, columns, "csv", {"k": K, "records": 15}, "L")
    assert written["l_diversity"] == {"income": 1}


# --- every release, at every size, passes --------------------------------------------------


def synthesise(runner, responses: int) -> None:
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    result = runner.invoke(args=["dev", "synth", "--responses", str(responses), "--seed", "1"])
    assert result.exit_code == 0, result.output


def export(runner, out, *args: str):
    result = runner.invoke(args=["export", "intake", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return assert_released_safely(out)


@pytest.mark.slow
@pytest.mark.parametrize("responses", [200, 1400])
def test_every_purpose_and_format_is_k_anonymous_in_the_written_file(
    app, runner, tmp_path, responses
):
    """About 150 and 1,000 people: every purpose, with and without follow-ups, in turn
    through every format, and a per-programme release of each."""
    synthesise(runner, responses)
    formats = iter(["csv", "xlsx", "parquet", "json", "dta"] * 3)
    for purpose, followups in product(["diversity", "outcomes", "full"], [False, True]):
        extra = ["--with-followups"] if followups else []
        if purpose == "outcomes" and not followups:
            continue  # its questions are the follow-ups'
        fmt = next(formats)
        export(runner, tmp_path / "a.zip", "--purpose", purpose, "--format", fmt, *extra)
        export(runner, tmp_path / "b.zip", "--purpose", purpose, "--programme", "gsoc", *extra)


@pytest.mark.slow
def test_a_programme_release_adds_nothing_to_the_whole_surveys(app, runner, tmp_path):
    """Joined row by row with the whole survey's release, a per-programme release finds
    every one of its people there as they are: nothing either lacks."""
    synthesise(runner, 1400)
    full, _ = export(runner, tmp_path / "all.zip", "--with-followups", "--purpose", "full")
    part, methodology = export(
        runner,
        tmp_path / "gsoc.zip",
        "--with-followups",
        "--purpose",
        "full",
        "--programme",
        "gsoc",
    )
    assert methodology["subset"]["selection"].startswith("whole equivalence classes")

    def records(data: pd.DataFrame) -> pd.Series:
        rows = data.drop(columns="pid").agg("|".join, axis=1)
        return rows.groupby(data["pid"]).agg(lambda r: "\n".join(sorted(r)))

    whole, subset = records(full), records(part)
    assert set(subset) <= set(whole)
    assert len(subset) > 0.15 * len(whole)
    # k over the union: each subset person is one of the full release's, so the union's
    # classes are the full release's.
    union = pd.concat([full, part.assign(pid="s" + part["pid"])], ignore_index=True)
    union_records = records(union)
    assert union_records.value_counts().index.isin(set(whole)).all()
    assert class_sizes(full, methodology["quasi_identifiers"]).min() >= K


# --- the diversity release answers the organisers' question ----------------------------------


def original_regions(app) -> pd.Series:
    """Each intake's country region, from the stored answers (LA, AF or elsewhere)."""
    regions = m49_regions()
    with app.app_context():
        answers = db.session.scalars(
            select(Response.answers).join(SurveyVersion).where(SurveyVersion.survey_id == "intake")
        ).all()
    codes = [regions.get(a.get("country") or "", {}).get("subregion_code") for a in answers]
    return pd.Series(
        ["LA" if c == LATIN_AMERICA else "AF" if c in AFRICA else "other" for c in codes]
    )


def shown_as(value: str) -> str:
    regions = m49_regions()
    code = regions[value]["subregion_code"] if value in regions else value.removeprefix("m49_")
    if code == LATIN_AMERICA:
        return "LA"
    if code in AFRICA:
        return "AF"
    return "other"


def test_the_diversity_release_keeps_latin_america_and_africa_visible(app, runner, tmp_path):
    synthesise(runner, 1400)
    data, methodology = export(runner, tmp_path / "d.zip", "--purpose", "diversity")
    assert 950 <= methodology["people"] <= 1050
    before = original_regions(app).value_counts()
    after = data.loc[data["country"] != "", "country"].map(shown_as).value_counts()
    for region in ("LA", "AF"):
        assert after.get(region, 0) >= 0.95 * before[region], (region, after, before)
    ages = data.loc[data["wave"] == "intake", "age_range"]
    narrow = ages.isin(
        [
            "under_18",
            "18-24",
            "25-29",
            "30-34",
            "35-39",
            "40-44",
            "45-49",
            "50-54",
            "55-59",
            "60-64",
            "65+",
            "pnts",
            "",
            "25-34",
            "35-44",
            "45-54",
            "55-64",
        ]
    )
    assert narrow.mean() >= 0.90
    assert methodology["people_suppressed"] <= 0.05 * methodology["people"]
    kept = methodology["information_kept"]
    assert 0 < kept["weighted"] <= 1 and kept["country"] > 0.5


# --- tables: no hidden cell can be worked out -----------------------------------------------


def hidden_cells_are_not_determined(text: str) -> None:
    """With every visible cell and total known, the row and column sums must leave each
    hidden cell undetermined: its unit vector is not in the span of the sum equations
    over the hidden cells (exact rational rank, no tolerance)."""
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, index_col=0)
    grid = table.to_numpy()
    hidden = [
        (i, j)
        for i in range(grid.shape[0])
        for j in range(grid.shape[1])
        if grid[i, j] == "suppressed"
    ]
    if not hidden:
        return
    lines = [
        [(i, j) for j in range(grid.shape[1] - 1)] + [(i, grid.shape[1] - 1)]
        for i in range(grid.shape[0])
    ]
    if grid.shape[1] > 1:
        lines += [
            [(i, j) for i in range(grid.shape[0] - 1)] + [(grid.shape[0] - 1, j)]
            for j in range(grid.shape[1])
        ]
    index = {cell: n for n, cell in enumerate(hidden)}
    # Each line: the inner cells minus the total cell = 0.
    equations = []
    for cells in lines:
        *inner, total = cells
        row = [Fraction(0)] * len(hidden)
        for cell in inner:
            if cell in index:
                row[index[cell]] += 1
        if total in index:
            row[index[total]] -= 1
        if any(row):
            equations.append(row)
    base = _rank(equations)
    for n, cell in enumerate(hidden):
        unit = [Fraction(int(m == n)) for m in range(len(hidden))]
        assert _rank([*equations, unit]) > base, f"hidden cell {cell} can be worked out"


def _rank(rows: list[list[Fraction]]) -> int:
    matrix = [list(r) for r in rows]
    rank, columns = 0, len(matrix[0]) if matrix else 0
    for column in range(columns):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][column] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(len(matrix)):
            if r != rank and matrix[r][column] != 0:
                factor = matrix[r][column] / matrix[rank][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return rank


@pytest.mark.slow
def test_tables_show_regions_by_programme_and_year_and_hide_what_they_must(app, runner, tmp_path):
    synthesise(runner, 200)
    out = tmp_path / "t.zip"
    export(runner, out, "--purpose", "diversity")
    _, _, _, tables = read_bundle(out)
    regions = pd.read_csv(
        io.StringIO(tables["tables/region_of_interest_by_programme_year.csv"]),
        dtype=str,
        keep_default_na=False,
        index_col=0,
    )
    assert {"m49_419", "m49_202"} <= set(regions.index)
    assert any(c.startswith("gsoc 20") for c in regions.columns)
    for name, text in tables.items():
        cells = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, index_col=0)
        for value in cells.to_numpy().ravel():
            assert value in ("suppressed", "0") or int(value) >= K, (name, value)
        if not name.startswith(("tables/gender", "tables/employment")):  # rows not additive
            hidden_cells_are_not_determined(text)
    # Where a region's cell holds k or more people of a programme and year, it is shown.
    assert (regions.loc[["m49_419", "m49_202"]] != "suppressed").any(axis=None)


# --- bad input: one sentence, nothing written -------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "1"], "1 is not in the range 2<=x<=1000"),
        (["--max-suppression", "0.6"], "0.6 is not in the range 0<=x<=0.5"),
        (["--purpose", "gossip"], "there is no purpose 'gossip'"),
    ],
)
def test_bad_export_options_are_one_sentence_and_write_nothing(runner, tmp_path, args, message):
    synthesise(runner, 50)
    out = tmp_path / "x.zip"
    result = runner.invoke(args=["export", "intake", *args, "--out", str(out)])
    assert result.exit_code in (1, 2) and message in result.output
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize(
    ("purpose_file", "message"),
    [
        ("mine:\n  columns: [shoe_size]\n", "names columns no survey has: shoe_size"),
        (
            "mine:\n  columns: [country]\n  hierarchies: {country: planets}\n",
            "'country' has no hierarchy 'planets'",
        ),
        (
            "mine:\n  weights: {country: -1}\n",
            "weights must map question names to positive numbers",
        ),
        ("mine:\n  title: {en: Mine, es: [a, b]}\n", "title must be a text or map languages"),
    ],
)
def test_a_wrong_purpose_file_is_refused_and_audited(app, runner, tmp_path, purpose_file, message):
    synthesise(runner, 50)
    path = tmp_path / "purposes.yaml"
    path.write_text(purpose_file, encoding="utf-8")
    app.config["PATHWAYS"].export_purposes_file = path
    out = tmp_path / "x.zip"
    result = runner.invoke(args=["export", "intake", "--purpose", "mine", "--out", str(out)])
    assert result.exit_code == 1 and message in result.output, result.output
    assert not out.exists()


def test_a_release_is_registered_and_a_refusal_audited(app, runner, tmp_path):
    synthesise(runner, 200)
    export(runner, tmp_path / "r.zip", "--purpose", "diversity", "--format", "parquet")
    refused = runner.invoke(
        args=["export", "intake", "--purpose", "nope", "--out", str(tmp_path / "n.zip")]
    )
    assert refused.exit_code == 1
    with app.app_context():
        (release,) = db.session.scalars(select(Release)).all()
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert release.purpose == "diversity" and release.options["format"] == "parquet"
    assert release.k_achieved >= K and release.generalisation["country"]
    assert actions == ["export", "export refused"]


def test_bins_must_rise(tmp_path):
    path = tmp_path / "numbers.yaml"
    path.write_text(
        """
id: numbers
version: 1
title: {en: Numbers}
default_language: en
languages: [en]
pages:
  - name: one
    title: {en: One}
    questions:
      - name: years
        type: integer
        label: {en: Years?}
        bins: [0, 5, 2]
""",
        encoding="utf-8",
    )
    definition, problems = read_definition(path)
    assert definition is None
    assert [p.message for p in problems] == [
        "bins must rise: each edge above the one before, so that no two bins overlap"
    ]


def test_a_number_without_bins_is_left_out_and_validate_warns(runner, tmp_path):
    path = tmp_path / "numbers.yaml"
    path.write_text(
        "id: numbers\nversion: 1\ntitle: {en: Numbers}\ndefault_language: en\n"
        "languages: [en]\npages:\n  - name: one\n    title: {en: One}\n    questions:\n"
        "      - name: years\n        type: integer\n        label: {en: Years?}\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["surveys", "validate", str(path)])
    assert result.exit_code == 0
    assert "question 'years': a number without bins is left out" in result.output


@pytest.mark.slow
def test_ten_thousand_people_are_released_k_anonymous_with_their_follow_ups(app, runner, tmp_path):
    synthesise(runner, 14000)
    data, methodology = export(
        runner, tmp_path / "big.zip", "--with-followups", "--format", "parquet"
    )
    assert methodology["people"] >= 9500
    assert methodology["people_suppressed"] <= 0.05 * methodology["people"]


@pytest.mark.slow
def test_every_release_of_a_survey_carries_the_same_tables(app, runner, tmp_path):
    """Tables count everybody the survey's release is made from, so two releases cannot
    be set against each other to tell who one of them left out."""
    synthesise(runner, 400)
    bundles = {}
    for name, args in {
        "full": ["--purpose", "full"],
        "diversity": ["--purpose", "diversity"],
        "gsoc": ["--purpose", "full", "--programme", "gsoc"],
    }.items():
        export(runner, tmp_path / f"{name}.zip", *args)
        bundles[name] = read_bundle(tmp_path / f"{name}.zip")[3]
    for table in ("tables/age_range_by_programme_year.csv", "tables/country_by_programme_year.csv"):
        assert bundles["full"][table] == bundles["diversity"][table] == bundles["gsoc"][table]


@pytest.mark.slow
def test_every_survey_exports_with_the_default_purpose(app, runner, tmp_path):
    synthesise(runner, 1400)
    data, methodology = export(runner, tmp_path / "f.zip", "--format", "dta")
    # The README's own loading line works on the Stata file.
    with zipfile.ZipFile(tmp_path / "f.zip") as bundle:
        assert len(pd.read_stata(io.BytesIO(bundle.read("data.dta")))) == methodology["records"]
    result = runner.invoke(args=["export", "followup-1y", "--out", str(tmp_path / "1y.zip")])
    assert result.exit_code == 0, result.output
    assert_released_safely(tmp_path / "1y.zip")
    mentor = runner.invoke(args=["export", "mentor", "--out", str(tmp_path / "m.zip")])
    assert "purpose" not in mentor.output  # refused, if at all, for want of people


@pytest.mark.slow
def test_max_suppression_is_a_limit(app, runner, tmp_path):
    """At most that share of people may end suppressed — or k of them, the fewest a
    suppressed group can hide among."""
    synthesise(runner, 60)
    out = tmp_path / "s.zip"
    small = runner.invoke(
        args=["export", "followup-1y", "--purpose", "outcomes", "--out", str(out)]
    )
    assert small.exit_code == 1 and "more than --max-suppression 0.05 allows" in small.output
    assert not out.exists()
    export(runner, out, "--k", "10", "--max-suppression", "0")
    _, methodology, _, _ = read_bundle(out)
    assert methodology["people_suppressed"] in (0, 10)


def test_latin_america_and_africa_show_wherever_a_programme_year_has_k_of_them(
    app, runner, tmp_path
):
    """Counted again from the stored answers: every region-of-interest cell of Latin
    America or Africa with k or more people of a programme and year is shown, exactly."""
    synthesise(runner, 1400)
    out = tmp_path / "d.zip"
    export(runner, out, "--purpose", "diversity")
    table = pd.read_csv(
        io.StringIO(read_bundle(out)[3]["tables/region_of_interest_by_programme_year.csv"]),
        dtype=str,
        keep_default_na=False,
        index_col=0,
    )
    regions = m49_regions()
    with app.app_context():
        rows = db.session.execute(
            select(Response.answers, Response.submitted_at, Programme.code)
            .join(SurveyVersion)
            .outerjoin(Participant, Response.participant_id == Participant.id)
            .outerjoin(Term, Participant.term_id == Term.id)
            .outerjoin(Programme, Term.programme_id == Programme.id)
            .where(SurveyVersion.survey_id == "intake")
        ).all()
    cells: dict[tuple[str, str], int] = {}
    for answers, submitted, programme in rows:
        row = regions.get(answers.get("country") or "")
        if row and row["subregion_code"] in ("419", "202", "015"):
            key = (f"m49_{row['subregion_code']}", f"{programme} {submitted.year}")
            cells[key] = cells.get(key, 0) + 1
    big = {key: n for key, n in cells.items() if n >= K}
    assert len(big) >= 10
    for (region, cohort), n in big.items():
        assert table.loc[region, cohort] == str(n), (region, cohort, n)


@pytest.mark.slow
def test_answers_to_a_survey_for_personal_links_only_never_leave_without_a_participant(
    app, runner, tmp_path
):
    """A follow-up answered at its public address before it closed (no participant) is
    not exported; the same survey's personal-link answers are."""
    synthesise(runner, 400)
    with app.app_context():
        version = db.session.scalars(
            select(SurveyVersion).where(SurveyVersion.survey_id == "followup-1y")
        ).first()
        followups = db.session.scalar(
            select(func.count())
            .select_from(Response)
            .where(Response.survey_version_id == version.id)
        )
        db.session.add(
            Response(
                survey_version_id=version.id,
                locale="en",
                started_at=datetime(2025, 1, 1, tzinfo=UTC),
                submitted_at=datetime(2025, 1, 1, tzinfo=UTC),
                answers={"still_contributing": ["no"], "occupation": "employed"},
                submission_key="anonymous-followup",
                wave="followup-1y",
            )
        )
        db.session.commit()
    assert followups > 0
    data, _ = export(runner, tmp_path / "f.zip", "--with-followups")
    assert (data["wave"] == "followup-1y").sum() == followups
