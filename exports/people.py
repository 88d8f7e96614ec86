"""People, not rows: what a reader of the file can tell each person apart by, the classes
they form, a subset's whole classes, and the pseudonyms.

A person is counted once over all their rows (intake and follow-ups): per quasi-identifier,
their non-empty values in wave order. The search (`kanon`) recodes this table, and the
released classes are counted on it again after `release.write`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from . import kanon
from .columns import Column
from .lattice import first_positions

PID_LENGTH = 16


def people_table(
    data: pd.DataFrame, columns: list[Column], qis: Sequence[kanon.QuasiIdentifier]
) -> pd.DataFrame:
    """One row per person: each quasi-identifier as the release will show it per person —
    the person's answers over the rows that hold one, in wave order, joined ('missing'
    when no row does). A row without an answer adds nothing, exactly as its empty cell
    adds nothing to what a reader of the file can tell people apart by."""
    # People and waves as integers: sorting and grouping numbers is what keeps this fast.
    person, people = pd.factorize(data["_person"].astype(object))
    wave, _ = pd.factorize(data["_wave"], sort=True)
    per_person = {}
    for qi in qis:
        code, texts = _answer_codes(data, columns, qi)
        # Answered, and not with the very text that stands for no answer.
        known = np.append(texts != kanon.MISSING, False)  # code -1 picks the last
        rows = np.flatnonzero(known[code])
        owners = person[rows]
        # Each person's value as a number into `names`: the answers' texts, "missing",
        # then the texts of answers joined over several waves.
        names = [*texts, kanon.MISSING]
        joined = np.full(len(people), len(texts), dtype=np.int64)
        # Most people answer a question in one wave only: theirs is their one answer, and
        # only the others' answers are sorted and joined.
        once = np.bincount(owners, minlength=len(people))[owners] == 1
        joined[owners[once]] = code[rows[once]]
        if not once.all():
            several = rows[~once]
            # In wave order, and alike answers of one wave in the order of their texts.
            rank = np.empty(len(texts), dtype=np.int64)
            rank[np.argsort(texts, kind="stable")] = np.arange(len(texts))
            several = several[np.lexsort((rank[code[several]], wave[several], person[several]))]
            parts = (
                pd.Series(texts[code[several]])
                .groupby(person[several], sort=False)
                .agg(kanon.WAVE_SEPARATOR.join)
            )
            position, distinct = pd.factorize(parts.to_numpy(dtype=object))
            joined[parts.index.to_numpy()] = len(names) + position
            names.extend(distinct)
        per_person[qi.name] = kanon.as_categorical(joined, names)
    # Categoricals of Python strings: a code per person, each text once (a column of
    # strings was 290 MB at a million responses; as Arrow text, every read as strings
    # would build each person's string anew).
    return pd.DataFrame(per_person, index=pd.Index(people, name="person"))


def _answer_codes(
    data: pd.DataFrame, columns: list[Column], qi: kanon.QuasiIdentifier
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's answer to a quasi-identifier as a number (-1 when none), and the text of
    each number: Python strings, one per distinct answer (as Arrow text, each read would
    make a string per row)."""
    if not qi.multi:
        position, present = pd.factorize(data[qi.name])  # -1 where not answered
        return position, np.asarray([str(value) for value in present], dtype=object)
    code_columns = [c.name for c in columns if c.question == qi.name and c.type == "integer"]
    codes = [name.split("__", 1)[1] for name in code_columns]
    block = data[code_columns].fillna(0).to_numpy(dtype=np.int8)
    answered = data[code_columns].notna().any(axis=1).to_numpy()
    # Few distinct combinations of codes exist: find them by their packed bits, join each
    # once.
    position = _row_ids(np.packbits(block.astype(bool), axis=1))
    example = np.zeros(position.max() + 1 if len(position) else 0, dtype=np.int64)
    example[position] = np.arange(len(position))
    # Which of the columns a row fills is part of what it shows: a generalised level
    # writes its own 0/1 columns (see release.py).
    filled = data[code_columns].notna().to_numpy()
    pattern = _row_ids(np.packbits(filled, axis=1))
    # One text per distinct (columns filled, codes chosen) pair, shared by its rows: a
    # text made per row was a million strings at a million responses.
    pair, _ = pd.factorize(pattern * (int(position.max(initial=0)) + 1) + position)
    first = first_positions(pair, int(pair.max(initial=-1)) + 1)
    labelled = pattern.max(initial=0) > 0
    texts = np.asarray(
        [
            (f"{pattern[row]}:" if labelled else "")
            + kanon.CODE_SEPARATOR.join(np.asarray(codes)[block[example[position[row]]] > 0])
            for row in first
        ],
        dtype=object,
    )
    return np.where(answered, pair, -1), texts


def _row_ids(packed: np.ndarray) -> np.ndarray:
    """The same number for equal rows of a byte matrix, numbered 0, 1, … as first seen."""
    width = -(-packed.shape[1] // 8) * 8
    words = np.zeros((len(packed), width), dtype=np.uint8)
    words[:, : packed.shape[1]] = packed
    ids = np.zeros(len(packed), dtype=np.int64)
    for word in words.view(np.uint64).T:
        part, seen = pd.factorize(word)
        ids = pd.factorize(ids * len(seen) + part)[0]
    return ids


def classes_as_written(
    data: pd.DataFrame, columns: list[Column], qis: Sequence[kanon.QuasiIdentifier]
) -> pd.Series:
    """Each person's equivalence class (a number) over the quasi-identifiers as written:
    what a reader of the file can tell people apart by. A quasi-identifier whose columns
    were all left out tells nothing."""
    written = [qi for qi in qis if any(c.question == qi.name for c in columns)]
    shown = people_table(data, columns, written)
    return pd.Series(
        kanon.row_classes(shown) if written else np.zeros(len(shown), dtype=np.int64),
        index=shown.index,
    )


def select_subset(
    data: pd.DataFrame, classes: pd.Series, programme: str | None, term: str | None
) -> tuple[pd.DataFrame, int]:
    """The rows of a `--programme`/`--term` subset: the people of whole equivalence
    classes of the whole survey's release, every one of whom is in the subset.

    A class split between the subset and the rest would tell a reader which of its people
    are in the subset, and a release made for the subset alone would link, row by row,
    with the whole survey's; taking whole classes of one release gives neither. Returns
    the rows and how many people of the subset were left out with split classes.
    """
    if programme is None and term is None:
        return data, 0
    inside = pd.Series(True, index=data.index)
    if programme is not None:
        inside &= data["_programme"].astype(object).eq(programme).to_numpy()
    if term is not None:
        inside &= data["_term"].astype(object).eq(term).to_numpy()
    persons = data["_person"].astype(object)
    members = set(persons[inside.to_numpy()])
    member = classes.index.isin(list(members))
    whole = pd.Series(member).groupby(classes.to_numpy()).transform("all").to_numpy()
    chosen = set(classes.index[member & whole])
    return data[persons.isin(chosen).to_numpy()], len(members) - len(chosen)


def pseudonymise(people: pd.Series) -> pd.Series:
    """A random pseudonym per person, drawn for this export and never kept.

    The same person gets the same pid within the bundle; nothing links a pid to the
    person's id or to any other bundle (as good as a keyed hash under a thrown-away key,
    without a hash per person: that was a tenth of a million-response export).
    """
    codes, unique = pd.factorize(people)
    while True:
        drawn = secrets.token_bytes(PID_LENGTH // 2 * len(unique))
        # Each pid is 8 of those bytes in hexadecimal; a clash among 64-bit draws is ~1
        # in 10^7 at 10^6 people.
        if len(np.unique(np.frombuffer(drawn, dtype=np.uint64))) == len(unique):
            break
    # Arrow text made from the hexadecimal digits as they are, PID_LENGTH each: a Python
    # string per person and a list of them per row were 100 MB at a million responses.
    ends = np.arange(0, PID_LENGTH * len(unique) + 1, PID_LENGTH, dtype=np.int32)
    pids = pa.StringArray.from_buffers(
        len(unique), pa.py_buffer(ends), pa.py_buffer(drawn.hex().encode("ascii"))
    )
    return pd.Series(
        pd.arrays.ArrowStringArray(pids.take(pa.array(codes))), index=people.index, dtype="string"
    )
