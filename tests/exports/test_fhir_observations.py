"""Weight, vital signs, rhythms and ROSC in the Bundle, and the RxNorm and LOINC tables pinned to standards.md."""

import json
import re

from exports.fhir import render_fhir
from exports.fhir_codes import BLOOD_PRESSURE, BODY_WEIGHT, HEART_RATE_RHYTHM, RXNORM_CODES, VITALS
from schemas.vocabulary import DRUGS
from tests.conftest import DATA
from tests.exports.scenarios import read, record

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
VITAL_SIGNS = {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}
STANDARDS = DATA / "fhir_standards.md"  # standards.md §4, copied


def observations(code, loinc: str) -> list[dict]:
    data = json.loads(render_fhir(code))
    return [
        e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and any(c == {"system": LOINC, "code": loinc} for c in e["resource"]["code"].get("coding", []))
    ]


def _code(tmp_path, events, audit_id="f00d00000000000a"):
    db = tmp_path / "recorder.db"
    return read(db, record(db, events, audit_id))


# ── the tables ──────────────────────────────────────────────────────────


def test_every_second_edition_drug_has_the_rxnorm_ingredient_of_standards_md():
    rows = re.findall(r"^\| (.+?) \| (\d+) \| \| (.+?) \| (\d+) \|$", STANDARDS.read_text(encoding="utf-8"), re.M)
    table = {}
    for left, left_code, right, right_code in rows:
        table[left.split(" (")[0]] = left_code
        table[right.split(" (")[0]] = right_code
    assert len(table) == 28
    assert RXNORM_CODES == table
    assert set(RXNORM_CODES) == set(DRUGS) - {"other"}  # "other" is free text: no code can be known


def test_the_loinc_codes_are_standards_md():
    written = set(re.findall(r"`(\d+-\d)`", STANDARDS.read_text(encoding="utf-8")))
    ours = {BODY_WEIGHT, HEART_RATE_RHYTHM, "85354-9"} | {c for c, _, _ in (*VITALS.values(), *BLOOD_PRESSURE.values())}
    assert ours == written


def test_each_drug_goes_out_with_its_rxnorm_code(tmp_path):
    events = [{"t": 0, "kind": "code_started", "at": "2026-04-01T10:00:00+00:00", "arrest": False}]
    drugs = [d for d in DRUGS if d != "other"]
    events += [
        {"t": 10 * n, "kind": "drug", "drug": drug, "dose": 1, "unit": "mg", "route": "im"}
        for n, drug in enumerate(drugs, 1)
    ]
    data = json.loads(render_fhir(_code(tmp_path, events)))
    given = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "MedicationAdministration"]
    assert [m["medicationCodeableConcept"]["coding"] for m in given] == [
        [{"system": RXNORM, "code": RXNORM_CODES[drug], "display": m["medicationCodeableConcept"]["text"]}]
        for drug, m in zip(drugs, given, strict=True)
    ]


# ── body weight ─────────────────────────────────────────────────────────


def test_the_weight_and_how_it_was_obtained(child, newrules):
    (weight,) = observations(child, BODY_WEIGHT)
    assert weight["valueQuantity"] == {"value": 16.0, "unit": "kg", "system": UCUM, "code": "kg"}
    assert weight["method"] == {"text": "length tape"}
    assert weight["effectiveDateTime"] == "2026-03-02T14:05:00+01:00"  # given at the start
    assert weight["category"] == [{"coding": [VITAL_SIGNS | {"display": "Vital Signs"}]}]
    # Unknown at the start, 14 kg by the length tape a minute in: one Observation, when it was entered.
    (later,) = observations(newrules, BODY_WEIGHT)
    assert later["effectiveDateTime"] == "2026-05-10T09:01:00-04:00" and later["valueQuantity"]["value"] == 14


def test_a_weight_that_changed_gives_one_observation_per_value(tmp_path):
    events = [
        {
            "t": 0,
            "kind": "code_started",
            "at": "2026-04-01T10:00:00+00:00",
            "arrest": True,
            "patient": {"weight_kg": 12, "weight_source": "estimated"},
        },
        {"t": 30, "kind": "patient_updated", "patient": {"name": "A Child"}},  # not a new weight
        {"t": 60, "kind": "patient_updated", "patient": {"weight_source": "measured"}},  # the same 12 kg, weighed
        {"t": 90, "kind": "patient_updated", "patient": {"weight_kg": 30, "weight_source": "stated"}},
        {"t": 120, "kind": "void", "target": 4, "reason": "another child's weight"},
        {"t": 150, "kind": "patient_updated", "patient": {"weight_kg": 13.5}},
    ]
    weights = observations(_code(tmp_path, events), BODY_WEIGHT)
    assert [(w["effectiveDateTime"][11:19], w["valueQuantity"]["value"], w["method"]["text"]) for w in weights] == [
        ("10:00:00", 12, "estimated"),
        ("10:01:00", 12, "measured"),
        ("10:02:30", 13.5, "measured"),  # the voided 30 kg is not in the record
    ]


# ── vital signs, rhythm, ROSC ───────────────────────────────────────────


def test_vital_signs_with_loinc_and_ucum(adult):
    """sbp 96, map 70, hr 104, spo2 94 at T+10:00: heart rate, SpO2, and a panel with the pressures given."""
    (hr,) = observations(adult, "8867-4")
    assert hr["valueQuantity"] == {"value": 104.0, "unit": "/min", "system": UCUM, "code": "/min"}
    assert hr["effectiveDateTime"] == "2026-07-14T03:22:00-04:00" and hr["category"][0]["coding"][0]["code"]
    (spo2,) = observations(adult, "59408-5")
    assert spo2["valueQuantity"] == {"value": 94.0, "unit": "%", "system": UCUM, "code": "%"}
    (bp,) = observations(adult, "85354-9")
    assert "valueQuantity" not in bp
    assert [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
        for c in bp["component"]
    ] == [("8480-6", 96.0, "mm[Hg]"), ("8478-0", 70.0, "mm[Hg]")]  # no diastolic was given


def test_each_rhythm_in_words_and_no_invented_code(child):
    rhythms = observations(child, HEART_RATE_RHYTHM)
    assert [(r["effectiveDateTime"], r["valueCodeableConcept"]) for r in rhythms] == [
        ("2026-03-02T14:05:15+01:00", {"text": "asystole"}),  # entered late, at its own time
        ("2026-03-02T14:09:00+01:00", {"text": "VF"}),
    ]
    assert all("category" not in r for r in rhythms)


def test_rosc_at_its_amended_time(child):
    data = json.loads(render_fhir(child))
    rosc = [e["resource"] for e in data["entry"] if e["resource"].get("code", {}).get("text", "").endswith("(ROSC)")]
    assert rosc == [
        {
            "resourceType": "Observation",
            "id": rosc[0]["id"],
            "status": "final",
            "code": {"text": "Return of spontaneous circulation (ROSC)"},
            "subject": rosc[0]["subject"],
            "encounter": rosc[0]["encounter"],
            "effectiveDateTime": "2026-03-02T14:22:30+01:00",  # amended to the monitor's time
            "valueBoolean": True,
        }
    ]
