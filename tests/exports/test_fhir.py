"""The FHIR R4B Bundle: valid for fhir.resources, and coded with exactly the codes of exports.md §3."""

import json
import re

import pytest
from fhir.resources.R4B.bundle import Bundle

from exports.fhir import bundle, render_fhir
from exports.fhir_codes import BODY_SITES, LATERALITY, ROUTES, RXNORM_CODES, UCUM_UNITS
from tests.conftest import EXPORTS_SPEC
from tests.factory import read, record

SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"

# exports.md §3, copied by hand; test_the_table_is_the_spec checks each is still written there.
SPEC_SNOMED = {
    "cardiac arrest": "410429000",
    "intraosseous cannulation": "430824005",
    "iv": "392230005",
    "successful": "385669000",
    "unsuccessful": "385671000",
    "distal femur": "310652005",
    "proximal humerus": "119524001",
    "tibia": "12611008",
    "distal tibia": "64605006",
    "sternum": "56873002",
    "left": "7771000",
    "right": "24028007",
    "intraosseous": "417255000",
    "intravenous": "47625008",
}
SPEC_RXNORM = {
    "epinephrine": "3992",
    "amiodarone": "703",
    "lidocaine": "6387",
    "adenosine": "296",
    "atropine": "1223",
    "sodium_bicarbonate": "36676",
    "calcium_chloride": "1901",
    "calcium_gluconate": "1908",
    "magnesium_sulfate": "6585",
    "naloxone": "7242",
    "norepinephrine": "7512",
    "saline": "313002",
}
SPEC_UCUM = {"mg": "mg", "mcg": "ug", "g": "g", "mEq": "meq", "mL": "mL"}


def resources(record, kind: str) -> list[dict]:
    data = json.loads(render_fhir(record))
    return [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == kind]


def codes(concept: dict, system: str = SNOMED) -> list[str]:
    return [c["code"] for c in concept.get("coding", []) if c["system"] == system]


def test_the_table_is_the_spec():
    spec = EXPORTS_SPEC.read_text(encoding="utf-8")
    section = spec[spec.index("## 3. FHIR") :]
    written = set(re.findall(r"`([0-9]{3,})`", section))
    assert set(SPEC_SNOMED.values()) | set(SPEC_RXNORM.values()) <= written
    for unit in SPEC_UCUM.values():
        assert f"`{unit}`" in section


def test_the_module_uses_the_specs_codes():
    assert {k: v for k, v in RXNORM_CODES.items() if k in SPEC_RXNORM} == {
        k: v for k, v in SPEC_RXNORM.items() if k != "saline"
    }
    assert ROUTES["io"][0] == SPEC_SNOMED["intraosseous"] and ROUTES["iv"][0] == SPEC_SNOMED["intravenous"]
    assert {site: code for site, (code, _) in BODY_SITES.items()} == {
        "distal_femur": SPEC_SNOMED["distal femur"],
        "proximal_humerus": SPEC_SNOMED["proximal humerus"],
        "proximal_tibia": SPEC_SNOMED["tibia"],
        "distal_tibia": SPEC_SNOMED["distal tibia"],
        "sternum": SPEC_SNOMED["sternum"],
    }
    assert LATERALITY["left"][0] == SPEC_SNOMED["left"] and LATERALITY["right"][0] == SPEC_SNOMED["right"]
    assert {k: v for k, v in UCUM_UNITS.items() if k in SPEC_UCUM} == SPEC_UCUM


@pytest.mark.parametrize("scenario", ["child", "adult", "newrules"])
def test_bundle_is_valid_r4b(request, scenario):
    record = request.getfixturevalue(scenario)
    built = bundle(record)
    assert isinstance(built, Bundle) and built.type == "collection"
    # What we write parses back through fhir.resources' own validation, resource by resource.
    again = Bundle.model_validate_json(render_fhir(record))
    assert len(again.entry) == len(built.entry)
    urls = [e.fullUrl for e in again.entry]
    assert len(set(urls)) == len(urls) and all(u.startswith("urn:uuid:") for u in urls)
    text = render_fhir(record).decode()
    # every reference points into the bundle
    assert set(re.findall(r'"reference": "(urn:uuid:[^"]+)"', text)) <= set(urls)


def test_same_code_same_bundle(child):
    assert render_fhir(child) == render_fhir(child)


def test_encounter_condition_and_patient(child):
    (encounter,) = resources(child, "Encounter")
    assert encounter["period"] == {"start": "2026-03-02T14:05:00+01:00", "end": "2026-03-02T14:25:00+01:00"}
    assert encounter["class"]["code"] == "EMER" and encounter["status"] == "finished"
    (condition,) = resources(child, "Condition")
    assert codes(condition["code"]) == [SPEC_SNOMED["cardiac arrest"]]
    (patient,) = resources(child, "Patient")
    assert patient["name"] == [{"text": "Ada Example"}] and patient["identifier"][0]["value"] == "MRN-4411"
    assert patient["birthDate"] == "2021-11-20"


def test_io_and_iv_procedures(child, adult):
    procs = resources(child, "Procedure")
    io = [p for p in procs if codes(p["code"]) == [SPEC_SNOMED["intraosseous cannulation"]]]
    assert len(io) == 2 and all(p["status"] == "completed" for p in io)
    first, second = io
    assert codes(first["outcome"]) == [SPEC_SNOMED["unsuccessful"]]  # completed, though it failed
    assert codes(second["outcome"]) == [SPEC_SNOMED["successful"]]
    assert (
        codes(first["bodySite"][0]) == [SPEC_SNOMED["tibia"]] and first["bodySite"][0]["text"] == "left proximal tibia"
    )
    assert codes(second["bodySite"][0]) == [SPEC_SNOMED["distal tibia"]]
    assert first["performedDateTime"] == "2026-03-02T14:06:15+01:00"
    structures = {b["id"]: b for b in resources(child, "BodyStructure")}
    target = second["extension"][0]["valueReference"]["reference"].removeprefix("urn:uuid:")
    assert codes(structures[target]["locationQualifier"][0]) == [SPEC_SNOMED["left"]]
    iv = [p for p in resources(adult, "Procedure") if codes(p["code"]) == [SPEC_SNOMED["iv"]]]
    assert [codes(p["outcome"]) for p in iv] == [[SPEC_SNOMED["unsuccessful"]], [SPEC_SNOMED["successful"]]]


def test_medication_administrations(child, adult):
    given = resources(child, "MedicationAdministration")
    drugs = [m for m in given if codes(m["medicationCodeableConcept"], RXNORM) != [SPEC_RXNORM["saline"]]]
    assert len(drugs) == 12
    epinephrine = [m for m in drugs if codes(m["medicationCodeableConcept"], RXNORM) == [SPEC_RXNORM["epinephrine"]]]
    assert len(epinephrine) == 4
    dose = epinephrine[0]["dosage"]["dose"]
    assert (dose["value"], dose["system"], dose["code"]) == (0.16, UCUM, "mg")
    assert codes(epinephrine[0]["dosage"]["route"]) == [SPEC_SNOMED["intraosseous"]]
    assert epinephrine[0]["effectiveDateTime"] == "2026-03-02T14:07:30+01:00"
    bicarb = next(
        m for m in drugs if codes(m["medicationCodeableConcept"], RXNORM) == [SPEC_RXNORM["sodium_bicarbonate"]]
    )
    assert bicarb["dosage"]["dose"]["code"] == "meq"
    others = [m for m in drugs if not codes(m["medicationCodeableConcept"], RXNORM)]
    assert [m["medicationCodeableConcept"]["text"] for m in others] == ["midazolam", "rocuronium"]
    saline = [m for m in given if codes(m["medicationCodeableConcept"], RXNORM) == [SPEC_RXNORM["saline"]]]
    assert len(saline) == 12 + 2  # flushes and the two saline boluses
    assert all(m["dosage"]["dose"]["code"] == "mL" for m in saline)
    iv = resources(adult, "MedicationAdministration")
    assert {tuple(codes(m["dosage"]["route"])) for m in iv} == {(SPEC_SNOMED["intravenous"],)}


def test_aspiration_and_flags(child):
    (aspiration,) = [o for o in resources(child, "Observation") if o["code"]["text"] == "IO marrow aspiration"]
    assert aspiration["code"]["text"] == "IO marrow aspiration" and aspiration["valueBoolean"] is True
    procedures = {p["id"]: p for p in resources(child, "Procedure")}
    part_of = aspiration["partOf"][0]["reference"].removeprefix("urn:uuid:")
    assert procedures[part_of]["bodySite"][0]["text"] == "left distal tibia"
    issues = resources(child, "DetectedIssue")
    assert [(i["code"]["text"], i["severity"]) for i in issues] == [
        ("IO_REMOVED_NO_PRESSURE", "low"),
        ("REPEAT_SAME_BONE", "high"),
        ("DRUG_NOT_FLUSHED", "moderate"),
        ("EPI_INTERVAL_EXCEEDED", "moderate"),
        ("DRUG_NOT_FLUSHED", "moderate"),
        ("IO_IN_AT_END", "low"),  # second edition: io2 still in at the end (t = the end's)
    ]
    repeat = issues[1]
    assert repeat["implicated"][0]["reference"].removeprefix("urn:uuid:") == part_of  # the io2 attempt
    assert "only site the team could reach" in repeat["mitigation"][0]["action"]["text"]


def test_the_new_rules_flags_implicate_what_they_are_about(newrules):
    """Each of the ten new rules is a DetectedIssue with its severity, implicating its event's resource:
    a CPR pause the CPR it stopped (a CPR started before no cpr_started: an end and no start), a shock its
    Procedure, VF_NO_SHOCK the rhythm's Observation."""
    issues = {i["code"]["text"]: i for i in resources(newrules, "DetectedIssue")}
    severities = {
        "SHOCK_NON_SHOCKABLE": "high",
        "CPR_PAUSE_LONG": "low",
        "VF_NO_SHOCK": "moderate",
        "SHOCK_ENERGY": "high",
        "SHOCKABLE_DRUGS_DELAYED": "moderate",
        "INFUSION_RATE_OUT_OF_RANGE": "high",
        "BOLUS_VIA_VASOACTIVE_LINE": "moderate",
        "ROUTE_NOT_ALLOWED": "high",
        "FLUID_VOLUME": "moderate",
        "IO_IN_AT_END": "low",
    }
    assert {rule: issues[rule]["severity"] for rule in severities} == severities
    by_id = {
        r["id"]: r
        for kind in ("Procedure", "MedicationAdministration", "Observation", "Encounter")
        for r in resources(newrules, kind)
    }

    def implicated(rule: str) -> dict:
        return by_id[issues[rule]["implicated"][0]["reference"].removeprefix("urn:uuid:")]

    cpr = implicated("CPR_PAUSE_LONG")
    assert cpr["code"]["coding"][0]["code"] == "89666000" and cpr["performedPeriod"] == {
        "end": "2026-05-10T09:01:10-04:00"
    }
    assert implicated("SHOCK_NON_SHOCKABLE")["note"][0]["text"] == "50 J"
    vf = implicated("VF_NO_SHOCK")
    assert vf["code"]["coding"][0]["code"] == "8884-9" and vf["valueCodeableConcept"] == {"text": "VF"}
    assert implicated("ROUTE_NOT_ALLOWED")["dosage"]["route"]["text"] == "endotracheal"
    assert implicated("IO_IN_AT_END")["code"]["coding"][0]["code"] == "430824005"  # the io1 Procedure
    assert issues["IO_IN_AT_END"]["detail"].endswith("remove by 2026-05-11 09:04 UTC-04:00 (24 h)")


def test_a_synchronized_shock_is_a_cardioversion(tmp_path):
    events = [
        {"t": 0, "kind": "code_started", "at": "2026-04-01T10:00:00+00:00", "arrest": False},
        {"t": 30, "kind": "shock", "joules": 10, "synchronized": True},
        {"t": 90, "kind": "shock", "joules": 20},
    ]
    db = tmp_path / "sync.db"
    shocks = resources(read(db, record(db, events, "5c0000000000000e")), "Procedure")
    assert [(p["code"]["coding"][0]["code"], p["code"]["text"]) for p in shocks] == [
        ("250980009", "Synchronized shock"),
        ("426220008", "Shock"),
    ]


def test_each_arrest_is_a_condition_abated_at_its_rosc(tmp_path):
    """A re-arrest after ROSC is a cardiac arrest of its own: a Condition each, the first abated at its ROSC,
    the second still going when the code ended (no abatement); a code that began outside an arrest has one
    only from its `arrest` event."""
    events = [
        {"t": 0, "kind": "code_started", "at": "2026-04-01T10:00:00+00:00", "arrest": False},
        {"t": 40, "kind": "arrest"},
        {"t": 300, "kind": "rosc"},
        {"t": 420, "kind": "arrest"},
        {"t": 600, "kind": "code_ended", "outcome": "died"},
    ]
    db = tmp_path / "rearrest.db"
    code = read(db, record(db, events, "4e4e000000000001"))
    Bundle.model_validate_json(render_fhir(code))
    conditions = resources(code, "Condition")
    assert [codes(c["code"]) for c in conditions] == [[SPEC_SNOMED["cardiac arrest"]]] * 2
    assert [(c["onsetDateTime"], c.get("abatementDateTime")) for c in conditions] == [
        ("2026-04-01T10:00:40Z", "2026-04-01T10:05:00Z"),
        ("2026-04-01T10:07:00Z", None),
    ]
    assert len({c["id"] for c in conditions}) == 2


@pytest.mark.parametrize("offset", ["+23:59", "-23:59", "+14:00", "-14:00", "+14:01", "-12:30", "+05:45"])
def test_any_valid_offset_exports(tmp_path, offset):
    """FHIR's dateTime allows offsets up to ±14:00 only; a code pinned at any offset Python accepts
    still exports, at the same instant (in UTC when FHIR cannot carry the offset)."""
    from datetime import datetime

    from tests.factory import read, record

    at = f"2026-03-02T14:05:00{offset}"
    events = [
        {"t": 0, "kind": "code_started", "at": at, "arrest": True, "patient": {"age_years": 30}},
        {"t": 60, "kind": "drug", "drug": "epinephrine", "dose": 1, "unit": "mg", "route": "im"},
        {"t": 120, "kind": "code_ended", "outcome": "died"},
    ]
    db = tmp_path / "recorder.db"
    code = read(db, record(db, events, "0ff5e70000000001"))
    Bundle.model_validate_json(render_fhir(code))  # valid R4B, every resource
    (encounter,) = resources(code, "Encounter")
    start = datetime.fromisoformat(encounter["period"]["start"])
    assert start == datetime.fromisoformat(at)  # the same instant, whatever offset it is written with
    (given,) = resources(code, "MedicationAdministration")
    assert (datetime.fromisoformat(given["effectiveDateTime"]) - start).total_seconds() == 60
    if len(offset) == 6 and int(offset[1:3]) * 60 + int(offset[4:]) <= 14 * 60:
        assert encounter["period"]["start"].endswith(offset)  # an offset FHIR takes is kept as it is
