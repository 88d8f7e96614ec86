"""A repeat's entries leave as a table of their own, `data_<repeat>.<fmt>`, read back here
from the written bundle with each format's own reader (pandas, pyarrow, openpyxl): the
pids are the people's, a response holds as many entries as its released number allows,
what never leaves is not there, and suppressed or left-out people have no entry."""

from __future__ import annotations

import io
import json
import random
import re
import subprocess
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import frictionless
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from exports import FORMATS, pipeline, purposes, verify
from exports.bundle import NotReleased, write_bundle
from exports.columns import Column
from exports.repeats import RepeatTable
from surveys.extensions import db
from surveys.models import Contact, Participant, Programme, Response, Term

K = 5
CHECK_BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "tools" / "check-bundle"

SURVEY = """
id: contrib
version: 1
public: true
programme_question: programme
title: {en: Contributions}
default_language: en
languages: [en]
pages:
  - name: about
    title: {en: About you}
    questions:
      - name: programme
        type: select_one programmes
        label: {en: Programme}
      - name: age_range
        type: select_one ages
        label: {en: Age}
        privacy: quasi_identifier
      - name: email
        type: email
        label: {en: Email}
  - name: work
    title: {en: Your projects}
    questions:
      - name: projects
        type: repeat
        label: {en: Projects you contributed to}
        max_count: 20
        questions:
          - name: project
            type: text
            label: {en: Project}
          - name: role
            type: select_one roles
            label: {en: "Your role in ${project}"}
            other: true
          - name: areas
            type: select_multiple areas
            label: {en: What you worked on}
          - name: hours
            type: integer
            label: {en: Hours a week}
            bins: [0, 5, 10]
            privacy: sensitive
          - name: paid
            type: select_one yes_no
            label: {en: Were you paid?}
            privacy: sensitive
          - name: stars
            type: integer
            label: {en: Stars of the project}
          - name: maintainer_years
            type: integer
            label: {en: Years as maintainer}
            bins: [0, 2, 5]
          - name: contact
            type: email
            label: {en: A maintainer's email}
          - name: internal
            type: select_one yes_no
            label: {en: Internal note}
            export: never
          - name: young_mentor
            type: select_one yes_no
            label: {en: Did a mentor your age help?}
            relevant: "${age_range} = '18-24'"
          - name: age_tag
            type: calculate
            calculation: "${age_range}"
          - name: position
            type: select_one seniority
            label: {en: Your position in the project}
choices:
  programmes:
    - {code: gsoc, label: {en: Google Summer of Code}}
    - {code: lfx, label: {en: LFX Mentorship}}
  ages:
    - {code: 18-24, label: {en: 18 to 24}}
    - {code: 25-29, label: {en: 25 to 29}}
    - {code: 30-34, label: {en: 30 to 34}}
    - {code: 60-64, label: {en: 60 to 64}}
  roles:
    - {code: coder, label: {en: Coder}}
    - {code: maintainer, label: {en: Maintainer}}
  areas:
    - {code: code, label: {en: Code}}
    - {code: docs, label: {en: Documentation}}
    - {code: design, label: {en: Design}}
  yes_no:
    - {code: "yes", label: {en: "Yes"}}
    - {code: "no", label: {en: "No"}}
  seniority:
    - {code: junior, label: {en: Junior}}
    - {code: senior, label: {en: Senior}}
"""
# What the entries' table holds, in order: never the free text, the identifier, the number
# without bins, the number that would be a quasi-identifier, what is marked export: never,
# what is asked only after a quasi-identifier, or a calculation that reads one.
ENTRY_COLUMNS = [
    "pid",
    "wave",
    "position",
    "role",
    "areas__code",
    "areas__docs",
    "areas__design",
    "hours",
    "paid",
    "position_answer",  # a question's name the table's own column has taken
]
NEVER = ["project", "role_other", "stars", "maintainer_years", "contact", "internal"]
NEVER += ["young_mentor", "age_tag"]
SECRETS = ("example.org", "Project ", "Translator")


def entry(rng: random.Random, person: int, j: int, programme: str, age: str) -> dict:
    role = rng.choice(["coder", "maintainer", "other"])
    answers = {
        "project": f"Project {person}-{j}",
        "role": role,
        "areas": rng.sample(["code", "docs", "design"], k=rng.randint(1, 2)),
        "hours": rng.randint(0, 15),
        # Only gsoc's entries say yes: a programme release shows no other.
        "paid": "yes" if programme == "gsoc" else "no",
        "stars": rng.randint(0, 5000),
        "maintainer_years": rng.randint(0, 8),
        "contact": f"maintainer{person}@example.org",
        "internal": "yes",
        "age_tag": age,
        "position": rng.choice(["junior", "senior"]),
    }
    if role == "other":
        answers["role_other"] = "Translator"
    if age == "18-24":
        answers["young_mentor"] = rng.choice(["yes", "no"])
    return answers


@pytest.fixture
def contributions(app, runner, make_survey):
    """90 people who answered the public survey: a third in lfx, each with 0-6 projects;
    the only 60-64-year-old lists 14 and one other person 12. The bundled surveys are
    loaded too: the bundled purposes name their questions."""
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    version_id = make_survey(SURVEY)
    rng = random.Random(5)
    with app.app_context():
        for person in range(90):
            programme = "lfx" if person % 3 == 0 else "gsoc"
            age = "60-64" if person == 0 else rng.choice(["18-24", "25-29", "25-29", "30-34"])
            count = {0: 14, 1: 12}.get(person, rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6]))
            answers = {
                "programme": programme,
                "age_range": age,
                "email": f"person{person}@example.org",
                "projects": [entry(rng, person, j, programme, age) for j in range(count)],
            }
            db.session.add(
                Response(
                    survey_version_id=version_id,
                    locale="en",
                    started_at=datetime(2025, 7, 1, tzinfo=UTC),
                    submitted_at=datetime(2025, 7, 2, 9, 0, tzinfo=UTC),
                    answers=answers,
                    submission_key=f"contrib-{person}",
                )
            )
        db.session.commit()
    return "contrib"


FOLLOWUP = """
id: contrib-later
version: 1
schedule:
  wave: followup-1y
  from: term_end
  after: 1y
  open_for: 60d
  for: {role: mentee, status: completed}
title: {en: A year on}
default_language: en
languages: [en]
pages:
  - name: work
    title: {en: Your projects since}
    questions:
      - name: projects
        type: repeat
        label: {en: Projects you contributed to since}
        questions:
          - name: role
            type: select_one roles
            label: {en: Your role}
          - name: paid
            type: select_one yes_no
            label: {en: Were you paid?}
            privacy: sensitive
choices:
  roles:
    - {code: coder, label: {en: Coder}}
    - {code: maintainer, label: {en: Maintainer}}
  yes_no:
    - {code: "yes", label: {en: "Yes"}}
    - {code: "no", label: {en: "No"}}
"""


@pytest.fixture
def contributors_a_year_on(app, runner, make_survey):
    """60 participants of one term who answered the survey by personal link, 40 of them
    the follow-up too, which asks for their projects again."""
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    intake = make_survey(SURVEY)
    later = make_survey(FOLLOWUP, "later.yaml")
    rng = random.Random(11)
    with app.app_context():
        gsoc = Programme(code="gsoc", name="Google Summer of Code")
        term = Term(programme=gsoc, name="2025", end=date(2025, 9, 1))
        db.session.add_all([gsoc, term])
        for person in range(60):
            someone = Participant(
                term=term, role="mentee", status="completed", status_changed_on=date(2025, 9, 1)
            )
            someone.contact = Contact(name=f"Person {person}", email=f"p{person}@example.org")
            db.session.add(someone)
            db.session.flush()
            age = rng.choice(["18-24", "25-29", "30-34"])
            count = rng.choice([0, 1, 2, 2, 3, 4])
            answers = {
                "programme": "gsoc",
                "age_range": age,
                "projects": [entry(rng, person, j, "gsoc", age) for j in range(count)],
            }
            db.session.add(personal(intake, someone, "contrib", 2025, answers))
            if person < 40:
                later_projects = [
                    {"role": rng.choice(["coder", "maintainer"]), "paid": rng.choice(["yes", "no"])}
                    for _ in range(rng.choice([0, 1, 1, 2, 3]))
                ]
                answers = {"projects": later_projects}
                db.session.add(personal(later, someone, "followup-1y", 2026, answers))
        db.session.commit()
    return "contrib"


def personal(version_id: int, someone: Participant, wave: str, year: int, answers: dict):
    return Response(
        survey_version_id=version_id,
        locale="en",
        started_at=datetime(year, 9, 1, tzinfo=UTC),
        submitted_at=datetime(year, 9, 2, 9, 0, tzinfo=UTC),
        answers=answers,
        submission_key=f"{wave}-{someone.public_id}",
        wave=wave,
        participant_id=someone.id,
    )


# --- reading the written files, as an outsider ----------------------------------------------


def export(runner, tmp_path, fmt: str = "csv", *args: str) -> Path:
    out = tmp_path / f"contrib.{fmt}.zip"
    result = runner.invoke(
        args=["export", "contrib", "--format", fmt, "--k", str(K), *args, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def read_table(bundle: zipfile.ZipFile, name: str, fmt: str) -> pd.DataFrame:
    """`name.fmt` with its format's own reader, every cell as text ('' when empty)."""
    raw = bundle.read(f"{name}.{fmt}")
    if fmt == "csv":
        return pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    if fmt == "parquet":
        frame = pq.read_table(io.BytesIO(raw)).to_pandas()
    elif fmt == "json":
        frame = pd.DataFrame(json.loads(raw))
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)["data"]
        header, *rows = list(sheet.iter_rows(values_only=True))
        frame = pd.DataFrame(rows, columns=header)
    else:  # Stata: coded columns as their labels ("3 or 4 entries", "Yes", "suppressed")
        frame = pd.read_stata(io.BytesIO(raw))
    frame = frame.astype(object)
    return frame.where(frame.notna(), "").map(_text)


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def lower_bound(cell: str) -> int:
    """How many entries a count cell promises at least: '3-4', '3+' and '3 or 4 entries'
    all say 3; empty, 'suppressed' and 'no entries' say none."""
    found = re.match(r"\d+", cell)
    return int(found.group()) if found else 0


def entries_per_response(data: pd.DataFrame) -> pd.Series:
    """(pid, wave) -> the lower bound of the data file's count."""
    return data.groupby(["pid", "wave"])["projects"].agg(lambda s: sum(map(lower_bound, s)))


def assert_entries_follow_data(data: pd.DataFrame, entries: pd.DataFrame) -> None:
    """Every entry belongs to a response of the data file, which holds exactly as many
    of them as its count says, numbered from 1; nobody suppressed has any."""
    assert set(entries["pid"]) <= set(data["pid"])
    assert set(zip(entries["pid"], entries["wave"], strict=True)) <= set(
        zip(data["pid"], data["wave"], strict=True)
    )
    expected = entries_per_response(data)
    given = entries.groupby(["pid", "wave"]).size()
    assert given.to_dict() == expected[expected > 0].to_dict()
    for _, positions in entries.groupby(["pid", "wave"])["position"]:
        assert sorted(map(int, positions)) == list(range(1, len(positions) + 1))
    assert given.max() <= 10
    # Whose number of entries is suppressed (everybody suppressed whole among them) has
    # no entry here.
    suppressed = set(data.loc[data["projects"].isin(["suppressed", "Suppressed"]), "pid"])
    assert not suppressed & set(entries["pid"])


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_repeat_is_a_table_of_its_own_in_every_format(
    app, runner, contributions, tmp_path, fmt
):
    out = export(runner, tmp_path, fmt)
    with zipfile.ZipFile(out) as bundle:
        names = set(bundle.namelist())
        assert {f"data.{fmt}", f"data_projects.{fmt}"} <= names
        data = read_table(bundle, "data", fmt)
        entries = read_table(bundle, "data_projects", fmt)
        methodology = json.loads(bundle.read("methodology.json"))
        package = json.loads(bundle.read("datapackage.json"))
        codebook = pd.read_csv(io.BytesIO(bundle.read("codebook.csv")), keep_default_na=False)
        raw = bundle.read(f"data_projects.{fmt}") + bundle.read(f"data.{fmt}")
    assert list(entries.columns) == ENTRY_COLUMNS
    assert not set(NEVER) & set(entries.columns) and not set(NEVER) & set(data.columns)
    if fmt in ("csv", "json"):  # text formats: not even a value of what was dropped
        assert not any(secret.encode() in raw for secret in SECRETS)
    assert_entries_follow_data(data, entries)
    # The lone 60-64-year-old and those hidden with them are suppressed whole (every
    # quasi-identifier, the number of entries too), and their entries are not there.
    whole = data[["programme", "age_range", "projects"]].eq("suppressed").all(axis=1)
    assert methodology["people_suppressed"] >= K and whole.sum() == methodology["people_suppressed"]
    assert not set(data.loc[whole, "pid"]) & set(entries["pid"])
    assert len(entries) > 100
    # Declared as written: a resource per table, its fields the file's columns, a foreign
    # key from its pid to data's.
    resources = {r["name"]: r for r in package["resources"]}
    assert set(resources) == {"data", "data_projects"}
    resource = resources["data_projects"]
    assert resource["path"] == f"data_projects.{fmt}"
    assert [f["name"] for f in resource["schema"]["fields"]] == list(entries.columns)
    assert [f["name"] for f in resources["data"]["schema"]["fields"]] == list(data.columns)
    assert resource["schema"]["foreignKeys"] == [
        {"fields": "pid", "reference": {"resource": "data", "fields": "pid"}}
    ]
    assert codebook.loc[codebook["table"] == "data_projects", "variable"].tolist() == ENTRY_COLUMNS
    report = methodology["repeats"]["projects"]
    assert report["rows"] == len(entries) and report["count_column"] == "projects"
    assert set(NEVER) == set(report["dropped"])
    assert "projects" in methodology["quasi_identifiers"]
    assert "data_projects.paid" in methodology["l_diversity"]


def test_entries_are_flattened_as_answers_outside_a_repeat(app, runner, contributions, tmp_path):
    out = export(runner, tmp_path)
    with zipfile.ZipFile(out) as bundle:
        entries = read_table(bundle, "data_projects", "csv")
        data = read_table(bundle, "data", "csv")
        codebook = pd.read_csv(io.BytesIO(bundle.read("codebook.csv")), keep_default_na=False)
        readme = bundle.read("README.txt").decode()
    assert set(entries["hours"]) <= {"0-4", "5-9", "10+"}
    assert set(entries["role"]) == {"coder", "maintainer", "other"}
    for code in ("code", "docs", "design"):
        assert set(entries[f"areas__{code}"]) == {"0", "1"}
    rows = codebook[codebook["table"] == "data_projects"].set_index("variable")
    assert rows.loc["role", "codes"] == "coder=Coder; maintainer=Maintainer; other=Other"
    assert rows.loc["hours", "treatment"] == "in bins from 0, 5, 10"
    assert rows.loc["paid", "codes"] == "yes=Yes; no=No"
    assert rows.loc["position_answer", "question"] == "position"
    assert set(entries["position_answer"]) == {"junior", "senior"}
    # The number of entries, in data, in bins (coarser ones where k needs them).
    allowed = {"0", "1", "2", "3-4", "5-9", "10+", "1-2", "3+", "1+", "suppressed", ""}
    assert set(data["projects"]) <= allowed
    assert "10+" not in set(data["projects"])  # two people only: never shown as such
    assert "data_projects.csv" in readme and "join it to data on pid and wave" in readme


def test_a_programme_release_holds_only_its_peoples_entries(app, runner, contributions, tmp_path):
    out = export(runner, tmp_path, "csv", "--programme", "gsoc")
    with zipfile.ZipFile(out) as bundle:
        data = read_table(bundle, "data", "csv")
        entries = read_table(bundle, "data_projects", "csv")
    assert set(data["programme"]) <= {"gsoc", "suppressed", ""}
    assert_entries_follow_data(data, entries)
    # Only gsoc's entries were paid: none of lfx's left with this release.
    assert set(entries["paid"]) == {"yes"}


def test_entries_of_each_wave_follow_that_waves_response(
    app, runner, contributors_a_year_on, tmp_path
):
    """The follow-up asks for projects again: each wave's entries are bounded by the count
    in that wave's row, the person counted once over both (as any quasi-identifier)."""
    out = export(runner, tmp_path, "csv", "--with-followups")
    with zipfile.ZipFile(out) as bundle:
        data = read_table(bundle, "data", "csv")
        entries = read_table(bundle, "data_projects", "csv")
        methodology = json.loads(bundle.read("methodology.json"))
    assert set(data["wave"]) == {"contrib", "followup-1y"}
    assert set(entries["wave"]) == {"contrib", "followup-1y"}
    assert_entries_follow_data(data, entries)
    # What the follow-up did not ask is empty in its entries.
    later = entries[entries["wave"] == "followup-1y"]
    assert set(later["hours"]) == {""} and set(later["paid"]) <= {"yes", "no"}
    assert methodology["k_achieved"] >= K


def test_the_bundle_is_a_valid_data_package_with_its_foreign_key(
    app, runner, contributions, tmp_path
):
    out = export(runner, tmp_path)
    with zipfile.ZipFile(out) as bundle:
        bundle.extractall(tmp_path / "bundle")
    report = frictionless.validate(tmp_path / "bundle" / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert len(report.tasks) == 2


def test_a_purpose_keeps_a_repeat_by_its_name_and_excludes_its_questions(app, contributions):
    def release(purpose):
        options = pipeline.Options(k=K, purpose=purpose)
        with app.app_context(), db.engine.connect() as connection:
            loaded = pipeline.load_tables(connection, "contrib", options)
        return pipeline.anonymise(
            loaded.data, loaded.columns, loaded.definitions, options, 1, loaded.repeats
        )

    without = release(purposes.Purpose("ages", "ages", ("age_range",)))
    assert without.repeats == [] and "projects" not in without.data
    assert "projects" in without.methodology["dropped"]
    kept = release(purposes.Purpose("projects", "projects", None, exclude=("hours",)))
    (table,) = kept.repeats
    assert "hours" not in table.data and "paid" in table.data
    assert "hours" in kept.methodology["repeats"]["projects"]["dropped"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_outside_count_finds_k_in_a_bundle_with_repeats(
    app, runner, contributions, tmp_path, fmt
):
    """k counted on the written data file, the number of entries among the
    quasi-identifiers: by pandas alone here (no code of ours), and by
    shared/tools/check-bundle (pycanon) too where the workplace has it."""
    out = export(runner, tmp_path, fmt)
    with zipfile.ZipFile(out) as bundle:
        methodology = json.loads(bundle.read("methodology.json"))
        raw = bundle.read(f"data.{fmt}")
    data = (
        pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
        if fmt == "csv"
        else pd.read_parquet(io.BytesIO(raw)).astype("string").fillna("")
    )
    qis = methodology["quasi_identifiers"]
    assert "projects" in qis
    smallest = data.groupby(qis, dropna=False).size().min()
    assert smallest >= K, smallest
    if CHECK_BUNDLE.exists():
        done = subprocess.run(
            [str(CHECK_BUNDLE), str(out), str(K)], capture_output=True, text=True, check=False
        )
        if done.returncode != 2:  # 2: it could not set itself up (no registry here)
            assert done.returncode == 0, done.stdout + done.stderr
            k = int(re.search(r"k = (\d+)", done.stdout).group(1))
            assert k >= K, done.stdout


# --- the verifier, on files that break the promise ------------------------------------------


def bundle_parts() -> tuple[pd.DataFrame, list[Column], RepeatTable]:
    """Nine people, one count each; a repeat table with as many entries as allowed."""
    data = pd.DataFrame(
        {
            "pid": [f"p{i}" for i in range(9)],
            "wave": ["intake"] * 9,
            "projects": ["2", "2", "2", "3+", "3+", "3+", *["suppressed"] * 3],
        }
    )
    columns = [
        Column("pid", "pid"),
        Column("wave", "wave"),
        Column(
            "projects",
            "Projects: number of entries",
            codes={"2": "2 entries", "3+": "3 or more entries"},
            question="projects",
            privacy="quasi_identifier",
        ),
    ]
    counts = [2, 2, 2, 3, 3, 3]
    rows = [(f"p{i}", n) for i, count in enumerate(counts) for n in range(1, count + 1)]
    entries = pd.DataFrame(
        {
            "pid": [pid for pid, _ in rows],
            "wave": ["intake"] * len(rows),
            "position": pd.array([n for _, n in rows], dtype="Int64"),
            "role": ["coder"] * len(rows),
        }
    )
    entry_columns = [
        Column("pid", "pid"),
        Column("wave", "wave"),
        Column("position", "position", "integer"),
        Column("role", "Role", codes={"coder": "Coder"}, question="role"),
    ]
    return data, columns, RepeatTable("projects", "Projects", entries, entry_columns, "projects")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_repeat_table_that_keeps_its_promise_is_released(tmp_path, fmt):
    data, columns, table = bundle_parts()
    out = tmp_path / "ok.zip"
    written = write_bundle(out, data, columns, fmt, {"k": 3, "records": 9}, "T", repeats=[table])
    assert written["k_achieved"] == 3
    with zipfile.ZipFile(out) as bundle:
        assert f"data_projects.{fmt}" in bundle.namelist()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_repeat_whose_number_is_suppressed_for_everybody_has_an_empty_table(tmp_path, fmt):
    data, columns, table = bundle_parts()
    data, columns = data.drop(columns="projects"), columns[:2]
    table.data, table.count = table.data.iloc[:0], None
    out = tmp_path / "empty.zip"
    write_bundle(out, data, columns, fmt, {"k": 1, "records": 9}, "T", repeats=[table])
    with zipfile.ZipFile(out) as bundle:
        assert read_table(bundle, "data_projects", fmt).empty
    # Not even one entry may leave then.
    table.data = bundle_parts()[2].data.iloc[:1]
    with pytest.raises(NotReleased, match="number of rows"):
        write_bundle(out, data, columns, fmt, {"k": 1, "records": 9}, "T", repeats=[table])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.assign(pid=e["pid"].replace("p0", "stranger")), "pid that the data"),
        (lambda e: pd.concat([e, e[e["pid"] == "p3"].assign(position=4)]), "number of rows"),
        (lambda e: e[e["pid"] != "p1"], "number of rows"),
        (lambda e: pd.concat([e, e.iloc[:1].assign(pid="p8")]), "number of rows"),
        (lambda e: e.assign(position=e["position"] + 1), "positions"),
    ],
)
def test_a_repeat_table_that_says_more_than_the_data_file_is_not_released(
    tmp_path, change, message
):
    data, columns, table = bundle_parts()
    table.data = change(table.data).reset_index(drop=True)
    out = tmp_path / "bad.zip"
    with pytest.raises(NotReleased, match=message):
        write_bundle(out, data, columns, "csv", {"k": 3, "records": 9}, "T", repeats=[table])
    assert not out.exists()


def test_the_verifier_compares_declared_and_written_columns():
    main = b"pid,wave,projects\r\np0,intake,1\r\n"
    linked = b"pid,wave,position,extra\r\np0,intake,1,x\r\n"
    counted = verify.count(
        main,
        "csv",
        {"projects": ["projects"]},
        columns=["pid", "wave", "projects"],
        linked=[verify.Linked("data_projects", linked, ["pid", "wave", "position"], "projects")],
    )
    assert counted.problems == (
        "the columns of data_projects are not those declared (undeclared: extra)",
    )
    assert counted.linked_rows == {"data_projects": 1}


def test_the_verifier_counts_l_over_each_persons_entries():
    """A person's answer to a repeat's sensitive question is their answers over all their
    entries: p0 and p1 share a class, and their entries' answers differ."""
    main = b"pid,wave,projects\r\np0,w,2\r\np1,w,2\r\np2,w,1\r\np3,w,1\r\n"
    linked = (
        b"pid,wave,position,paid\r\n"
        b"p0,w,1,yes\r\np0,w,2,no\r\np1,w,1,yes\r\np1,w,2,yes\r\np2,w,1,no\r\np3,w,1,no\r\n"
    )
    table = verify.Linked(
        "data_projects", linked, ["pid", "wave", "position", "paid"], "projects", {"paid": ["paid"]}
    )
    counted = verify.count(main, "csv", {"projects": ["projects"]}, linked=[table])
    assert counted.problems == ()
    assert counted.l == {"data_projects.paid": 1}  # p2 and p3 both said no
    counted = verify.count(
        main.replace(b"p3,w,1", b"p3,w,2"), "csv", {"projects": ["projects"]}, linked=[table]
    )
    assert counted.problems  # p3 may have two entries now, and has one
