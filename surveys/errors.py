"""Error pages: a plain message in the page's language, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)


def _page(status: int, title: str, message: str):
    if request.path == "/healthz" or request.accept_mimetypes.best == "application/json":
        return {"status": status, "error": title, "message": message}, status
    return render_template("error.html", status=status, title=title, message=message), status


def register(app: Flask) -> None:
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
