"""Admin pages: surveys — the list, and upload → validate → preview → publish.

Nothing is kept on the server between the steps (any worker may serve the next one): the
preview carries the validated YAML in a hidden field of its form, and every step checks it
again with the same validator as `surveys load`, because a hidden field comes back as
whatever the browser sends.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired

from i18n import html_lang, language_name, localized, text_direction

from ...audit_log import audit
from ...definitions import read_definition
from ...definitions.model import Question, Survey, Texts, read_survey
from ...definitions.translations import completeness
from ...definitions.xlsform import import_xlsform
from ...extensions import db
from ...survey_versions import (
    VersionConflict,
    is_public,
    latest_version,
    store_definition,
    stored_version,
    summaries,
    version_numbers,
)
from .. import bp
from ..access import admin_only

YAML_SUFFIXES = ("yaml", "yml")
XLSFORM_SUFFIXES = ("xlsx", "xls")


class UploadForm(FlaskForm):
    definition = FileField(
        _l("Definition file (YAML or XLSForm)"),
        validators=[
            FileRequired(_l("Choose a file to upload.")),
            FileAllowed(
                YAML_SUFFIXES + XLSFORM_SUFFIXES,
                _l("Upload a .yaml, .yml, .xlsx or .xls file."),
            ),
        ],
    )
    skip_unsupported = BooleanField(
        _l("XLSForm: leave out what Pathways cannot do, with a warning")
    )


class PublishForm(FlaskForm):
    """The preview's form: the YAML to publish, and the file name its problems are named by."""

    yaml_text = HiddenField(validators=[DataRequired(_l("There is no definition to publish."))])
    file_name = HiddenField()


@dataclass
class Checked:
    """A definition read and checked: the definition is None when there are problems."""

    file_name: str
    definition: dict[str, Any] | None = None
    yaml_text: str | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --- the list ------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyRow:
    survey_id: str
    title: str
    version: int
    versions: int
    languages: list[str]
    # language -> whole percent, rounded down so that 99.6% never reads as complete
    complete: dict[str, int]
    responses: int
    # The public link, or a note that the survey is answered through personal links only.
    link: str


def survey_rows() -> list[SurveyRow]:
    """One row per survey: its latest version, and the responses to all its versions."""
    by_survey: dict[str, list] = {}
    for summary in summaries():
        by_survey.setdefault(summary.survey_id, []).append(summary)
    rows = []
    for survey_id, versions in by_survey.items():
        latest = latest_version(survey_id)
        assert latest is not None, "summaries() lists stored versions, and none is ever deleted"
        rows.append(
            SurveyRow(
                survey_id=survey_id,
                title=latest.title,
                version=latest.version,
                versions=len(versions),
                languages=list(latest.survey.languages),
                complete={
                    c.language: math.floor(c.percent) for c in completeness(latest.definition)
                },
                responses=sum(v.responses for v in versions),
                link=(
                    public_link(survey_id)
                    if is_public(latest.definition)
                    else _("personal links only")
                ),
            )
        )
    return rows


def public_link(survey_id: str) -> str:
    """The absolute public link: PUBLIC_URL when set (what people reach), else this host."""
    base = current_app.config["PATHWAYS"].public_url or request.host_url.rstrip("/")
    return base + url_for("public.show_page", survey_id=survey_id)


# --- reading and checking ------------------------------------------------------------


@contextmanager
def _workspace() -> Iterator[Path]:
    """A temporary folder laid out like SURVEYS_DIR, with its `programmes/` beside the file,
    so an upload is read exactly as `surveys load` reads it (same rules, same content)."""
    with tempfile.TemporaryDirectory(prefix="pathways-upload-") as folder:
        programmes = Path(current_app.config["PATHWAYS"].surveys_dir) / "programmes"
        if programmes.is_dir():
            shutil.copytree(programmes, Path(folder) / "programmes")
        yield Path(folder)


def _named(messages: list, file_name: str) -> list[str]:
    """Problems named by the uploaded file's name, not by the temporary path."""
    return [str(dataclasses.replace(message, file=file_name)) for message in messages]


def _safe_name(raw: str | None) -> str:
    """A name safe for our temporary folder that keeps the file's kind (its suffix)."""
    suffix = Path(raw or "").suffix.lower()
    name = secure_filename(raw or "")
    # secure_filename("調査.yaml") is "yaml": keep the suffix, lose the unusable stem.
    return name if name and Path(name).suffix.lower() == suffix else f"survey{suffix}"


def check_upload(upload: FileStorage, skip_unsupported: bool) -> Checked:
    """Read an uploaded YAML definition or XLSForm (converted to YAML) and check it."""
    file_name = _safe_name(upload.filename)
    with _workspace() as folder:
        path = folder / file_name
        upload.save(path)
        if path.suffix.lower().lstrip(".") in XLSFORM_SUFFIXES:
            return _convert_xlsform(path, skip_unsupported)
        if path.suffix != path.suffix.lower():
            # read_definition knows lower-case suffixes only: SURVEY.YAML is still YAML.
            path = path.rename(path.with_suffix(path.suffix.lower()))
        return _check_file(path, file_name)


def _convert_xlsform(path: Path, skip_unsupported: bool) -> Checked:
    result = import_xlsform(path, skip_unsupported=skip_unsupported)
    checked = Checked(
        file_name=f"{path.stem}.yaml",
        problems=_named(sorted(result.problems, key=lambda m: m.sort_key()), path.name),
        warnings=_named(result.warnings, path.name),
    )
    if not checked.problems and result.yaml_text is not None:
        checked.yaml_text = result.yaml_text
        checked.definition = result.definition
    return checked


def check_text(yaml_text: str, file_name: str | None) -> Checked:
    """Check YAML text sent back by the preview's form, as if it were a file of that name."""
    name = _safe_name(file_name)
    if not name.endswith((".yaml", ".yml")):
        name = f"{Path(name).stem}.yaml"
    with _workspace() as folder:
        path = folder / name
        path.write_text(yaml_text, encoding="utf-8")
        return _check_file(path, name)


def _check_file(path: Path, file_name: str) -> Checked:
    definition, problems = read_definition(path)
    checked = Checked(file_name=file_name, problems=_named(problems, file_name))
    if definition is not None:
        checked.definition = definition
        checked.yaml_text = path.read_text(encoding="utf-8")
    return checked


# --- the preview ---------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewQuestion:
    """A question as the preview lists it, its texts in the language shown."""

    name: str
    # The question type, and its choice list's name when it has one: "select_one yes_no".
    type: str
    label: str
    hint: str
    required: bool
    other: bool
    choices: list[tuple[str, str]]  # (code, label)
    # What decides when and how it is asked, as written: ("relevant", "${a} = 'y'"), …
    logic: list[tuple[str, str]] = field(default_factory=list)
    # The repeat it is asked in, once per entry.
    repeat: str | None = None


@dataclass(frozen=True)
class PreviewPage:
    name: str
    title: str
    questions: list[PreviewQuestion]


def preview_pages(survey: Survey, lang: str) -> list[PreviewPage]:
    """Every page's title and questions as a respondent reading `lang` would see them."""

    def text(value: Texts) -> str:
        return localized(value, lang, survey.default_language)

    def previewed(question: Question, repeat: str | None = None) -> PreviewQuestion:
        choice_list = survey.choice_list(question)
        choices = choice_list.choices if choice_list else ()
        return PreviewQuestion(
            name=question.name,
            type=" ".join(filter(None, [question.type, question.list_name])),
            label=text(question.label),
            hint=text(question.hint),
            required=question.required,
            other=question.other,
            choices=[(c.code, text(c.label)) for c in choices],
            logic=_logic(question),
            repeat=repeat,
        )

    pages = []
    for page in survey.pages:
        questions = []
        for question in page.questions:
            questions.append(previewed(question))
            questions.extend(previewed(inner, question.name) for inner in question.questions)
        pages.append(PreviewPage(page.name, text(page.title), questions))
    return pages


def _logic(question: Question) -> list[tuple[str, str]]:
    """The keys that decide when and how a question is asked, with what they say."""
    logic = [
        (key, value)
        for key, value in (
            ("relevant", question.relevant),
            ("constraint", question.constraint),
            ("calculation", question.calculation),
            ("choice_filter", question.choice_filter),
            ("default", question.default),
            ("repeat_count", question.repeat_count),
        )
        if value is not None
    ]
    if question.read_only:
        logic.append(("read_only", "true"))
    if question.is_repeat and question.repeat_count is None:
        logic.append(("entries", f"{question.min_count}–{question.max_count}"))
    return logic


def _render_preview(
    checked: Checked, form: PublishForm, problems: list[str] | None = None, status: int = 200
) -> tuple[str, int]:
    assert checked.definition is not None, "only a definition without problems is previewed"
    # Not published yet: read for this page only, not into the shared models of versions.
    survey = read_survey(checked.definition)
    form.yaml_text.data = checked.yaml_text
    form.file_name.data = checked.file_name
    published = latest_version(survey.id)
    return render_template(
        "admin/survey_preview.html",
        form=form,
        **_preview(survey, checked.definition),
        warnings=checked.warnings,
        problems=problems or [],
        published=published.version if published else None,
    ), status


def _preview(survey: Survey, definition: dict[str, Any]) -> dict[str, Any]:
    """What both previews show: the pages in the language asked (else the survey's)."""
    lang = request.args.get("lang", "")
    if lang not in survey.languages:
        lang = survey.default_language
    return {
        "definition": survey,
        "title": localized(survey.title, lang, survey.default_language),
        "pages": preview_pages(survey, lang),
        "lang": lang,
        "lang_attr": html_lang(lang),
        "lang_dir": text_direction(lang),
        "language_name": language_name,
        "completeness": completeness(definition),
    }


def _render_version(survey_id: str, version: int) -> str:
    """A published version's preview: the same pages as before publishing, in the language
    asked, with no publish form (nothing is stored)."""
    stored = stored_version(survey_id, version)
    if stored is None:
        abort(404)
    return render_template(
        "admin/survey_preview.html",
        form=None,
        **_preview(stored.survey, stored.definition),
        warnings=[],
        problems=[],
        versions=version_numbers(survey_id),
    )


def _render_list(
    form: UploadForm, problems: list[str] | None = None, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "admin/surveys.html", rows=survey_rows(), form=form, problems=problems or []
    ), status


def _form_errors(form: FlaskForm) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


# --- views ---------------------------------------------------------------------------


@bp.get("/surveys")
@admin_only
def surveys():
    return _render_list(UploadForm())


@bp.get("/surveys/<survey_id>/versions/<int:version>")
@admin_only
def survey_version_preview(survey_id: str, version: int):
    return _render_version(survey_id, version)


@bp.post("/surveys/upload")
@admin_only
def survey_upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_list(form, _form_errors(form), 422)
    checked = check_upload(form.definition.data, form.skip_unsupported.data)
    if checked.definition is None:
        return _render_list(form, checked.problems, 422)
    return _render_preview(checked, PublishForm(formdata=None))


@bp.post("/surveys/preview")
@admin_only
def survey_preview():
    """The same preview in another language: the YAML comes back and is checked again."""
    form = PublishForm()
    checked = _checked_again(form)
    if not isinstance(checked, Checked):
        return checked
    return _render_preview(checked, form)


def _checked_again(form: PublishForm) -> Checked | tuple[str, int]:
    """The YAML carried in the page's hidden field, validated again (never trusted), or
    the list page with what is wrong."""
    if not form.validate_on_submit():
        return _render_list(UploadForm(formdata=None), _form_errors(form), 422)
    checked = check_text(form.yaml_text.data, form.file_name.data)
    if checked.definition is None:
        return _render_list(UploadForm(formdata=None), checked.problems, 422)
    return checked


@bp.post("/surveys/publish")
@admin_only
def survey_publish():
    form = PublishForm()
    checked = _checked_again(form)
    if not isinstance(checked, Checked):
        return checked
    definition = checked.definition
    assert definition is not None, "_checked_again returns only a definition without problems"
    try:
        stored, created = store_definition(definition)
    except VersionConflict:
        db.session.rollback()
        conflict = _(
            "%(survey)s version %(version)d is already published with different content; "
            "raise the version to publish a change.",
            survey=definition["id"],
            version=definition["version"],
        )
        return _render_preview(checked, form, [conflict], 409)
    if created:
        audit("survey published", survey=stored.survey_id, version=stored.version)
        db.session.commit()
        flash(
            _(
                "Published %(survey)s version %(version)d.",
                survey=stored.survey_id,
                version=stored.version,
            ),
            "info",
        )
    else:
        flash(
            _(
                "%(survey)s version %(version)d is already published with this content; "
                "nothing changed.",
                survey=stored.survey_id,
                version=stored.version,
            ),
            "info",
        )
    return redirect(url_for("admin.surveys"))
