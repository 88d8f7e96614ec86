"""Admin pages: exports — the CLI's `export` as a form that starts an export job (its page,
`jobs.py`, shows the progress and hands out the bundle), the recent jobs, and who
exported what with which k, read back from the audit log. Open to admins and analysts:
downloading anonymised data is what analysts are here for."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional, StopValidation

from exports import FORMATS
from i18n import collation_key, localized

from ...exporting.history import export_history, release_register
from ...exporting.wording import refusal_text
from ...jobs import records
from ...jobs.labels import STATES
from ...jobs.queue import start_job
from ...participants.programmes import programmes_by_name, term_names
from ...survey_versions import answerable_programmes, core_survey, survey_ids
from .. import bp

HISTORY_LENGTH = 50
JOBS_LISTED = 20
# No release asks for groups larger than this; a bigger number is a slip (or an attack on
# the arithmetic), not a privacy setting.
MAX_K = 1000


def _readable(form, field) -> None:
    """Stop at "not a valid number": a range message about no number at all only confuses."""
    if field.process_errors:
        raise StopValidation()


def _comparable(form, field) -> None:
    """WTForms' NumberRange tests a number for NaN as a float, and a whole number too
    large for a float crashed it; any such number is out of range, so it stands in for
    one that says so with NumberRange's own message."""
    if isinstance(field.data, int) and abs(field.data) > 10**9:
        field.data = 10**9 if field.data > 0 else -(10**9)


class ExportForm(FlaskForm):
    """The options of `flask export`, with the same defaults and bounds."""

    survey = SelectField(_l("Survey"), validators=[InputRequired()])
    with_followups = BooleanField(_l("With the follow-up answers, joined by pid"))
    purpose = SelectField(_l("Purpose of the release"), default="full")
    format = SelectField(_l("Format"), choices=list(FORMATS), default="csv")
    k = IntegerField(
        _l("k: every combination of demographics covers at least this many people"),
        default=5,
        validators=[InputRequired(), _readable, _comparable, NumberRange(min=2, max=MAX_K)],
    )
    max_suppression = FloatField(
        _l("Largest share of people whose demographics may be suppressed (0 to 0.5)"),
        default=0.05,
        validators=[InputRequired(), _readable, NumberRange(min=0, max=0.5)],
    )
    l_diversity = IntegerField(
        _l("l: also require this many different sensitive answers in every group (optional)"),
        validators=[Optional(), _comparable, NumberRange(min=2, max=MAX_K)],
    )
    # Choices: the programmes and terms there are, after "all" (the empty value).
    programme = SelectField(_l("Programme"), default="")
    term = SelectField(_l("Term"), default="")


def _choose_from(form: ExportForm) -> None:
    """The surveys, programmes and terms there are; the core survey first offered."""
    ids = survey_ids()
    form.survey.choices = ids
    if not form.is_submitted():
        form.survey.data = core_survey(ids)
    # The registered programmes, and those a public survey's respondents may name.
    locale = str(get_locale() or "en")
    names = {code: localized(label, locale) for code, label in answerable_programmes().items()}
    names.update({p.code: p.name for p in programmes_by_name()})
    ordered = sorted(names.items(), key=lambda item: (collation_key(item[1]), item[0]))
    form.programme.choices = [("", _("All programmes"))] + [
        (code, f"{name} ({code})") for code, name in ordered
    ]
    form.term.choices = [("", _("All terms"))] + [(name, name) for name in term_names()]


def _page(form: ExportForm, status: int = 200, refusal: str | None = None):
    return (
        render_template(
            "admin/exports.html",
            form=form,
            jobs=records.recent_jobs(records.EXPORT, JOBS_LISTED),
            job_states=STATES,
            history=export_history(HISTORY_LENGTH),
            releases=release_register(HISTORY_LENGTH),
            refusal=refusal,
            refused_because=_refused_because,
        ),
        status,
    )


def _refused_because(details: dict) -> str:
    """A refused export of the history, in the reader's language where its entry keeps the
    refusal as data (entries written before that keep the English sentence only)."""
    refusal = details.get("refusal")
    if isinstance(refusal, dict) and "reason" in refusal:
        values = {key: value for key, value in refusal.items() if key != "reason"}
        return refusal_text(refusal["reason"], {**values, "detail": details.get("reason")})
    return str(details.get("reason") or "")


@bp.route("/exports", methods=["GET", "POST"])
def exports():
    from ...exporting.service import ExportRefused, purposes_available

    form = ExportForm()
    _choose_from(form)
    try:
        locale = str(get_locale() or "en")
        form.purpose.choices = [
            (name, p.title_in(locale)) for name, p in purposes_available().items()
        ]
    except ExportRefused as refusal:
        form.purpose.choices = []
        problem = _("The purpose file cannot be used: %(reason)s", reason=str(refusal))
        return _page(form, 500, refusal=problem)
    if not form.validate_on_submit():
        return _page(form, 422 if form.is_submitted() else 200)
    # The export runs as a job, off this request: its page shows the progress, then the
    # bundle to download (or why nothing was exported).
    job_id = start_job(
        records.EXPORT,
        current_user.email,
        {
            "survey": form.survey.data,
            "format": form.format.data,
            "purpose": form.purpose.data,
            "k": form.k.data,
            "max_suppression": form.max_suppression.data,
            "l": form.l_diversity.data,
            "with_followups": form.with_followups.data,
            "programme": form.programme.data or None,
            "term": form.term.data or None,
        },
    )
    return redirect(url_for("admin.show_job", job_id=job_id), 303)
