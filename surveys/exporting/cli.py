"""`flask --app wsgi export SURVEY … --out FILE.zip`: an anonymised bundle for research."""

from __future__ import annotations

import getpass

import click
from flask.cli import with_appcontext

from exports import FORMATS

from ..progress import progress_bar


@click.command("export")
@with_appcontext
@click.argument("survey")
@click.option("--with-followups", is_flag=True, help="Add the follow-up answers, joined by pid.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option(
    "--k",
    type=click.IntRange(min=2, max=1000),
    default=5,
    show_default=True,
    help="Every combination of quasi-identifiers covers at least k people.",
)
@click.option(
    "--max-suppression",
    type=click.FloatRange(0, 0.5),
    default=0.05,
    show_default=True,
    help="The largest share of people whose quasi-identifiers may be suppressed (k people "
    "may always be, together).",
)
@click.option(
    "--l",
    "l_diversity",
    type=click.IntRange(min=2, max=1000),
    help="Also require distinct l-diversity of every sensitive question, counted on the file.",
)
@click.option(
    "--purpose",
    default="full",
    show_default=True,
    help="What the release is for: a purpose of the purpose file (diversity, outcomes, full, …).",
)
@click.option("--programme", help="Only this programme (code, e.g. gsoc).")
@click.option("--term", help="Only this term (participants' answers from personal links).")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The zip file to write.",
)
def export_command(
    survey, with_followups, fmt, k, max_suppression, l_diversity, purpose, programme, term, out
):
    """Export SURVEY's answers, anonymised, as a zip bundle with codebook and methodology."""
    # Imported here: pandas takes a while to load, and only this command needs it.
    from exports.pipeline import Options

    from .service import ExportRefused, count_responses, run_export

    options = Options(
        k=k,
        max_suppression=max_suppression,
        with_followups=with_followups,
        programme=programme,
        term=term,
        l_diversity=l_diversity,
    )
    total = count_responses(survey, with_followups)
    with progress_bar(total, "reading responses") as progress:
        try:
            methodology = run_export(
                survey,
                options,
                fmt,
                out,
                actor=f"cli:{getpass.getuser()}",
                progress=progress,
                purpose=purpose,
            )
        except ExportRefused as error:
            raise click.ClickException(str(error)) from None
    click.echo(
        f"wrote {out}: {methodology['records']} records, k={methodology['k']} "
        f"(achieved {methodology['k_achieved']}), {methodology['records_suppressed']} "
        f"record(s) suppressed"
    )
    for column, level in methodology["generalisation"].items():
        if isinstance(level, dict):
            shares = ", ".join(f"{name} for {people}" for name, people in level.items())
            click.echo(f"  {column}: person by person: {shares} people")
        elif level != "original":
            click.echo(f"  {column}: generalised to {level}")
