"""Keep personal-link tokens and participant searches out of access logs.

A `/f/<token>` URL is a credential: whoever reads it can answer as that person. The
participants page searches by name or email with a GET form (`q=`), so a search is a
person's name in the request line, in the Referer of the next request, and, encoded, in
the `next=` of the sign-in redirect. The development server (werkzeug) and gunicorn both
log request lines; this filter rewrites both in every record of their access loggers
before it is written anywhere.
"""

from __future__ import annotations

import logging
import re
from typing import Any

TOKEN_IN_PATH = re.compile(r"/f/[A-Za-z0-9_-]{8,}")
# `q=` at the start of a query string (gunicorn's %(q)s) or after ? or &, also encoded
# inside another parameter (%3F, %26, %3D). Its value ends at the next parameter or at the
# protocol of a request line: werkzeug logs the query decoded, spaces and quotes included.
SEARCH_IN_QUERY = re.compile(
    r"((?:^|[?&]|%3F|%26)q(?:=|%3D)).*?(?=&|%26|#|\s+HTTP/|$)", re.IGNORECASE
)
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):  # gunicorn's access log: a mapping of atoms
            # In place: gunicorn's mapping (SafeAtoms) answers "-" for an atom it lacks and
            # finds request headers whatever their case; a plain dict would not.
            for key, value in record.args.items():
                record.args[key] = redact(value)
        elif isinstance(record.args, tuple):  # werkzeug: the request line is an argument
            record.args = tuple(redact(value) for value in record.args)
        return True


def redact(value: Any) -> Any:
    """`value` with personal-link tokens and search terms replaced; non-text unchanged."""
    if not isinstance(value, str):
        return value
    return SEARCH_IN_QUERY.sub(r"\1<redacted>", TOKEN_IN_PATH.sub("/f/<token>", value))


def install() -> None:
    """Add the filter once to each access logger (create_app may run many times)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
