"""The JSON Schema files published in schemas/json/, generated from the models."""

import json
from pathlib import Path
from typing import Any

from schemas.audit import AuditExport
from schemas.events import EVENT_ADAPTER
from schemas.patient import Patient
from schemas.records import Flag
from schemas.summary import Summary

JSON_DIR = Path(__file__).parent / "json"


def schema_documents() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema document."""
    docs = {
        "event.schema.json": EVENT_ADAPTER.json_schema(),
        "patient.schema.json": Patient.model_json_schema(),
        "flag.schema.json": Flag.model_json_schema(),
        # `recorder summary --format json` (exports.md §1) and `recorder audit --format json` (§2).
        "summary.schema.json": Summary.model_json_schema(mode="serialization"),
        "audit.schema.json": AuditExport.model_json_schema(mode="serialization"),
    }
    for name, doc in docs.items():
        doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        doc["$id"] = f"https://resus-recorder.invalid/schemas/{name}"
    return docs


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: Path = JSON_DIR) -> list[Path]:
    """Write every schema file into `directory`; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, doc in schema_documents().items():
        path = directory / name
        path.write_text(render(doc), encoding="utf-8")
        written.append(path)
    return written
