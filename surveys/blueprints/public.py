"""The public survey: `/s/<survey_id>`, one page per section, Back/Next, then thank you.

Works without JavaScript. The page flow itself is `answering`, shared with personal links;
here the browser's session holds the draft's token. Only a survey whose latest version says
`public: true` is here; any other is a 404, as if it did not exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, session, url_for

from i18n import choose_locale

from ..answering import drafts, flow
from ..models import SurveyVersion
from ..survey_versions import is_public, latest_version

bp = Blueprint("public", __name__)


def _draft_tokens() -> dict[str, str]:
    return dict(session.get("drafts", {}))


def _remember_draft(survey_id: str, token: str | None) -> None:
    tokens = _draft_tokens()
    if token is None:
        tokens.pop(survey_id, None)
    else:
        tokens[survey_id] = token
    session["drafts"] = tokens


def _public_version(survey_id: str) -> SurveyVersion:
    """The survey's latest version, or a 404 when there is none or it is not public."""
    return _public(latest_version(survey_id))


def _public(survey_version: SurveyVersion | None) -> SurveyVersion:
    """The latest version decides for drafts begun on an earlier one too: a survey
    withdrawn from its public link takes no more anonymous answers."""
    if survey_version is None or not is_public(survey_version.definition):
        abort(404)
    return survey_version


def _choose_locale(definition: dict) -> str:
    return choose_locale(definition["languages"], definition["default_language"])


def _page_url(survey_id: str):
    return lambda index: url_for("public.show_page", survey_id=survey_id, page=index + 1)


def _sitting(survey_id: str):
    """The browser's draft of this survey, else the latest version; a redirect to the
    thank-you page when this browser's response is stored already; None if unknown."""
    token = _draft_tokens().get(survey_id)
    latest, draft = drafts.find_latest_and_draft(survey_id, token)
    latest = _public(latest)
    # Looked up once, in this order: a submit that commits meanwhile is seen as submitted.
    if draft is None and token and drafts.find_submitted(token):
        return redirect(url_for("public.show_thanks", survey_id=survey_id))
    survey_version = draft.survey_version if draft else latest
    locale = _choose_locale(survey_version.definition)
    g.locale = locale

    def start_draft():
        new, new_token = drafts.start_draft(survey_version, locale)
        _remember_draft(survey_id, new_token)
        return new

    return flow.Sitting(
        survey_version=survey_version,
        draft=draft,
        locale=locale,
        page_url=_page_url(survey_id),
        done_url=url_for("public.show_thanks", survey_id=survey_id),
        start_draft=start_draft,
    )


@bp.get("/s/<survey_id>")
def show_page(survey_id: str):
    sitting = _sitting(survey_id)
    if not isinstance(sitting, flow.Sitting):
        return sitting
    return flow.show(sitting)


@bp.post("/s/<survey_id>")
@flow.submission_limit
def submit_page(survey_id: str):
    # Refresh, Back after submit or a double click: the response is already stored.
    sitting = _sitting(survey_id)
    if not isinstance(sitting, flow.Sitting):
        return sitting
    return flow.take(sitting)


@bp.get("/s/<survey_id>/thanks")
def show_thanks(survey_id: str):
    survey_version = _public_version(survey_id)
    g.locale = _choose_locale(survey_version.definition)
    return render_template(
        "survey/thanks.html",
        definition=survey_version.survey,
        survey_id=survey_id,
        t=flow.texts(survey_version.survey, g.locale),
    )


@bp.post("/s/<survey_id>/new")
def start_again(survey_id: str):
    """Forget this browser's finished response so someone else can answer on this device."""
    _public_version(survey_id)
    _remember_draft(survey_id, None)
    return redirect(url_for("public.show_page", survey_id=survey_id))
