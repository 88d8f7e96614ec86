"""Admin pages for programmes, terms and participants: add programmes and terms, import a
participants CSV (the CLI's import, same report), find people, change a status, erase a
person.

Every page here is admin-only because it shows names and emails. The audit log records a
status change by the participant's public id and an erasure by its counts — never an
address, so the log can be read without exposing anyone.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict
from wtforms import DateField, Form, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ...audit_log import audit
from ...extensions import db
from ...followups.participation import invited_waves, participation_of
from ...models import Contact
from ...participants.erasure import erase, erasure_preview
from ...participants.importing import ImportRefused, import_participants
from ...participants.programmes import (
    add_programme,
    add_term,
    programme_called,
    programmes_by_name,
    status_counts,
    term_named,
    terms_by_programme,
)
from ...participants.search import (
    answer_counts,
    contact_of,
    earlier_mentorships,
    participant_by_id,
    search_participants,
)
from ...participants.status import update_status
from .. import bp
from ..access import admin_only

# The query-string keys of the participants page, kept when a form sends the admin back.
FILTER_KEYS = ("programme", "term", "status", "role", "q", "answer", "wave", "page")

STATUS_LABELS = {
    "active": _l("active"),
    "completed": _l("completed"),
    "failed": _l("failed"),
    "withdrawn": _l("withdrawn"),
}
ROLE_LABELS = {"mentee": _l("mentee"), "mentor": _l("mentor")}
# The participation filters (`participants.search.ANSWER_FILTERS`).
ANSWER_LABELS = {"not_answered": _l("not answered"), "bounced": _l("bounced")}


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


# --- forms ------------------------------------------------------------------------------


class ProgrammeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[_strip],
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message=_l("Use lowercase letters, digits and hyphens, e.g. gsoc or lfx-2."),
            ),
        ],
    )
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=200)])

    # The CSV import finds a programme by code *or* name, ignoring case: neither may be
    # ambiguous, or an import could land in the wrong programme.
    def validate_code(self, field: StringField) -> None:
        if programme_called(field.data) is not None:
            raise ValidationError(_l("Another programme already has this code or name."))

    def validate_name(self, field: StringField) -> None:
        if programme_called(field.data) is not None:
            raise ValidationError(_l("Another programme already has this code or name."))


class TermForm(FlaskForm):
    programme = SelectField(_l("Programme"), coerce=int)
    name = StringField(
        _l("Term name"), filters=[_strip], validators=[DataRequired(), Length(max=100)]
    )
    start = DateField(_l("First day (optional)"), validators=[Optional()])
    end = DateField(_l("Last day"), validators=[InputRequired()])

    def validate_name(self, field: StringField) -> None:
        if term_named(self.programme.data, field.data) is not None:
            raise ValidationError(_l("This programme already has a term with this name."))

    def validate_end(self, field: DateField) -> None:
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The last day must come after the first day."))


class UploadForm(FlaskForm):
    """The CLI's `participants import` options, as a form."""

    file = FileField(_l("CSV file (UTF-8)"), validators=[FileRequired()])
    programme = StringField(
        _l("Programme (code or name; a new one is created)"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=200)],
    )
    term = StringField(
        _l("Term (a new one is created)"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=100)],
    )
    term_end = DateField(_l("Last day of the term"), validators=[InputRequired()])
    term_start = DateField(_l("First day of the term (optional)"), validators=[Optional()])

    def validate_term_end(self, field: DateField) -> None:
        if self.term_start.data and field.data and field.data <= self.term_start.data:
            raise ValidationError(_l("The last day must come after the first day."))


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=_choices(STATUS_LABELS.items()))
    on = DateField(_l("From"), default=date.today, validators=[InputRequired()])
    # The participants page's query string, so the admin lands back on the same list.
    back = HiddenField()

    def validate_on(self, field: DateField) -> None:
        if field.data and field.data > date.today():
            raise ValidationError(_l("A status change cannot be dated in the future."))


class EraseForm(FlaskForm):
    confirm = StringField(
        _l("Type the person's email address to confirm"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=320)],
    )

    def __init__(self, expected: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def validate_confirm(self, field: StringField) -> None:
        if field.data.lower() != self.expected.lower():
            raise ValidationError(
                _l("That is not this person's email address; nothing was erased.")
            )


class ParticipantFilter(Form):
    """The search on the participants page: a GET form, so no CSRF token."""

    programme = SelectField(_l("Programme"), default="")
    term = SelectField(_l("Term"), default="")
    status = SelectField(
        _l("Status"), default="", choices=_choices([("", _l("any")), *STATUS_LABELS.items()])
    )
    role = SelectField(
        _l("Role"), default="", choices=_choices([("", _l("any")), *ROLE_LABELS.items()])
    )
    q = StringField(_l("Name or email contains"), filters=[_strip], validators=[Length(max=200)])
    # Participation (issue 18): people with an invitation (of this wave) not answered, or
    # bounced (`participants.search.ANSWER_FILTERS`).
    answer = SelectField(_l("Participation"), default="")
    wave = SelectField(_l("Survey wave"), default="")
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1)])


# --- helpers for the views --------------------------------------------------------------


def _filters_from(query_string: str | None) -> dict[str, str]:
    """Only the known filter keys of a query string: safe to put in a redirect."""
    args = MultiDict(parse_qsl(query_string or "", keep_blank_values=False))
    return {key: args[key] for key in FILTER_KEYS if args.get(key)}


def _participants_url(filters: dict[str, str]) -> str:
    """The participants page with these filters (none is one of url_for's `_` options)."""
    values: dict[str, Any] = dict(filters)
    return url_for("admin.participants", **values)


def _filter_form(args: MultiDict) -> ParticipantFilter:
    form = ParticipantFilter(args)
    programmes = programmes_by_name()
    form.programme.choices = _choices([("", _("any"))] + [(p.code, p.name) for p in programmes])
    terms = terms_by_programme()
    form.term.choices = _choices(
        [("", _("any"))] + [(str(t.id), f"{t.programme.name} – {t.name}") for t in terms]
    )
    form.wave.choices = _choices(
        [("", _("any"))] + [(f"{s}:{w}", s if s == w else f"{s} – {w}") for s, w in invited_waves()]
    )
    form.answer.choices = _choices([("", _("anyone")), *ANSWER_LABELS.items()])
    return form


def _wave_of(filters: ParticipantFilter) -> tuple[str, str] | None:
    survey_id, _colon, wave = (filters.wave.data or "").partition(":")
    return (survey_id, wave) if survey_id and wave else None


def _term_form(bound: bool = False) -> TermForm:
    """The term form; bound to the request only when it is the form being sent."""
    form = TermForm(prefix="term") if bound else TermForm(formdata=None, prefix="term")
    form.programme.choices = _choices((p.id, f"{p.name} ({p.code})") for p in programmes_by_name())
    return form


def _programmes_page(programme_form: ProgrammeForm, term_form: TermForm, status: int = 200):
    return render_template(
        "admin/programmes.html",
        programmes=programmes_by_name(with_terms=True),
        counts=status_counts(),
        statuses=STATUS_LABELS,
        programme_form=programme_form,
        term_form=term_form,
    ), status


def _participants_page(
    args: MultiDict,
    status: int = 200,
    upload: UploadForm | None = None,
    report=None,
    refused: str | None = None,
    problems: list[str] | None = None,
):
    """The list with its filters, plus whatever a failed POST has to say."""
    filters = _filter_form(args)
    today = date.today()
    valid = filters.validate()
    results = _search(filters, today) if valid else None
    if results is None:
        status = max(status, 422)
    kept = {key: args[key] for key in FILTER_KEYS if key != "page" and args.get(key)}
    return render_template(
        "admin/participants.html",
        filters=filters,
        results=results,
        kept=kept,
        back=urlencode({**kept, "page": filters.page.data or 1}),
        upload=upload or UploadForm(formdata=None, prefix="upload"),
        report=report,
        refused=refused,
        problems=problems or [],
        returning=earlier_mentorships(results.items) if results is not None else {},
        statuses=STATUS_LABELS,
        roles=ROLE_LABELS,
        today=today.isoformat(),
        # Participation (issue 18): each listed person's invitations, and the counts
        # of the participation filters among the people the other filters select.
        participation=participation_of((p.id for p in results.items), today)
        if results is not None
        else {},
        answer_counts=answer_counts(today=today, **_criteria(filters)) if valid else {},
        answers=ANSWER_LABELS,
    ), status


def _criteria(filters: ParticipantFilter) -> dict[str, Any]:
    """The filters but participation and page, as `search_participants` takes them."""
    return {
        "programme": filters.programme.data or None,
        "term_id": int(filters.term.data) if filters.term.data else None,
        "status": filters.status.data or None,
        "role": filters.role.data or None,
        "text": filters.q.data or None,
        "wave": _wave_of(filters),
    }


def _search(filters: ParticipantFilter, today: date):
    return search_participants(
        **_criteria(filters),
        answer=filters.answer.data or None,
        today=today,
        page=filters.page.data or 1,
    )


def _form_problems(form: FlaskForm) -> list[str]:
    return [
        f"{getattr(form, name).label.text}: {error}"
        for name, errors in form.errors.items()
        for error in errors
    ]


def _commit_or_error(field) -> bool:
    """Commit; when another admin just took the same code or name, say so on the field."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        field.errors = [*field.errors, _("This was just taken by someone else; pick another.")]
        return False
    return True


# --- programmes and terms ---------------------------------------------------------------


@bp.get("/programmes")
@admin_only
def programmes():
    return _programmes_page(ProgrammeForm(formdata=None, prefix="programme"), _term_form())


@bp.post("/programmes")
@admin_only
def create_programme():
    form = ProgrammeForm(prefix="programme")
    if form.validate_on_submit():
        programme = add_programme(form.code.data, form.name.data)
        if _commit_or_error(form.code):
            flash(_("Programme %(name)s added.", name=programme.name), "info")
            return redirect(url_for("admin.programmes"))
    return _programmes_page(form, _term_form(), 422)


@bp.post("/programmes/terms")
@admin_only
def create_term():
    form = _term_form(bound=True)
    if form.validate_on_submit():
        term = add_term(form.programme.data, form.name.data, form.start.data, form.end.data)
        if _commit_or_error(form.name):
            flash(_("Term %(name)s added.", name=term.name), "info")
            return redirect(url_for("admin.programmes"))
    return _programmes_page(ProgrammeForm(formdata=None, prefix="programme"), form, 422)


# --- participants -----------------------------------------------------------------------


@bp.get("/participants")
@admin_only
def participants():
    return _participants_page(request.args)


@bp.post("/participants/import")
@admin_only
def upload_participants():
    """The same import as `flask participants import`: good rows are kept, bad ones listed."""
    form = UploadForm(prefix="upload")
    if not form.validate_on_submit():
        return _participants_page(MultiDict(), 422, upload=form)
    try:
        report = import_participants(
            form.file.data.read(),
            programme=form.programme.data,
            term=form.term.data,
            term_end=form.term_end.data,
            term_start=form.term_start.data,
            today=date.today(),
        )
    except ImportRefused as error:
        db.session.rollback()
        return _participants_page(MultiDict(), 422, upload=form, refused=str(error))
    audit(
        "participants import",
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        bad_rows=len(report.problems),
    )
    db.session.commit()
    _flash_returning(report)
    if report.problems:
        return _participants_page(MultiDict(), 422, upload=form, report=report)
    flash(
        _(
            "Imported: %(created)d added, %(updated)d updated, %(unchanged)d unchanged.",
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        ),
        "info",
    )
    return redirect(url_for("admin.participants"))


def _flash_returning(report) -> None:
    """Name the rows (by line and term, never by address) of mentees who were already a
    mentee in another programme or term: programmes limit a person to one mentorship."""
    if not report.returning:
        return
    lines = "; ".join(
        _("line %(line)d: %(terms)s", line=row.line, terms=", ".join(row.terms))
        for row in report.returning
    )
    flash(
        ngettext(
            "%(num)d mentee was already a mentee in another programme or term (%(lines)s).",
            "%(num)d mentees were already mentees in another programme or term (%(lines)s).",
            len(report.returning),
            lines=lines,
        ),
        "info",
    )


@bp.post("/participants/<int:participant_id>/status")
@admin_only
def change_status(participant_id: int):
    participant = participant_by_id(participant_id)
    if participant is None:
        abort(404)
    form = StatusForm()
    back = _filters_from(form.back.data)
    if not form.validate_on_submit():
        return _participants_page(MultiDict(back), 422, problems=_form_problems(form))
    new_status = form.status.data
    if not update_status(participant, new_status, form.on.data):
        flash(_("Nothing changed: that already is the person's status."), "info")
        return redirect(_participants_url(back))
    audit(
        "status change",
        participant=participant.public_id,
        status=new_status,
        on=form.on.data.isoformat(),
    )
    db.session.commit()
    flash(
        _(
            "Status changed to %(status)s from %(day)s.",
            status=STATUS_LABELS[new_status],
            day=form.on.data.isoformat(),
        ),
        "info",
    )
    return redirect(_participants_url(back))


def _contact_of(participant_id: int) -> Contact:
    contact = contact_of(participant_id)
    if contact is None:
        abort(404)
    return contact


def _erasure_page(contact: Contact, form: EraseForm, status: int = 200):
    preview = erasure_preview(contact.email)
    return render_template(
        "admin/participant_erase.html",
        form=form,
        contact=contact,
        roles=ROLE_LABELS,
        statuses=STATUS_LABELS,
        records=preview.records,
        responses=preview.responses,
        invitations=preview.invitations,
    ), status


@bp.get("/participants/<int:participant_id>/erase")
@admin_only
def confirm_erasure(participant_id: int):
    contact = _contact_of(participant_id)
    return _erasure_page(contact, EraseForm(contact.email, formdata=None))


@bp.post("/participants/<int:participant_id>/erase")
@admin_only
def erase_participant(participant_id: int):
    contact = _contact_of(participant_id)
    form = EraseForm(contact.email)
    if not form.validate_on_submit():
        return _erasure_page(contact, form, 422)
    report = erase(contact.email)
    audit("erasure", participants=report.participants, responses=report.responses)
    db.session.commit()
    # No address in the message: flashed messages travel in the session cookie.
    flash(
        _(
            "Erased %(participants)d participant record(s) and %(responses)d response(s).",
            participants=report.participants,
            responses=report.responses,
        ),
        "info",
    )
    return redirect(url_for("admin.participants"))
