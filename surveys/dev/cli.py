"""`flask --app wsgi dev synth --responses N [--seed S]`: synthetic data to try things on."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..progress import progress_bar

dev_cli = AppGroup("dev", help="Tools for development and benchmarks.")


@dev_cli.command("synth")
@click.option("--responses", type=click.IntRange(min=1), required=True)
@click.option("--seed", type=int, default=1, show_default=True)
def synth_command(responses: int, seed: int) -> None:
    """Add synthetic programmes, mentees and mentors (with contacts and projects), intakes
    (some on the public link), follow-ups and mentors' answers."""
    from .synth import synthesise

    with progress_bar(responses, "writing") as progress:
        try:
            report = synthesise(responses, seed, progress)
        except LookupError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"added {report.participants} participants and {report.responses} responses")
