"""Admin pages: exports — the CLI's `export` as a form, the bundle as a download, and who
exported what with which k, read back from the audit log. Open to admins and analysts:
downloading anonymised data is what analysts are here for."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import render_template, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from exports import FORMATS

from ...exporting.history import export_history, release_register
from ...survey_versions import survey_ids
from .. import bp

HISTORY_LENGTH = 50
# No release asks for groups larger than this; a bigger number is a slip (or an attack on
# the arithmetic), not a privacy setting.
MAX_K = 1000


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


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
    programme = StringField(
        _l("Only this programme (code, e.g. gsoc)"),
        filters=[_blank_to_none],
        validators=[Optional(), Length(max=64)],
    )
    term = StringField(
        _l("Only this term"), filters=[_blank_to_none], validators=[Optional(), Length(max=100)]
    )


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
    form.survey.choices = survey_ids()
    try:
        form.purpose.choices = [(name, p.title) for name, p in purposes_available().items()]
    except ExportRefused as refusal:
        form.purpose.choices = []
        return _page(form, 500, refusal=str(refusal))
    if not form.validate_on_submit():
        return _page(form, 422 if form.is_submitted() else 200)
    # Imported here: pandas takes a while to load, and only a download needs it.
    from exports.pipeline import Options

    from ...exporting.service import run_export

    options = Options(
        k=form.k.data,
        max_suppression=form.max_suppression.data,
        with_followups=form.with_followups.data,
        programme=form.programme.data,
        term=form.term.data,
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
        return _page(form, 422, refusal=str(refusal))
    bundle.seek(0)
    return send_file(
        bundle,
        as_attachment=True,
        download_name=f"{form.survey.data}-{date.today().isoformat()}.zip",
        mimetype="application/zip",
    )
