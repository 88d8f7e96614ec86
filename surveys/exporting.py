"""Run an anonymised export: the pipeline in `exports/` over this database, the bundle,
and the audit log entry. The CLI and the admin area's download both call `run_export`."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from flask import current_app
from sqlalchemy import func, select

from exports import kanon, pipeline
from exports.bundle import write_bundle

from .demographics import income_groups
from .extensions import db
from .models import AuditEvent, Response, SurveyVersion


class ExportRefused(Exception):
    """The export cannot be made safely or at all; one sentence says why."""


def count_responses(survey_id: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Response)
        .join(SurveyVersion)
        .where(SurveyVersion.survey_id == survey_id)
    )


def run_export(
    survey_id: str,
    options: pipeline.Options,
    fmt: str,
    out: str | BinaryIO,
    actor: str,
    progress: Callable[[int], None] = lambda n: None,
    seed: int | None = None,
) -> dict:
    """Write the bundle to `out`; return its methodology. Every run is audited."""
    if options.income_groups is None:
        known = income_groups.latest(current_app.config["INCOME_GROUPS_DIR"])
        if known is not None:
            options = dataclasses.replace(
                options, income_groups=known.groups, income_groups_year=known.fiscal_year
            )
    details = {
        "survey": survey_id,
        "format": fmt,
        "k": options.k,
        "max_suppression": options.max_suppression,
        "with_followups": options.with_followups,
        "programme": options.programme,
        "term": options.term,
    }
    try:
        with fewer_collections():
            # The connection goes back to the pool once read: anonymising needs none.
            with db.engine.connect() as connection:
                data, columns, definitions = pipeline.load_table(
                    connection, survey_id, options, progress
                )
            result = pipeline.anonymise(data, columns, definitions, options, seed=seed)
    except LookupError:
        raise ExportRefused(f"there is no survey {survey_id!r}") from None
    except kanon.CannotAnonymise as error:
        _audit(actor, "export refused", {**details, "reason": str(error)})
        raise ExportRefused(
            f"nothing exported: {error}, so no generalisation can protect them"
        ) from None
    own = max((v for v, d in definitions.items() if d["id"] == survey_id), default=None)
    definition = definitions[own] if own is not None else next(iter(definitions.values()))
    title, default = definition["title"], definition["default_language"]
    methodology = result.methodology
    write_bundle(
        out,
        result.data,
        result.columns,
        fmt,
        methodology,
        title.get(default, survey_id),
        result.tables,
    )
    _audit(
        actor,
        "export",
        {
            **details,
            "k_achieved": methodology["k_achieved"],
            "records": methodology["records"],
            "records_suppressed": methodology["records_suppressed"],
        },
    )
    return methodology


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run Python's cycle collector less often while an export runs.

    An export makes millions of short-lived objects (decoded answers, cells), and the
    collector, run every 700 new objects, walked them again and again: a third of an
    export's time in the profile (bench/results.md). Reference counting still frees
    them; cycles are still collected, every 50,000 objects instead.
    """
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _audit(actor: str, action: str, details: dict) -> None:
    db.session.add(AuditEvent(actor=actor, action=action, details=details))
    db.session.commit()
