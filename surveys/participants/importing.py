"""Import participants from a CSV file: columns email (required), name, role, language,
status, status_date, project.

Every bad row is reported with its line and reason and left out; the good rows are
imported. Re-importing the same file changes nothing. Reasons never repeat the row's
contents, so a report can be shared.

A status is dated by the term, not by the day of the import (`status_day`), so last
year's mentees count in last year: joining (active) on the term's first day, a final
status (completed, failed, withdrawn) on its last, never after the day of the import; a
row's status_date, when given, is the day its status began.

The report also names the rows of mentees who were already a mentee in another programme
or term (the same email), by line and term, never by address.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from ..extensions import db
from ..models import ROLES, STATUSES, Contact, Participant, Programme, StatusChange, Term
from ..returning import MENTEE, other_mentee_terms
from .programmes import add_programme, programme_called, term_named
from .status import set_status

COLUMNS = ("email", "name", "role", "language", "status", "status_date", "project")
# The status a participant has while taking part; the others end a term.
JOINED = "active"
MAX_NAME = 200
MAX_PROJECT = 200
# RFC 5321 4.5.3.1.1, counted in UTF-8 as an SMTPUTF8 server counts it. email-validator lets
# longer local parts through unless strict (and then counts characters); many servers refuse
# them, so such a row would only ever fail at send time.
MAX_LOCAL_PART_BYTES = 64


class ImportRefused(Exception):
    """The whole file or its programme/term cannot be used; one sentence says why."""


@dataclass
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ReturningRow:
    """A row whose mentee was already a mentee in other terms ("Programme – term")."""

    line: int
    terms: list[str]

    def __str__(self) -> str:
        return f"line {self.line}: already a mentee in {', '.join(self.terms)}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    returning: list[ReturningRow] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.created} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.problems)} bad row(s) left out"
        )


@dataclass
class Row:
    line: int
    email: str
    name: str | None
    role: str
    language: str | None
    status: str
    status_date: date | None = None
    project: str | None = None


def normalise_email(text: str) -> str:
    """The address as stored and compared: email-validator's normal form, lower-cased."""
    return validate_email(text.strip(), check_deliverability=False).normalized.lower()


def _language(text: str) -> str:
    """A Babel locale code (pt-BR -> pt_BR); raises ValueError when Babel does not know it."""
    try:
        return str(Locale.parse(text.strip().replace("-", "_")))
    except (ValueError, TypeError, UnknownLocaleError):
        raise ValueError(text) from None


def read_rows(data: bytes, today: date | None = None) -> tuple[list[Row], list[RowProblem]]:
    """Parse and check the CSV; raise ImportRefused when the file as a whole cannot be used.
    A status_date after `today` is a bad row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            "the file is not UTF-8 text; save it from your spreadsheet as 'CSV UTF-8'"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise ImportRefused("the file is empty; the first line must name the columns")
    header = [(name or "").strip().lower() for name in reader.fieldnames]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise ImportRefused(
            f"unknown column(s) {', '.join(repr(n) for n in unknown)}; "
            f"the columns are {', '.join(COLUMNS)}"
        )
    if "email" not in header:
        raise ImportRefused("the email column is missing")
    if len(set(header)) != len(header):
        raise ImportRefused("a column is named twice")
    reader.fieldnames = header

    rows: list[Row] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}  # email -> the line it was first on
    try:
        for record in reader:
            # The line the row ends on: its only line, unless a quoted value spans lines.
            row_line = reader.line_num
            values = {k: (v or "").strip() for k, v in record.items() if k is not None}
            if None in record:
                problems.append(RowProblem(row_line, "more values than columns"))
                continue
            if not any(values.values()):
                continue  # blank lines are not rows
            problem, row = _check(row_line, values, today)
            if row is not None and row.email in seen:
                problem, row = f"the same email as line {seen[row.email]}", None
            if row is None:
                problems.append(RowProblem(row_line, problem))
                continue
            seen[row.email] = row_line
            rows.append(row)
    except csv.Error as error:
        raise ImportRefused(f"line {reader.line_num}: not valid CSV ({error})") from None
    return rows, problems


def _check(line: int, values: dict[str, str], today: date | None) -> tuple[str, Row | None]:
    if not values.get("email"):
        return "the email is missing", None
    try:
        email = normalise_email(values["email"])
    except EmailNotValidError:
        return "the email is not a valid address", None
    if len(email.rpartition("@")[0].encode()) > MAX_LOCAL_PART_BYTES:
        return f"the email has more than {MAX_LOCAL_PART_BYTES} bytes before the @", None
    role = values.get("role", "").lower() or "mentee"
    if role not in ROLES:
        return f"role must be one of {', '.join(ROLES)}", None
    status = values.get("status", "").lower() or "active"
    if status not in STATUSES:
        return f"status must be one of {', '.join(STATUSES)}", None
    language = None
    if values.get("language"):
        try:
            language = _language(values["language"])
        except ValueError:
            return "the language is not a language code like es, pt-BR or sw", None
    name = re.sub(r"\s+", " ", values.get("name", "")) or None
    if name and len(name) > MAX_NAME:
        return f"the name is longer than {MAX_NAME} characters", None
    status_date = None
    if values.get("status_date"):
        try:
            status_date = date.fromisoformat(values["status_date"])
        except ValueError:
            return "the status_date is not a date like 2025-09-01", None
        if today is not None and status_date > today:
            return "the status_date is after the day of the import", None
    project = re.sub(r"\s+", " ", values.get("project", "")) or None
    if project and len(project) > MAX_PROJECT:
        return f"the project is longer than {MAX_PROJECT} characters", None
    return "", Row(line, email, name, role, language, status, status_date, project)


# --- programme and term ---------------------------------------------------------------


def find_or_create_programme(text: str) -> Programme:
    """By code or name, ignoring case; a new programme gets a code made from the name."""
    wanted = text.strip()
    if not wanted:
        raise ImportRefused("the programme is missing")
    programme = programme_called(wanted)
    if programme is None:
        code = re.sub(r"[^a-z0-9]+", "-", wanted.lower()).strip("-")[:64] or "programme"
        taken = db.session.scalar(select(Programme).where(Programme.code == code))
        if taken is not None:
            raise ImportRefused(
                f"a new programme {wanted!r} would get the code {code!r}, which "
                f"{taken.name!r} has already; use that code, or another name"
            )
        programme = add_programme(code, wanted[:200])
    return programme


def find_or_create_term(programme: Programme, name: str, end: date, start: date | None) -> Term:
    name = name.strip()
    if not name:
        raise ImportRefused("the term is missing")
    if start is not None and start >= end:
        raise ImportRefused("the term must start before it ends")
    term = term_named(programme.id, name)
    if term is None:
        term = Term(programme=programme, name=name[:100], start=start, end=end)
        db.session.add(term)
        db.session.flush()
        return term
    # Follow-ups count from the end: a different end is a mistake to fix, not to apply.
    if term.end != end:
        raise ImportRefused(
            f"term {name!r} of {programme.name} ends on {term.end.isoformat()}, "
            f"not {end.isoformat()}"
        )
    if start is not None and term.start is None:
        term.start = start
    return term


# --- the import -----------------------------------------------------------------------


def import_participants(
    data: bytes,
    programme: str,
    term: str,
    term_end: date,
    today: date,
    term_start: date | None = None,
) -> ImportReport:
    """Import the good rows into the session (the caller commits); report every bad one."""
    rows, problems = read_rows(data, today)
    report = ImportReport(problems=problems)
    the_term = find_or_create_term(find_or_create_programme(programme), term, term_end, term_start)
    existing = {
        contact.email: contact
        for contact in db.session.scalars(
            select(Contact)
            .join(Participant, Contact.participant_id == Participant.id)
            .where(Participant.term_id == the_term.id)
        )
    }
    for row in rows:
        contact = existing.get(row.email)
        if contact is None:
            _create(the_term, row, today)
            report.created += 1
        elif _update(contact, row, today):
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    report.returning = _returning_rows(the_term, rows)
    return report


def _returning_rows(term: Term, rows: list[Row]) -> list[ReturningRow]:
    """The rows of this term's mentees who were a mentee in another programme or term."""
    lines = {row.email: row.line for row in rows if row.role == MENTEE}
    ids = dict(
        db.session.execute(
            select(Participant.id, Contact.email)
            .join(Contact, Contact.participant_id == Participant.id)
            .where(Participant.term_id == term.id, Contact.email.in_(list(lines)))
        ).all()
    )
    others = other_mentee_terms(db.session(), list(ids))
    return sorted(
        (
            ReturningRow(lines[ids[pid]], [f"{t.programme.name} – {t.name}" for t in terms])
            for pid, terms in others.items()
        ),
        key=lambda returning: returning.line,
    )


def status_day(term: Term, status: str, today: date) -> date:
    """The day an imported status began, as the term tells it: joining (active) on the
    term's first day (a term without one: its last), a final status on its last. Never
    after `today`: what the import records of a term under way has happened by today."""
    day = (term.start or term.end) if status == JOINED else term.end
    return min(day, today)


def _create(term: Term, row: Row, today: date) -> None:
    """A new participant, who joined the term and, with a final status, then left it."""
    if row.status == JOINED:
        joined, left = row.status_date or status_day(term, JOINED, today), None
    else:
        left = row.status_date or status_day(term, row.status, today)
        joined = min(status_day(term, JOINED, today), left)
    participant = Participant(
        term=term,
        role=row.role,
        status=JOINED,
        status_changed_on=joined,
        language=row.language,
        project=row.project,
    )
    participant.contact = Contact(name=row.name, email=row.email)
    participant.status_changes.append(StatusChange(status=JOINED, changed_on=joined))
    if left is not None:
        set_status(participant, row.status, left)
    db.session.add(participant)


def _update(contact: Contact, row: Row, today: date) -> bool:
    """Bring the participant whose contact this is up to date with the row. A changed
    status is dated as a new one is, and never before the status it follows."""
    participant = contact.participant
    changed = False
    if participant.status != row.status:
        day = row.status_date or max(
            status_day(participant.term, row.status, today), participant.status_changed_on
        )
        set_status(participant, row.status, day)
        changed = True
    for attribute, value in (
        ("role", row.role),
        ("language", row.language),
        ("project", row.project),
    ):
        if getattr(participant, attribute) != value:
            setattr(participant, attribute, value)
            changed = True
    if contact.name != row.name:
        contact.name = row.name
        changed = True
    return changed
