"""The question types of the definition language, as facts about the language.

What a definition may say about a question depends on its type: whether it names a choice
list, which privacy class it has when the author gives none, whether it has an answer at
all, whether its answer is a number (and so may be exported in bins). These facts are the
language's; how a type is shown and read back on a page is `forms.types`, which builds one
WTForms behaviour on each type named here and on no other.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the exports may do with an answer: drop it, generalise it, keep it apart.
PRIVACY_CLASSES = ("identifier", "quasi_identifier", "sensitive", "free_text", "none")


@dataclass(frozen=True)
class QuestionType:
    """One type a definition may give a question: `type: NAME` (or `type: NAME LIST`)."""

    name: str
    default_privacy: str = "none"
    # `select_one LIST` and `select_multiple LIST` name a choice list after the type.
    takes_choice_list: bool = False
    # Text shown to the respondent, with no answer: never required, never constrained.
    is_note: bool = False
    # The answer is a number, exported in the bins the definition declares.
    is_number: bool = False
    # The answer comes from `calculation:`, never from the respondent: nothing is shown.
    is_calculated: bool = False
    # A group of questions asked once per repetition; its answer is a list of objects.
    is_repeat: bool = False


QUESTION_TYPES: dict[str, QuestionType] = {
    t.name: t
    for t in (
        QuestionType("text", default_privacy="free_text"),
        QuestionType("long_text", default_privacy="free_text"),
        QuestionType("integer", is_number=True),
        QuestionType("decimal", is_number=True),
        # Dates narrow people down: quasi-identifiers unless the definition says not.
        QuestionType("date", default_privacy="quasi_identifier"),
        QuestionType("email", default_privacy="identifier"),
        QuestionType("select_one", takes_choice_list=True),
        QuestionType("select_multiple", takes_choice_list=True),
        QuestionType("consent"),
        QuestionType("note", is_note=True),
        # Its privacy is the strictest of the questions its calculation reads (validator).
        QuestionType("calculate", is_calculated=True),
        QuestionType("repeat", is_repeat=True),
    )
}

# Question types whose answers are numbers, exported in the bins their definition declares.
NUMBER_TYPES = tuple(name for name, t in QUESTION_TYPES.items() if t.is_number)
