"""The organisers' goals as count tables: who took part, who failed or withdrew, who they
are, who answered the follow-ups, where they are 1 and 5 years on, what mentors say, who
came back for another mentorship and how many projects took part.

Intakes count from both links: a personal link's intake belongs to its participant's term,
a public link's (/s/intake, no participant) to the year it was submitted and to the
programme its answers name; it belongs to no term, so a term filter leaves it out.

Every table comes from `exports.aggregates` (small-cell and complementary suppression),
so the dashboard hides exactly what an export's tables would. The frames are read with
one query each and no Flask; the view adds labels and the request's filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import orjson
import pandas as pd
from sqlalchemy import Select, Text, cast, select
from sqlalchemy.orm import Session

from exports.aggregates import MISSING, TOTAL, Table, count_multi, count_table
from i18n import localized

from ..definitions.schedule import duration
from ..demographics.countries import m49_names, m49_regions
from ..models import Participant, Programme, Response, SurveyVersion, Term
from ..returning import returning_mentee_ids
from ..vocabulary import PREFER_NOT_TO_SAY, STATUSES

# A mentee who failed or withdrew did not finish: the share the organisers want under 5%.
# Counted as one group: apart, each is often under k in a year and the share would hide.
NOT_FINISHED = "failed_or_withdrew"
STATUS_GROUPS = ("completed", NOT_FINISHED, "active")
FOLLOWUP_WAVES = ("followup-1y", "followup-5y")
ANSWERED = ("answered", "not_answered")
# Mentors' weekly hours in bands: an exact figure would single people out.
HOUR_BANDS = ("under_2", "2_to_5", "5_to_10", "10_or_more")
# Where an intake came from: a personal link (a participant's) or the public link.
SOURCES = ("personal", "public")
# The organisers' regions (UN M49): Latin America and the Caribbean is sub-region 419,
# Africa region 002 (Northern and Sub-Saharan); everyone else who gave a country is
# "elsewhere".
LATIN_AMERICA, AFRICA, ELSEWHERE = "m49_419", "m49_002", "elsewhere"
GOAL_REGIONS = (LATIN_AMERICA, AFRICA, ELSEWHERE)
# A follow-up's answer to still_contributing: to any project, or no longer.
CONTRIBUTING = ("contributing", "stopped")
RETURNING = ("returning", "first_time")
PROJECTS = "projects"


@dataclass(frozen=True)
class Filters:
    """What the dashboard is narrowed to; None means every one."""

    year: int | None = None
    programme: str | None = None  # a programme's code
    term: int | None = None  # a term's id


def _narrowed(query, filters: Filters, role: str):
    """`query` (which selects from Participant) joined to its term and programme, narrowed."""
    query = (
        query.join(Term, Participant.term_id == Term.id)
        .join(Programme, Term.programme_id == Programme.id)
        .where(Participant.role == role)
    )
    if filters.programme is not None:
        query = query.where(Programme.code == filters.programme)
    if filters.term is not None:
        query = query.where(Term.id == filters.term)
    return query


def participants_frame(session: Session, filters: Filters, role: str = "mentee") -> pd.DataFrame:
    """One row per participant of `role` (every year: the goals compare years)."""
    query = _narrowed(
        select(
            Participant.id,
            Participant.status,
            Participant.consent_withdrawn_at,
            Term.end,
        ),
        filters,
        role,
    )
    rows = session.execute(query).all()
    frame = _frame(rows, ["participant_id", "status", "withdrawn_at", "term_end"])
    frame["year"] = pd.Series([end.year for end in frame["term_end"]], dtype="int64")
    frame["consented"] = frame["withdrawn_at"].isna()
    return frame.drop(columns="withdrawn_at")


# The answers, read as their JSON text and decoded with orjson: at 100,000 responses the
# JSON type's own decoding (the standard library's, per row) was a third of the page.
ANSWERS_TEXT = cast(Response.answers, Text)


def _answers(text: str | None) -> dict[str, Any]:
    # JSON null or an empty object alike: no answers.
    return (orjson.loads(text) or {}) if text else {}


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    """Rows of a query as a frame. Plain tuples: given SQLAlchemy's rows, pandas probes each
    one for attributes before it copies them (a fifth of the page at 100,000)."""
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def _responses_query(filters: Filters, waves: Sequence[str], role: str, *columns: Any) -> Select:
    """Personal-link responses to `waves` of consenting people of `role`, selected."""
    return _narrowed(
        select(*columns)
        .select_from(Response)
        .join(Participant, Response.participant_id == Participant.id),
        filters,
        role,
    ).where(Response.wave.in_(list(waves)), Participant.consent_withdrawn_at.is_(None))


def answers_frame(
    session: Session, filters: Filters, waves: Sequence[str], role: str = "mentee"
) -> pd.DataFrame:
    """The latest response per participant and wave, of people who kept their consent.

    Only answers from personal links count: an anonymous response belongs to no term, so
    it could not be placed in a year, programme or term.
    """
    query = _responses_query(
        filters, waves, role,
        Response.id, Response.participant_id, Response.wave, ANSWERS_TEXT, Term.end,
    )  # fmt: skip
    rows = session.execute(query).all()
    frame = _frame(rows, ["id", "participant_id", "wave", "answers", "term_end"])
    frame = frame.sort_values("id").drop_duplicates(["participant_id", "wave"], keep="last")
    frame["answers"] = pd.Series(
        [_answers(text) for text in frame["answers"]], index=frame.index, dtype=object
    )
    frame["year"] = pd.Series(
        [end.year for end in frame["term_end"]], dtype="int64", index=frame.index
    )
    return frame.reset_index(drop=True)


def public_intakes_frame(session: Session, filters: Filters) -> pd.DataFrame:
    """Intakes answered on the public link (no participant), placed in the year they were
    submitted; narrowed to a programme by the programme their answers name. A term filter
    leaves every one of them out: nothing places them in a term."""
    columns = ["id", "participant_id", "wave", "answers", "year"]
    if filters.term is not None:
        return pd.DataFrame(columns=columns).astype({"year": "int64"})
    rows: Sequence[Any] = session.execute(
        select(Response.id, ANSWERS_TEXT, Response.submitted_at).where(
            Response.participant_id.is_(None), Response.wave == "intake"
        )
    ).all()
    decoded = ((id_, _answers(text), submitted) for id_, text, submitted in rows)
    records = [
        (id_, None, "intake", answers, submitted.year)
        for id_, answers, submitted in decoded
        if filters.programme is None or answers.get("programme") == filters.programme
    ]
    return pd.DataFrame(records, columns=columns).astype({"year": "int64"})


def all_intakes_frame(session: Session, filters: Filters) -> pd.DataFrame:
    """Every intake of the selection, every year, from both links (column `source`)."""
    personal = answers_frame(session, filters, ["intake"]).drop(columns="term_end")
    public = public_intakes_frame(session, filters)
    # Empty frames left out: pandas warns that it will stop ignoring them in a concat.
    parts = [personal.assign(source="personal"), public.assign(source="public")]
    frame = pd.concat([part for part in parts if len(part)] or parts[:1], ignore_index=True)
    frame["source"] = pd.Categorical(frame["source"], categories=list(SOURCES))
    return frame.astype({"year": "int64"})


def projects_frame(session: Session, filters: Filters) -> pd.DataFrame:
    """(year, project) of every participant, mentees and mentors, who named a project."""
    rows: list[Any] = []
    for role in ("mentee", "mentor"):
        query = _narrowed(select(Term.end, Participant.project), filters, role).where(
            Participant.project.is_not(None)
        )
        rows += session.execute(query).all()
    return pd.DataFrame(
        [(end.year, project) for end, project in rows], columns=["year", "project"]
    ).astype({"year": "int64"})


def in_year(frame: pd.DataFrame, year: int | None) -> pd.DataFrame:
    return frame if year is None else frame[frame["year"] == year]


# --- labels -------------------------------------------------------------------------------


def latest_definition(session: Session, survey_id: str) -> dict[str, Any] | None:
    return session.scalar(
        select(SurveyVersion.stored_definition)
        .where(SurveyVersion.survey_id == survey_id)
        .order_by(SurveyVersion.version.desc())
        .limit(1)
    )


def question_codes(definition: dict[str, Any] | None, question: str) -> list[str]:
    """The codes of a question's choice list, in the survey's order; [] when not asked."""
    return [choice["code"] for choice in _choices(definition, question)]


def question_labels(definition: dict[str, Any] | None, question: str, locale: str) -> dict:
    """code -> label of a question's choices in `locale` (survey text, not the catalogs)."""
    default = (definition or {}).get("default_language", "en")
    return {
        choice["code"]: localized(choice.get("label"), locale, default)
        for choice in _choices(definition, question)
    }


def _choices(definition: dict[str, Any] | None, question: str) -> list[dict]:
    if not definition:
        return []
    for page in definition.get("pages", []):
        for item in page.get("questions", []):
            if item.get("name") == question and item.get("list"):
                return definition.get("choices", {}).get(item["list"], [])
    return []


def region_codes() -> list[str]:
    """Every M49 sub-region (Latin America and the Caribbean, Sub-Saharan Africa, …), by name,
    so a region nobody comes from shows as 0 rather than disappearing."""
    names = m49_names()
    codes = {f"m49_{row['subregion_code']}" for row in m49_regions().values()}
    return sorted(codes, key=lambda code: names.get(code, code))


def region_of(country: Any) -> str | None:
    """A country of residence's M49 sub-region code; pnts stays pnts; anything else None."""
    if country == PREFER_NOT_TO_SAY:
        return PREFER_NOT_TO_SAY
    row = m49_regions().get(country) if isinstance(country, str) else None
    return f"m49_{row['subregion_code']}" if row else None


# --- answers to columns -------------------------------------------------------------------


def select_one_column(answers: pd.Series, codes: Sequence[str]) -> pd.Series:
    """A select_one answer as a categorical in the list's order; unknown codes become NA."""
    values = answers.map(lambda code: code if code in codes else None)
    return pd.Series(pd.Categorical(values, categories=list(codes)), index=answers.index)


def select_multiple_columns(
    answers: pd.Series, question: str, codes: Sequence[str]
) -> pd.DataFrame:
    """A select_multiple answer as one 0/1 column per code (`<question>__<code>`), all NA
    for a person who did not answer, as `count_multi` expects."""
    columns = {}
    for code in codes:
        columns[f"{question}__{code}"] = answers.map(
            lambda ticked, code=code: (
                float(code in ticked) if isinstance(ticked, list) and ticked else float("nan")
            )
        )
    return pd.DataFrame(columns, index=answers.index)


def goal_region(country: Any) -> str | None:
    """Latin America, Africa or elsewhere for a country code; None for no country given
    (no answer, "prefer not to say", a code the M49 file does not know)."""
    row = m49_regions().get(country) if isinstance(country, str) else None
    if row is None:
        return None
    if row["subregion_code"] == LATIN_AMERICA.removeprefix("m49_"):
        return LATIN_AMERICA
    return AFRICA if row["region_code"] == AFRICA.removeprefix("m49_") else ELSEWHERE


def contribution(ticked: Any) -> str | None:
    """A still_contributing answer as contributing (to any project) or stopped."""
    if not isinstance(ticked, list) or not ticked:
        return None
    if "same_project" in ticked or "other_projects" in ticked:
        return "contributing"
    return "stopped" if "no" in ticked else None


def hours_band(hours: Any) -> str | None:
    if not isinstance(hours, int | float) or isinstance(hours, bool):
        return None
    if hours < 2:
        return "under_2"
    if hours < 5:
        return "2_to_5"
    return "5_to_10" if hours < 10 else "10_or_more"


# --- the tables ---------------------------------------------------------------------------


def status_table(people: pd.DataFrame, k: int) -> Table:
    """Mentees per year (the totals column: participants against the target) by whether
    they completed, failed or withdrew, or are still active."""
    groups = people["status"].map(
        lambda status: NOT_FINISHED if status in ("failed", "withdrawn") else status
    )
    frame = people.assign(status=pd.Categorical(groups, categories=list(STATUS_GROUPS)))
    return count_table(frame, "year", "status", k=k)


def answer_table(
    frame: pd.DataFrame, question: str, codes: Sequence[str], by: str, k: int
) -> Table:
    """People by their answer to a select_one question (a column of `frame`), by `by`."""
    values = answer_values(frame, question)
    return count_table(
        frame.assign(**{question: select_one_column(values, codes)}), question, by, k=k
    )


def multi_table(frame: pd.DataFrame, question: str, codes: Sequence[str], by: str, k: int) -> Table:
    """People who ticked each option of a select_multiple question, by `by`."""
    values = answer_values(frame, question)
    flags = select_multiple_columns(values, question, codes)
    return count_multi(pd.concat([flags, frame[[by]]], axis=1), list(flags.columns), by, k=k)


def answer_values(frame: pd.DataFrame, question: str) -> pd.Series:
    """Each row's answer to `question` (None when not answered)."""
    return pd.Series(
        [answers.get(question) for answers in frame["answers"]], index=frame.index, dtype=object
    )


def _per_value(values: pd.Series, function: Callable[[Any], str | None]) -> pd.Series:
    """`function` of each value, computed once per distinct value (a country, a number of
    hours). A value that is neither text nor a number (a list, a boolean) is passed as None,
    which each function here answers as it would answer that value."""
    known: dict[Any, str | None] = {}

    def of(value: Any) -> str | None:
        plain = isinstance(value, str | int | float) and not isinstance(value, bool)
        key = value if plain else None
        if key not in known:
            known[key] = function(key)
        return known[key]

    return pd.Series([of(value) for value in values], index=values.index, dtype=object)


def region_table(intakes: pd.DataFrame, k: int) -> Table:
    regions = _per_value(answer_values(intakes, "country"), region_of)
    column = select_one_column(regions, [*region_codes(), PREFER_NOT_TO_SAY])
    return count_table(intakes.assign(region=column), "region", "year", k=k)


def source_table(intakes: pd.DataFrame, k: int) -> Table:
    """Intakes by the link they came from (personal, public), by year."""
    return count_table(intakes, "source", "year", k=k)


def goal_region_table(intakes: pd.DataFrame, k: int) -> Table:
    """Intakes that gave a country, by Latin America / Africa / elsewhere, by year: the
    totals row is the denominator of the regions' shares."""
    regions = _per_value(answer_values(intakes, "country"), goal_region)
    told = intakes[regions.notna()].assign(region=regions[regions.notna()])
    told = told.assign(region=pd.Categorical(told["region"], categories=list(GOAL_REGIONS)))
    return count_table(told, "region", "year", k=k)


def contributing_table(followups: pd.DataFrame, k: int) -> Table:
    """Follow-ups that answered still_contributing, by contributing or stopped, by wave."""
    answers = followups["answers"].map(
        lambda answers: contribution((answers or {}).get("still_contributing"))
    )
    told = followups[answers.notna()]
    column = pd.Categorical(answers[answers.notna()], categories=list(CONTRIBUTING))
    return count_table(told.assign(contributing=column), "contributing", "wave", k=k)


def returning_table(people: pd.DataFrame, returning: set[int], k: int) -> Table:
    """Mentees per year who had been a mentee in an earlier term (any programme), and not."""
    state = people["participant_id"].isin(returning).map({True: "returning", False: "first_time"})
    column = pd.Categorical(state, categories=list(RETURNING))
    return count_table(people.assign(returning=column), "returning", "year", k=k)


def project_table(projects: pd.DataFrame) -> Table:
    """Distinct projects per year (the totals row: distinct over every year), as a table
    with nothing hidden: a number of projects counts no person. Names compare without case
    or surrounding spaces, so "Kubernetes" and "kubernetes " are one project."""
    names = projects.assign(key=projects["project"].str.strip().str.casefold())
    per_year = names.groupby("year")["key"].nunique()
    counts = pd.DataFrame(
        {PROJECTS: [*(int(n) for n in per_year), int(names["key"].nunique())]},
        index=[*(int(year) for year in per_year.index), TOTAL],
    )
    return Table(counts=counts, suppressed=counts != counts, k=0, rows_additive=False)


def hours_table(mentors: pd.DataFrame, k: int) -> Table:
    bands = _per_value(answer_values(mentors, "hours_per_week"), hours_band)
    column = select_one_column(bands, HOUR_BANDS)
    return count_table(mentors.assign(hours=column), "hours", "year", k=k)


def response_table(
    people: pd.DataFrame, answered: Iterable[int], schedule: Mapping[str, Any], today: date, k: int
) -> Table:
    """Of the mentees a follow-up was due for by `today`, who answered it, by year.

    Due follows the survey's own schedule (its statuses, and `after` counted from the term's
    end), so the rate means what the follow-up mailing means by "asked".
    """
    after = duration(schedule.get("after", "")) if schedule.get("from") == "term_end" else None
    statuses = schedule.get("statuses") or list(STATUSES)
    due = people["consented"] & people["status"].isin(statuses)
    if after is not None:
        # Once per term end, not per person: a term's mentees share it.
        ends = people["term_end"]
        due &= ends.map({end: end + after <= today for end in set(ends)}).astype(bool)
    eligible = people[due]
    done = eligible["participant_id"].isin(set(answered))
    state = pd.Categorical(done.map({True: "answered", False: "not_answered"}), categories=ANSWERED)
    return count_table(eligible.assign(response=state), "response", "year", k=k)


# --- reading figures out of tables without revealing hidden ones --------------------------


def visible(table: Table, row: Any, column: Any) -> int | None:
    """A cell's count when it may be shown; None when hidden or absent."""
    if row not in table.counts.index or column not in table.counts.columns:
        return None
    if table.suppressed.loc[row, column]:
        return None
    return int(table.counts.loc[row, column])


def share(table: Table, numerators: Sequence[tuple[Any, Any]], denominator: tuple) -> float | None:
    """Sum of the numerator cells over the denominator cell, only when every one of them is
    shown: a rate from a hidden count would give the count away."""
    total = visible(table, *denominator)
    parts = [visible(table, *cell) for cell in numerators]
    shown = [part for part in parts if part is not None]
    if not total or len(shown) < len(parts):
        return None
    return sum(shown) / total


def answered_share(table: Table, row: Any, column: Any) -> float | None:
    """A row's share of the people in `column` who answered (the total less the MISSING
    row), only when every count behind it is shown."""
    missing = [(MISSING, column)] if MISSING in table.counts.index else []
    total, part = visible(table, TOTAL, column), visible(table, row, column)
    gaps = [visible(table, *cell) for cell in missing]
    if total is None or part is None or None in gaps:
        return None
    answered = total - sum(gap for gap in gaps if gap is not None)
    return part / answered if answered else None


def failure_rates(table: Table) -> dict[Any, float | None]:
    """Per year: the share of mentees who failed or withdrew, or None when not showable."""
    return {
        year: share(table, [(year, NOT_FINISHED)], (year, TOTAL))
        for year in table.counts.index
        if year != TOTAL
    }


def column_shares(table: Table, rows: Sequence[Any] | None = None) -> dict[Any, dict[Any, float]]:
    """row -> {column: share of the column's people}, leaving out every share that is not
    showable (the chart then draws nothing there)."""
    rows = [r for r in table.counts.index if r != TOTAL] if rows is None else rows
    columns = [c for c in table.counts.columns if c != TOTAL]
    shares: dict[Any, dict[Any, float]] = {}
    for row in rows:
        values = {}
        for column in columns:
            value = share(table, [(row, column)], (TOTAL, column))
            if value is not None:
                values[column] = value
        shares[row] = values
    return shares


def relabel(table: Table, rows: Mapping[Any, str], columns: Mapping[Any, str]) -> Table:
    """The same table with row and column labels replaced (codes -> words), for display."""

    def rename(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.rename(index=lambda r: rows.get(r, r), columns=lambda c: columns.get(c, c))

    return Table(
        counts=rename(table.counts),
        suppressed=rename(table.suppressed),
        k=table.k,
        rows_additive=table.rows_additive,
    )


def has_people(table: Table) -> bool:
    """Whether the table counts anyone at all (its grand total, hidden or not, is non-zero)."""
    return bool(table.counts.iloc[-1, -1])


@dataclass
class Sources:
    """The frames the tables are computed from, each read at most once, only when needed."""

    session: Session
    filters: Filters

    @cached_property
    def people(self) -> pd.DataFrame:
        return participants_frame(self.session, self.filters)

    @cached_property
    def all_intakes(self) -> pd.DataFrame:
        """Both links' intakes, every year (the goal cards compare a year with the last)."""
        return all_intakes_frame(self.session, self.filters)

    @cached_property
    def intakes(self) -> pd.DataFrame:
        return in_year(self.all_intakes, self.filters.year)

    @cached_property
    def returning(self) -> set[int]:
        return returning_mentee_ids(self.session)

    @cached_property
    def projects(self) -> pd.DataFrame:
        return projects_frame(self.session, self.filters)

    @cached_property
    def followups(self) -> pd.DataFrame:
        frame = answers_frame(self.session, self.filters, FOLLOWUP_WAVES)
        frame["wave"] = pd.Categorical(frame["wave"], categories=list(FOLLOWUP_WAVES))
        return in_year(frame, self.filters.year)

    @cached_property
    def mentors(self) -> pd.DataFrame:
        frame = answers_frame(self.session, self.filters, ["mentor"], role="mentor")
        return in_year(frame, self.filters.year)

    def answered(self, wave: str) -> set[int]:
        """Who answered `wave` (the same people as `answers_frame` holds, answers unread)."""
        query = _responses_query(self.filters, [wave], "mentee", Response.participant_id)
        return set(self.session.scalars(query.distinct()))

    def definition(self, survey_id: str) -> dict[str, Any] | None:
        return latest_definition(self.session, survey_id)
