"""Command line: `flask --app wsgi surveys validate|load|import|translations|list`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .definitions import definition_files, read_definition
from .definitions.model import Survey, read_survey
from .definitions.question_types import NUMBER_TYPES
from .definitions.translations import completeness
from .extensions import db
from .survey_versions import VersionConflict, latest_version, store_definition, summaries

surveys_cli = AppGroup("surveys", help="Validate, load and list survey definitions.")


def _read_all(paths: tuple[str, ...], strict: bool) -> tuple[list[tuple[str, dict]], int]:
    """Read every file; print each problem on its own line; return definitions and problem count."""
    files = definition_files(paths or [current_app.config["PATHWAYS"].surveys_dir])
    if not files:
        click.echo("no definition files found", err=True)
        return [], 1
    definitions, problems = [], 0
    for path in files:
        definition, found = read_definition(path, strict=strict)
        for problem in found:
            click.echo(str(problem), err=True)
        problems += len(found)
        if definition is not None:
            definitions.append((str(path), definition))
    return definitions, problems


def unbinned_numbers(survey: Survey) -> list[str]:
    """Number questions that exports leave out, for want of bins."""
    return [
        q.name
        for q in survey.questions
        if q.type in NUMBER_TYPES and not q.bins and q.export != "never"
    ]


def _summary(survey: Survey) -> str:
    # A repeat's questions count once each, like any other.
    questions = sum(1 + len(q.questions) for page in survey.pages for q in page.questions)
    return (
        f"{survey.id} version {survey.version}: {len(survey.pages)} pages, {questions} "
        f"questions, languages {', '.join(survey.languages)}"
    )


@surveys_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--strict", is_flag=True, help="Also fail on missing translations.")
def validate_command(paths: tuple[str, ...], strict: bool) -> None:
    """Check definition files (or folders of them) and name every problem with its place."""
    definitions, problems = _read_all(paths, strict)
    if problems:
        raise SystemExit(1)
    for path, definition in definitions:
        survey = read_survey(definition)
        for question in unbinned_numbers(survey):
            click.echo(
                f"warning: {path}: question {question!r}: a number without bins is left out "
                "of anonymised exports; add bins: [lower edges] to export it",
                err=True,
            )
        for row in completeness(definition):
            if row.missing:
                # As pyxform does: the survey works, shown in the default language there.
                click.echo(
                    f"warning: {path}: {len(row.missing)} of {row.total} texts have no "
                    f"{row.language!r} translation and show in {survey.default_language!r}; "
                    f"`surveys translations --missing {path}` lists them",
                    err=True,
                )
        click.echo(f"ok: {_summary(survey)}")


@surveys_cli.command("load")
@click.argument("paths", nargs=-1, type=click.Path())
def load_command(paths: tuple[str, ...]) -> None:
    """Validate, then store each definition as an immutable (id, version).

    With no PATH, loads the definitions in SURVEYS_DIR. If any file has a problem,
    nothing is loaded.
    """
    definitions, problems = _read_all(paths, strict=False)
    if problems:
        click.echo("nothing loaded", err=True)
        raise SystemExit(1)
    lines = []
    try:
        for _path, definition in definitions:
            stored, created = store_definition(definition)
            state = "loaded" if created else "unchanged"
            lines.append(f"{state}: {stored.survey_id} version {stored.version}")
        db.session.commit()
    except VersionConflict as conflict:
        db.session.rollback()
        click.echo(f"error: {conflict}", err=True)
        click.echo("nothing loaded", err=True)
        raise SystemExit(1) from None
    for line in lines:
        click.echo(line)


@surveys_cli.command("import")
@click.argument("form", type=click.Path())
@click.option("--id", "survey_id", help="The survey id (default: form_id, else the file name).")
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Write the YAML here instead of to stdout."
)
@click.option(
    "--skip-unsupported", is_flag=True, help="Leave out what Pathways cannot do, with a warning."
)
def import_command(form: str, survey_id: str | None, out: str | None, skip_unsupported: bool):
    """Convert an XLSForm (.xlsx or .xls) into a definition, checked by the validator."""
    from .definitions.xlsform import import_xlsform

    result = import_xlsform(form, survey_id=survey_id, skip_unsupported=skip_unsupported)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in result.problems:
        click.echo(str(problem), err=True)
    if result.problems or result.yaml_text is None or result.definition is None:
        raise SystemExit(1)
    if out is None:
        click.echo(result.yaml_text, nl=False)
        return
    try:
        with open(out, "w", encoding="utf-8") as file:
            file.write(result.yaml_text)
    except OSError as error:
        click.echo(f"{out}: cannot write the file: {error.strerror}", err=True)
        raise SystemExit(1) from None
    click.echo(f"written: {out}: {_summary(read_survey(result.definition))}")


@surveys_cli.command("translations")
@click.argument("survey")
@click.option("--missing", is_flag=True, help="Also list every missing text.")
def translations_command(survey: str, missing: bool) -> None:
    """Print how complete each language of SURVEY is (a loaded survey's id, or a file)."""
    if Path(survey).is_file():
        definition, problems = read_definition(survey)
        for problem in problems:
            click.echo(str(problem), err=True)
        if definition is None:
            raise SystemExit(1)
    else:
        stored = latest_version(survey)
        if stored is None:
            click.echo(f"no survey {survey!r} is loaded (and no such file)", err=True)
            raise SystemExit(1)
        definition = stored.definition
    click.echo(f"{definition['id']} version {definition['version']}")
    for row in completeness(definition):
        default = " (default)" if row.language == definition["default_language"] else ""
        click.echo(
            f"  {row.language:<6} {row.percent:5.1f}%  {row.translated}/{row.total}{default}"
        )
        if missing:
            for place in row.missing:
                click.echo(f"         missing: {place}")


@surveys_cli.command("list")
def list_command() -> None:
    """Print id, version, title, languages and submitted responses of every version."""
    rows = summaries()
    if not rows:
        click.echo("no surveys loaded; run: flask --app wsgi surveys load")
        return
    header = ("id", "version", "title", "languages", "responses")
    table = [header] + [
        (r.survey_id, str(r.version), r.title, ",".join(r.languages), str(r.responses))
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())
