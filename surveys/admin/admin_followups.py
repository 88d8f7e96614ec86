"""Admin pages: follow-ups — where each survey wave stands, the response rate by month of
sending, and "send now", which runs exactly what cron runs (`followups schedule` and
`followups send`), so the page and the CLI can never disagree about what is owed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select

from ..extensions import db
from ..followups.schedule import schedule_invitations
from ..followups.sending import Clock, SendAborted, SenderBusy, SendReport, send_due
from ..models import Invitation
from . import bp
from .access import admin_only, audit


@dataclass(frozen=True)
class WaveCounts:
    survey_id: str
    wave: str
    invitations: int
    due: int
    sent: int
    opened: int
    answered: int
    opted_out: int
    expired: int


@dataclass(frozen=True)
class MonthRate:
    month: str  # YYYY-MM of sending
    survey_id: str
    sent: int
    answered: int

    @property
    def rate(self) -> float:
        return self.answered / self.sent if self.sent else 0.0


def _count(condition):
    """COUNT of the rows meeting `condition`: the same on SQLite and PostgreSQL."""
    return func.count(case((condition, 1)))


def wave_counts(today: date) -> list[WaveCounts]:
    """Invitation states per survey and wave. "Due" means what `followups send` would send
    as a first message today (not yet sent, due, link still open); "expired" means the
    link closed without an answer."""
    rows = db.session.execute(
        select(
            Invitation.survey_id,
            Invitation.wave,
            func.count(),
            _count(
                and_(
                    Invitation.sent_at.is_(None),
                    Invitation.due_on <= today,
                    Invitation.expires_on > today,
                )
            ),
            _count(Invitation.sent_at.is_not(None)),
            _count(Invitation.opened_at.is_not(None)),
            _count(Invitation.completed_at.is_not(None)),
            _count(Invitation.opted_out_at.is_not(None)),
            _count(and_(Invitation.expires_on <= today, Invitation.completed_at.is_(None))),
        )
        .group_by(Invitation.survey_id, Invitation.wave)
        .order_by(Invitation.survey_id, Invitation.wave)
    )
    return [WaveCounts(*row) for row in rows]


def _month_of(column):
    """'YYYY-MM' of a timestamp, in SQL: SQLite and PostgreSQL spell it differently."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def monthly_rates() -> list[MonthRate]:
    """Answered / sent by month of the first message, newest month first: how quickly a
    wave's answers come in, and whether recent mailings do better or worse."""
    month = _month_of(Invitation.sent_at).label("month")
    rows = db.session.execute(
        select(
            month,
            Invitation.survey_id,
            func.count(),
            _count(Invitation.completed_at.is_not(None)),
        )
        .where(Invitation.sent_at.is_not(None))
        .group_by(month, Invitation.survey_id)
        .order_by(month.desc(), Invitation.survey_id)
    )
    return [MonthRate(*row) for row in rows]


@bp.get("/followups")
@admin_only
def followups():
    today = date.today()
    return render_template(
        "admin/followups.html",
        today=today,
        waves=wave_counts(today),
        rates=monthly_rates(),
        can_send=current_app.config["PATHWAYS"].link_base is not None,
        percent=format_percent,
    )


def schedule_and_send(today: date) -> SendReport:
    """What the daily cron job runs: create due invitations, then send what is owed."""
    schedule_invitations(today)
    db.session.commit()
    return send_due(Clock(today))


@bp.post("/followups/send")
@admin_only
def send_followups():
    if current_app.config["PATHWAYS"].link_base is None:
        flash(
            _(
                "PUBLIC_URL must be set (like https://surveys.example.org) so that the "
                "links in the messages lead to this server."
            ),
            "error",
        )
        return redirect(url_for("admin.followups"))
    try:
        report = schedule_and_send(date.today())
    except SenderBusy:
        flash(_("Another sender is running on this database; it sends what is due."), "error")
        return redirect(url_for("admin.followups"))
    except SendAborted as error:
        # What was sent before the failure is recorded; a later run sends the rest.
        flash(_("Sending stopped: %(reason)s", reason=str(error)), "error")
        return redirect(url_for("admin.followups"))
    audit(
        "follow-ups sent",
        invitations=report.sent["invitation"],
        reminders=report.sent["reminder"],
        refused=report.refused,
    )
    db.session.commit()
    flash(report.summary(), "error" if report.refused else "info")
    return redirect(url_for("admin.followups"))
