"""Admin pages: follow-ups — where each survey wave stands, the response rate by month of
sending, and "send now", a background job that runs exactly what cron runs (`followups schedule`
and `followups send`), so the page and the CLI can never disagree about what is owed."""

from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user

from ...followups.counts import monthly_rates, wave_counts
from ...jobs import records
from ...jobs.queue import start_job
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
    # Sent by a worker, as a job: its page shows the report when it is done.
    job_id = start_job(records.FOLLOWUPS, current_user.email, {"today": date.today().isoformat()})
    return redirect(url_for("admin.show_job", job_id=job_id), 303)
