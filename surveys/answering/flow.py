"""The page flow shared by the public link and personal links: show a page, take a POST.

A `Sitting` says where the respondent is (survey version, draft, locale, URLs) and what
happens at the start and the end; `show` and `take` do the rest. Views stay thin: they
find the sitting, call one of these, and the function commits once and redirects
(POST/redirect/GET); a page with errors is rendered again with a 422.

Hostile input is answered without storing anything half-way: a POST that our page cannot
produce (unknown field, code not in the list, over-long value, unknown action, a page not
reached yet) is a 400 before any draft is touched; a filled honeypot is answered as if the
page had been accepted, with a redirect to the end, and nothing is stored; control
characters are removed from answers, and the page is shown once more with a notice so the
respondent sees what is kept; HTML in answers is stored as typed and shown escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, redirect, render_template, request, session
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import IntegrityError

from forms import FIELD_TYPES
from i18n import language_name, localized

from ..definitions import evaluation
from ..definitions.model import Survey
from ..extensions import db, limiter
from ..models import Draft, Response, SurveyVersion
from . import checks, drafts, walk

# A respondent posts a page every few seconds at most; a bot posts as fast as it can.
DRAFT_LIMIT = "30 per minute;300 per hour"
# Posts that carry no draft yet (the first page) from one address: generous, so a whole
# class behind one university NAT can start together.
ADDRESS_LIMIT = "300 per minute;3000 per hour"


def _submitter() -> str | None:
    """The draft a POST belongs to: its personal link, or the draft token this browser's
    session holds for the survey; None when it has none yet."""
    args = request.view_args or {}
    if args.get("token"):
        return "link:" + drafts.token_hash(args["token"])
    token = dict(session.get("drafts", {})).get(args.get("survey_id"))
    return "draft:" + drafts.token_hash(token) if token else None


def _submission_key() -> str:
    return _submitter() or "address:" + get_remote_address()


def _submission_limit() -> str:
    return DRAFT_LIMIT if _submitter() else ADDRESS_LIMIT


# For the views that take a page: counted per draft, so many mentees behind one NAT are
# never locked out together; per address only before a draft exists.
submission_limit = limiter.limit(_submission_limit, key_func=_submission_key)


@dataclass
class Sitting:
    survey_version: SurveyVersion
    draft: Draft | None
    locale: str
    page_url: Callable[[int], str]
    done_url: str
    # Creates the draft at the first POST (and remembers it where this link keeps it).
    start_draft: Callable[[], Draft]
    # Called in the submit's transaction, with the stored response.
    on_submit: Callable[[Response], None] = field(default=lambda response: None)
    participant_id: int | None = None

    @property
    def survey(self) -> Survey:
        return self.survey_version.survey


def texts(survey: Survey, locale: str, answers: dict | None = None):
    """`t(text_by_lang)` for templates: survey text in this locale, else the default, with
    the respondent's answers piped in where it says `${name}`."""
    return lambda text: evaluation.pipe(
        localized(text, locale, survey.default_language), survey, answers or {}, locale
    )


def _render(
    sitting: Sitting,
    state: walk.Walk,
    index: int,
    errors: dict | None = None,
    revealed: bool = False,
    cleaned: bool = False,
    status: int = 200,
):
    survey = sitting.survey
    page_slots = list(walk.slots(survey, index, state.counts))
    repetitions = {
        q.name: [
            [slot.shown for slot in page_slots if slot.repeat == q.name and slot.index == i]
            for i in range(state.counts[q.name])
        ]
        for q in survey.pages[index].questions
        if q.is_repeat
    }
    return render_template(
        "survey/page.html",
        shown=[slot.shown for slot in page_slots],
        repetitions=repetitions,
        repeat_buttons=checks.repeat_actions(survey, index, state.counts),
        definition=survey,
        action=sitting.page_url(index),
        page=survey.pages[index],
        index=index,
        form=walk.show_page(survey, state, index, sitting.locale),
        asked=state.relevant,
        errors=errors or {},
        revealed=revealed,
        cleaned=cleaned,
        honeypot=checks.HONEYPOT,
        has_previous=walk.next_asked_page(survey, state, index, -1) is not None,
        is_last=walk.next_asked_page(survey, state, index, +1) is None,
        locale=sitting.locale,
        t=texts(survey, sitting.locale, state.answers),
        field_types=FIELD_TYPES,
        languages=[(code, language_name(code)) for code in survey.languages],
    ), status


def show(sitting: Sitting):
    """GET a page: the one asked for if reached already, else the furthest one."""
    survey, draft = sitting.survey, sitting.draft
    state = walk.walk(survey, draft.raw if draft else {}, sitting.locale, False)
    furthest = draft.furthest_page if draft else 0
    index = request.args.get("page", type=int, default=furthest + 1) - 1
    if not 0 <= index <= furthest:
        return redirect(sitting.page_url(furthest))
    if not state.page_is_asked(survey, index):
        following = walk.next_asked_page(survey, state, index, +1)
        if following is not None and following <= furthest:
            return redirect(sitting.page_url(following))
    return _render(sitting, state, index)


def take(sitting: Sitting):
    """POST a page: save what was typed, then go back, switch language, show errors,
    go on, or submit.

    A filled honeypot gets the redirect a finished survey gets, so a bot sees nothing to
    adapt to, and nothing is stored: not the page, not a draft, not a response."""
    survey, locale = sitting.survey, sitting.locale
    if checks.caught_in_honeypot(request.form):
        return redirect(sitting.done_url)
    index = request.args.get("page", type=int, default=1) - 1
    furthest = sitting.draft.furthest_page if sitting.draft else 0
    if not 0 <= index <= furthest:
        abort(400)
    # The survey as the page was shown: what it offered, asked and repeated.
    before = walk.walk(survey, sitting.draft.raw if sitting.draft else {}, locale, False)
    formdata, cleaned = checks.without_control_characters(
        survey, index, request.form, before.counts
    )
    if checks.tampering(survey, index, formdata, locale, before):
        abort(400)
    draft = sitting.draft or sitting.start_draft()

    drafts.save_page(draft, index, formdata, before.counts, before.relevant)
    draft.locale = locale
    action = formdata.get("action", "next")
    if action.startswith((checks.ADD, checks.REMOVE)):
        # Add or remove a repetition: what was typed is kept, unchecked, as with Back.
        _, name, *position = action.split(":")
        repeat = survey.question(name)
        removed = int(position[0]) if position else None
        drafts.change_repetitions(draft, repeat, before.counts[name], removed)
        db.session.commit()
        return redirect(sitting.page_url(index) + f"#q-{name}")
    if action.startswith(checks.SWITCH_LANGUAGE):
        # The switcher posts the page, so what was typed is kept, unchecked, as with Back.
        session["lang"] = draft.locale = action.removeprefix(checks.SWITCH_LANGUAGE)
        db.session.commit()
        return redirect(sitting.page_url(index))
    if action == "back":
        previous = walk.next_asked_page(survey, before, index, -1)
        db.session.commit()
        return redirect(sitting.page_url(index if previous is None else previous))

    state = walk.walk(survey, draft.raw, locale, True)
    on_page = set(walk.page_field_names(survey, index, state.counts))
    # A question that an answer on this same page has just made relevant was never shown:
    # show the page again with it (and no error on it yet) rather than skip past it.
    questions = {slot.name for slot in walk.slots(survey, index, state.counts)} & on_page
    revealed = {n for n in questions if n in state.relevant and n not in before.relevant}
    page_errors = {name: state.errors[name] for name in on_page - revealed if name in state.errors}
    for name in revealed:
        state.forms[index][name].errors = []
    if page_errors or revealed or cleaned:
        db.session.commit()
        return _render(
            sitting,
            state,
            index,
            errors=page_errors,
            revealed=bool(revealed),
            cleaned=cleaned,
            status=422 if page_errors else 200,
        )

    following = walk.next_asked_page(survey, state, index, +1)
    if following is not None:
        draft.furthest_page = max(draft.furthest_page, following)
        db.session.commit()
        return redirect(sitting.page_url(following))

    wrong_page = state.first_error_page(survey)
    if wrong_page is not None:
        # An earlier answer no longer fits (say a constraint naming a changed answer).
        db.session.commit()
        errors = {n: e for n, e in state.errors.items() if state.error_pages[n] == wrong_page}
        return _render(sitting, state, wrong_page, errors=errors, status=422)
    try:
        response = drafts.submit(draft, state.answers, sitting.participant_id)
        sitting.on_submit(response)
        db.session.commit()
    except IntegrityError:
        # A concurrent submit of the same draft won the race; its response is the one kept.
        db.session.rollback()
    return redirect(sitting.done_url)
