"""Keep personal-link tokens out of access logs.

A `/f/<token>` URL is a credential: whoever reads it can answer as that person. The
development server (werkzeug) and gunicorn both log request lines; this filter rewrites
the token in every record of their access loggers before it is written anywhere.
"""

from __future__ import annotations

import logging
import re

TOKEN_IN_PATH = re.compile(r"/f/[A-Za-z0-9_-]{8,}")
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = TOKEN_IN_PATH.sub("/f/<token>", record.msg)
        if isinstance(record.args, dict):  # gunicorn's access log: a mapping of atoms
            record.args = {key: _redact(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):  # werkzeug: the request line is an argument
            record.args = tuple(_redact(value) for value in record.args)
        return True


def _redact(value):
    return TOKEN_IN_PATH.sub("/f/<token>", value) if isinstance(value, str) else value


def install() -> None:
    """Add the filter once to each access logger (create_app may run many times)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
