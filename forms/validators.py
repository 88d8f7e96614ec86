"""Validators generated from a definition: the `constraint` expression of a question."""

from __future__ import annotations

from typing import Any

from wtforms import Field, Form
from wtforms.validators import ValidationError

from surveys.definitions.expressions import Expression, ExpressionError

from .types import FieldType


class Constraint:
    """Accept an answer only when the question's constraint is true for it.

    `.` is this answer; `${name}` reads the answers given so far, which the caller puts on
    the form as `form.answers`. An empty answer is not checked: `required` covers that.
    """

    def __init__(self, expression: Expression, message: str, field_type: FieldType) -> None:
        self.expression = expression
        self.message = message
        self.field_type = field_type

    def __call__(self, form: Form, field: Field) -> None:
        value: Any = self.field_type.to_answer(field.data)
        if value is None:
            return
        answers = getattr(form, "answers", {})
        try:
            accepted = self.expression.is_true(answers, value)
        except ExpressionError:
            accepted = False
        if not accepted:
            raise ValidationError(self.message)
