"""What the pages call a job's kind, state and step, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from . import records

KINDS = {records.EXPORT: _l("Export"), records.FOLLOWUPS: _l("Send of the follow-ups")}
STATES = {
    records.QUEUED: _l("Waiting for a worker"),
    records.RUNNING: _l("Running"),
    records.DONE: _l("Done"),
    records.FAILED: _l("Failed"),
}
STEPS = {
    "reading": _l("Reading the responses"),
    "anonymising": _l("Anonymising"),
    "writing": _l("Writing and checking the bundle"),
    "sending": _l("Sending the invitations and reminders"),
}
