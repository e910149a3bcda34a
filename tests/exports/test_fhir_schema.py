"""Every Bundle we write passes the official FHIR JSON Schema and fhir.resources, and holds what the code holds."""

import copy
import hashlib
import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft6Validator

from exports.fhir import render_fhir
from exports.fhir_codes import RXNORM
from recorder.core.clock import FakeClock
from recorder.core.code_record import build_code_record
from recorder.core.scenario import parse_lines
from recorder.core.session import replay
from recorder.store import Store
from schemas.code_record import CodeRecord
from tests.conftest import SCENARIOS_V2
from tests.exports.fhir_schema import SCHEMA_SHA256, schema_bytes, schema_errors
from tests.factory import codes

LOINC = "http://loinc.org"
PUBLIC = sorted(SCENARIOS_V2.glob("*.jsonl"))


def _replayed(db: Path, text: str, name: str) -> CodeRecord:
    store = Store(db)
    try:
        session = replay(store, FakeClock(datetime(2026, 1, 1).astimezone()), parse_lines(text, name))
        return build_code_record(session)
    finally:
        store.close()


def _valid(record: CodeRecord) -> dict:
    """The record's Bundle, after both validators have passed it."""
    text = render_fhir(record)
    Bundle.model_validate_json(text)  # fhir.resources: types, cardinality, choice types
    data = json.loads(text)
    assert schema_errors(data) == []  # the official schema: also the codes of required bindings
    return data


def _loinc(resource: dict) -> str | None:
    return next((c["code"] for c in resource["code"].get("coding", []) if c["system"] == LOINC), None)


def _holds_everything(record: CodeRecord, data: dict) -> None:
    """Weight, vitals, rhythms, shocks, CPR and ROSC: one resource for each the effective timeline holds."""
    resources = [e["resource"] for e in data["entry"]]
    observed = Counter(_loinc(r) for r in resources if r["resourceType"] == "Observation")
    events = Counter(rec.kind for rec in record.timeline)
    vitals = [rec.event for rec in record.timeline if rec.kind == "vitals"]
    assert observed["8884-9"] == events["rhythm"]
    assert observed["8867-4"] == sum(v.hr is not None for v in vitals)  # type: ignore[union-attr]
    assert observed["59408-5"] == sum(v.spo2 is not None for v in vitals)  # type: ignore[union-attr]
    assert observed["85354-9"] == sum(any(x is not None for x in (v.sbp, v.dbp, v.map)) for v in vitals)  # type: ignore[union-attr]
    assert (observed["29463-7"] > 0) == (record.patient.weight_kg is not None or _ever_weighed(record))
    texts = Counter(r.get("code", {}).get("text") for r in resources)
    assert texts["Return of spontaneous circulation (ROSC)"] == events["rosc"]
    assert texts["Shock"] + texts["Synchronized shock"] == events["shock"]
    assert texts["CPR"] >= (events["cpr_started"] > 0 or events["cpr_stopped"] > 0)


def _ever_weighed(record: CodeRecord) -> bool:
    return any(getattr(rec.event, "patient", None) and rec.event.patient.weight_kg for rec in record.timeline)  # type: ignore[union-attr]


def test_the_schema_is_hl7s_r4_json_schema():
    raw = schema_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256  # a new schema is a deliberate change
    schema = json.loads(raw)
    assert schema["id"] == "http://hl7.org/fhir/json-schema/4.0"
    assert schema["$schema"] == "http://json-schema.org/draft-06/schema#"


@pytest.mark.parametrize("scenario", ["child", "adult", "newrules"])
def test_the_export_codes_pass_the_schema(request, scenario):
    record = request.getfixturevalue(scenario)
    _holds_everything(record, _valid(record))


@pytest.mark.parametrize("path", PUBLIC, ids=[p.stem for p in PUBLIC])
def test_the_public_scenarios_pass_the_schema(tmp_path, path):
    record = _replayed(tmp_path / "recorder.db", path.read_text(encoding="utf-8"), path.name)
    _holds_everything(record, _valid(record))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codes())
def test_any_valid_code_passes_the_schema(tmp_path_factory, events):
    """Codes as the screen or a scenario file could give them: late entries, voids, amends, carriers."""
    text = "".join(json.dumps(e) + "\n" for e in events)
    record = _replayed(tmp_path_factory.mktemp("gen") / "recorder.db", text, "gen")
    _holds_everything(record, _valid(record))


def test_a_saline_carrier_exports(tmp_path):
    """A carrier (a fluid infusion) has a (code, display) pair of its own: it once went in as a code, and the
    Bundle failed to build."""
    events = [
        {"t": 0, "kind": "code_started", "at": "2026-04-01T10:00:00+00:00", "arrest": True},
        {"t": 10, "kind": "iv_attempt", "line": "iv1", "result": "in"},
        {
            "t": 20,
            "kind": "infusion_started",
            "infusion": "inf1",
            "fluid": "saline",
            "rate": 10,
            "rate_unit": "mL/h",
            "line": "iv1",
            "method": "pump",
        },
    ]
    record = _replayed(tmp_path / "recorder.db", "".join(json.dumps(e) + "\n" for e in events), "carrier")
    data = _valid(record)
    (carrier,) = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "MedicationAdministration"]
    # The fluid table's code and its display, not the (code, display) pair put where the code goes.
    assert carrier["medicationCodeableConcept"]["coding"] == [
        {"system": RXNORM, "code": "313002", "display": "Sodium chloride 9 MG/ML"}
    ]


PLANTED = {
    # resourceType: (element, a value the spec's required value set does not have)
    "Patient": ("gender", "M"),
    "Encounter": ("status", "done"),
    "DetectedIssue": ("severity", "critical"),
}


def _plant(data: dict, kinds: list[str]) -> dict:
    planted = copy.deepcopy(data)
    for kind in kinds:
        element, value = PLANTED[kind]
        resource = next(e["resource"] for e in planted["entry"] if e["resource"]["resourceType"] == kind)
        resource[element] = value
    return planted


@pytest.mark.parametrize("kind", list(PLANTED))
def test_each_planted_code_is_rejected(child, kind):
    """fhir.resources does not check the codes of required bindings; the schema does, each on its own."""
    errors = schema_errors(_plant(json.loads(render_fhir(child)), [kind]))
    element, value = PLANTED[kind]
    assert len(errors) == 1 and f" {kind}.{element}: '{value}' is not one of" in errors[0]


def test_all_three_planted_codes_are_rejected(child):
    data = json.loads(render_fhir(child))
    planted = _plant(data, list(PLANTED))
    # The schema exactly as HL7 wrote it (a oneOf over every resource type, slow) agrees with ours.
    official = Draft6Validator(json.loads(schema_bytes()))
    assert official.is_valid(data) and not official.is_valid(planted)
    errors = schema_errors(planted)
    assert sorted(e.split(": ")[0].split(" ")[-1] for e in errors) == [
        "DetectedIssue.severity",
        "Encounter.status",
        "Patient.gender",
    ]
