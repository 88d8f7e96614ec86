"""Every shared XLSForm fixture that imports is filled to the end through the real pages,
by a robot that answers what each page shows as a browser would post it (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_xlsform import fixture, import_form
from tests.test_xlsform_language import published

IMPORTED = {
    "choice_filter_test.xlsx": (),
    "field-list.xlsx": (),
    "group.xlsx": (),
    "or_other.xlsx": (),
    "specify_other.xlsx": (),
    "text_and_integer.xlsx": (),
    "tutorial.xls": (),
    "yes_or_no_question.xlsx": (),
    "UCL_Biomass_Plot_Form.xlsx": ("--skip-unsupported",),
}


# Answers a robot tries in turn for a box whose constraint refuses the one before.
TEXTS = ["x", "1", "0123456789", "2020", "someone@example.org", "abc"]
NUMBERS = ["1", "0", "10", "2", "100", "2000", "5"]


def browser_post(page, tries: dict[str, int]) -> dict[str, str]:
    """What a browser posts for the page as shown, every field answered plausibly;
    `tries[name]` says how many answers to a box were refused already."""
    data: dict[str, str] = {}
    for field in page.select("input, select, textarea"):
        name, kind = field.get("name"), field.get("type", "text")
        if not name or field.has_attr("disabled") or name in ("csrf_token", "your-website"):
            continue
        turn = tries.get(name, 0)
        if field.name == "select":
            values = [o["value"] for o in field.select("option") if o.get("value")]
            data[name] = values[turn % len(values)]
        elif kind in ("radio", "checkbox"):
            values = [f["value"] for f in page.select(f'input[name="{name}"]')]
            data.setdefault(name, values[turn % len(values)])
        elif kind == "number" or field.get("inputmode") in ("numeric", "decimal"):
            data[name] = (
                field.get("value")
                if turn == 0 and field.get("value")
                else NUMBERS[turn % len(NUMBERS)]
            )
        elif kind == "date":
            data[name] = field.get("value") or "2024-01-31"
        elif kind in ("submit", "hidden"):
            continue
        else:
            shown = field.get("value") if turn == 0 else None  # a default, or what was typed
            data[name] = shown or TEXTS[turn % len(TEXTS)]
    return data


@pytest.mark.parametrize("name", sorted(IMPORTED))
def test_each_imported_fixture_is_filled_to_the_end(
    runner, tmp_path: Path, make_survey, respondent, responses_of, monkeypatch, name
):
    from surveys.extensions import limiter

    # A robot posts faster than any respondent; the limits are tested elsewhere.
    monkeypatch.setattr(limiter, "enabled", False)
    form = fixture(name)
    out = tmp_path / f"{form.stem}.yaml"
    result = import_form(runner, form, "--out", str(out), *IMPORTED[name])
    assert result.exit_code == 0, result.stdout
    survey_id = published(make_survey, tmp_path, form)
    person = respondent(survey_id)
    person.open()
    tries: dict[str, int] = {}
    for _ in range(60):  # pages, and pages shown again with what an answer opened
        page = person.page
        buttons = [b["value"] for b in page.select("button[name=action]")]
        action = "submit" if "submit" in buttons else "next"
        form = page.select_one("form[method=post]")
        number = (
            int(form["action"].split("page=")[1].split("&")[0]) if "page=" in form["action"] else 1
        )
        response = person.post(number, browser_post(page, tries), action=action)
        assert response.status_code in (200, 422), (name, response.status_code)
        if responses_of(survey_id):
            break
        for refused in person.errors():
            tries[refused] = tries.get(refused, 0) + 1
    assert len(responses_of(survey_id)) == 1, name
