"""Survey definitions turned into WTForms classes: one field type per question type."""

from .builder import build_page_form
from .types import FIELD_TYPES, FieldType, field_type

__all__ = ["FIELD_TYPES", "FieldType", "build_page_form", "field_type"]
