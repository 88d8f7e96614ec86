"""`flask --app wsgi demographics income-groups CLASS.xlsx --fiscal-year FY2026`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

demographics_cli = AppGroup("demographics", help="Data files behind the demographic questions.")


@demographics_cli.command("income-groups")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--fiscal-year", required=True, help="The classification's fiscal year: FY2026.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write to (default: INCOME_GROUPS_DIR).",
)
def income_groups_command(workbook: Path, fiscal_year: str, out: Path | None) -> None:
    """Turn the World Bank's CLASS.xlsx into the income-group file exports use."""
    # Imported here: it loads pandas (through the export's code list), which no other
    # command should pay for at start-up.
    from .income_groups import IncomeGroupsError, read_class_workbook, write_data_file

    try:
        income_groups = read_class_workbook(workbook, fiscal_year.strip().upper())
    except IncomeGroupsError as error:
        raise click.ClickException(str(error)) from None
    path = write_data_file(income_groups, out or current_app.config["PATHWAYS"].income_groups_dir)
    click.echo(
        f"wrote {path}: {len(income_groups.groups)} countries, "
        f"{len(income_groups.skipped)} row(s) left out"
    )
    for line in income_groups.skipped:
        click.echo(f"  left out {line}")
