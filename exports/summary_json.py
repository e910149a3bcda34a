"""The code summary as JSON: the Summary model, whose schema is published as schemas/json/summary.schema.json."""

from collections.abc import Iterable, Iterator

from pydantic import BaseModel

from exports.derive import SummaryParts
from schemas.code_record import CodeRecord
from schemas.summary import Summary

# The Summary's fields that list events, and the SummaryParts method that yields each one's rows.
STREAMED = {
    "findings": "findings",
    "drugs": "drugs",
    "fluids": "fluids",
    "samples": "samples",
    "clinical": "clinical",
    "notes": "notes",
    "record_keeping": "record_keeping",
    "late_entries": "late_entries",
    "timeline": "full_timeline",
}


def render_json(record: CodeRecord) -> bytes:
    return "".join(json_chunks(record)).encode("utf-8")


def json_chunks(record: CodeRecord) -> Iterator[str]:
    """`Summary.model_dump_json(indent=2)` and a newline, byte for byte, written a row at a time: each field
    and each row is dumped by its own model and indented to its place, so no list is ever held whole."""
    parts = SummaryParts(record)
    for i, name in enumerate(Summary.model_fields):
        yield ("{" if i == 0 else ",") + f'\n  "{name}": '
        if name in STREAMED:
            yield from _list(getattr(parts, STREAMED[name])())
        else:
            value = getattr(parts, name)
            yield from _list(value) if isinstance(value, list) else (_nested(value, 2),)
    yield "\n}\n"


def _nested(model: BaseModel, depth: int) -> str:
    # JSON strings hold no raw newline: every newline in the dump is between tokens, indented by the dump.
    return model.model_dump_json(indent=2).replace("\n", "\n" + " " * depth)


def _list(rows: Iterable[BaseModel]) -> Iterator[str]:
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        yield "[]"
        return
    yield "[\n    " + _nested(first, 4)
    for row in rows:
        yield ",\n    " + _nested(row, 4)
    yield "\n  ]"
