"""Admin pages: one participant's participation (each invitation's state and dates), and
the participants page's actions "send a reminder now" and "send a fresh link", for one
person or a selection — the same `remind` as `flask followups remind`.

The person's page names them by their public id only: contact details stay on the
participants list, where they were already shown. The actions are admin-only, need the
form's CSRF token, are rate limited per admin and audited by their counts.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlencode

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ...extensions import db, limiter
from ...followups.participation import participation_of
from ...followups.reminders import ReminderReport, remind
from ...followups.sending import Clock, SendAborted, SenderBusy
from ...participants.search import participant_by_id
from .. import bp
from ..access import admin_only

# Sending by hand: enough for a morning of reminding people one by one, not a mass mailing
# (which is the daily job's), nor a loop that fills the audit log.
REMIND_LIMIT = "20 per minute;200 per day"
# The participants page's query-string keys, kept when the action sends the admin back.
LIST_KEYS = ("programme", "term", "status", "role", "q", "answer", "wave", "page")
# What the selection names, at most: one page of the list.
MAX_CHOSEN = 200

OUTCOME_MESSAGES = {
    "sent": lambda n: ngettext("%(num)d message sent.", "%(num)d messages sent.", n),
    "refused": lambda n: ngettext(
        "%(num)d message refused by the mail server.",
        "%(num)d messages refused by the mail server.",
        n,
    ),
    "answered": lambda n: ngettext(
        "%(num)d invitation skipped: already answered.",
        "%(num)d invitations skipped: already answered.",
        n,
    ),
    "opted_out": lambda n: ngettext(
        "%(num)d invitation skipped: the person opted out.",
        "%(num)d invitations skipped: the people opted out.",
        n,
    ),
    "withdrawn": lambda n: ngettext(
        "%(num)d invitation skipped: consent withdrawn.",
        "%(num)d invitations skipped: consent withdrawn.",
        n,
    ),
    "bounced": lambda n: ngettext(
        "%(num)d invitation skipped: its address bounced.",
        "%(num)d invitations skipped: their addresses bounced.",
        n,
    ),
    "expired": lambda n: ngettext(
        "%(num)d invitation skipped: its link has expired; send a fresh link instead.",
        "%(num)d invitations skipped: their links have expired; send fresh links instead.",
        n,
    ),
    "sent_today": lambda n: ngettext(
        "%(num)d invitation skipped: a message went today already.",
        "%(num)d invitations skipped: a message went today already.",
        n,
    ),
    "no_address": lambda n: ngettext(
        "%(num)d invitation skipped: no contact details or no survey.",
        "%(num)d invitations skipped: no contact details or no survey.",
        n,
    ),
    "busy": lambda n: ngettext(
        "%(num)d invitation skipped: another sender is sending it.",
        "%(num)d invitations skipped: another sender is sending them.",
        n,
    ),
    "no_invitation": lambda n: ngettext(
        "%(num)d person has no invitation to remind.",
        "%(num)d people have no invitation to remind.",
        n,
    ),
    "unknown": lambda n: ngettext(
        "%(num)d person was not found.", "%(num)d people were not found.", n
    ),
}


def _per_admin() -> str:
    return f"admin:{current_user.get_id()}"


def _back() -> str:
    """Where the admin came from: one person's page, or the list with its filters."""
    person = request.form.get("person", "")
    if person.isdecimal():
        return url_for("admin.show_participant", participant_id=int(person))
    args = MultiDict(parse_qsl(request.form.get("back", ""), keep_blank_values=False))
    kept = {key: args[key] for key in LIST_KEYS if args.get(key)}
    return (
        f"{url_for('admin.participants')}?{urlencode(kept)}"
        if kept
        else url_for("admin.participants")
    )


def _wave() -> tuple[str, str] | None:
    survey_id, colon, wave = request.form.get("wave", "").partition(":")
    return (survey_id, wave) if survey_id and colon and wave else None


def _tell(report: ReminderReport) -> None:
    for outcome, number in report.counts().items():
        flash(OUTCOME_MESSAGES[outcome](number), "error" if outcome == "refused" else "info")


@bp.get("/participants/<int:participant_id>")
@admin_only
def show_participant(participant_id: int):
    participant = participant_by_id(participant_id)
    if participant is None:
        abort(404)
    today = date.today()
    return render_template(
        "admin/participant.html",
        participant=participant,
        invitations=participation_of([participant.id], today).get(participant.id, []),
        can_send=current_app.config["PATHWAYS"].link_base is not None,
        today=today,
    )


@bp.post("/participants/remind")
@admin_only
@limiter.limit(REMIND_LIMIT, key_func=_per_admin)
def remind_participants():
    """Send a reminder now, or a fresh link (`action=fresh_link`), to the chosen people."""
    back = _back()
    chosen = request.form.getlist("participant")[:MAX_CHOSEN]
    if not chosen:
        flash(_("Choose at least one person."), "error")
        return redirect(back)
    if current_app.config["PATHWAYS"].link_base is None:
        flash(
            _(
                "PUBLIC_URL must be set (like https://surveys.example.org) so that the "
                "links in the messages lead to this server."
            ),
            "error",
        )
        return redirect(back)
    try:
        report = remind(
            chosen,
            Clock(date.today()),
            fresh_link=request.form.get("action") == "fresh_link",
            wave=_wave(),
        )
    except SenderBusy:
        flash(_("Another sender is running on this database; try again in a minute."), "error")
        return redirect(back)
    except SendAborted as error:
        # What was sent before the failure is recorded, and audited.
        flash(_("Sending stopped: %(reason)s", reason=str(error)), "error")
        return redirect(back)
    db.session.commit()
    _tell(report)
    return redirect(back)
