"""What a worker does with a job: claim it, run the same service code the CLI runs
(`run_export` for an export, `schedule_and_send` for a send), and record how it ended.

Runs inside an app context (the worker's). A job that fails records one English sentence
and, where the page can word it in its reader's language, the reason as data; the
traceback goes to the worker's log only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from ..audit_log import audit
from ..extensions import db
from ..models import Job, utcnow
from . import bundles, records

log = logging.getLogger(__name__)

# Where each step of an export starts on the job's progress bar: reading the responses
# takes about 0.4 of an export's time, anonymising as much, writing and checking the rest
# (bench/results.md).
EXPORT_STEPS = {"reading": 0.0, "anonymising": 0.4, "writing": 0.8}
SENDING = "sending"


class JobFailed(Exception):
    """The job cannot be done; `str` is one English sentence, `result` the reason as data."""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


def run_job(job_id: int, attempt: int) -> None:
    """Run one attempt of a job, unless another attempt has it (or it is gone)."""
    job = records.claim(job_id, attempt)
    if job is None:
        log.info("job %s attempt %s is not this worker's to run", job_id, attempt)
        return
    try:
        result = RUNNERS[job.kind](job, attempt)
    except JobFailed as failure:
        db.session.rollback()
        records.fail(job_id, attempt, str(failure), _plain(failure.result))
    except Exception as error:  # noqa: BLE001 - whatever went wrong, the job says it failed
        log.exception("job %s (%s) failed", job_id, job.kind)
        db.session.rollback()
        first_line = (str(error).splitlines() or [""])[0]
        records.fail(job_id, attempt, f"{type(error).__name__}: {first_line}"[:300])
    else:
        records.finish(job_id, attempt, **result)
    db.session.commit()


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Values as JSON holds them (counts come from pandas as NumPy numbers)."""
    return json.loads(json.dumps(values, default=_number))


def _number(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else str(value)


def run_export_job(job: Job, attempt: int) -> dict[str, Any]:
    # Imported here: pandas takes a while to load, and only an export needs it.
    from exports.pipeline import Options

    from ..exporting.service import ExportRefused, count_responses, run_export

    asked = job.options
    options = Options(
        k=asked["k"],
        max_suppression=asked["max_suppression"],
        with_followups=asked.get("with_followups", False),
        programme=asked.get("programme"),
        term=asked.get("term"),
        l_diversity=asked.get("l"),
    )
    job_id = job.id
    total = count_responses(asked["survey"], options.with_followups)

    def step(name: str) -> None:
        records.note_progress(job_id, attempt, EXPORT_STEPS[name], name, 0, total)

    def reading(rows: int) -> None:
        share = EXPORT_STEPS["anonymising"] * rows / max(total, 1)
        records.note_progress(job_id, attempt, share, "reading", rows, total)

    partial = bundles.partial_path(job_id, attempt)
    try:
        with partial.open("wb") as out:
            methodology = run_export(
                asked["survey"],
                options,
                asked["format"],
                out,
                actor=job.actor,
                progress=reading,
                step=step,
                purpose=asked.get("purpose"),
            )
    except ExportRefused as refusal:
        partial.unlink(missing_ok=True)
        why = {"reason": refusal.reason, "values": refusal.values}
        raise JobFailed(str(refusal), why) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finished = utcnow()
    name = bundles.bundle_name(job_id, asked["survey"], finished.date().isoformat())
    bundles.keep(partial, name)
    return {
        "bundle_name": name,
        "finished_at": finished,
        "expires_at": bundles.expiry(finished),
        "result": _plain(
            {
                "records": methodology["records"],
                "k_achieved": methodology["k_achieved"],
                "records_suppressed": methodology["records_suppressed"],
            }
        ),
    }


def run_send_job(job: Job, attempt: int) -> dict[str, Any]:
    from ..followups.daily import schedule_and_send
    from ..followups.sending import SendAborted, SenderBusy

    records.note_progress(job.id, attempt, 0.0, SENDING)
    actor, today = job.actor, date.fromisoformat(job.options["today"])
    try:
        # Commits as the daily job does: the new invitations, then each message sent.
        report = schedule_and_send(today)
    except SenderBusy:
        raise JobFailed("another sender is running on this database", {"problem": "busy"}) from None
    except SendAborted as error:
        # What was sent before the failure is recorded; a later run sends the rest.
        raise JobFailed(str(error), {"problem": "aborted", "reason": str(error)}) from None
    audit(
        "follow-ups sent",
        actor=actor,
        invitations=report.sent["invitation"],
        reminders=report.sent["reminder"],
        refused=report.refused,
    )
    return {
        "result": {
            "invitations": report.sent["invitation"],
            "reminders": report.sent["reminder"],
            "refused": report.refused,
            "given_up": report.given_up,
            "summary": report.summary(),
        }
    }


RUNNERS: dict[str, Callable[[Job, int], dict[str, Any]]] = {
    records.EXPORT: run_export_job,
    records.FOLLOWUPS: run_send_job,
}
