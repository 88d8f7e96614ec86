"""The daily job as one call, for "send now" on the admin page: exactly what cron runs as
`followups schedule` then `followups send`."""

from __future__ import annotations

from datetime import date

from ..extensions import db
from .schedule import schedule_invitations
from .sending import Clock, SendReport, send_due


def schedule_and_send(today: date) -> SendReport:
    """Create the invitations due today, then send what is owed. Commits: the new
    invitations first, then each message in its own transaction, as `send_due` must (a
    message handed to the mail server is recorded even if a later one fails). Raises
    SendAborted and SenderBusy as `send_due` does."""
    schedule_invitations(today)
    db.session.commit()
    return send_due(Clock(today))
