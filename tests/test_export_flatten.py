"""Flattening answers into columns: what an analyst finds in each cell."""

from __future__ import annotations

import pandas as pd

from exports.flatten import columns_of, flat_frame

DEFINITION = {
    "default_language": "en",
    "choices": {
        "langs": [
            {"code": "sw", "label": {"en": "Swahili"}},
            {"code": "pt", "label": {"en": "Portuguese"}},
            {"code": "other", "label": {"en": "Other"}},
        ],
        "ages": [{"code": "18-24", "label": {"en": "18–24"}}],
    },
    "pages": [
        {
            "questions": [
                {
                    "type": "select_multiple",
                    "name": "languages",
                    "list": "langs",
                    "label": {"en": "Languages"},
                    "privacy": "sensitive",
                    "other": True,
                },
                {
                    "type": "select_one",
                    "name": "age",
                    "list": "ages",
                    "label": {"en": "Age"},
                    "privacy": "quasi_identifier",
                },
                {
                    "type": "integer",
                    "name": "years",
                    "label": {"en": "Years"},
                    "privacy": "none",
                },
                {
                    "type": "consent",
                    "name": "consent",
                    "label": {"en": "I agree"},
                    "privacy": "none",
                },
            ]
        }
    ],
}


def flat(answers: list[dict]) -> pd.DataFrame:
    return flat_frame(answers, columns_of(DEFINITION))


def test_a_multi_select_is_one_zero_or_one_column_per_code():
    frame = flat([{"languages": ["sw", "pt"]}, {"languages": ["pt"]}])
    assert list(frame.columns[:3]) == ["languages__sw", "languages__pt", "languages__other"]
    assert frame["languages__sw"].tolist() == [1, 0]
    assert frame["languages__pt"].tolist() == [1, 1]
    assert frame["languages__other"].tolist() == [0, 0]


def test_not_answering_is_empty_but_choosing_nothing_is_zero():
    frame = flat([{"languages": []}, {"age": "18-24"}])
    assert frame["languages__sw"].tolist()[0] == 0
    assert frame["languages__sw"].isna().tolist() == [False, True]


def test_values_keep_their_types_and_other_text_its_own_column():
    frame = flat(
        [
            {"languages": ["other"], "languages_other": "Kikuyu", "years": 3, "consent": True},
            {"years": 0},
        ]
    )
    assert frame["languages_other"].tolist()[0] == "Kikuyu"
    assert frame["years"].tolist() == [3, 0]
    assert str(frame["years"].dtype) == "Int64"
    assert frame["consent"].tolist()[0] is True
    assert frame["age"].isna().all()


def test_a_code_the_version_does_not_list_adds_no_column():
    frame = flat([{"languages": ["sw", "klingon"]}])
    assert "languages__klingon" not in frame
    assert frame["languages__sw"].tolist() == [1]


def test_no_responses_still_give_every_column():
    frame = flat([])
    assert len(frame) == 0
    assert "languages__sw" in frame and "years" in frame


def test_picks_stored_otherwise_are_read_as_their_code_or_not_at_all():
    """A code list of numbers ("1", "2") may have been stored as numbers by an older form
    or an import; an empty pick or a list that is not one adds nothing."""
    definition = {
        **DEFINITION,
        "choices": {**DEFINITION["choices"], "langs": [{"code": "1", "label": {"en": "One"}}]},
    }
    frame = flat_frame(
        [{"languages": [1, None]}, {"languages": ["1"]}, {"languages": "1"}, {"languages": [2]}],
        columns_of(definition),
    )
    assert frame["languages__1"].tolist() == [1, 1, pd.NA, 0]
