"""The outcomes dashboard — the organisers' goals at a glance (routes: `admin_dashboard`).

For admins and analysts. Every count passes through the export's small-cell suppression
(k from Config.dashboard_k), every rate is shown only when the counts behind it are, and each
table has its chart (an SVG drawn here, served by `dashboard_chart`) and its CSV
(`dashboard_csv`), both computed exactly like the table on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from exports.aggregates import MISSING, TOTAL, Table
from exports.safety import neutralise, neutralise_frame

from ..demographics.countries import m49_names
from ..extensions import db
from ..models import Programme, Term
from ..vocabulary import PREFER_NOT_TO_SAY
from . import charts, goals
from .goals import Filters, Sources

# (question, survey it is asked in) of the demographic breakdowns, in the page's order.
DIVERSITY = [
    ("region", "intake", _l("Region of residence (UN M49)")),
    ("gender", "intake", _l("Gender (several answers possible)")),
    ("age_range", "intake", _l("Age range")),
    ("qualification_earned", "intake", _l("Qualification earned")),
    ("relative_income", "intake", _l("Income compared with the country")),
]
OUTCOMES = [
    ("still_contributing", _l("Still contributing to open source (several answers possible)")),
    ("occupation", _l("Occupation")),
    ("job_category", _l("Job category")),
]
MENTOR_QUESTIONS = [
    ("mentor_again", _l("Would mentor again")),
    ("used_in_review", _l("Used mentoring in a review or promotion case")),
    ("skills_gained", _l("Skills mentoring helped build (several answers possible)")),
]
SELECT_MULTIPLE = {"gender", "still_contributing", "skills_gained"}
SECTIONS = [
    ("goals", _l("Participants and completion")),
    ("diversity", _l("Who takes part")),
    ("responses", _l("Follow-up response rates")),
    ("outcomes", _l("Outcomes 1 and 5 years later")),
    ("mentors", _l("What mentors report")),
]


@dataclass(frozen=True)
class Spec:
    """One table of the dashboard: where it sits, what it counts and how it is drawn."""

    name: str
    section: str
    title: Any  # a lazy string
    build: Callable[[Dashboard], Table]
    survey: str | None = None  # whose choice labels name the rows
    question: str | None = None
    # Rows whose share of each column is charted (None: all); a single row is a rate.
    chart_rows: tuple[str, ...] | None = None
    rate_label: Any = None  # set when the table has a rate row (answered / all)
    # False for a table that counts no people (projects): nothing in it needs hiding.
    counts_people: bool = True


def _diversity_spec(question: str, survey: str, title: Any) -> Spec:
    def build(board: Dashboard) -> Table:
        frame = board.sources.intakes
        if question == "region":
            return goals.region_table(frame, board.k)
        codes = goals.question_codes(board.definition(survey), question)
        maker = goals.multi_table if question in SELECT_MULTIPLE else goals.answer_table
        return maker(frame, question, codes, "year", board.k)

    return Spec(question, "diversity", title, build, survey, question)


def _response_spec(wave: str, title: Any) -> Spec:
    def build(board: Dashboard) -> Table:
        schedule = (board.definition(wave) or {}).get("schedule") or {}
        answered = board.sources.answered(wave)
        people = goals.in_year(board.sources.people, board.filters.year)
        return goals.response_table(people, answered, schedule, board.today, board.k)

    return Spec(
        f"responses_{wave}",
        "responses",
        title,
        build,
        chart_rows=("answered",),
        rate_label=_l("Response rate"),
    )


def _outcome_spec(question: str, title: Any) -> Spec:
    def build(board: Dashboard) -> Table:
        codes = goals.question_codes(board.definition("followup-1y"), question)
        maker = goals.multi_table if question in SELECT_MULTIPLE else goals.answer_table
        return maker(board.sources.followups, question, codes, "wave", board.k)

    return Spec(question, "outcomes", title, build, "followup-1y", question)


def _mentor_spec(question: str, title: Any) -> Spec:
    def build(board: Dashboard) -> Table:
        codes = goals.question_codes(board.definition("mentor"), question)
        maker = goals.multi_table if question in SELECT_MULTIPLE else goals.answer_table
        return maker(board.sources.mentors, question, codes, "year", board.k)

    return Spec(f"mentor_{question}", "mentors", title, build, "mentor", question)


SPECS: dict[str, Spec] = {
    spec.name: spec
    for spec in [
        Spec(
            "participants",
            "goals",
            _l("Mentees per year by status"),
            lambda board: goals.status_table(board.sources.people, board.k),
        ),
        Spec(
            "returning",
            "goals",
            _l("Mentees per year who had been a mentee in an earlier term (same email)"),
            lambda board: goals.returning_table(
                board.sources.people, board.sources.returning, board.k
            ),
            chart_rows=("returning",),
            rate_label=_l("Share returning"),
        ),
        Spec(
            "projects",
            "goals",
            _l("Open-source projects taking part per year (from the participants lists)"),
            lambda board: goals.project_table(board.sources.projects),
            counts_people=False,
        ),
        Spec(
            "region_goals",
            "diversity",
            _l("Intakes that gave a country: Latin America, Africa and elsewhere (UN M49)"),
            lambda board: goals.goal_region_table(board.sources.all_intakes, board.k),
        ),
        Spec(
            "intake_sources",
            "diversity",
            _l("Intakes counted, by the link they were answered on"),
            lambda board: goals.source_table(board.sources.intakes, board.k),
        ),
        *(_diversity_spec(*item) for item in DIVERSITY),
        _response_spec("followup-1y", _l("1-year follow-up: mentees asked, by term year")),
        _response_spec("followup-5y", _l("5-year follow-up: mentees asked, by term year")),
        Spec(
            "contributing",
            "outcomes",
            _l("Still contributing to any open-source project, or stopped"),
            lambda board: goals.contributing_table(board.sources.followups, board.k),
        ),
        *(_outcome_spec(*item) for item in OUTCOMES),
        *(_mentor_spec(*item) for item in MENTOR_QUESTIONS),
        Spec(
            "mentor_hours",
            "mentors",
            _l("Hours a week spent mentoring"),
            lambda board: goals.hours_table(board.sources.mentors, board.k),
        ),
    ]
}
# Charts beyond one per table: the goals table is drawn twice, against each target.
GOAL_CHARTS = ("participants", "failure")


@dataclass
class Dashboard:
    """The tables for one set of filters, each computed at most once per request."""

    filters: Filters
    k: int
    target_participants: int
    target_failure_rate: float
    locale: str
    today: date = field(default_factory=date.today)

    @cached_property
    def sources(self) -> Sources:
        # The request's Session itself, which db.session stands for.
        return Sources(db.session(), self.filters)

    @cached_property
    def _tables(self) -> dict[str, Table]:
        return {}

    @cached_property
    def _definitions(self) -> dict[str, Any]:
        return {}

    def definition(self, survey_id: str | None) -> dict[str, Any] | None:
        """The latest definition of the survey; None when there is none (or no survey)."""
        if survey_id is None:
            return None
        if survey_id not in self._definitions:
            self._definitions[survey_id] = self.sources.definition(survey_id)
        return self._definitions[survey_id]

    def table(self, name: str) -> Table:
        if name not in self._tables:
            self._tables[name] = SPECS[name].build(self)
        return self._tables[name]

    def row_labels(self, spec: Spec) -> dict[Any, str]:
        labels: dict[Any, str] = {TOTAL: _("Total"), MISSING: _("No answer")}
        labels.update(_interface_labels())
        if spec.name in ("region", "region_goals"):
            labels.update(m49_names())
            labels[PREFER_NOT_TO_SAY] = _("Prefer not to say")
            labels[goals.LATIN_AMERICA] = _("Latin America and the Caribbean")
            labels[goals.AFRICA] = _("Africa")
        elif spec.question:
            codes = goals.question_labels(self.definition(spec.survey), spec.question, self.locale)
            prefix = f"{spec.question}__"
            labels.update(codes if spec.question not in SELECT_MULTIPLE else {})
            if spec.question in SELECT_MULTIPLE:
                labels.update({prefix + code: label for code, label in codes.items()})
        return labels

    def column_labels(self, spec: Spec) -> dict[Any, str]:
        labels: dict[Any, str] = {TOTAL: _("Total"), MISSING: _("No answer")}
        labels.update(_interface_labels())
        return labels

    def labelled(self, name: str) -> Table:
        spec = SPECS[name]
        return goals.relabel(self.table(name), self.row_labels(spec), self.column_labels(spec))

    def csv(self, name: str) -> str:
        """The labelled table as CSV, every text cell (labels too) inert in a spreadsheet.

        Row labels are survey text, written by whoever uploaded the definition; the export
        bundle's rule (`exports.safety`) holds for every file staff download.
        """
        frame = self.labelled(name).to_display()
        frame.index = frame.index.map(neutralise)
        frame.columns = frame.columns.map(neutralise)
        return neutralise_frame(frame).to_csv()

    @cached_property
    def headline_year(self) -> int | None:
        """The year the headline figures are for: the chosen one, else the latest with
        mentees."""
        if self.filters.year is not None:
            return self.filters.year
        years = [y for y in self.table("participants").counts.index if y != TOTAL]
        return max(years) if years else None

    def headline(self) -> dict[str, Any]:
        table, year = self.table("participants"), self.headline_year
        rates = goals.failure_rates(table)
        participants = goals.visible(table, year, TOTAL) if year is not None else None
        return {
            "year": year,
            "participants": participants,
            "target": self.target_participants,
            "met": participants is not None and participants >= self.target_participants,
            "failure": rates.get(year),
            "last_year": rates.get(year - 1) if year is not None else None,
            "target_failure": self.target_failure_rate,
        }

    def goal_rows(self) -> list[dict[str, Any]]:
        """Per year: mentees against the target and the failure share against its target."""
        table = self.table("participants")
        rates = goals.failure_rates(table)
        return [
            {
                "year": year,
                "participants": goals.visible(table, year, TOTAL),
                "failure": rates[year],
            }
            for year in table.counts.index
            if year != TOTAL
        ]

    def rates(self, spec: Spec) -> list[tuple[str, float | None]]:
        """(column label, share of the rate row) for a table with a rate row."""
        table, labels = self.table(spec.name), self.column_labels(spec)
        if not spec.chart_rows:
            raise ValueError(f"table {spec.name!r} has no rate row")
        row = spec.chart_rows[0]
        return [
            (labels.get(column, str(column)), goals.share(table, [(row, column)], (TOTAL, column)))
            for column in table.counts.columns
        ]

    def chart_svg(self, name: str) -> str:
        if name == "participants":
            rows = self.goal_rows()
            return charts.bar_chart(
                [str(row["year"]) for row in rows],
                [row["participants"] for row in rows],
                title=_("Mentees per year"),
                value_label=_("Mentees"),
                target=self.target_participants,
                target_label=_("Target"),
                hidden_label=_("suppressed"),
            )
        if name == "failure":
            rows = self.goal_rows()
            return charts.bar_chart(
                [str(row["year"]) for row in rows],
                [row["failure"] for row in rows],
                title=_("Share of mentees who failed or withdrew"),
                value_label=_("Share"),
                target=self.target_failure_rate,
                target_label=_("Target"),
                percent=True,
                hidden_label=_("suppressed"),
            )
        if name == "projects":
            table = self.table(name)
            years = [year for year in table.counts.index if year != TOTAL]
            return charts.bar_chart(
                [str(year) for year in years],
                [int(table.counts.loc[year, goals.PROJECTS]) for year in years],
                title=_("Open-source projects taking part per year"),
                value_label=_("Projects"),
            )
        return self._share_chart(SPECS[name])

    def _share_chart(self, spec: Spec) -> str:
        """Each row's share of its column: lines across columns, or bars for one column."""
        table = self.table(spec.name)
        rows, columns = self.row_labels(spec), self.column_labels(spec)
        shares = goals.column_shares(table, spec.chart_rows)
        inner = [c for c in table.counts.columns if c != TOTAL]
        title = str(spec.title)
        if len(inner) <= 1:
            column = inner[0] if inner else None
            return charts.bar_chart(
                [rows.get(row, str(row)) for row in shares],
                [values.get(column) for values in shares.values()],
                title=title,
                value_label=_("Share"),
                percent=True,
                horizontal=True,
                hidden_label=_("suppressed"),
            )
        position = {column: i for i, column in enumerate(inner)}
        return charts.trend_chart(
            [columns.get(column, str(column)) for column in inner],
            {
                rows.get(row, str(row)): {position[c]: v for c, v in values.items()}
                for row, values in shares.items()
            },
            title=title,
            value_label=_("Share"),
        )


def _interface_labels() -> dict[str, str]:
    """Codes the dashboard itself introduces (statuses, waves, bands), in words."""
    return {
        "active": _("Active"),
        "completed": _("Completed"),
        "failed_or_withdrew": _("Failed or withdrew"),
        "answered": _("Answered"),
        "not_answered": _("Not answered"),
        "followup-1y": _("After 1 year"),
        "followup-5y": _("After 5 years"),
        "under_2": _("Under 2 hours"),
        "2_to_5": _("2 to 5 hours"),
        "5_to_10": _("5 to 10 hours"),
        "10_or_more": _("10 hours or more"),
        "personal": _("Personal links"),
        "public": _("Public link"),
        "elsewhere": _("Elsewhere"),
        "contributing": _("Still contributing"),
        "stopped": _("Stopped contributing"),
        "returning": _("Returning"),
        "first_time": _("First mentorship"),
        "projects": _("Projects"),
    }


# --- the request --------------------------------------------------------------------------


def read_filters() -> tuple[Filters, list[str]]:
    """The filters in the query string. An unknown value is ignored and named in a notice,
    so an old bookmark still shows a page, and says it is not narrowed as it asked."""
    notices = []
    year = request.args.get("year", "").strip() or None
    # isascii: "²²²²" is digits to str.isdigit, not to int().
    if year is not None and not (year.isascii() and year.isdigit() and len(year) == 4):
        notices.append(_("There is no year %(value)s; showing every year.", value=year))
        year = None
    programme = request.args.get("programme", "").strip() or None
    if programme is not None and programme not in {p.code for p in programmes()}:
        notices.append(
            _("There is no programme %(value)s; showing every programme.", value=programme)
        )
        programme = None
    term = request.args.get("term", "").strip() or None
    known = {t.id: t for t in terms()}
    term_id = int(term) if term is not None and term.isascii() and term.isdigit() else None
    if term is not None and (
        term_id not in known
        or (programme is not None and known[term_id].programme.code != programme)
    ):
        notices.append(_("There is no such term; showing every term."))
        term_id = None
    return Filters(int(year) if year else None, programme, term_id), notices


def programmes() -> list[Programme]:
    return list(db.session.scalars(select(Programme).order_by(Programme.name)))


def terms() -> list[Term]:
    return list(db.session.scalars(select(Term).join(Programme).order_by(Programme.name, Term.end)))


def dashboard_for(filters: Filters) -> Dashboard:
    config = current_app.config["PATHWAYS"]
    return Dashboard(
        filters=filters,
        k=config.dashboard_k,
        target_participants=config.target_participants,
        target_failure_rate=config.target_failure_rate,
        locale=str(get_locale() or "en"),
    )


def filter_args(filters: Filters) -> dict[str, Any]:
    args = {"year": filters.year, "programme": filters.programme, "term": filters.term}
    return {key: value for key, value in args.items() if value is not None}
