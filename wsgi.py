"""Entry point for `flask --app wsgi` and `gunicorn wsgi:app`."""

import sys

import click
from flask.cli import FlaskGroup

from surveys import ConfigError, create_app


def _loaded_for_a_command() -> bool:
    """Whether `flask` is loading the app to look up one of the app's own commands
    (`flask surveys list`, `flask db upgrade`): then the `flask` group itself is resolving
    its subcommand. Gunicorn has no click context; `flask run`, `shell` and `routes` load
    the app from inside their own command, and get every page."""
    context = click.get_current_context(silent=True)
    return context is not None and isinstance(context.command, FlaskGroup)


try:
    app = create_app(pages=not _loaded_for_a_command())
except ConfigError as error:
    sys.exit(f"Pathways cannot start: {error}")
