"""The independent verifier reads k and l back from written files in every format.

The files are written here by hand or with the format's own library, never with the
export writers: the verifier must be checked against data nobody else produced.
"""

from __future__ import annotations

import io
import json

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from exports.verify import FORMATS, count, read_data

QI = {"age_range": ["age_range"], "languages": ["languages__en", "languages__nl"]}


def write(rows: list[dict], fmt: str) -> bytes:
    """`rows` (same keys, None for missing) as a file in `fmt`."""
    names = list(rows[0])
    buffer = io.BytesIO()
    if fmt == "csv":
        # As Arrow writes it: bare header, quoted text, bare numbers, missing as nothing.
        def cell(value):
            if value is None:
                return ""
            if isinstance(value, str):
                return '"' + value.replace('"', '""') + '"'
            if isinstance(value, float) and value.is_integer():
                return str(int(value))  # Arrow writes 2.0 as 2
            return str(value)

        lines = [",".join(names)] + [",".join(cell(row[n]) for n in names) for row in rows]
        buffer.write("".join(line + "\r\n" for line in lines).encode())
    elif fmt == "json":
        buffer.write(json.dumps(rows, ensure_ascii=False).encode())
    elif fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), buffer)
    elif fmt == "xlsx":
        workbook = openpyxl.Workbook()
        workbook.active.title = "labels"  # a decoy: only "data" holds the codes
        workbook.active.append(names)
        workbook.active.append(["decoy"] * len(names))
        sheet = workbook.create_sheet("data")
        sheet.append(names)
        for row in rows:
            sheet.append([row[n] for n in names])
        workbook.save(buffer)
    elif fmt == "dta":
        frame = pd.DataFrame(rows)
        for name in frame.columns:  # Stata has no missing text: it stores ""
            if frame[name].map(lambda v: isinstance(v, str)).any():
                frame[name] = frame[name].fillna("").astype(str)
        frame.to_stata(buffer, write_index=False, version=118)
    else:
        raise AssertionError(fmt)
    return buffer.getvalue()


def person(pid: str, age: str | None, en: int = 1, nl: int = 0, wave: str = "intake", **more):
    return {
        "pid": pid,
        "wave": wave,
        "age_range": age,
        "languages__en": en,
        "languages__nl": nl,
        **more,
    }


def base_rows() -> list[dict]:
    """Ten people in two classes of five."""
    return [person(f"p{i:02}", "18-24" if i < 5 else "25-34") for i in range(10)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_planted_class_of_one_is_found_in_every_format(fmt):
    rows = base_rows()
    counted = count(write(rows, fmt), fmt, QI)
    assert (counted.people, counted.k, counted.classes, counted.small(5)) == (10, 5, 2, 0)

    rows.append(person("p10", "65+"))
    counted = count(io.BytesIO(write(rows, fmt)), fmt, QI)
    assert (counted.people, counted.k, counted.classes) == (11, 1, 3)
    assert counted.small(5) == 1
    assert counted.class_sizes == (1, 5, 5)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cells_read_back_as_text(fmt):
    rows = [person("p1", "18-24", more=2.0), person("p2", None, en=0, more=2.5)]
    data = read_data(write(rows, fmt), fmt, ["pid", "age_range", "languages__en", "more"])
    # Stata cannot tell missing text from "", nor can a csv reader: both read as "".
    assert data.to_dict("records") == [
        {"pid": "p1", "age_range": "18-24", "languages__en": "1", "more": "2"},
        {"pid": "p2", "age_range": "", "languages__en": "0", "more": "2.5"},
    ]


def test_a_person_with_two_rows_is_one_person():
    rows = [person(f"p{i}", "18-24") for i in range(4)]
    rows += [person("p9", "18-24"), person("p9", None, None, None, wave="followup-1y")]
    counted = count(write(rows, "csv"), "csv", QI)
    assert (counted.people, counted.k, counted.classes) == (5, 5, 1)


def test_values_from_several_waves_are_joined_in_wave_order():
    rows = [person(f"p{i}", "18-24") for i in range(5)]
    # Both waves answered: a value of its own, and which wave said what matters.
    rows += [person("a", "18-24"), person("a", "25-34", wave="followup-1y")]
    rows += [person("b", "25-34"), person("b", "18-24", wave="followup-1y")]
    counted = count(write(rows, "parquet"), "parquet", {"age_range": ["age_range"]})
    assert (counted.people, counted.k, counted.class_sizes) == (7, 1, (1, 1, 5))


def test_select_multiple_columns_count_separately():
    rows = [person(f"a{i}", "18-24", en=1, nl=0) for i in range(5)]
    rows += [person(f"b{i}", "18-24", en=0, nl=1) for i in range(5)]
    assert count(write(rows, "json"), "json", QI).class_sizes == (5, 5)
    rows.append(person("c", "18-24", en=1, nl=1))
    assert count(write(rows, "json"), "json", QI).k == 1


def test_empty_and_suppressed_are_different_values():
    rows = [person(f"p{i}", None) for i in range(5)] + [person("s", "suppressed")]
    counted = count(write(rows, "xlsx"), "xlsx", QI)
    assert counted.class_sizes == (1, 5)


def test_integer_valued_floats_equal_integers():
    rows = [person(f"p{i}", "18-24", en=1 if i % 2 else 1.0) for i in range(5)]
    assert count(write(rows, "json"), "json", QI).k == 5


def test_l_diversity_is_the_fewest_distinct_answers_in_a_class():
    rows = [person(f"a{i}", "18-24", health="yes") for i in range(5)]
    rows += [person(f"b{i}", "25-34", health=("yes", "no", None)[i % 3]) for i in range(5)]
    sensitive = {"health": ["health"]}
    counted = count(write(rows, "csv"), "csv", QI, sensitive)
    assert counted.l == {"health": 1}

    rows[0]["health"] = "no"  # now every class has two different answers
    assert count(write(rows, "csv"), "csv", QI, sensitive).l == {"health": 2}


def test_l_diversity_skips_who_did_not_answer():
    rows = [person(f"a{i}", "18-24", h1=None, h2=None, never=None) for i in range(5)]
    rows += [person(f"b{i}", "25-34", h1=f"{i % 3}", h2=None, never=None) for i in range(5)]
    rows[0]["h2"] = "x"  # a multi-column question: one answered column is an answer
    sensitive = {"health": ["h1", "h2"], "never": ["never"]}
    counted = count(write(rows, "parquet"), "parquet", QI, sensitive)
    assert counted.l == {"health": 1}  # class a: only a0 answered; "never" is absent


def test_a_missing_column_is_an_error():
    data = write(base_rows(), "csv")
    with pytest.raises(ValueError, match="gender__woman"):
        count(data, "csv", {**QI, "gender": ["gender__woman"]})
    with pytest.raises(ValueError, match="person_id"):
        count(data, "csv", QI, pid="person_id")
    with pytest.raises(ValueError, match="Unknown format"):
        count(data, "tsv", QI)


def test_no_quasi_identifiers_and_no_people():
    counted = count(write(base_rows(), "dta"), "dta", {})
    assert (counted.people, counted.k, counted.classes) == (10, 10, 1)
    header_only = b"pid,wave,age_range\r\n"
    counted = count(header_only, "csv", {"age_range": ["age_range"]})
    assert (counted.people, counted.k, counted.classes, counted.small(5)) == (0, 0, 0, 0)


def test_rows_without_a_pid_are_an_error():
    rows = base_rows() + [person(None, "18-24")]
    with pytest.raises(ValueError, match="no 'pid'"):
        count(write(rows, "json"), "json", QI)


def test_an_xlsx_file_without_a_data_sheet_is_an_error():
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    with pytest.raises(ValueError, match='sheet "data"'):
        count(buffer.getvalue(), "xlsx", QI)


def test_csv_cells_are_read_as_written_whatever_their_quoting():
    """The csv reader (not the writer's library) takes quoted line ends and quotes, empty
    cells and rows short or long of the header as a spreadsheet would."""
    data = (
        b'pid,age_range,more\r\n"a","line one\r\nline two","say ""hi"""\r\n'
        b'"b",""\r\n"c",,25-29\r\n"d","30-34","x","extra"\r\n'
    )
    frame = read_data(data, "csv", ["pid", "age_range", "more"])
    assert frame.to_dict("records") == [
        {"pid": "a", "age_range": "line one\r\nline two", "more": 'say "hi"'},
        {"pid": "b", "age_range": "", "more": ""},
        {"pid": "c", "age_range": "", "more": "25-29"},
        {"pid": "d", "age_range": "30-34", "more": "x"},
    ]


def test_a_blank_line_in_a_csv_is_a_row_without_a_pid():
    data = b'pid,age_range\r\n"a","18-24"\r\n\r\n"b","25-29"\r\n'
    with pytest.raises(ValueError, match="no 'pid'"):
        count(data, "csv", {"age_range": ["age_range"]}, wave=None)


def test_a_csv_read_in_slices_counts_as_one_read_whole(monkeypatch):
    """A long file is read a slice of rows at a time; where slices meet changes nothing:
    a person's rows in two slices are one person, texts alike in both slices are one value
    and texts that differ only as numbers ("01", "1") stay apart."""
    rows = [person(f"p{i}", "01" if i < 5 else "1", en=i % 2) for i in range(10)]
    rows += [person("p0", "01", wave="followup-1y"), person("p9", None, wave="followup-1y")]
    data = write(rows, "csv")
    whole = count(data, "csv", QI)
    monkeypatch.setattr("exports.verify.CSV_ROWS", 3)
    sliced = count(data, "csv", QI)
    assert (sliced.people, sliced.class_sizes) == (whole.people, whole.class_sizes)
    # "01" and "1" are two ages, within each English or not (two people each); p0 and p9,
    # who answered again a year on, are alone.
    assert whole.people == 10 and whole.class_sizes == (1, 1, 2, 2, 2, 2)
    assert read_data(data, "csv", ["age_range"])["age_range"].tolist()[:6] == ["01"] * 5 + ["1"]


def test_a_csv_header_naming_a_column_twice_is_read_and_reported():
    data = b'pid,age_range,age_range\r\n"p1","18-24","18-24"\r\n'
    assert len(read_data(data, "csv")) == 1
    counted = count(
        data, "csv", {"age_range": ["age_range"]}, wave=None, columns=["pid", "age_range"]
    )
    assert counted.problems and "not those declared" in counted.problems[0]
