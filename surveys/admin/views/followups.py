"""Admin pages: follow-ups — where each survey wave stands, the response rate by month of
sending, and "send now", which runs exactly what cron runs (`followups schedule` and
`followups send`), so the page and the CLI can never disagree about what is owed."""

from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import format_percent
from flask_babel import gettext as _

from ...audit_log import audit
from ...extensions import db
from ...followups.counts import monthly_rates, wave_counts
from ...followups.daily import schedule_and_send
from ...followups.sending import SendAborted, SenderBusy
from .. import bp
from ..access import admin_only


@bp.get("/followups")
@admin_only
def followups():
    today = date.today()
    config = current_app.config["PATHWAYS"]
    return render_template(
        "admin/followups.html",
        today=today,
        waves=wave_counts(today, config.mail.reminder_days),
        rates=monthly_rates(),
        can_send=config.link_base is not None,
        percent=format_percent,
    )


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
        # Commits as the daily job does: the new invitations, then each message sent.
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
