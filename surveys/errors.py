"""Error pages: a plain message in the page's language, never a traceback.

Input no page of ours can send is refused here, before any view reads it: a query string
or form body that is not UTF-8 is a 400 (Werkzeug would otherwise keep the bytes as a
literal "%FF", or drop the whole form), and an address with control characters is a 404
(PostgreSQL refuses NUL in text, so looking it up would fail).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)

CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f]")
FORM_BODY = "application/x-www-form-urlencoded"


def _is_utf8(encoded: bytes) -> bool:
    """Whether a query string or urlencoded body decodes to UTF-8 once unquoted."""
    try:
        unquote_to_bytes(encoded.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def refuse_unreadable_input() -> None:
    """Abort with 404 or 400 on an address or form no page of ours can produce."""
    if CONTROL_CHARACTERS.search(request.path):
        abort(404)
    if not _is_utf8(request.query_string):
        abort(400)
    if request.mimetype == FORM_BODY and not _is_utf8(
        # Cached, so the form is parsed from these same bytes afterwards.
        request.get_data(cache=True, parse_form_data=False)
    ):
        abort(400)


def _page(status: int, title: str, message: str):
    if request.path == "/healthz" or request.accept_mimetypes.best == "application/json":
        return {"status": status, "error": title, "message": message}, status
    return render_template("error.html", status=status, title=title, message=message), status


def register(app: Flask) -> None:
    # First of all, before CSRFProtect parses the form: the raw body is still there to check.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unreadable_input)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        return _page(
            400,
            _("This form has expired"),
            _(
                "For your security the form could not be sent. Please go back, reload "
                "the page and try again; your saved answers are kept."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            400: (
                _("Something is wrong with this request"),
                _(
                    "The form sent something our page cannot produce. Please reload the "
                    "page and try again."
                ),
            ),
            404: (
                _("Page not found"),
                _("There is no page at this address. Please check the link you were given."),
            ),
            405: (_("Not allowed"), _("This address cannot be used that way.")),
            413: (
                _("Too much data"),
                _("The form sent more data than we accept. Please shorten your answers."),
            ),
            429: (
                _("Too many attempts"),
                _("Please wait a few minutes before you try again."),
            ),
        }
        title, message = messages.get(
            error.code or 500, (error.name, _("Please go back and try again."))
        )
        return _page(error.code or 500, title, message)

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        db.session.rollback()
        log.error("database unavailable: %s", error.__class__.__name__)
        return _page(
            503,
            _("Temporarily unavailable"),
            _(
                "We cannot reach our database right now. Your answers so far are kept; "
                "please try again in a few minutes."
            ),
        )

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):
        return _page(
            500,
            _("Something went wrong"),
            _("Sorry, something went wrong on our side. Please try again later."),
        )
