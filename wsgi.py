"""Entry point for `flask --app wsgi` and `gunicorn wsgi:app`."""

import sys

from surveys import ConfigError, create_app

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"Pathways cannot start: {error}")
