"""A participant's status (active, completed, failed, withdrawn) and the day it changed,
kept as their history (the dashboard counts the current status, in the term's year). The
caller commits."""

from __future__ import annotations

from datetime import date

from ..extensions import db
from ..models import Participant, StatusChange


def set_status(participant: Participant, status: str, on: date) -> None:
    """Change the status and record the day, for the failure and withdrawal rates."""
    participant.status = status
    participant.status_changed_on = on
    participant.status_changes.append(StatusChange(status=status, changed_on=on))


def update_status(participant: Participant, status: str, on: date) -> bool:
    """Set a new status from `on`; False, and nothing recorded, when it already is that."""
    if participant.status == status:
        return False
    set_status(participant, status, on)
    db.session.flush()
    return True
