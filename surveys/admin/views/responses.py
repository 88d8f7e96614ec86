"""Admin pages: a survey's responses, one at a time, with identity hidden.

The list shows each response's pseudonym (`surveys/responses/pseudonyms.py`), wave,
version, day and language; a response shows its answers only, worded in the reader's
language. No page here shows a participant id, public id, name or email, nor anything that
leads from a pseudonym to a person. Admins only: free-text answers may name someone, so an
analyst, who sees only anonymised exports, never reads a response. Every response shown is
audited (which response, never what it says).
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import get_locale

from i18n import language_name

from ...extensions import db
from ...responses.answers import show_response
from ...responses.listing import responses_page, waves
from ...survey_versions import latest_version
from .. import bp
from ..access import admin_only

PER_PAGE = 50
# Far beyond any real survey; keeps the SQL offset within a 64-bit integer.
MAX_PAGE = 1_000_000


@bp.get("/surveys/<survey_id>/responses")
@admin_only
def survey_responses(survey_id: str):
    latest = latest_version(survey_id)
    if latest is None:
        abort(404)
    known = waves(survey_id)
    asked = request.args.get("wave", "").strip()
    wave = asked if asked in known else None
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    found, rows = responses_page(survey_id, wave, page, PER_PAGE)
    return render_template(
        "admin/responses.html",
        survey_id=survey_id,
        title=latest.title,
        found=found,
        rows=rows,
        waves=known,
        wave=wave,
        language_name=language_name,
    )


@bp.get("/surveys/<survey_id>/responses/<int:response_id>")
@admin_only
def survey_response(survey_id: str, response_id: int):
    shown = show_response(survey_id, response_id, str(get_locale()))
    if shown is None:
        abort(404)
    db.session.commit()  # the audit entry: who read which response
    return render_template(
        "admin/response.html", survey_id=survey_id, shown=shown, language_name=language_name
    )
