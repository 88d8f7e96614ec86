"""The admin area's start page: what to do next, in the order a programme's year goes.

Not a second copy of the menu: each step says what it is for and leads to the form that
does it. Steps follow the menu's rules (a page not built is left out, admins' pages only
for admins), and the page reads nothing from the database."""

from __future__ import annotations

from typing import NamedTuple

from flask import render_template
from flask_babel import lazy_gettext as _l

from .. import bp


class Step(NamedTuple):
    endpoint: str
    anchor: str | None
    title: str
    says: str
    admins_only: bool


STEPS = [
    Step(
        "admin.programmes",
        "add-programme",
        _l("Add a programme and its terms"),
        _l("Every participant belongs to a term of a programme: add the term first."),
        True,
    ),
    Step(
        "admin.participants",
        "import",
        _l("Import a term's participants"),
        _l("A CSV file of mentees and mentors; every bad row is listed with its line."),
        True,
    ),
    Step(
        "admin.surveys",
        "upload",
        _l("Publish a survey"),
        _l("Upload a definition, preview it in each of its languages, then publish it."),
        True,
    ),
    Step(
        "admin.followups",
        None,
        _l("Send the follow-ups"),
        _l("Where each wave stands; send what is due now, as the daily job does."),
        True,
    ),
    Step(
        "admin.dashboard",
        None,
        _l("Read the outcomes"),
        _l("Mentees and results against the targets, by year, programme and term."),
        False,
    ),
    Step(
        "admin.exports",
        None,
        _l("Download an anonymised export"),
        _l("A zip for researchers, generalised until every combination covers k people."),
        False,
    ),
]


@bp.get("/")
def home():
    return render_template("admin/home.html", steps=STEPS)
