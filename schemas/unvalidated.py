"""A pydantic model made from values that already are what its validation gives, without validating them again."""

from typing import Any, TypeVar

from pydantic import BaseModel

NEW = object.__new__
# BaseModel's own slots, set through their descriptors (object.__setattr__ looks each one up by name first).
SET_DICT = BaseModel.__dict__["__dict__"].__set__
SET_GIVEN = BaseModel.__dict__["__pydantic_fields_set__"].__set__
SET_EXTRA = BaseModel.__dict__["__pydantic_extra__"].__set__
SET_PRIVATE = BaseModel.__dict__["__pydantic_private__"].__set__

M = TypeVar("M", bound=BaseModel)


def unvalidated(cls: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    """A `cls` holding `values` as validation would have left them (no private or extra values): the caller
    answers for the values' types and order (recorder/store/trusted.py, exports/row_models.py say how)."""
    model = NEW(cls)
    SET_DICT(model, values)
    SET_GIVEN(model, fields_set)
    SET_EXTRA(model, None)
    SET_PRIVATE(model, None)
    return model
