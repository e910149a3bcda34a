"""Stored events rebuilt without validating them again: they were validated when written and are hash-chained.

Validating each stored event again was about half of reading a code back (BENCHMARKS.md, issue 17). A
stored payload is the canonical JSON of an event that passed validation, so its values are already what
validation gives; rebuilding the model from them skips the per-field checks and the model validators (which
only check, never change a value). What is still checked here, cheaply, is the shape: every field of the
kind and no other, each of a JSON type its field takes; anything else (a damaged or hand-edited payload, a
kind whose fields are models or datetimes) goes through full validation as before. `recorder verify`
validates every payload in full (Store._verify_chain).
"""

import json
import types
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from schemas.events import EVENT_ADAPTER, KIND_MODEL, BaseEvent
from schemas.records import EventRecord
from schemas.unvalidated import NEW, SET_DICT, SET_EXTRA, SET_GIVEN, SET_PRIVATE, unvalidated

# What json.loads runs, without its wrapping (a third of its time).
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _json_types(annotation: Any) -> tuple[type, ...] | None:
    """The JSON value types a field of this annotation takes as stored, or None when its values are not plain
    JSON values (a nested model, a datetime): such a kind is always validated."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _json_types(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        found: list[type] = []
        for arg in get_args(annotation):
            part = _json_types(arg)
            if part is None:
                return None
            found.extend(part)
        return tuple(dict.fromkeys(found))
    if origin is Literal:
        values = get_args(annotation)
        return (str,) if all(isinstance(v, str) for v in values) else None
    if origin is list:
        (item,) = get_args(annotation)
        return (list,) if _json_types(item) == (str,) else None
    if origin is dict:
        return (dict,)  # an amend's changes: any JSON, checked when it was written
    if annotation is type(None):
        return (type(None),)
    if annotation in (str, bool, int):
        return (annotation,)
    if annotation is float:
        return (float,)  # stored as an int when whole (canonical JSON): event() makes it the float again
    return None


class _Kind:
    """How to rebuild one kind's model from its stored values: its fields in order, their types and defaults."""

    __slots__ = ("cls", "defaults", "fields", "floats", "names", "required", "template")

    def __init__(self, cls: type[BaseEvent], fields: dict[str, tuple[type, ...]]) -> None:
        self.cls = cls
        self.fields = fields
        self.names = frozenset(fields)
        self.floats = frozenset(n for n, found in fields.items() if float in found and int not in found)
        self.required = frozenset(n for n, f in cls.model_fields.items() if f.is_required())
        given = cls.model_fields.items()
        self.defaults = {n: f.default for n, f in given if not f.is_required() and f.default is not PydanticUndefined}
        # Every field in the model's order, at its default (a required one at None, always given): a copy
        # updated with the stored values is the model's values in its order, without a lookup per field.
        self.template = {n: self.defaults.get(n) for n in fields}


def _kinds() -> dict[str, _Kind]:
    out: dict[str, _Kind] = {}
    for kind, cls in KIND_MODEL.items():
        if cls.model_config.get("extra") != "forbid" or cls.__pydantic_decorators__.field_validators:
            continue
        if any(d.info.mode != "after" for d in cls.__pydantic_decorators__.model_validators.values()):
            continue  # a validator that could change what it is given: always validated
        fields: dict[str, tuple[type, ...]] = {}
        for name, info in cls.model_fields.items():
            found = _json_types(info.rebuild_annotation())
            if found is None or (info.default_factory is not None):
                break
            fields[name] = found
        else:
            out[kind] = _Kind(cls, fields)
    return out


KINDS = _kinds()


def payload(text: str) -> Any:
    """A stored payload parsed: json.loads for text the store wrote (canonical JSON: no space around it)."""
    try:
        value, end = _SCAN(text, 0)
    except (StopIteration, TypeError):
        end = -1
    if end != len(text):
        return json.loads(text)  # what json.loads makes of anything else: a space around it, or its error
    return value


def event(data: dict[str, Any]) -> BaseEvent:
    """The event a stored payload holds (with its kind and t): rebuilt when its shape is right, else validated
    (a ValidationError then, as ever, for a payload that is not an event)."""
    kind = KINDS.get(data.get("kind"))  # type: ignore[arg-type]
    if kind is not None and kind.required <= data.keys() <= kind.names:
        fields, floats = kind.fields, kind.floats
        for k, v in data.items():
            if type(v) not in fields[k]:
                if type(v) is not int or k not in floats:
                    break
                data[k] = float(v)  # canonical JSON writes 120.0 as 120; validation gives the float back
        else:
            values = kind.template.copy()
            values.update(data)  # only the model's fields (checked above): the template's order stands
            return unvalidated(kind.cls, values, set(data))
    return EVENT_ADAPTER.validate_python(data)


_RECORD_SET = ("code_id", "seq", "event", "occurred_at", "recorded_at", "schema_version", "entered_t")
assert EventRecord.model_config.get("frozen")  # what sharing _RECORD_GIVEN among records relies on (record)
_RECORD_GIVEN = set(_RECORD_SET)


class _Shape:
    """What a stored payload of one shape (its kind, its keys in order, their value types) rebuilds to: worked
    out once by the checks `event` makes, so that each stored event of that shape is one dict lookup, not a
    check per field."""

    __slots__ = ("cls", "floats", "given", "template")

    def __init__(self, kind: _Kind, given: set[str], floats: tuple[str, ...]) -> None:
        self.cls, self.template, self.given, self.floats = kind.cls, kind.template, given, floats


def _frozen(cls: type[BaseModel]) -> bool:
    return bool(cls.model_config.get("frozen"))


def _shape(key: tuple[Any, ...]) -> _Shape | None:
    """The shape of a stored payload (its kind, then its keys, then their value types), or None when it is not
    one `event` would rebuild (it is validated)."""
    kind = KINDS.get(key[0])
    n = (len(key) - 1) // 2
    keys, types = key[1 : 1 + n], key[1 + n :]
    # A payload holding its own kind or t is not one the store wrote (they are columns): validated.
    if kind is None or "kind" in keys or "t" in keys:
        return None
    given = {"kind", "t", *keys}
    # The kind and t that `stored` puts in are a str and a float, as `event` would have checked them.
    typed = str in kind.fields["kind"] and float in kind.fields["t"]
    if not (typed and _frozen(kind.cls) and kind.required <= given <= kind.names):
        return None
    floats = []
    for name, found in zip(keys, types, strict=True):
        if found not in kind.fields[name]:
            if found is not int or name not in kind.floats:
                return None
            floats.append(name)  # canonical JSON writes 120.0 as 120; validation gives the float back
    return _Shape(kind, given, tuple(floats))


# Shapes seen, by (kind, *keys, *value types): a few dozen in any real store (a key is a str, never a type:
# one flat tuple is unambiguous). Bounded, so that a store of hand-made oddities cannot grow it without end:
# past the bound a new shape is worked out every time.
_SHAPES: dict[tuple[Any, ...], _Shape | None] = {}
_SHAPES_MAX = 4096


_UNSEEN = object()  # a shape not worked out yet (None is a shape worked out as not rebuilt)


def stored_page(
    code_id: int, start: datetime | None, rows: list[tuple], exact: float, other: Callable[[tuple], EventRecord]
) -> list[EventRecord]:
    """The records of a page of stored rows (seq, kind, payload, occurred_at, recorded_at, schema_version,
    entered_t), each what `record(..., event({"kind": kind, "t": t, **payload}), ...)` gives, its t worked out
    from its time; `other(row)` for a row this does not take (its shape is not one `event` rebuilds, a value of
    another type than the store writes, a time `exact` or more from the start, anything that fails): the caller's
    general way.

    One loop with the shape's look-up and both models' making written out (the parse is `payload`'s): a Python
    call an event and four a record cost about a fifth of a summary's read. The fields given are one set per
    shape, not one per event: a frozen model's set is never changed (pydantic refuses the assignment before it
    would add to it, and a model_copy copies the set first); _shape takes frozen kinds only, and every record
    shares one set too (EventRecord is frozen).
    """
    out: list[EventRecord] = []
    add = out.append
    fromiso, parse, shapes = datetime.fromisoformat, payload, _SHAPES
    new, set_dict, set_given, set_extra, set_private = NEW, SET_DICT, SET_GIVEN, SET_EXTRA, SET_PRIVATE
    record_cls, record_given = EventRecord, _RECORD_GIVEN
    for row in rows:
        seq, kind, text, occurred_at, recorded_at, version, entered_t = row
        shape: Any = None
        if type(version) is int and (entered_t is None or type(entered_t) is float):
            try:
                occurred = fromiso(occurred_at)
                t = (occurred - (start or occurred)).total_seconds()
                if -exact < t < exact:  # else `other` rounds it
                    values = parse(text)
                    if type(values) is dict:
                        key = (kind, *values, *map(type, values.values()))
                        shape = shapes.get(key, _UNSEEN)
                        if shape is _UNSEEN:
                            shape = _shape(key)
                            if len(shapes) < _SHAPES_MAX:
                                shapes[key] = shape
                        # A time written twice as the same text (an entry stored as it happened) is one datetime.
                        if recorded_at == occurred_at:
                            recorded = occurred
                        else:
                            recorded = fromiso(recorded_at)
                            if (recorded.tzinfo is None) is not (occurred.tzinfo is None):
                                shape = None  # one with an offset, one without: `other` names the row damaged
            except (ValueError, TypeError):
                shape = None  # `other` says what is wrong with it
        if shape is None:
            add(other(row))
            continue
        fields = shape.template.copy()
        fields.update(values)  # only the model's fields (the shape says): the template's order stands
        fields["t"] = t
        for name in shape.floats:
            fields[name] = float(values[name])
        ev = new(shape.cls)
        set_dict(ev, fields)
        set_given(ev, shape.given)
        set_extra(ev, None)
        set_private(ev, None)
        rec = new(record_cls)
        set_dict(
            rec,
            {
                "code_id": code_id,
                "seq": seq,
                "event": ev,
                "occurred_at": occurred,
                "recorded_at": recorded,
                "schema_version": version,
                "amended_by": (),
                "entered_t": entered_t,
            },
        )
        set_given(rec, record_given)
        set_extra(rec, None)
        set_private(rec, None)
        add(rec)
    return out


def record(
    code_id: int,
    seq: int,
    ev: BaseEvent,
    occurred_at: datetime,
    recorded_at: datetime,
    schema_version: int,
    entered_t: float | None,
) -> EventRecord:
    """An EventRecord of values the store has just read and typed itself: what EventRecord(...) gives for them.
    Every record shares one set of fields given (EventRecord is frozen: nothing adds to it)."""
    return unvalidated(
        EventRecord,
        {
            "code_id": code_id,
            "seq": seq,
            "event": ev,
            "occurred_at": occurred_at,
            "recorded_at": recorded_at,
            "schema_version": schema_version,
            "amended_by": (),
            "entered_t": entered_t,
        },
        _RECORD_GIVEN,
    )
