"""The names a definition gives things: its survey id, its pages, questions and choice
lists, and the codes of its choices."""

from __future__ import annotations

import re

SURVEY_ID = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
# Pages, questions and choice lists: a question's name is a form field's and an answer's key.
QUESTION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
CHOICE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
# Names a question cannot take because the generated form already uses them.
RESERVED_NAMES = {
    "data",
    "errors",
    "meta",
    "validate",
    "process",
    "populate_obj",
    "form_errors",
    "answers",
    "action",
    "csrf_token",
    "page",
    "lang",
}
