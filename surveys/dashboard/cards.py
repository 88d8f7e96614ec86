"""The goal cards at the top of the dashboard: one figure per seed goal, read out of the
tables further down the page (so a card never shows what its table hides), each with what
it is measured against, its trend and a link to its table.

The headline year (the chosen one, else the latest with mentees) is compared with the year
before it; outcomes and mentors' answers are counted over every year of the selection,
since a cohort's follow-ups arrive one and five years after its term.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from exports.aggregates import TOTAL, Table

from . import goals
from .sections import Dashboard


@dataclass(frozen=True)
class Trend:
    """A change from last year, in words; the arrow only repeats them for the eye."""

    arrow: str
    text: str


@dataclass
class Card:
    key: str  # the card's id is goal-<key>
    title: str
    figure: str | None  # None: `missing` says why
    missing: str = ""
    lines: list[str] = field(default_factory=list)
    trend: Trend | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (anchor, text)


def percent(value: float) -> str:
    """As the tables' rates are written, so a card and its table read alike."""
    return f"{value * 100:.1f}%"


def trend(current: float | None, previous: float | None, shown: str) -> Trend | None:
    """Up, down or the same as last year; `shown` is last year's figure as written."""
    if current is None or previous is None:
        return None
    if current > previous:
        return Trend("▲", _("up from %(value)s last year", value=shown))
    if current < previous:
        return Trend("▼", _("down from %(value)s last year", value=shown))
    return Trend("▬", _("the same as last year (%(value)s)", value=shown))


def _why_missing(table: Table, cells: list[tuple[Any, Any]]) -> str:
    """ "suppressed" when a count behind the figure is hidden, else "no answers yet"."""
    for row, column in cells:
        if (
            row in table.counts.index
            and column in table.counts.columns
            and table.suppressed.loc[row, column]
        ):
            return _("suppressed")
    return _("not available yet")


def _count(board: Dashboard, name: str, row: Any, column: Any) -> str:
    value = goals.visible(board.table(name), row, column)
    return _("suppressed") if value is None else str(value)


def mentees_card(board: Dashboard, year: int) -> Card:
    table = board.table("participants")
    now, before = goals.visible(table, year, TOTAL), goals.visible(table, year - 1, TOTAL)
    lines = [_("of a target of %(target)s", target=board.target_participants)]
    if now is not None:
        lines.append(_("target met") if now >= board.target_participants else _("below target"))
    lines.append(_("Counted from the participants lists, mentees of terms ending this year."))
    return Card(
        "participants",
        _("Mentees"),
        None if now is None else str(now),
        _why_missing(table, [(year, TOTAL)]),
        lines,
        trend(now, before, str(before)),
        [("#table-participants", _("Mentees per year"))],
    )


def failure_card(board: Dashboard, year: int) -> Card:
    table = board.table("participants")
    rates = goals.failure_rates(table)
    now, before = rates.get(year), rates.get(year - 1)
    target = "%.0f%%" % (board.target_failure_rate * 100)
    last = _("not available") if before is None else percent(before)
    return Card(
        "failure",
        _("Failed or withdrew"),
        None if now is None else percent(now),
        _why_missing(table, [(year, goals.NOT_FINISHED), (year, TOTAL)]),
        [_("(target: under %(target)s)", target=target), _("Last year:") + " " + last],
        trend(now, before, last),
        [("#goal-rates", _("Per year against the targets"))],
    )


def _sources_line(board: Dashboard, year: int) -> str:
    line = _(
        "Intakes counted: %(personal)s from personal links, %(public)s from the public link.",
        personal=_count(board, "intake_sources", "personal", year),
        public=_count(board, "intake_sources", "public", year),
    )
    if board.filters.term is not None:
        line += " " + _("Public-link answers belong to no term: not counted when a term is chosen.")
    return line


def region_card(board: Dashboard, year: int, region: str, key: str, title: str) -> Card:
    table = board.table("region_goals")
    now = goals.share(table, [(region, year)], (TOTAL, year))
    before = goals.share(table, [(region, year - 1)], (TOTAL, year - 1))
    return Card(
        key,
        title,
        None if now is None else percent(now),
        _why_missing(table, [(region, year), (TOTAL, year)]),
        [
            _(
                "of %(num)s intakes that gave a country of residence",
                num=_count(board, "region_goals", TOTAL, year),
            ),
            _sources_line(board, year),
        ],
        trend(now, before, _("not available") if before is None else percent(before)),
        [("#table-region_goals", _("Regions per year"))],
    )


def contributing_card(board: Dashboard, wave: str, key: str, title: str) -> Card:
    table = board.table("contributing")
    now = goals.share(table, [("contributing", wave)], (TOTAL, wave))
    responses = f"responses_{wave}"
    rates = board.table(responses)
    rate = goals.share(rates, [("answered", TOTAL)], (TOTAL, TOTAL))
    return Card(
        key,
        title,
        None if now is None else percent(now),
        _why_missing(table, [("contributing", wave), (TOTAL, wave)]),
        [
            _("of %(num)s who answered", num=_count(board, "contributing", TOTAL, wave)),
            _(
                "Response rate: %(rate)s (%(answered)s of %(asked)s asked)",
                rate=_("suppressed") if rate is None else percent(rate),
                answered=_count(board, responses, "answered", TOTAL),
                asked=_count(board, responses, TOTAL, TOTAL),
            ),
        ],
        None,
        [
            ("#table-contributing", _("Outcomes")),
            (f"#table-{responses}", _("Response rates")),
        ],
    )


def mentors_card(board: Dashboard) -> Card:
    name = "mentor_used_in_review"
    table = board.table(name)
    now = goals.answered_share(table, "yes", TOTAL)
    answered = goals.visible(table, TOTAL, TOTAL)
    missing = (
        goals.visible(table, goals.MISSING, TOTAL) if goals.MISSING in table.counts.index else 0
    )
    asked = None if answered is None or missing is None else answered - missing
    return Card(
        "mentors",
        _("Mentors who used mentoring in a promotion case"),
        None if now is None else percent(now),
        _why_missing(table, [("yes", TOTAL), (TOTAL, TOTAL), (goals.MISSING, TOTAL)]),
        [
            _(
                "of %(num)s mentors who answered the question",
                num=_("suppressed") if asked is None else str(asked),
            )
        ],
        None,
        [(f"#table-{name}", _("What mentors report"))],
    )


def projects_card(board: Dashboard, year: int) -> Card:
    per_year = {year: int(n) for year, n in board.table("projects").counts[goals.PROJECTS].items()}

    def projects(of: int) -> int | None:
        return per_year.get(of)

    now, before = projects(year), projects(year - 1)
    return Card(
        "projects",
        _("Open-source projects taking part"),
        str(now or 0),
        "",
        [_("from the project column of the participants lists")],
        trend(now or 0, before, str(before)),
        [("#table-projects", _("Projects per year"))],
    )


def returning_card(board: Dashboard, year: int) -> Card:
    table = board.table("returning")
    now = goals.visible(table, "returning", year)
    before = goals.visible(table, "returning", year - 1)
    return Card(
        "returning",
        _("Returning mentees"),
        None if now is None else str(now),
        _why_missing(table, [("returning", year)]),
        [_("mentees who had been a mentee in an earlier term, in any programme (same email)")],
        trend(now, before, str(before)),
        [("#table-returning", _("Returning mentees per year"))],
    )


def goal_cards(board: Dashboard) -> list[Card]:
    """The cards for the board's headline year, in the organisers' order; none without one."""
    year = board.headline_year
    if year is None:
        return []
    return [
        mentees_card(board, year),
        failure_card(board, year),
        region_card(board, year, goals.LATIN_AMERICA, "latin-america", _("From Latin America")),
        region_card(board, year, goals.AFRICA, "africa", _("From Africa")),
        contributing_card(
            board, "followup-1y", "contributing-1y", _("Still contributing at 1 year")
        ),
        contributing_card(
            board, "followup-5y", "contributing-5y", _("Still contributing at 5 years")
        ),
        mentors_card(board),
        projects_card(board, year),
        returning_card(board, year),
    ]
