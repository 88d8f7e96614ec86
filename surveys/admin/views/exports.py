"""Admin pages: exports — the CLI's `export` as a form, the bundle as a download, and who
exported what with which k, read back from the audit log. Open to admins and analysts:
downloading anonymised data is what analysts are here for."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import TYPE_CHECKING

from flask import render_template, send_file
from flask_babel import format_percent, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional, StopValidation

from exports import FORMATS, refusals
from i18n import collation_key, localized

from ...exporting.history import export_history, release_register
from ...participants.programmes import programmes_by_name, term_names
from ...survey_versions import answerable_programmes, core_survey, survey_ids
from .. import bp

if TYPE_CHECKING:
    from ...exporting.service import ExportRefused

HISTORY_LENGTH = 50
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


def _refusal_text(refusal: ExportRefused) -> str:
    """Why nothing was exported, in the reader's language, from the refusal's data."""
    values = refusal.values
    count = int(values.get("people", 0))
    match refusal.reason:
        case refusals.TOO_FEW_PEOPLE:
            return ngettext(
                "Nothing exported: there is only %(num)d person, and k=%(k)d needs at least "
                "%(k)d, so no generalisation can protect them.",
                "Nothing exported: there are only %(num)d people, and k=%(k)d needs at least "
                "%(k)d, so no generalisation can protect them.",
                count,
                k=values["k"],
            )
        case refusals.SUBSET_EMPTY:
            return _(
                "Nothing exported: nobody who answered this survey is in the programme or "
                "term selected."
            )
        case refusals.SUBSET_SPLIT:
            return ngettext(
                "Nothing exported: the only person of the programme or term selected shares a "
                "group of the survey's release with people outside it, so they cannot be "
                "released apart.",
                "Nothing exported: each of the %(num)d people of the programme or term "
                "selected shares a group of the survey's release with people outside it, so "
                "none can be released apart.",
                count,
            )
        case refusals.TOO_MUCH_SUPPRESSION:
            return ngettext(
                "Nothing exported: k=%(k)d would suppress the demographics of %(suppressed)d "
                "of %(num)d person (%(share)s), more than the largest share allowed "
                "(%(allowed)s).",
                "Nothing exported: k=%(k)d would suppress the demographics of %(suppressed)d "
                "of %(num)d people (%(share)s), more than the largest share allowed "
                "(%(allowed)s).",
                count,
                k=values["k"],
                suppressed=values["suppressed"],
                share=format_percent(values["suppressed"] / max(count, 1)),
                allowed=format_percent(values["max_suppression"], "#,##0.#%"),
            )
        case refusals.GROUP_UNDER_K:
            return ngettext(
                "Nothing exported: the written file has a group of only %(num)d person where "
                "k=%(k)d was promised, so it was not released.",
                "Nothing exported: the written file has a group of only %(num)d people where "
                "k=%(k)d was promised, so it was not released.",
                count,
                k=values["k"],
            )
        case refusals.TOO_FEW_ANSWERS:
            return ngettext(
                "Nothing exported: in the written file, some group's answers to %(question)s "
                "take only %(num)d value where l=%(l)d was asked, so it was not released.",
                "Nothing exported: in the written file, some group's answers to %(question)s "
                "take only %(num)d different values where l=%(l)d was asked, so it was not "
                "released.",
                int(values["distinct"]),
                question=values["question"],
                l=values["l"],
            )
    # The rest name files, columns and purposes as the purpose file and the checks do.
    return _("Nothing exported: %(reason)s", reason=values.get("detail") or str(refusal))


def _page(form: ExportForm, status: int = 200, refusal: str | None = None):
    return (
        render_template(
            "admin/exports.html",
            form=form,
            history=export_history(HISTORY_LENGTH),
            releases=release_register(HISTORY_LENGTH),
            refusal=refusal,
        ),
        status,
    )


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
    # Imported here: pandas takes a while to load, and only a download needs it.
    from exports.pipeline import Options

    from ...exporting.service import run_export

    options = Options(
        k=form.k.data,
        max_suppression=form.max_suppression.data,
        with_followups=form.with_followups.data,
        programme=form.programme.data or None,
        term=form.term.data or None,
        l_diversity=form.l_diversity.data,
    )
    bundle = BytesIO()
    try:
        # run_export writes the audit entry, for a refusal too, and commits it.
        run_export(
            form.survey.data,
            options,
            form.format.data,
            bundle,
            actor=current_user.email,
            purpose=form.purpose.data,
        )
    except ExportRefused as refusal:
        return _page(form, 422, refusal=_refusal_text(refusal))
    bundle.seek(0)
    return send_file(
        bundle,
        as_attachment=True,
        download_name=f"{form.survey.data}-{date.today().isoformat()}.zip",
        mimetype="application/zip",
    )
