"""The export writers and bundle: every format gives back what went in, spreadsheets cannot
be made to run formulas, Stata gets labels and legal names, and the zip is a valid Data
Package. No database needed: the writers only see a DataFrame and its Column list."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import frictionless
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from exports import writers
from exports.bundle import write_bundle
from exports.columns import SUPPRESSED, Column
from exports.safety import neutralise, neutralise_frame
from exports.writers import FORMATS, stata_names, typed_frame, write_data

INJECTIONS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"]
LONG_QUESTION = "reasons_for_joining_the_mentorship_programme"
BUNDLE_FILES = {"datapackage.json", "codebook.csv", "methodology.json", "README.txt"}
# The writers' tests use eight hand-made rows, so they ask only for k = 1: the k promise
# itself is tested where bundles are refused (test_export_release.py).
METHODOLOGY = {
    "k": 1,
    "k_achieved": 6,
    "quasi_identifiers": ["age_range", "country"],
    "sensitive": ["gender__woman", "gender__man"],
    "records": 8,
    "records_suppressed": 1,
    "generalisation": {"country": "M49 sub-region when rarer than k"},
    "dropped": ["email_optin"],
}


# The 0/1 columns of a select_multiple question, as the pipeline's flatten step codes them.
CHOSEN = {"0": "not chosen", "1": "chosen"}


def make_columns() -> list[Column]:
    return [
        Column(
            "pid",
            "Pseudonym, valid in this bundle only",
            privacy="identifier",
            treatment=["replaced by a random pseudonym"],
        ),
        Column(
            "wave",
            "Survey wave",
            codes={
                "intake": "Intake",
                "followup-1y": "Follow-up after 1 year",
                "followup-5y": "Follow-up after 5 years",
            },
        ),
        Column("period", "Quarter the answer was submitted", treatment=["coarsened to quarter"]),
        Column(
            "age_range",
            "How old are you?",
            codes={"18-24": "18 to 24", "25-29": "25 to 29", "30-39": "30 to 39"},
            question="age_range",
            privacy="quasi_identifier",
            treatment=["rare values suppressed"],
        ),
        Column(
            "country",
            "Where do you live?",
            codes={"KEN": "Kenya", "BRA": "Brazil", "Eastern Africa": "Eastern Africa"},
            question="country",
            privacy="quasi_identifier",
            treatment=["generalised to M49 sub-region when rarer than k"],
        ),
        Column("gender__woman", "Gender: woman", "integer", CHOSEN, "gender", "sensitive"),
        Column("gender__man", "Gender: man", "integer", CHOSEN, "gender", "sensitive"),
        Column(
            f"{LONG_QUESTION}__career_change",
            "Why did you join? Career change",
            "integer",
            CHOSEN,
            LONG_QUESTION,
        ),
        Column(
            f"{LONG_QUESTION}__career_growth",
            "Why did you join? Career growth",
            "integer",
            CHOSEN,
            LONG_QUESTION,
        ),
        Column(
            "hours_per_week",
            "Hours a week spent on the project " * 4,
            type="integer",
            question="hours_per_week",
        ),
        Column(
            "confidence",
            "How confident are you contributing?",
            type="integer",
            codes={"1": "Not at all", "2": "A little", "3": "Very"},
            question="confidence",
        ),
        Column(
            "stipend_share",
            "Share of income from the stipend",
            type="number",
            question="stipend_share",
        ),
        Column("comment", "Anything else?", question="comment", privacy="free_text"),
        Column("term_end", "End of the mentorship term", type="date"),
    ]


def make_data() -> pd.DataFrame:
    """Eight responses in the dtypes the pipeline hands over (categorical codes, Int8 0/1
    columns, nullable Int64 and Float64, "string" text)."""
    waves = ["intake", "intake", "followup-1y", "intake", "followup-5y", "intake", "intake"]
    periods = ["2026-Q3", "2026-Q3", "2027-Q3", "2026-Q1", "2031-Q3", "2026-Q3", "2026-Q1"]
    term_ends = ["2026-08-31", "2026-08-31", "2026-03-15", None, "2026-11-30", "2026-08-31"]
    return pd.DataFrame(
        {
            "pid": [f"p{n:03d}" for n in (7, 3, 5, 1, 8, 2, 6, 4)],
            "wave": pd.Categorical([*waves, "followup-1y"]),
            "period": [*periods, "2027-Q1"],
            "age_range": pd.Categorical(
                ["25-29", "18-24", "25-29", SUPPRESSED, "30-39", "18-24", None, "25-29"]
            ),
            "country": pd.Categorical(
                ["KEN", "BRA", "Eastern Africa", "BRA", "KEN", SUPPRESSED, "BRA", None]
            ),
            "gender__woman": pd.array([1, 0, 1, 0, 1, 1, 0, 0], dtype="Int8"),
            "gender__man": pd.array([0, 1, 0, 1, 0, 0, 1, 0], dtype="Int8"),
            f"{LONG_QUESTION}__career_change": pd.array([1, 0, 0, 1, 0, 1, 0, 0], dtype="Int8"),
            f"{LONG_QUESTION}__career_growth": pd.array([0, 1, 1, 1, 0, 0, 0, 1], dtype="Int8"),
            "hours_per_week": pd.array([10, -5, None, 3, 40, 0, 12, 7], dtype="Int64"),
            "confidence": pd.array([1, 3, 2, None, 3, 3, 1, 2], dtype="Int64"),
            "stipend_share": pd.array([0.5, None, 0.25, 1.0, -0.125, 0.0, 0.75, 0.3333]),
            "comment": pd.array([*INJECTIONS, "Olá, São Paulo; «mentoria» — 好", None], "string"),
            "term_end": pd.to_datetime([*term_ends, "2026-03-15", "2026-11-30"]),
        }
    )


def expected(neutralised: bool) -> pd.DataFrame:
    """The test frame as a reader should get it back: typed, text quoted if neutralised."""
    frame = typed_frame(make_data(), make_columns())
    return neutralise_frame(frame) if neutralised else frame


def write(fmt: str) -> tuple[io.BytesIO, dict[str, str]]:
    buffer = io.BytesIO()
    names = write_data(make_data(), make_columns(), fmt, buffer)
    buffer.seek(0)
    return buffer, names


# Readers choose their own widths and missing-value flavours; values are what must match.
COMPARABLE = {"string": "str", "integer": "Int64", "number": "float64", "date": "datetime64[s]"}


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    frame = typed_frame(frame, make_columns())
    return frame.astype({c.name: COMPARABLE[c.type] for c in make_columns()})


def assert_same(read: pd.DataFrame, neutralised: bool) -> None:
    """Same values in the same columns, each of the type its Column promises."""
    pd.testing.assert_frame_equal(comparable(read), comparable(expected(neutralised)))


# safety ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", INJECTIONS)
def test_neutralise_quotes_formula_text(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [-5, -2.5, "a-b", "25-29", "", None, "'=already quoted"])
def test_neutralise_leaves_other_values_alone(value):
    assert neutralise(value) == value


def test_neutralise_frame_touches_text_only():
    frame = pd.DataFrame(
        {
            "n": [-5, 3],
            "x": pd.array([-1, None], dtype="Int64"),
            "t": ["-5", None],
            "mixed": pd.Series(["=1", 2], dtype=object),
        }
    )
    safe = neutralise_frame(frame)
    assert safe["n"].tolist() == [-5, 3]
    assert safe["x"].tolist() == [-1, pd.NA]
    assert safe["t"].tolist()[0] == "'-5" and pd.isna(safe["t"].tolist()[1])
    assert safe["mixed"].tolist() == ["'=1", 2]
    assert frame["t"].tolist()[0] == "-5"  # the input is not modified


# each format gives back what went in ---------------------------------------------------


def test_csv_round_trip():
    buffer, names = write("csv")
    raw = buffer.getvalue()
    raw.decode("utf-8")  # UTF-8, no BOM needed
    assert raw.startswith(b"pid,wave,period,")
    read = pd.read_csv(io.BytesIO(raw), keep_default_na=False, na_values=[""], encoding="utf-8")
    assert_same(read, neutralised=True)
    assert names["hours_per_week"] == "hours_per_week"


def test_csv_writes_missing_as_empty_and_negative_numbers_as_numbers():
    buffer, _ = write("csv")
    text = buffer.getvalue().decode()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    third = next(row for row in rows if row[0] == "p003")
    assert third[header.index("hours_per_week")] == "-5"
    assert third[header.index("stipend_share")] == ""
    # Text is quoted, numbers and missing values are bare: a spreadsheet reads -5 as a number.
    line = next(line for line in text.split("\r\n") if line.startswith('"p003"'))
    assert ",-5," in line and ",," in line
    assert text.startswith("pid,wave,period,") and "\r\n" in text


def test_xlsx_round_trip_and_labels_sheet():
    buffer, _ = write("xlsx")
    workbook = openpyxl.load_workbook(buffer)
    assert workbook.sheetnames == ["data", "labels"]
    read = pd.read_excel(buffer, sheet_name="data", keep_default_na=False, na_values=[""])
    # XML turns a lone carriage return into a newline on reading; what matters is the quote.
    want = comparable(expected(neutralised=True))
    read = comparable(read)
    for frame in (want, read):
        frame["comment"] = frame["comment"].str.replace("\r", "\n")
    pd.testing.assert_frame_equal(read, want)

    labels = pd.read_excel(buffer, sheet_name="labels", keep_default_na=False, na_values=[""])
    assert labels["age_range"].tolist()[:4] == ["25 to 29", "18 to 24", "25 to 29", SUPPRESSED]
    assert labels["wave"].tolist()[2] == "Follow-up after 1 year"
    assert labels["confidence"].tolist()[:2] == ["Not at all", "Very"]
    assert labels["gender__woman"].tolist()[:2] == ["chosen", "not chosen"]
    assert labels["pid"].tolist() == read["pid"].tolist()


def test_xlsx_cells_are_text_not_formulas():
    buffer, _ = write("xlsx")
    workbook = openpyxl.load_workbook(buffer)
    for sheet in workbook:
        header = [cell.value for cell in sheet[1]]
        comments = [row[header.index("comment")] for row in sheet.iter_rows(min_row=2)]
        for cell, text in zip(comments, INJECTIONS, strict=False):
            assert cell.data_type == "s"
            assert cell.value.startswith("'")
            assert cell.value[1:].replace("\n", "\r") == text
        assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
        hours = sheet.cell(row=3, column=header.index("hours_per_week") + 1)
        assert (hours.value, hours.data_type) == (-5, "n")


def test_xlsx_labels_are_neutralised_too():
    columns = [Column("tool", "Tool", codes={"sheet": '=HYPERLINK("http://evil")'})]
    buffer = io.BytesIO()
    write_data(pd.DataFrame({"tool": ["sheet"]}), columns, "xlsx", buffer)
    cell = openpyxl.load_workbook(buffer)["labels"]["A2"]
    assert (cell.data_type, cell.value) == ("s", '\'=HYPERLINK("http://evil")')


def test_xlsx_refuses_more_rows_than_a_sheet_holds(monkeypatch):
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 5)
    with pytest.raises(ValueError, match="at most 4 rows"):
        write("xlsx")


def test_a_date_column_is_typed_alike_wherever_the_slices_fall(monkeypatch):
    """The file is written a slice at a time; a first slice without any date must not give
    the column another type in the file's pandas metadata than the whole column has."""
    columns = [Column("pid", "Pseudonym"), Column("term_end", "End of term", type="date")]
    data = pd.DataFrame({"pid": ["a", "b", "c"], "term_end": [None, None, "2026-08-31"]})

    def written() -> dict:
        buffer = io.BytesIO()
        write_data(data, columns, "parquet", buffer)
        buffer.seek(0)
        return pq.read_schema(buffer).pandas_metadata

    whole = written()
    monkeypatch.setattr("exports.writers.CHUNK_ROWS", 2)
    assert written()["columns"] == whole["columns"]


def test_parquet_round_trip_with_proper_types():
    buffer, _ = write("parquet")
    schema = pq.read_schema(buffer)
    assert schema.field("pid").type == pa.string()
    assert schema.field("age_range").type == pa.string()
    assert schema.field("hours_per_week").type == pa.int64()
    assert schema.field("gender__woman").type == pa.int64()
    assert schema.field("stipend_share").type == pa.float64()
    assert schema.field("term_end").type == pa.date32()
    assert schema.field("country").metadata[b"title"] == b"Where do you live?"
    buffer.seek(0)
    read = pd.read_parquet(buffer)
    assert read["hours_per_week"].dtype == "Int64"
    assert_same(read, neutralised=False)


def test_json_round_trip():
    buffer, _ = write("json")
    text = buffer.getvalue().decode("utf-8")
    assert "São Paulo" in text and "好" in text  # not ASCII-escaped
    records = json.loads(text)
    assert isinstance(records, list) and len(records) == 8
    assert records[6]["age_range"] is None
    assert records[7]["comment"] is None
    assert records[1]["hours_per_week"] == -5
    assert records[0]["term_end"] == "2026-08-31"
    assert records[0]["comment"] == "=1+1"  # json is not for spreadsheets
    assert_same(pd.DataFrame.from_records(records), neutralised=False)


def test_empty_data_still_writes_a_header():
    columns = make_columns()
    empty = make_data().iloc[0:0]
    for fmt in ("csv", "json"):
        buffer = io.BytesIO()
        write_data(empty, columns, fmt, buffer)
        assert buffer.getvalue().startswith(b"pid,") if fmt == "csv" else buffer.getvalue() == b"[]"


# Stata -----------------------------------------------------------------------------------


def test_dta_round_trip_with_value_and_variable_labels():
    buffer, names = write("dta")
    with pd.api.typing.StataReader(buffer) as reader:
        raw = reader.read(convert_categoricals=False)
        value_labels = reader.value_labels()
        variable_labels = reader.variable_labels()
    columns = make_columns()
    assert list(raw.columns) == [names[c.name] for c in columns]
    assert value_labels["age_range"] == {1: "18 to 24", 2: "25 to 29", 3: "30 to 39", 4: SUPPRESSED}
    assert value_labels["confidence"] == {1: "Not at all", 2: "A little", 3: "Very"}
    assert variable_labels["country"] == "Where do you live?"
    assert len(variable_labels["hours_per_week"]) == 80

    assert value_labels[names[f"{LONG_QUESTION}__career_change"]] == {0: "not chosen", 1: "chosen"}

    # Turn integers back into codes and names back into column names: same table.
    read = raw.rename(columns={v: k for k, v in names.items()})
    for column in columns:
        if column.type == "string" and column.codes:
            to_code = {label: code for code, label in column.codes.items()}
            labels = read[column.name].map(value_labels[names[column.name]])
            read[column.name] = labels.map(to_code).fillna(labels)
    # Stata has no missing text, only "".
    read[["comment", "period"]] = read[["comment", "period"]].replace("", None)
    assert_same(read, neutralised=False)


def test_dta_names_are_unique_valid_and_short():
    _, names = write("dta")
    stata = list(names.values())
    assert len(set(stata)) == len(stata)
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", name) for name in stata)
    assert names["age_range"] == "age_range"  # valid names are kept
    change = names[f"{LONG_QUESTION}__career_change"]
    growth = names[f"{LONG_QUESTION}__career_growth"]
    assert "career_change" in change and "career_growth" in growth


def test_stata_names_do_not_depend_on_other_columns():
    long = "what_did_you_gain_from_mentoring__promotion_case"
    alone = stata_names([long])
    among = stata_names(["in", "gender__non-binary", "2nd_term", long, "x" * 40])
    assert alone[long] == among[long]
    assert among["in"] == "_in"
    assert among["gender__non-binary"] == "gender__non_binary"
    assert among["2nd_term"] == "_2nd_term"
    assert len(among["x" * 40]) == 32


def test_stata_names_resolve_collisions_after_cleaning():
    names = stata_names(["a-b", "a_b", "a.b"])
    assert names["a_b"] == "a_b"  # a valid name keeps its name
    assert len(set(names.values())) == 3


# errors ----------------------------------------------------------------------------------


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="Unknown export format"):
        write_data(make_data(), make_columns(), "sav", io.BytesIO())


def test_undescribed_column_is_refused():
    data = make_data().assign(email="someone@example.org")
    with pytest.raises(ValueError, match="undescribed \\['email'\\]"):
        write_data(data, make_columns(), "csv", io.BytesIO())


# the bundle ------------------------------------------------------------------------------


def make_bundle(fmt: str, out) -> None:
    write_bundle(out, make_data(), make_columns(), fmt, METHODOLOGY, "LFX Mentorship intake — 2026")


@pytest.mark.parametrize("fmt", FORMATS)
def test_bundle_holds_exactly_five_files(fmt, tmp_path):
    path = tmp_path / "export.zip"
    make_bundle(fmt, path)
    with zipfile.ZipFile(path) as bundle:
        assert sorted(bundle.namelist()) == sorted(BUNDLE_FILES | {f"data.{fmt}"})
        methodology = json.loads(bundle.read("methodology.json"))
        package = json.loads(bundle.read("datapackage.json"))
        codebook = pd.read_csv(io.BytesIO(bundle.read("codebook.csv")), keep_default_na=False)
        readme = bundle.read("README.txt").decode()
    resource = package["resources"][0]
    assert resource["path"] == f"data.{fmt}" and resource["format"] == fmt
    # What the bundle reports is what was counted on the written file, not what it was told.
    assert {k: v for k, v in methodology.items() if k in METHODOLOGY and k != "k_achieved"} == {
        k: v for k, v in METHODOLOGY.items() if k != "k_achieved"
    }
    assert package["anonymisation"]["k"] == 1
    assert package["anonymisation"]["k_achieved"] == methodology["k_achieved"] == 1
    assert codebook["variable"].tolist() == [c.name for c in make_columns()]
    assert ("stata_name" in codebook.columns) == (fmt == "dta")
    assert "k = 1" in readme and "1 person." in readme and "pseudonym" in readme
    assert f"data.{fmt}" in readme


def test_bundle_metadata_describes_codes_and_treatment(tmp_path):
    path = tmp_path / "export.zip"
    make_bundle("csv", path)
    with zipfile.ZipFile(path) as bundle:
        package = json.loads(bundle.read("datapackage.json"))
        codebook = pd.read_csv(io.BytesIO(bundle.read("codebook.csv")), keep_default_na=False)
    fields = {field["name"]: field for field in package["resources"][0]["schema"]["fields"]}
    assert fields["age_range"]["constraints"]["enum"] == ["18-24", "25-29", "30-39", SUPPRESSED]
    assert fields["wave"]["constraints"]["enum"] == ["intake", "followup-1y", "followup-5y"]
    assert fields["confidence"]["constraints"]["enum"] == [1, 2, 3]
    assert fields["gender__woman"]["constraints"]["enum"] == [0, 1]
    assert fields["country"]["description"].startswith("generalised to M49")
    assert "constraints" not in fields["comment"]
    row = codebook.set_index("variable").loc["age_range"]
    assert row["codes"].startswith("18-24=18 to 24; 25-29=25 to 29")
    assert row["codes"].endswith(f"{SUPPRESSED}=suppressed (too rare to publish safely)")


def test_dta_bundle_codebook_gives_stata_names(tmp_path):
    path = tmp_path / "export.zip"
    make_bundle("dta", path)
    with zipfile.ZipFile(path) as bundle:
        codebook = pd.read_csv(io.BytesIO(bundle.read("codebook.csv")), keep_default_na=False)
        data = pd.read_stata(io.BytesIO(bundle.read("data.dta")))
    assert codebook["stata_name"].tolist() == list(data.columns)
    assert (codebook["stata_name"].str.len() <= 32).all()


def test_csv_bundle_is_a_valid_data_package(tmp_path):
    with zipfile.ZipFile(io.BytesIO(_bundle_bytes("csv"))) as bundle:
        bundle.extractall(tmp_path)
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == 8


def test_json_bundle_rows_fit_its_table_schema():
    """frictionless reads a .json file only with its optional ijson extra, so the records
    are handed to it inline, checked against the bundle's own schema."""
    with zipfile.ZipFile(io.BytesIO(_bundle_bytes("json"))) as bundle:
        package = json.loads(bundle.read("datapackage.json"))
        records = json.loads(bundle.read("data.json"))
    schema = package["resources"][0]["schema"]
    resource = frictionless.Resource(
        data=records, schema=frictionless.Schema.from_descriptor(schema)
    )
    report = frictionless.validate(resource)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_bundle_has_a_valid_package_descriptor(fmt):
    with zipfile.ZipFile(io.BytesIO(_bundle_bytes(fmt))) as bundle:
        descriptor = json.loads(bundle.read("datapackage.json"))
    errors = list(frictionless.Package.metadata_validate(descriptor))
    assert not errors, [error.message for error in errors]


def test_csv_bundle_data_loads_back_with_pandas():
    with zipfile.ZipFile(io.BytesIO(_bundle_bytes("csv"))) as bundle:
        read = pd.read_csv(bundle.open("data.csv"), keep_default_na=False, na_values=[""])
    assert_same(read, neutralised=True)


def _bundle_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    make_bundle(fmt, buffer)
    return buffer.getvalue()


def test_bundle_accepts_a_path_as_string(tmp_path):
    path = tmp_path / "export.zip"
    make_bundle("parquet", str(path))
    assert zipfile.is_zipfile(Path(path))


def test_dta_keeps_long_text_and_booleans():
    columns = [
        Column("story", "Tell us your story"),
        Column("finished", "Finished the term", type="boolean"),
    ]
    data = pd.DataFrame({"story": ["é" * 3000, None], "finished": [True, None]})
    buffer = io.BytesIO()
    write_data(data, columns, "dta", buffer)
    buffer.seek(0)
    read = pd.read_stata(buffer)
    assert read["story"].tolist() == ["é" * 3000, ""]
    assert read["finished"].tolist()[0] == 1 and pd.isna(read["finished"].tolist()[1])


def test_xlsx_drops_control_characters_a_workbook_cannot_hold():
    columns = [Column("comment", "Anything else?")]
    buffer = io.BytesIO()
    write_data(pd.DataFrame({"comment": ["bell\x07 and tab\tkept"]}), columns, "xlsx", buffer)
    assert openpyxl.load_workbook(buffer)["data"]["A2"].value == "bell and tab\tkept"
