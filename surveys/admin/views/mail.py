"""Admin pages: the mail texts — the built-in invitation and reminder in every language,
and each programme's own wording of them (subject and body per language).

A wording is checked on every save (`followups/mail_texts.py`: known placeholders only,
`{link}` in the body) and refused with 422 and its problems, nothing stored; a preview
shows it filled in for a sample person and stores nothing. Admins only; a save or a removal
is audited (which message, never its words).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from i18n import language_name

from ...extensions import db
from ...followups.mail_samples import mail_languages, sample
from ...followups.mail_texts import (
    BODY_MAX,
    PLACEHOLDERS,
    SUBJECT_MAX,
    Wording,
    problems,
    programme_by_code,
    remove_wording,
    save_wording,
    wording_for,
    wordings_of,
)
from ...models import MAIL_KINDS
from ...participants.programmes import programmes_by_name
from .. import bp
from ..access import admin_only

KIND_NAMES = {"invitation": _l("Invitation"), "reminder": _l("Reminder")}


class WordingForm(FlaskForm):
    # Checked by `problems`, which words every refusal; the lengths only bound the boxes.
    subject = StringField(_l("Subject"), render_kw={"maxlength": SUBJECT_MAX})
    body = TextAreaField(_l("Message"), render_kw={"rows": 12, "maxlength": BODY_MAX})


@bp.get("/mail")
@admin_only
def mail_texts():
    languages = mail_languages()
    built_in = {
        (kind, lang): sample(kind, lang, _("Your programme"))
        for kind in MAIL_KINDS
        for lang in languages
    }
    return render_template(
        "admin/mail_texts.html",
        programmes=programmes_by_name(),
        languages=languages,
        kinds=MAIL_KINDS,
        kind_names=KIND_NAMES,
        built_in=built_in,
        language_name=language_name,
    )


@bp.get("/mail/<code>")
@admin_only
def programme_mail(code: str):
    programme = programme_by_code(code) or abort(404)
    return render_template(
        "admin/programme_mail.html",
        programme=programme,
        stored=wordings_of(programme.id),
        languages=mail_languages(),
        kinds=MAIL_KINDS,
        kind_names=KIND_NAMES,
        language_name=language_name,
    )


def _wording_page(programme, kind: str, lang: str, form: WordingForm, **extra):
    return render_template(
        "admin/mail_wording.html",
        programme=programme,
        kind=kind,
        kind_name=KIND_NAMES[kind],
        lang=lang,
        language_name=language_name,
        form=form,
        placeholders=PLACEHOLDERS,
        built_in=sample(kind, lang, programme.name),
        stored=wording_for(programme.id, kind, lang) is not None,
        **extra,
    )


def _target(code: str, kind: str, lang: str):
    programme = programme_by_code(code)
    if programme is None or kind not in MAIL_KINDS or lang not in mail_languages():
        abort(404)
    return programme


@bp.get("/mail/<code>/<kind>/<lang>")
@admin_only
def edit_wording(code: str, kind: str, lang: str):
    programme = _target(code, kind, lang)
    form = WordingForm(formdata=None)
    stored = wording_for(programme.id, kind, lang)
    if stored is not None:
        form.subject.data, form.body.data = stored.subject, stored.body
    return _wording_page(programme, kind, lang, form)


@bp.post("/mail/<code>/<kind>/<lang>")
@admin_only
def save_mail_wording(code: str, kind: str, lang: str):
    programme = _target(code, kind, lang)
    form = WordingForm()
    if not form.validate_on_submit():  # the CSRF token
        return _wording_page(
            programme, kind, lang, form, problems=form.errors.get("csrf_token", [])
        ), 400
    action = request.form.get("action", "preview")
    if action == "remove":
        if remove_wording(programme, kind, lang):
            db.session.commit()
            flash(_("The built-in text is used again."), "info")
        return redirect(url_for("admin.programme_mail", code=code))
    wording = Wording(form.subject.data or "", (form.body.data or "").replace("\r\n", "\n"))
    found = problems(wording.subject, wording.body)
    if found:
        return _wording_page(programme, kind, lang, form, problems=found), 422
    if action == "save":
        save_wording(programme, kind, lang, wording)
        db.session.commit()
        flash(
            _(
                "Saved for %(programme)s: %(kind)s, %(language)s.",
                programme=programme.name,
                kind=KIND_NAMES[kind],
                language=language_name(lang),
            ),
            "info",
        )
        return redirect(url_for("admin.programme_mail", code=code))
    return _wording_page(
        programme, kind, lang, form, preview=sample(kind, lang, programme.name, wording)
    )
