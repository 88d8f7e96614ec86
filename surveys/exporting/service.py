"""Run an anonymised export: the pipeline in `exports/` over this database, the bundle,
and the audit log entry. The CLI and the admin area's export jobs (surveys/jobs) both
call `run_export`."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from exports import kanon, pipeline, purposes, refusals
from exports.bundle import NotReleased, write_bundle

from ..audit_log import audit
from ..demographics import income_groups
from ..demographics.countries import region_of_interest_hierarchy
from ..extensions import db
from ..models import Programme, Release, Response, SurveyVersion, Term
from ..survey_versions import answerable_programmes


class ExportRefused(Exception):
    """The export cannot be made safely or at all; one English sentence says why (the
    command line and the audit log show it). `reason` and `values` say it as data, for a
    page that words it in its reader's language: a reason of `exports.refusals`, or one
    of this module's, with `detail` always the English reason."""

    def __init__(self, message: str, reason: str = refusals.OTHER, **values: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values


# Reasons of this module's own, beside those of `exports.refusals`.
NO_SURVEY = "no_survey"  # values survey
NO_PROGRAMME = "no_programme"  # values programme
NO_TERM = "no_term"  # values term, programme ("": of any programme)
PURPOSE = "purpose"  # the purpose file or the purpose; detail says what, in English

# The steps of an export, as `run_export` tells its `step` callable.
READING, ANONYMISING, WRITING = "reading", "anonymising", "writing"


def count_responses(survey_id: str, with_followups: bool = False) -> int:
    """The responses an export reads (its progress counts them): the survey's, and with
    the follow-ups those of every follow-up wave, as `exports.load.definitions` picks."""
    versions = [
        version.id
        for version in db.session.scalars(
            select(SurveyVersion).options(undefer(SurveyVersion.stored_definition))
        )
        if version.survey_id == survey_id
        or (
            with_followups
            and str((version.definition.get("schedule") or {}).get("wave") or "").startswith(
                "followup"
            )
        )
    ]
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Response)
            .where(Response.survey_version_id.in_(versions))
        )
        or 0
    )


def purposes_available() -> dict[str, purposes.Purpose]:
    """The purposes of this installation's purpose file; ExportRefused when it is wrong."""
    try:
        return purposes.read(current_app.config["PATHWAYS"].export_purposes_file)
    except purposes.PurposeError as error:
        raise ExportRefused(str(error), PURPOSE, detail=str(error)) from None


def run_export(
    survey_id: str,
    options: pipeline.Options,
    fmt: str,
    out: str | BinaryIO,
    actor: str,
    progress: Callable[[int], None] = lambda n: None,
    seed: int | None = None,
    purpose: str | None = purposes.DEFAULT_PURPOSE,
    step: Callable[[str], None] = lambda name: None,
) -> dict:
    """Write the bundle to `out` once its data file is verified; return its methodology.
    Every run is audited, and every release is entered in the register.

    `progress` is told the responses read so far, `step` each step as it starts
    (READING, ANONYMISING, WRITING): plain callables, for a progress bar or a job's page."""
    details = {
        "survey": survey_id,
        "format": fmt,
        "purpose": purpose,
        "k": options.k,
        "max_suppression": options.max_suppression,
        "with_followups": options.with_followups,
        "programme": options.programme,
        "term": options.term,
        "l": options.l_diversity,
    }
    _check_subset(options)
    try:
        options = _with_context(options, purpose)
        with fewer_collections():
            # The connection goes back to the pool once read: anonymising needs none.
            step(READING)
            with db.engine.connect() as connection:
                try:
                    loaded = pipeline.load_tables(connection, survey_id, options, progress)
                except LookupError:
                    message = f"there is no survey {survey_id!r}"
                    raise ExportRefused(
                        message, NO_SURVEY, survey=survey_id, detail=message
                    ) from None
            definitions = loaded.definitions
            step(ANONYMISING)
            result = pipeline.anonymise(
                loaded.data,
                loaded.columns,
                definitions,
                options,
                seed=seed,
                entries=loaded.repeats,
            )
            del loaded  # the table as read: only the release is needed from here
        own = max((v for v, d in definitions.items() if d["id"] == survey_id), default=None)
        definition = definitions[own] if own is not None else next(iter(definitions.values()))
        title, default = definition["title"], definition["default_language"]
        step(WRITING)
        methodology = write_bundle(
            out,
            result.data,
            result.columns,
            fmt,
            result.methodology,
            title.get(default, survey_id),
            result.tables,
            l_diversity=options.l_diversity,
            repeats=result.repeats,
        )
    except (kanon.CannotAnonymise, purposes.PurposeError, NotReleased) as error:
        if isinstance(error, refusals.Refusal):
            reason, values = error.reason, error.values
        else:
            reason, values = PURPOSE, {}
        # The English sentence, and the same as data: the exports page's history words it
        # in its reader's language.
        refusal = {"reason": reason, **values}
        _audit(actor, "export refused", {**details, "reason": str(error), "refusal": refusal})
        raise ExportRefused(
            f"nothing exported: {error}", reason, **values, detail=str(error)
        ) from None
    db.session.add(
        Release(
            actor=actor,
            survey_id=survey_id,
            purpose=purpose,
            options={key: value for key, value in details.items() if key != "survey"},
            generalisation=methodology["generalisation"],
            k_achieved=methodology["k_achieved"],
            l_diversity=methodology["l_diversity"] or {},
            records=methodology["records"],
            people=methodology["people"],
        )
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


def _check_subset(options: pipeline.Options) -> None:
    """A programme or term that does not exist is a slip of the keyboard, not a subset
    nobody is in: say so, naming the ones there are. A programme is one registered (whose
    participants answered by personal link) or one a survey's respondents may name."""
    if options.programme is not None:
        registered = db.session.scalars(select(Programme.code)).all()
        codes = sorted({*registered, *answerable_programmes()})
        if options.programme not in codes:
            message = f"there is no programme {options.programme!r}" + (
                f"; the programmes are {', '.join(codes)}" if codes else ""
            )
            raise ExportRefused(message, NO_PROGRAMME, programme=options.programme, detail=message)
    if options.term is not None:
        query = select(Term.name).join(Term.programme).distinct().order_by(Term.name)
        if options.programme is not None:
            query = query.where(Programme.code == options.programme)
        names = db.session.scalars(query).all()
        if options.term not in names:
            message = f"there is no term {options.term!r}" + (
                f" of {options.programme}" if options.programme is not None else ""
            )
            if names:
                message += f"; the terms are {', '.join(names)}"
            raise ExportRefused(
                message,
                NO_TERM,
                term=options.term,
                programme=options.programme or "",
                detail=message,
            )


def known_questions() -> frozenset[str]:
    """Every question name of every loaded survey version (a repeat's questions too), and
    the columns exports make."""
    names = {"period", "programme", "country_income_group"}
    versions = db.session.scalars(
        select(SurveyVersion).options(undefer(SurveyVersion.stored_definition))
    )
    for version in versions:
        for question in version.survey.questions:
            # A repeat's questions too: a purpose may exclude one from the repeat's table.
            names.update([question.name, *(inner.name for inner in question.questions)])
    return frozenset(names)


def _with_context(options: pipeline.Options, purpose: str | None) -> pipeline.Options:
    """The options with what this installation knows: the purpose, the hierarchies beside
    the code lists' own, and the World Bank income groups."""
    changes: dict = {
        "hierarchies": {
            **options.hierarchies,
            "country": {pipeline.REGION_OF_INTEREST: region_of_interest_hierarchy()},
        },
        "known_questions": known_questions(),
    }
    if purpose is not None and options.purpose is None:
        known = purposes_available()
        if purpose not in known:
            raise purposes.PurposeError(
                f"there is no purpose {purpose!r}; choose one of {', '.join(known)}"
            )
        changes["purpose"] = known[purpose]
    if options.income_groups is None:
        groups = income_groups.latest(current_app.config["PATHWAYS"].income_groups_dir)
        if groups is not None:
            changes.update(income_groups=groups.groups, income_groups_year=groups.fiscal_year)
    return dataclasses.replace(options, **changes)


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
    audit(action, actor=actor, **details)
    db.session.commit()
