"""Database models. Answers are stored as JSON keyed by question name, holding codes."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

from . import vocabulary
from .definitions.model import Survey, survey_of
from .extensions import Model


class JSONType(TypeDecorator[Any]):
    """JSON, stored as JSONB on PostgreSQL. The same as `JSON().with_variant(JSONB(),
    "postgresql")`, which the migrations write, but PostgreSQL's dialect module (a
    thirtieth of a second) is imported only by a process that connects to PostgreSQL."""

    impl = JSON
    cache_ok = True
    # As JSON: a Python None is stored as JSON null, not taken for "no value".
    should_evaluate_none = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


# Definitions by content hash (SurveyVersion.definition); a handful are live at a time.
_DEFINITIONS: dict[str, dict[str, Any]] = {}
DEFINITIONS_CACHED = 64


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(column: str, codes: tuple[str, ...]) -> CheckConstraint:
    """A CHECK that `column` holds one of `codes`, named ck_<table>_<column>: the database
    itself refuses any other value, whichever code path (or hand-written SQL) writes it."""
    listed = ", ".join(f"'{code}'" for code in codes)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


class SurveyVersion(Model):
    """One immutable version of a survey definition, as normalised JSON."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The definition's own id, e.g. "intake"; stable across versions.
    survey_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    # The definition as stored; read `definition`, which decodes it once per process.
    # Deferred: loading a version (every survey page does) leaves the large JSON unread.
    stored_definition: Mapped[dict[str, Any]] = mapped_column("definition", JSONType, deferred=True)
    # SHA-256 of the canonical JSON: tells a re-load of the same content from a changed one.
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    responses: Mapped[list[Response]] = relationship(back_populates="survey_version")

    @property
    def definition(self) -> dict[str, Any]:
        """The normalised definition, shared by everything in this process that reads the
        same content: a version never changes, and decoding its JSON on every request was
        a tenth of a page's server time. Callers must not change it."""
        if self.content_hash is None:
            return self.stored_definition
        cached = _DEFINITIONS.get(self.content_hash)
        if cached is None:
            cached = self.stored_definition
            if len(_DEFINITIONS) >= DEFINITIONS_CACHED:
                _DEFINITIONS.clear()
            _DEFINITIONS[self.content_hash] = cached
        return cached

    @definition.setter
    def definition(self, value: dict[str, Any]) -> None:
        self.stored_definition = value

    @property
    def survey(self) -> Survey:
        """The definition read into the survey model, shared per content like `definition`."""
        return survey_of(self.definition, self.content_hash)

    @property
    def languages(self) -> list[str]:
        return self.definition["languages"]

    @property
    def code_list_versions(self) -> dict[str, int]:
        """Code list id -> version, for every versioned (demographic) list this version uses."""
        lists = self.definition.get("code_lists", {})
        return {info["id"]: info["version"] for info in lists.values()}


class Draft(Model):
    """Answers of a survey in progress, kept on the server so Back/Next never lose anything.

    The browser holds the draft's token in its session cookie; only its hash is stored.
    Deleted in the same transaction that stores the Response.
    """

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    # Set for a personal link's draft: one draft per invitation, found again from any device.
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id"), unique=True, default=None
    )
    # Raw form values per field name (lists of strings), as the respondent typed them.
    raw: Mapped[dict[str, list[str]]] = mapped_column(JSONType, default=dict)
    # Index of the furthest page the respondent reached; pages after it cannot be opened.
    furthest_page: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    survey_version: Mapped[SurveyVersion] = relationship()


class Response(Model):
    """One submitted survey: the version answered, the locale, times, and the answers."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # The draft's token hash: unique, so a repeated or concurrent submit cannot store twice.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    # intake, followup-1y, followup-5y, mentor …: which moment of a participant's path.
    wave: Mapped[str | None] = mapped_column(String(32), default=None)
    # Set when answered from a personal link: the only link between answers and a person.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id"), index=True, default=None
    )

    survey_version: Mapped[SurveyVersion] = relationship(back_populates="responses")

    @property
    def code_list_versions(self) -> dict[str, int]:
        """The code list versions its answers use, fixed by the survey version it pinned."""
        return self.survey_version.code_list_versions


# --- programmes and participants ---------------------------------------------------------

# Shared with the definition language (schedule `for:`): one list for both.
ROLES, STATUSES = vocabulary.ROLES, vocabulary.STATUSES


class Programme(Model):
    """A mentorship programme, e.g. GSoC. The four well-known ones are seeded."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    terms: Mapped[list[Term]] = relationship(back_populates="programme")


class Term(Model):
    """One round of a programme (e.g. GSoC 2025). Follow-ups count from its end."""

    __tablename__ = "terms"
    __table_args__ = (UniqueConstraint("programme_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    start: Mapped[date | None] = mapped_column(Date, default=None)
    end: Mapped[date] = mapped_column(Date)

    programme: Mapped[Programme] = relationship(back_populates="terms")


def new_public_id() -> str:
    return secrets.token_hex(16)


class Participant(Model):
    """A person taking part in one term. Holds no contact detail: that is `Contact`."""

    __tablename__ = "participants"
    __table_args__ = (one_of("role", ROLES), one_of("status", STATUSES))

    id: Mapped[int] = mapped_column(primary_key=True)
    # A random opaque id for use outside the database (never derived from the email).
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_changed_on: Mapped[date] = mapped_column(Date)
    # The language the person prefers for mail and surveys; None means "not told".
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    # The open-source project the person takes part with, as the import names it; the
    # dashboard counts the distinct projects of each year.
    project: Mapped[str | None] = mapped_column(String(200), default=None)
    consent_given_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Opting out stops every mail; withdrawing consent also keeps their answers out of
    # analyses. Either one means the person is never invited again.
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    term: Mapped[Term] = relationship()
    contact: Mapped[Contact | None] = relationship(back_populates="participant")
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="participant", order_by="StatusChange.id"
    )

    @property
    def may_be_invited(self) -> bool:
        return self.opted_out_at is None and self.consent_withdrawn_at is None


class StatusChange(Model):
    """A participant's status from a date on: their history, imported ones dated by the term."""

    __tablename__ = "status_changes"
    __table_args__ = (one_of("status", STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    changed_on: Mapped[date] = mapped_column(Date)

    participant: Mapped[Participant] = relationship(back_populates="status_changes")


class Contact(Model):
    """Name and email, in a table of their own: read only to send mail, never by exports."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    # Stored normalised (lower-case domain, as email-validator returns it).
    email: Mapped[str] = mapped_column(String(320), index=True)

    participant: Mapped[Participant] = relationship(back_populates="contact")


class Invitation(Model):
    """One participant asked to answer one survey wave: its due date, mail and answer state."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("participant_id", "survey_id", "wave"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    survey_id: Mapped[str] = mapped_column(String(64))
    wave: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    expires_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Messages the mail server refused for this invitation; after a few, it stops trying.
    send_failures: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    participant: Mapped[Participant] = relationship()


class PersonalLink(Model):
    """The hash of one `/f/<token>` token. Each message carries a fresh token (the token
    itself is never stored, so a reminder cannot repeat it); all of them stay valid until
    the invitation expires."""

    __tablename__ = "personal_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    invitation: Mapped[Invitation] = relationship()


class Erasure(Model):
    """That an erasure happened and how much it removed; never whose."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    participants: Mapped[int] = mapped_column(Integer)
    responses: Mapped[int] = mapped_column(Integer)


# --- mail texts -------------------------------------------------------------------------

MAIL_KINDS = ("invitation", "reminder")


class MailText(Model):
    """A programme's own wording of one kind of message in one language, in place of the
    built-in text. Subject and body hold `{placeholders}` (`followups/mail_texts.py`),
    checked when saved; the opt-out line is added to every message, never written here."""

    __tablename__ = "mail_texts"
    __table_args__ = (
        UniqueConstraint("programme_id", "kind", "language"),
        one_of("kind", MAIL_KINDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # A survey language tag as definitions write it ("es", "pt-BR").
    language: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    updated_by: Mapped[str] = mapped_column(String(320))

    programme: Mapped[Programme] = relationship()


# --- audit ------------------------------------------------------------------------------


class AuditEvent(Model):
    """Who did what and when: exports (with options and k achieved), erasures, sign-ins …
    Details hold options and counts, never answers or contact details."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


# --- staff ------------------------------------------------------------------------------

USER_ROLES = ("admin", "analyst")


class User(UserMixin, Model):
    """A member of staff who signs in to /admin: an admin does everything, an analyst sees
    the dashboard and downloads exports. The password is kept as a scrypt hash only."""

    __tablename__ = "users"
    __table_args__ = (one_of("role", USER_ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Stored in the session at sign-in; bumping it ends every session signed in before,
    # copies of the cookie included (sign-out, password, role, deactivation).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def get_id(self) -> str:
        """What the session keeps: "id:version", checked against the row on every request."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Every session of this user stops working at the next request (after commit)."""
        # Incremented in SQL, so two changes made at once both count.
        self.session_version = User.session_version + 1


# --- releases -----------------------------------------------------------------------------


class Release(Model):
    """The register of anonymised releases: what was released, for which purpose, with
    which generalisation, and the k and l counted on the written file. Two releases of one
    survey can be compared here before a third is made."""

    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    survey_id: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str | None] = mapped_column(String(64))
    # format, k, max_suppression, with_followups, programme, term, l
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # quasi-identifier -> level (or people per level, after local recoding)
    generalisation: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    k_achieved: Mapped[int] = mapped_column(Integer)
    l_diversity: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    records: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)


# --- background jobs ------------------------------------------------------------------------

JOB_KINDS = ("export", "followups")
JOB_STATES = ("queued", "running", "done", "failed")


class Job(Model):
    """Long work started from the admin area and run by a worker (surveys/jobs): what was
    asked, where it stands, and what came of it. Options and results hold settings and
    counts, never answers or contact details."""

    __tablename__ = "jobs"
    __table_args__ = (one_of("kind", JOB_KINDS), one_of("state", JOB_STATES))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The staff member who started it (their email, as the audit log names them).
    actor: Mapped[str] = mapped_column(String(320))
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    # Bumped by every retry: a worker writes only while its attempt is the job's, so one
    # thought dead that wakes up again cannot overwrite the retry's progress.
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    # 0 to 1, and what is being done (a step code the job page words) with its counts.
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    step: Mapped[str | None] = mapped_column(String(32))
    step_done: Mapped[int | None] = mapped_column(Integer)
    step_total: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last word from the worker: a running job silent for long has lost its worker.
    heard_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An export's bundle: its file in the bundles folder, until it expires.
    bundle_name: Mapped[str | None] = mapped_column(String(255))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Counts of what was done (a send's report), or a refusal's reason and values.
    result: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Why it failed, in one English sentence (never a traceback: that goes to the log).
    error: Mapped[str | None] = mapped_column(String(1000))
