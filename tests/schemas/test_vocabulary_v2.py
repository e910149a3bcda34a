"""The second edition's vocabulary (events.md): new drugs, mmol, ratio concentrations, synchronized shocks,
carrier infusions, fluids that confirm a line, who gave a drug, the age from dob — and codes stored under
the first edition read back to exactly the payload (and so the hash) they were stored with."""

import json
from datetime import date

import pytest

from schemas.events import EventError, event_payload, parse_event
from schemas.patient import Patient
from schemas.vocabulary import DRUGS

NEW_DRUGS = [
    "midazolam",
    "lorazepam",
    "levetiracetam",
    "phenobarbital",
    "ketamine",
    "fentanyl",
    "rocuronium",
    "suxamethonium",
    "ceftriaxone",
    "hydrocortisone",
    "tranexamic_acid",
    "hypertonic_saline",
    "potassium_chloride",
    "dopamine",
    "dobutamine",
    "milrinone",
]


def drug(**fields) -> dict:
    return {"t": 10, "kind": "drug", "drug": "epinephrine", "dose": 1, "unit": "mg", "line": "io1", **fields}


def carrier(**fields) -> dict:
    data = {"t": 10, "kind": "infusion_started", "infusion": "inf1", "rate": 100, "rate_unit": "mL/h"}
    return {**data, "line": "io1", "method": "pressure_bag", **fields}


@pytest.mark.parametrize("name", NEW_DRUGS)
def test_the_second_editions_drugs_are_accepted(name):
    assert parse_event(drug(drug=name)).drug == name


def test_the_first_drug_ids_keep_their_places():
    # The screen's picker and stored codes name drugs by id; the new ones come after magnesium.
    assert DRUGS[:12] == (
        "epinephrine",
        "norepinephrine",
        "amiodarone",
        "lidocaine",
        "adenosine",
        "atropine",
        "calcium_chloride",
        "calcium_gluconate",
        "sodium_bicarbonate",
        "dextrose",
        "naloxone",
        "magnesium_sulfate",
    )
    assert DRUGS[-1] == "other"


def test_mmol_is_a_dose_unit():
    assert parse_event(drug(drug="sodium_bicarbonate", dose=10, unit="mmol")).unit == "mmol"


@pytest.mark.parametrize("text", ["1:1000", "1:10000", "1:10,000", "1 : 10000", "0.1 mg/mL", "8.4%", "2 mmol/mL"])
def test_concentrations_include_ratios(text):
    assert parse_event(drug(unit="mL", concentration=text)).concentration == text


@pytest.mark.parametrize("text", ["1:0", "1:10,00", "2:1000", "1:", "1/10000"])
def test_a_malformed_ratio_is_refused_by_name(text):
    with pytest.raises(EventError, match="concentration"):
        parse_event(drug(unit="mL", concentration=text))


def test_a_shock_may_be_synchronized():
    assert parse_event({"t": 5, "kind": "shock", "joules": 10, "synchronized": True}).cardioversion
    assert not parse_event({"t": 5, "kind": "shock", "joules": 10}).cardioversion
    with pytest.raises(EventError, match="synchronized"):
        parse_event({"t": 5, "kind": "shock", "synchronized": "yes"})


def test_a_carrier_infusion_runs_a_fluid():
    ev = parse_event(carrier(fluid="saline"))
    assert ev.carrier and ev.agent == "saline" and ev.drug is None
    drug_inf = parse_event(carrier(drug="epinephrine", rate=0.1, rate_unit="mcg/kg/min", concentration="1:10000"))
    assert not drug_inf.carrier and drug_inf.concentration == "1:10000"


@pytest.mark.parametrize("fields", [{}, {"drug": "epinephrine", "fluid": "saline"}], ids=["neither", "both"])
def test_an_infusion_names_exactly_one_of_drug_or_fluid(fields):
    with pytest.raises(EventError, match="exactly one of drug"):
        parse_event(carrier(**fields))


def test_a_fluid_records_how_it_went_in():
    pushed = parse_event({"t": 5, "kind": "fluid", "fluid": "saline", "volume_ml": 5, "line": "io1", "method": "push"})
    assert pushed.went_in_easily and pushed.easy is None
    hard = parse_event(
        {"t": 5, "kind": "fluid", "fluid": "saline", "volume_ml": 5, "line": "io1", "method": "push", "easy": False}
    )
    assert not hard.went_in_easily


def test_a_drug_says_who_gave_it():
    assert parse_event(drug(by="Nurse A")).by == "Nurse A"


# Payloads as the first edition stored them: reading them back must give exactly the same payload, or
# their hashes (computed over the canonical payload) would move.
FIRST_EDITION = [
    {"t": 30, "kind": "shock", "joules": 40},
    {"t": 30, "kind": "fluid", "fluid": "saline", "volume_ml": 200, "line": "io1", "method": "push"},
    {"t": 30, "kind": "infusion_started", "infusion": "inf1", "drug": "norepinephrine", "rate": 0.1}
    | {"rate_unit": "mcg/kg/min", "line": "io1", "method": "pump"},
    {"t": 30, "kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1"},
    {"t": 30, "kind": "patient_updated", "patient": {"weight_kg": 12}},
]


@pytest.mark.parametrize("data", FIRST_EDITION, ids=lambda d: d["kind"])
def test_a_first_edition_payload_reads_back_unchanged(data):
    event = parse_event(json.loads(json.dumps(data)))
    stored = {k: v for k, v in data.items() if k not in ("t", "kind")}
    assert event_payload(event) == stored


def test_any_age_part_replaces_all_three():
    one_year = Patient(age_years=1, age_months=2)
    corrected = one_year.merged(Patient(age_days=10))
    assert corrected.age == pytest.approx(10 / 365.25)
    assert corrected.age_years is None and corrected.age_months is None
    # An update without an age part leaves the age alone.
    assert one_year.merged(Patient(weight_kg=10)).age == one_year.age


def test_the_age_from_dob_is_whole_days_over_365_25():
    patient = Patient(dob=date(2022, 3, 3))
    assert patient.age is None  # no age part: known only with the code's start date
    assert patient.age_on(date(2026, 3, 2)) == pytest.approx(1460 / 365.25)
    # Age parts, when given, win over dob.
    assert Patient(age_years=3, dob=date(2022, 3, 3)).age_on(date(2026, 3, 2)) == 3
    assert Patient().age_on(date(2026, 3, 2)) is None
