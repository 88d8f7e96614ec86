"""Import an XLSForm workbook (.xlsx or .xls) as a Pathways survey definition.

The import runs in stages, a module each: `reading` opens the workbook safely and reads its
sheets as rows; `columns` says what each header means and `languages` which language each
text is in; `settings` reads the survey's id, title and version; `questions` walks the
survey sheet into pages of questions (a repeat one question with its own), with `types`
saying which XLSForm types are ours;
`choices` reads the choice lists and their filter columns; `references` renames questions
to our names and rewrites expressions and piped texts to match (`xpath` reads expressions
as pyxform does); `converting` builds our definition and `writing` writes it as YAML.
`placing` then checks the YAML with our own validator and reports each of its problems at
the sheet, row and column to fix, as `messages` does for every other problem.

Calculations, choice filters, defaults, read-only questions, required messages, answers
shown in texts (${name}) and repeats (`begin repeat` … `end repeat`, with their counts)
become the same keys of our YAML. Things our surveys cannot do (a repeat inside a repeat,
reading a repeat's answers from outside it, GPS, media, external choices, form metadata,
ODK functions our expressions lack, ...) are errors; with `skip_unsupported` each becomes a
warning and its row is left out (a repeat inside a repeat with everything inside it), and
so, one warning each, is what reads a row left out: a question whose relevant, calculation,
choice filter or default reads one, a repeat or group whose relevant (or count) does, with
everything inside it, in order, so that it cascades; a constraint that reads one is left
out with its message, the question kept; a page title or choice label is shown without the
answer it cannot show. Without `skip_unsupported` each of those is an error. A text missing
in one language is shown in the default language, with a warning, as pyxform does.
"""

from __future__ import annotations

from pathlib import Path

from .choices import read_choices
from .converting import build_definition
from .languages import Translations, resolve_languages
from .messages import ImportResult, Message, Report
from .placing import Places, validate
from .questions import read_survey
from .reading import Broken, read_workbook
from .references import Expressions, rename_questions
from .settings import identify, read_settings
from .writing import dump

__all__ = ["ImportResult", "Message", "import_xlsform"]


def import_xlsform(
    path: str | Path, survey_id: str | None = None, skip_unsupported: bool = False
) -> ImportResult:
    """Convert an XLSForm into our YAML, checked by our validator; never raises on a bad file."""
    path = Path(path)
    report = Report(str(path), skip_unsupported)
    try:
        workbook = read_workbook(path)
    except Broken as broken:
        return ImportResult(problems=[Message(report.file, str(broken))])
    if workbook.entities:
        report.unsupported_sheet("entities", "entities (saving to a dataset) are not supported")
    sheets = workbook.sheets
    settings = read_settings(sheets.get("settings"))
    languages = resolve_languages(sheets, settings, report)
    translations = Translations(languages, report)
    survey = read_survey(sheets["survey"], report, translations)
    places = Places(report.file)
    choices = read_choices(
        sheets.get("choices"), survey.pages, translations, settings, report, places
    )
    translations.warn_missing()
    renamed = rename_questions(survey.pages, report)
    expressions = Expressions(renamed, survey.skipped, report, choices.columns, survey.repeats)
    data = build_definition(
        identify(settings, path, survey_id, report),
        survey.pages,
        choices.lists,
        source=path.name,
        languages=languages,
        expressions=expressions,
        report=report,
        places=places,
    )
    yaml_text = dump(data)
    result = ImportResult(yaml_text=yaml_text)
    result.definition = validate(
        yaml_text,
        places,
        report,
        id_given=survey_id is not None,
        has_pages=bool(data["pages"]),
        refused_lists=choices.refused,
        said=expressions.said,
        calculations_refused=expressions.calculations_refused,
    )
    result.problems = report.sorted_problems()
    result.warnings = report.sorted_warnings()
    if result.problems:
        result.yaml_text = result.definition = None
    return result
