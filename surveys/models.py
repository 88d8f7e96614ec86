"""Database models. Answers are stored as JSON keyed by question name, holding codes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class SurveyVersion(db.Model):
    """One immutable version of a survey definition, as normalised JSON."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The definition's own id, e.g. "intake"; stable across versions.
    survey_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # SHA-256 of the canonical JSON: tells a re-load of the same content from a changed one.
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    responses: Mapped[list[Response]] = relationship(back_populates="survey_version")

    @property
    def languages(self) -> list[str]:
        return self.definition["languages"]

    @property
    def code_list_versions(self) -> dict[str, int]:
        """Code list id -> version, for every versioned (demographic) list this version uses."""
        lists = self.definition.get("code_lists", {})
        return {info["id"]: info["version"] for info in lists.values()}


class Draft(db.Model):
    """Answers of a survey in progress, kept on the server so Back/Next never lose anything.

    The browser holds the draft's token in its session cookie; only its hash is stored.
    Deleted in the same transaction that stores the Response.
    """

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    # Raw form values per field name (lists of strings), as the respondent typed them.
    raw: Mapped[dict[str, list[str]]] = mapped_column(JSONType, default=dict)
    # Index of the furthest page the respondent reached; pages after it cannot be opened.
    furthest_page: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    survey_version: Mapped[SurveyVersion] = relationship()


class Response(db.Model):
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

    survey_version: Mapped[SurveyVersion] = relationship(back_populates="responses")

    @property
    def code_list_versions(self) -> dict[str, int]:
        """The code list versions its answers use, fixed by the survey version it pinned."""
        return self.survey_version.code_list_versions
