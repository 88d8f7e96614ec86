"""The public survey: `/s/<survey_id>`, one page per section, Back/Next, then thank you.

Works without JavaScript. Views parse the request, call `responding`, commit once and
redirect (POST/redirect/GET); a page with errors is rendered again with a 422.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from sqlalchemy.exc import IntegrityError

from forms import FIELD_TYPES
from i18n import choose_locale, language_name, localized

from .. import responding
from ..extensions import db
from ..survey_versions import latest_version

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


def _choose_locale(definition: dict) -> str:
    return choose_locale(definition["languages"], definition["default_language"])


def _texts(definition: dict, locale: str):
    """`t(text_by_lang)` for templates: survey text in this locale, else the default."""
    return lambda text: localized(text, locale, definition["default_language"])


def _page_url(survey_id: str, index: int):
    return url_for("public.show_page", survey_id=survey_id, page=index + 1)


def _render(
    survey_version,
    state: responding.Walk,
    index: int,
    locale: str,
    errors: dict | None = None,
    revealed: bool = False,
    status: int = 200,
):
    definition = survey_version.definition
    page = definition["pages"][index]
    form = state.forms[index]
    errors = errors or {}
    return render_template(
        "survey/page.html",
        definition=definition,
        survey_id=survey_version.survey_id,
        page=page,
        index=index,
        form=form,
        asked=state.relevant,
        errors=errors,
        revealed=revealed,
        has_previous=responding.next_asked_page(definition, state, index, -1) is not None,
        is_last=responding.next_asked_page(definition, state, index, +1) is None,
        locale=locale,
        t=_texts(definition, locale),
        field_types=FIELD_TYPES,
        languages=[(code, language_name(code)) for code in definition["languages"]],
    ), status


@bp.get("/s/<survey_id>")
def show_page(survey_id: str):
    token = _draft_tokens().get(survey_id)
    draft = responding.find_draft(token) if token else None
    if draft is None and token and responding.find_submitted(token):
        return redirect(url_for("public.show_thanks", survey_id=survey_id))
    survey_version = draft.survey_version if draft else latest_version(survey_id)
    if survey_version is None:
        abort(404)
    definition = survey_version.definition
    locale = _choose_locale(definition)
    g.locale = locale
    state = responding.walk(definition, draft.raw if draft else {}, locale, validate=False)

    furthest = draft.furthest_page if draft else 0
    index = request.args.get("page", type=int, default=furthest + 1) - 1
    if not 0 <= index <= furthest:
        return redirect(_page_url(survey_id, furthest))
    if not state.page_is_asked(definition, index):
        following = responding.next_asked_page(definition, state, index, +1)
        if following is not None and following <= furthest:
            return redirect(_page_url(survey_id, following))
    return _render(survey_version, state, index, locale)


@bp.post("/s/<survey_id>")
def submit_page(survey_id: str):
    token = _draft_tokens().get(survey_id)
    draft = responding.find_draft(token) if token else None
    if draft is None and token and responding.find_submitted(token):
        # Refresh, Back after submit or a double click: the response is already stored.
        return redirect(url_for("public.show_thanks", survey_id=survey_id))
    survey_version = draft.survey_version if draft else latest_version(survey_id)
    if survey_version is None:
        abort(404)
    definition = survey_version.definition
    locale = _choose_locale(definition)
    g.locale = locale

    index = request.args.get("page", type=int, default=1) - 1
    furthest = draft.furthest_page if draft else 0
    if not 0 <= index <= furthest:
        abort(400)
    if responding.tampering(definition, index, request.form, locale):
        abort(400)
    if draft is None:
        draft, token = responding.start_draft(survey_version, locale)
        _remember_draft(survey_id, token)

    before = responding.walk(definition, draft.raw, locale, validate=False)
    responding.save_page(draft, index, request.form)
    draft.locale = locale
    action = request.form.get("action", "next")
    if action.startswith(responding.SWITCH_LANGUAGE):
        # The switcher posts the page, so what was typed is kept, unchecked, as with Back.
        session["lang"] = draft.locale = action.removeprefix(responding.SWITCH_LANGUAGE)
        db.session.commit()
        return redirect(_page_url(survey_id, index))
    if action == "back":
        previous = responding.next_asked_page(definition, before, index, -1)
        db.session.commit()
        return redirect(_page_url(survey_id, index if previous is None else previous))

    state = responding.walk(definition, draft.raw, locale, validate=True)
    on_page = set(responding.page_field_names(definition, index))
    # A question that an answer on this same page has just made relevant was never shown:
    # show the page again with it (and no error on it yet) rather than skip past it.
    questions = {q["name"] for q in definition["pages"][index]["questions"]} & on_page
    revealed = {n for n in questions if n in state.relevant and n not in before.relevant}
    page_errors = {name: state.errors[name] for name in on_page - revealed if name in state.errors}
    for name in revealed:
        state.forms[index][name].errors = []
    if page_errors or revealed:
        db.session.commit()
        return _render(
            survey_version,
            state,
            index,
            locale,
            errors=page_errors,
            revealed=bool(revealed),
            status=422 if page_errors else 200,
        )

    following = responding.next_asked_page(definition, state, index, +1)
    if following is not None:
        draft.furthest_page = max(draft.furthest_page, following)
        db.session.commit()
        return redirect(_page_url(survey_id, following))

    wrong_page = state.first_error_page(definition)
    if wrong_page is not None:
        # An earlier answer no longer fits (say a constraint naming a changed answer).
        db.session.commit()
        errors = {
            n: e
            for n, e in state.errors.items()
            if n in responding.page_field_names(definition, wrong_page)
        }
        return _render(survey_version, state, wrong_page, locale, errors=errors, status=422)
    try:
        responding.submit(draft, state.answers)
        db.session.commit()
    except IntegrityError:
        # A concurrent submit of the same draft won the race; its response is the one kept.
        db.session.rollback()
    return redirect(url_for("public.show_thanks", survey_id=survey_id))


@bp.get("/s/<survey_id>/thanks")
def show_thanks(survey_id: str):
    survey_version = latest_version(survey_id)
    if survey_version is None:
        abort(404)
    definition = survey_version.definition
    g.locale = _choose_locale(definition)
    return render_template(
        "survey/thanks.html",
        definition=definition,
        survey_id=survey_id,
        t=_texts(definition, g.locale),
    )


@bp.post("/s/<survey_id>/new")
def start_again(survey_id: str):
    """Forget this browser's finished response so someone else can answer on this device."""
    _remember_draft(survey_id, None)
    return redirect(url_for("public.show_page", survey_id=survey_id))
