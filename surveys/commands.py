"""The `flask` command line's table of contents: each group of commands is imported when
it runs (or when `flask --help` lists it), so a command pays for its own modules only.

Click runs a subcommand in the context its `make_context` returns: `Deferred` imports the
real command there and hands over to it, options, subcommands and help alike. This is
Click's "lazily loading subcommands" pattern, applied to the groups Flask's `app.cli`
holds.
"""

from __future__ import annotations

from functools import cached_property
from importlib import import_module
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

# Name on the command line → "module:attribute" of its click group or command.
COMMANDS = {
    "surveys": "surveys.cli:surveys_cli",
    "participants": "surveys.participants.cli:participants_cli",
    "followups": "surveys.followups.cli:followups_cli",
    "export": "surveys.exporting.cli:export_command",
    "demographics": "surveys.demographics.cli:demographics_cli",
    "dev": "surveys.dev.cli:dev_cli",
    "users": "surveys.admin.cli:users_cli",
    "jobs": "surveys.jobs.cli:jobs_cli",
    "maintenance": "surveys.maintenance:maintenance_cli",
}
MIGRATIONS = Path(__file__).parent / "migrations"


class Deferred(click.Command):
    """A command of `app.cli` whose code is imported when it is used."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name)
        self.target = target

    @cached_property
    def real(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        command: click.Command = getattr(import_module(module), attribute)
        return command

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        self.prepare(parent)
        return self.real.make_context(info_name, args, parent=parent, **extra)

    def prepare(self, parent: click.Context | None) -> None:
        """What the command needs of the app before it runs; nothing for most."""

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.real.get_short_help_str(limit)


class MigrationCommands(Deferred):
    """`flask db …`: Flask-Migrate's commands. Flask-Migrate brings alembic, a tenth of a
    second at every start of a process: bound to the app here, only `db` commands pay it,
    never the web workers or the other commands."""

    def __init__(self) -> None:
        super().__init__("db", "flask_migrate.cli:db")

    def prepare(self, parent: click.Context | None) -> None:
        from flask_migrate import Migrate

        from .extensions import db

        assert parent is not None, "a subcommand of `flask`"
        app = parent.ensure_object(ScriptInfo).load_app()
        if "migrate" not in app.extensions:
            # Batch mode: SQLite alters a table by copying it (Base names the constraints).
            Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)


# A table missing: SQLite's and PostgreSQL's (SQLSTATE 42P01) words for it.
NO_TABLE = ("no such table", "UndefinedTable", "42P01")
NOT_UPGRADED = (
    "the database has none of Pathways' tables yet (or not all of them): "
    "run `flask --app wsgi db upgrade` first"
)


@event.listens_for(Engine, "handle_error")
def _not_upgraded(context: ExceptionContext) -> None:
    """A command run on a database never upgraded says so in a sentence, not a traceback.
    Only on the command line: a page's error handler answers for itself."""
    if click.get_current_context(silent=True) is None:
        return
    error = context.original_exception
    if any(word in f"{type(error).__name__} {error}" for word in NO_TABLE):
        raise click.ClickException(NOT_UPGRADED) from error


def register(app: Flask) -> None:
    app.cli.add_command(MigrationCommands())
    for name, target in COMMANDS.items():
        app.cli.add_command(Deferred(name, target))
