"""A summary row's model made without validation, from values that already have its fields' types."""

from typing import Any, TypeVar

from pydantic import BaseModel

from schemas.unvalidated import unvalidated

# A summary's drug, fluid, sample and flag rows are made from the code's validated events and the engine's
# validated facts, and from sums and quotients of their floats: validating them again changes no value (the
# test tests/exports/test_row_models.py compares every row of realistic and generated codes, value and type,
# with the validated one) and cost about five times the making of the model (5 µs a drug row).

M = TypeVar("M", bound=BaseModel)

# Per row model: its fields in order, and the set of them given (every one): one set shared by every row, as
# the models are frozen (pydantic refuses an assignment before it would add to the set; a model_copy copies it).
_FIELDS: dict[type[BaseModel], tuple[tuple[str, ...], set[str]]] = {}


def built(cls: type[M], **values: Any) -> M:
    """`cls(**values)` for values of its fields' types, every field given in the model's order; validated as
    `cls(**values)` is otherwise (some field missing or out of order)."""
    known = _FIELDS.get(cls)
    if known is None:
        known = _FIELDS[cls] = _fields(cls)
    names, given = known
    if tuple(values) != names:
        return cls(**values)
    return unvalidated(cls, values, given)


def _fields(cls: type[BaseModel]) -> tuple[tuple[str, ...], set[str]]:
    # Only what a bare model holds: frozen (the shared set), no validator that could change a value, nothing
    # private or extra to set up.
    decorators = cls.__pydantic_decorators__
    assert cls.model_config.get("frozen"), cls
    assert not (decorators.field_validators or decorators.model_validators or decorators.root_validators), cls
    assert not cls.__private_attributes__ and cls.model_config.get("extra") in (None, "ignore"), cls
    names = tuple(cls.model_fields)
    return names, set(names)
