"""Every event kind validates, round-trips through the store, and rejects nonsense by field."""

import copy

import pytest

from recorder.core.scenario import parse_lines
from recorder.core.session import replay
from recorder.store import trusted
from schemas.events import EVENT_ADAPTER, KINDS, EventError, _tidy, event_dict, event_payload, parse_event
from schemas.vocabulary import SITES
from tests.factory import SAMPLES, scenario


def test_samples_cover_every_kind():
    assert {s["kind"] for s in SAMPLES} == set(KINDS)


@pytest.mark.parametrize("data", SAMPLES, ids=lambda d: d["kind"])
def test_model_round_trip(data):
    event = parse_event(copy.deepcopy(data))
    again = parse_event(event_dict(event))
    assert again == event


def test_every_kind_round_trips_through_the_store(store, clock):
    text = "\n".join(__import__("json").dumps(s) for s in SAMPLES)
    lines = parse_lines(text, "samples.jsonl")
    session = replay(store, clock, lines)
    stored = store.events(session.code_id)
    assert [r.event for r in stored] == [line.event for line in lines]
    assert [r.seq for r in stored] == list(range(1, len(SAMPLES) + 1))


def _dumped(event) -> dict:
    """The payload as pydantic dumps it: what event_payload gave before it read the fields itself."""
    return _tidy(event.model_dump(mode="json", exclude={"kind", "t"}, exclude_none=True))


def test_the_payload_is_what_pydantic_dumps_key_for_key_in_its_order():
    """event_payload reads plain fields straight from the event (the logging path): the same keys, in the same
    order, and values of the same types as model_dump and _tidy give, for every kind, parsed or read back."""
    events = [parse_event(copy.deepcopy(s)) for s in SAMPLES]
    events += [EVENT_ADAPTER.validate_python(e) for e in scenario(3000, seed=3)]
    events += [e.model_copy(update={"t": 5.0}) for e in events[:40]]  # as log_event rounds t
    events += [trusted.event({"kind": e.kind, "t": e.t, **_dumped(e)}) for e in events[:200]]  # as the store reads
    for event in events:
        fast, slow = event_payload(event), _dumped(event)
        assert list(fast.items()) == list(slow.items()), event
        assert [type(v) for v in fast.values()] == [type(v) for v in slow.values()], event
    assert {e.kind for e in events} == set(KINDS)


def _sample(kind: str) -> dict:
    return copy.deepcopy(next(s for s in SAMPLES if s["kind"] == kind))


# (kind, change, the field the message must name)
INVALID = [
    ("code_started", {"arrest": "yes"}, "arrest"),
    ("code_started", {"t": 5}, "t"),
    ("code_started", {"patient": {"weight_kg": -3}}, "patient.weight_kg"),
    ("code_started", {"patient": {"dob": "yesterday"}}, "patient.dob"),
    ("code_started", {"setting": "car_park"}, "setting"),
    ("patient_updated", {"patient": {}}, "patient"),
    ("finding", {"bone": "skull"}, "bone"),
    ("finding", {"hours_ago": -1}, "hours_ago"),
    ("responsiveness", {"responsive": 1}, "responsive"),
    ("rhythm", {"rhythm": "torsades"}, "rhythm"),
    ("cpr_started", {"rate": 110}, "rate"),
    ("cpr_stopped", {"t": -1}, "t"),
    ("shock", {"joules": 0}, "joules"),
    ("rosc", {"t": float("nan")}, "t"),
    ("arrest", {"t": float("inf")}, "t"),
    ("vitals", {"sbp": None, "map": None, "hr": None, "spo2": None}, "vitals"),
    ("vitals", {"spo2": 140}, "spo2"),
    ("note", {"text": ""}, "text"),
    ("note", {"text": "bell\x07"}, "text"),
    ("code_ended", {"outcome": "fine"}, "outcome"),
    ("io_attempt", {"side": None}, "side"),
    ("io_attempt", {"site": "sternum", "side": "left"}, "side"),
    ("io_attempt", {"site": "skull"}, "site"),
    ("io_attempt", {"device": "drill"}, "device"),
    ("io_attempt", {"line": "iv1"}, "line"),
    ("io_attempt", {"needle_mm": 0}, "needle_mm"),
    ("io_result", {"result": "maybe"}, "result"),
    ("aspiration", {"marrow": "true"}, "marrow"),
    ("flush", {"volume_ml": 0}, "volume_ml"),
    ("flush", {"volume_ml": -5}, "volume_ml"),
    ("flush", {"volume_ml": "5"}, "volume_ml"),
    ("complication", {"complication": "pain"}, "complication"),
    ("line_removed", {"line": "io"}, "line"),
    ("iv_attempt", {"result": None}, "result"),
    ("uvc_attempt", {"line": "io1"}, "line"),
    ("drug", {"dose": 0}, "dose"),
    ("drug", {"dose": -1}, "dose"),
    ("drug", {"dose": float("inf")}, "dose"),
    ("drug", {"dose": 1e300}, "dose"),
    ("drug", {"unit": "ml"}, "unit"),
    ("drug", {"drug": "adrenaline"}, "drug"),
    ("drug", {"drug": "other", "name": None}, "name"),
    ("drug", {"line": None}, "line"),
    ("drug", {"route": "im"}, "route"),
    ("drug", {"concentration": "strong"}, "concentration"),
    ("drug", {"dosage": 1}, "dosage"),
    ("fluid", {"volume_ml": 0}, "volume_ml"),
    ("fluid", {"method": "squeeze"}, "method"),
    ("infusion_started", {"rate_unit": "mg/min"}, "rate_unit"),
    ("infusion_started", {"infusion": "x1"}, "infusion"),
    ("infusion_changed", {"rate": 0}, "rate"),
    ("infusion_stopped", {"infusion": None}, "infusion"),
    ("sample", {"tests": []}, "tests"),
    ("sample", {"tests": ["glucose", "glucose"]}, "tests"),
    ("sample", {"tests": ["urine"]}, "tests.0"),
    ("void", {"target": 0}, "target"),
    ("void", {"reason": ""}, "reason"),
    ("amend", {"changes": {}}, "changes"),
    ("amend", {"changes": {"kind": "note"}}, "changes"),
    ("acknowledge", {"rule": "not a rule"}, "rule"),
]


def test_invalid_cases_cover_every_kind():
    assert {kind for kind, _, _ in INVALID} == set(KINDS)


@pytest.mark.parametrize(("kind", "change", "field"), INVALID, ids=lambda v: str(v)[:40])
def test_invalid_event_is_rejected_naming_the_field(kind, change, field):
    data = _sample(kind)
    for key, value in change.items():
        if value is None:
            data.pop(key, None)
        elif key == "patient":
            data["patient"] = value
        else:
            data[key] = value
    with pytest.raises(EventError) as exc:
        parse_event(data)
    assert str(exc.value).startswith(field + ":") or f"; {field}:" in str(exc.value), str(exc.value)


def test_unknown_kind_and_missing_kind_are_named():
    with pytest.raises(EventError, match=r"^kind: unknown kind 'dug'"):
        parse_event({"kind": "dug", "t": 1})
    with pytest.raises(EventError, match=r"^kind: missing"):
        parse_event({"t": 1})
    with pytest.raises(EventError, match="JSON object"):
        parse_event([1, 2])


def test_sites_keep_the_order_of_events_md():
    assert SITES[0] == "proximal_tibia" and SITES[6] == "calcaneus"


def test_patient_age():
    from schemas.patient import Patient, age_band

    assert Patient().age is None
    assert Patient(age_months=6).age == 0.5
    assert age_band(Patient(age_days=10).age) == "<28d"
    assert age_band(Patient(age_years=2).age) == "1-4y"
    assert age_band(Patient(age_years=90).age) == "90+"


def test_a_record_gives_its_event_as_the_kind_it_is_known_to_be():
    """`EventRecord.typed`: the event itself when it is of a kind named, a TypeError naming both when not
    (a rule registered for a kind it does not read fails loudly, never reads a wrong field)."""
    from datetime import UTC, datetime

    from schemas.events import DrugGiven, Flush, Shock
    from schemas.records import EventRecord

    at = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    drug = parse_event({"kind": "drug", "t": 5, "drug": "epinephrine", "dose": 1, "unit": "mg", "route": "im"})
    rec = EventRecord(code_id=1, seq=2, event=drug, occurred_at=at, recorded_at=at)
    assert rec.typed(DrugGiven) is drug
    assert rec.typed(Flush, DrugGiven) is drug
    with pytest.raises(TypeError, match="seq 2: a drug event where Shock, Flush was expected"):
        rec.typed(Shock, Flush)


def test_the_event_models_are_read_from_the_union_in_events_md_order():
    """The union is spelled out once for the type checker; the tuple of models and the kinds come from it."""
    from typing import get_args

    from schemas.events import EVENT_MODELS, KIND_MODEL, Event

    assert EVENT_MODELS == get_args(get_args(Event)[0])
    assert KINDS[:3] == ("code_started", "patient_updated", "finding") and KINDS[-1] == "acknowledge"
    assert len(KIND_MODEL) == len(EVENT_MODELS) == 30
