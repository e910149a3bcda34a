"""The code summary as JSON: the Summary model, whose schema is published as schemas/json/summary.schema.json."""

from exports.derive import summarise
from schemas.code_record import CodeRecord


def render_json(record: CodeRecord) -> bytes:
    return (summarise(record).model_dump_json(indent=2) + "\n").encode("utf-8")
