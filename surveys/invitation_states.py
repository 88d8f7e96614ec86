"""What state a follow-up invitation is in on a given day: due, sent, opened, answered,
opted out, bounced or expired.

One rule, written twice side by side: `state_of` in Python (for the participation page,
the `followups participation` command and the reminders, which skip by it) and
`state_column` in SQL (for the participants page's filters and counts, which cannot load
every invitation). A test derives both over the same rows and holds them equal.

The first that applies wins, so every invitation has exactly one state:
answered; opted out (the invitation or the person: stopped mail or withdrew consent);
bounced (the mail server refused its messages `MAX_SEND_FAILURES` times, so the sender
gave up); expired (the link closed without an answer); opened; sent; due (not sent yet).
Below the services (.importlinter), so that the participants' search and the follow-ups
read the same rule.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from sqlalchemy import case, or_
from sqlalchemy.sql.elements import Case

from .models import Invitation, Participant

State = Literal["due", "sent", "opened", "answered", "opted_out", "bounced", "expired"]
# In the order a reader meets them, for tables and menus.
STATES: tuple[State, ...] = (
    "due",
    "sent",
    "opened",
    "answered",
    "opted_out",
    "bounced",
    "expired",
)
# "Has not answered": asked (or about to be) and no answer, though still reachable by
# mail. Opted-out and bounced people are left out: no reminder can reach them.
NOT_ANSWERED: tuple[State, ...] = ("due", "sent", "opened", "expired")

# After this many failed messages, the invitation is left alone (and counted as bounced).
MAX_SEND_FAILURES = 3


def state_of(invitation: Invitation, today: date) -> State:
    """The invitation's state on `today` (its participant is read for the opt-outs)."""
    participant = invitation.participant
    if invitation.completed_at is not None:
        return "answered"
    if (
        invitation.opted_out_at is not None
        or participant.opted_out_at is not None
        or participant.consent_withdrawn_at is not None
    ):
        return "opted_out"
    if invitation.send_failures >= MAX_SEND_FAILURES:
        return "bounced"
    if invitation.expires_on <= today:
        return "expired"
    if invitation.opened_at is not None:
        return "opened"
    if invitation.sent_at is not None:
        return "sent"
    return "due"


def state_column(today: date) -> Case:
    """`state_of` as an SQL expression over `Invitation` and its `Participant`, which the
    query must join (or correlate)."""
    return case(
        (Invitation.completed_at.is_not(None), "answered"),
        (
            or_(
                Invitation.opted_out_at.is_not(None),
                Participant.opted_out_at.is_not(None),
                Participant.consent_withdrawn_at.is_not(None),
            ),
            "opted_out",
        ),
        (Invitation.send_failures >= MAX_SEND_FAILURES, "bounced"),
        (Invitation.expires_on <= today, "expired"),
        (Invitation.opened_at.is_not(None), "opened"),
        (Invitation.sent_at.is_not(None), "sent"),
        else_="due",
    )
