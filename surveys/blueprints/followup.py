"""Personal links: `/f/<token>` opens one participant's survey, resumable from any device.

The token is the only credential: it finds the invitation, the invitation finds the
draft. Unknown tokens are a plain 404 that says nothing about whether they ever existed,
and are rate limited per address; a valid link is never counted nor refused, so nobody
with a real link is locked out by someone guessing from the same address.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from limits import parse_many

from i18n import choose_locale, negotiate

from ..answering import drafts, flow
from ..definitions.model import Survey
from ..extensions import csrf, db, limiter
from ..followups.invitations import closed_because, known_answers, record_answered, record_opened
from ..followups.links import find_invitation
from ..followups.opt_out import choice_made, record_opt_out
from ..models import Invitation, Response, utcnow
from ..survey_versions import latest_version

bp = Blueprint("followup", __name__)

# Misses per address, over all of a link's pages. Only misses are counted and refused, so
# people with a real link never are; what makes guessing hopeless is the token's 256
# random bits, not this limit.
GUESS_LIMIT = "30 per minute;300 per day"


def _count_miss() -> None:
    """Count a miss from this address — atomically, so parallel misses gain nothing — and
    refuse with 429 once there were too many."""
    if not limiter.enabled:
        return
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    key: tuple[str, ...] = ("link-miss", get_remote_address())
    key = (prefix, *key) if prefix else key
    if not all(limiter.limiter.hit(limit, *key) for limit in parse_many(GUESS_LIMIT)):
        abort(429)


def _invitation(token: str) -> Invitation:
    invitation = find_invitation(token)
    if invitation is None:
        _count_miss()
        abort(404)
    return invitation


def _locale(invitation: Invitation, survey: Survey) -> str:
    languages = list(survey.languages)
    preferred = negotiate([invitation.participant.language or ""], languages)
    g.locale = choose_locale(languages, survey.default_language, preferred)
    return g.locale


def _survey(invitation: Invitation) -> Survey:
    """The invited survey's latest version, with the page's language chosen for it."""
    survey_version = latest_version(invitation.survey_id)
    if survey_version is None:
        abort(404)
    _locale(invitation, survey_version.survey)
    return survey_version.survey


def _closed_page(invitation: Invitation):
    """The answer when the link cannot be filled any more, or None when it can."""
    definition = _survey(invitation)
    t = flow.texts(definition, g.locale)
    closed = closed_because(invitation, utcnow().date())
    if closed == "answered":
        return render_template("followup/answered.html", definition=definition, t=t), 200
    if closed == "expired":
        contact = current_app.config["PATHWAYS"].mail
        return render_template(
            "followup/expired.html",
            definition=definition,
            t=t,
            contact=contact.contact or contact.sender,
        ), 410
    return None


def _sitting(token: str, invitation: Invitation):
    draft = drafts.find_invitation_draft(invitation.id)
    if draft is None and drafts.find_submitted_key(drafts.invitation_key(invitation.id)):
        # Submitted from another tab since this request began.
        return redirect(url_for("followup.show_page", token=token))
    survey_version = draft.survey_version if draft else latest_version(invitation.survey_id)
    if survey_version is None:
        abort(404)
    survey = survey_version.survey
    locale = _locale(invitation, survey)
    participant = invitation.participant

    def start_draft():
        return drafts.start_invitation_draft(
            survey_version, locale, invitation.id, known_answers(participant, survey)
        )

    def on_submit(response: Response) -> None:
        record_answered(invitation, response)

    return flow.Sitting(
        survey_version=survey_version,
        draft=draft,
        locale=locale,
        page_url=lambda index: url_for("followup.show_page", token=token, page=index + 1),
        done_url=url_for("followup.show_page", token=token),
        start_draft=start_draft,
        on_submit=on_submit,
        participant_id=participant.id,
    )


def _answer(token: str, step, opening: bool = False):
    """Run a page `step` for the link's sitting — unless the link is closed (answered,
    expired) or was just submitted from another tab, which answer instead."""
    invitation = _invitation(token)
    closed = _closed_page(invitation)
    if closed is not None:
        return closed
    if opening and record_opened(invitation):
        db.session.commit()
    sitting = _sitting(token, invitation)
    if not isinstance(sitting, flow.Sitting):
        return sitting
    return step(sitting)


@bp.get("/f/<token>")
def show_page(token: str):
    return _answer(token, flow.show, opening=True)


@bp.post("/f/<token>")
@flow.submission_limit
def submit_page(token: str):
    return _answer(token, flow.take)


def _opt_out_page(token: str, invitation: Invitation):
    """The choice, or — once made — what it means (so coming back never asks again)."""
    definition = _survey(invitation)
    return render_template(
        "followup/opt_out.html",
        definition=definition,
        t=flow.texts(definition, g.locale),
        token=token,
        done=choice_made(invitation.participant),
    )


@bp.get("/f/<token>/opt-out")
def opt_out_page(token: str):
    return _opt_out_page(token, _invitation(token))


# Exempt from CSRF on purpose: the token in the address is itself the secret, and mail
# programs' one-click unsubscribe (RFC 8058) posts here without any page of ours.
@bp.post("/f/<token>/opt-out")
@csrf.exempt
def opt_out(token: str):
    invitation = _invitation(token)
    record_opt_out(invitation, withdraw_consent=request.form.get("choice") == "withdraw_consent")
    db.session.commit()
    return _opt_out_page(token, invitation)
