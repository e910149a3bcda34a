"""Plausibility limits (schemas/plausible.py): refused when entered, in one line naming the field;
codes stored before the limits still read, summarise and verify as they were recorded."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from recorder.cli import cli
from recorder.core.clock import FakeClock
from recorder.core.session import Session, SessionError
from recorder.store import Store
from schemas.events import EventError, parse_event
from schemas.plausible import MIN_AMOUNT

AT = "2026-03-02T14:05:00+00:00"


def started(**patient) -> dict:
    return {"t": 0, "kind": "code_started", "at": AT, "arrest": True, "patient": patient}


def drug(dose: float) -> dict:
    return {"t": 60, "kind": "drug", "drug": "epinephrine", "dose": dose, "unit": "mg", "route": "im"}


REFUSED = [
    (started(weight_kg=1e-300), "patient.weight_kg: 1e-300 kg is not a plausible weight; give 0.3 to 350 kg"),
    (started(weight_kg=0.29), "patient.weight_kg: 0.29 kg"),
    (started(weight_kg=351.0), "patient.weight_kg: 351 kg"),
    (
        started(age_years=130, age_months=1560, age_days=47500),
        "patient: age_years, age_months and age_days together make 390 years; give an age of at most 130 years",
    ),
    (started(age_years=120, age_months=132), "together make 131 years"),
    (started(dob="2099-01-01"), "patient: dob 2099-01-01 is after the code's start (2026-03-02); check the year"),
    (started(dob="2026-03-03"), "dob 2026-03-03 is after the code's start (2026-03-02)"),
    (started(dob="1850-01-01"), "dob 1850-01-01 makes the patient older than 130 years"),
    (drug(1e-300), "dose: 1e-300 is too small to be given; at least 1e-06 of the unit"),
    (drug(MIN_AMOUNT / 2), "dose: 5e-07 is too small"),
    (
        {
            "t": 9,
            "kind": "infusion_started",
            "infusion": "inf1",
            "drug": "epinephrine",
            "rate": 1e-9,
            "rate_unit": "mcg/kg/min",
            "line": "io1",
            "method": "pump",
        },
        "rate: 1e-09 is too small",
    ),
    ({"t": 9, "kind": "infusion_changed", "infusion": "inf1", "rate": 1e-200}, "rate: 1e-200 is too small"),
    ({"t": 9, "kind": "flush", "line": "io1", "volume_ml": 1e-300}, "volume_ml: 1e-300 is too small"),
    (
        {"t": 9, "kind": "fluid", "fluid": "saline", "volume_ml": 1e-300, "line": "io1", "method": "push"},
        "volume_ml: 1e-300 is too small",
    ),
    ({"t": 9, "kind": "patient_updated", "patient": {"weight_kg": 400.0}}, "patient.weight_kg: 400 kg"),
]


@pytest.mark.parametrize(("data", "message"), REFUSED)
def test_implausible_values_are_refused_in_one_line_naming_the_field(data, message):
    with pytest.raises(EventError) as caught:
        parse_event(data)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        started(weight_kg=0.3, age_days=0.0),
        started(weight_kg=350.0, age_years=130),
        started(age_years=129, age_months=12),
        started(dob="2026-03-02"),  # born the day of the code
        started(dob="1896-03-02", age_years=130),
        drug(MIN_AMOUNT),
        drug(0.004),
    ],
)
def test_the_limits_themselves_are_accepted(data):
    parse_event(data)


def test_dob_after_the_code_start_is_refused_in_a_live_code(session):
    """No `at` on a live code: the session's own start bounds the date of birth."""
    with pytest.raises(SessionError, match=r"patient: dob 2099-01-01 is after the code's start"):
        session.log({"kind": "patient_updated", "patient": {"dob": "2099-01-01"}})
    session.log({"kind": "patient_updated", "patient": {"dob": "2024-01-01"}})


def test_dob_is_checked_on_a_new_code_without_at(store):
    clock = FakeClock(datetime(2026, 3, 2, 14, 5, tzinfo=UTC))
    with pytest.raises(SessionError, match="dob 2027-01-01 is after the code's start"):
        Session.start(store, clock, arrest=True, patient={"dob": "2027-01-01"})


def test_an_amend_meets_the_same_limits(session):
    logged = session.log({"kind": "drug", "drug": "epinephrine", "dose": 0.16, "unit": "mg", "route": "im"})
    with pytest.raises(SessionError, match="changes: dose: 1e-300 is too small"):
        session.amend(logged.record.seq, {"dose": 1e-300}, "typo")
    updated = session.log({"kind": "patient_updated", "patient": {"weight_kg": 12.0}})
    with pytest.raises(SessionError, match=r"patient\.weight_kg: 450 kg"):
        session.amend(updated.record.seq, {"patient": {"weight_kg": 450.0}}, "typo")


def test_a_code_stored_before_the_limits_still_reads_summarises_and_verifies(db_path, clock):
    """What an older recorder stored (no limits then) is the record: it reads back exactly as stored."""
    store = Store(db_path)
    start = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    code_id, _ = store.create_code(start)
    old = [
        (
            "code_started",
            {"arrest": True, "patient": {"weight_kg": 400, "dob": "2099-01-01", "age_years": 130, "age_months": 1560}},
        ),
        ("io_attempt", {"line": "io1", "site": "proximal_tibia", "side": "left"}),
        ("io_result", {"line": "io1", "result": "in"}),
        ("drug", {"drug": "epinephrine", "dose": 1e-300, "unit": "mg", "line": "io1"}),
        ("flush", {"line": "io1", "volume_ml": 1e-300}),
        ("patient_updated", {"patient": {"weight_kg": 0.01}}),
    ]
    for seq, (kind, payload) in enumerate(old, start=1):
        at = start + timedelta(seconds=10 * (seq - 1))
        store.append(code_id, seq, kind, payload, at, at)
    store.close()
    runner = CliRunner()
    for args in (
        ["verify"],
        ["list", "--json"],
        ["events", "1"],
        ["summary", "1"],
        ["summary", "1", "--format", "json"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
    dumped = [json.loads(line) for line in runner.invoke(cli, ["events", "1"]).output.splitlines()]
    assert dumped[0]["patient"]["weight_kg"] == 400 and dumped[3]["dose"] == 1e-300
    store = Store(db_path)
    try:
        session = Session.resume(store, clock, code_id)  # and a scribe can carry on with it
        session.log({"kind": "note", "text": "carried on"})
        assert len(session.records) == len(old) + 1
    finally:
        store.close()
    assert runner.invoke(cli, ["verify"]).exit_code == 0


def _replay(tmp_path, events: list[dict]):
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return CliRunner().invoke(cli, ["replay", str(path)])


def test_a_replay_cannot_store_events_in_the_future(tmp_path, db_path):
    """Without `at` the code starts when it is replayed: an event a week on would be stored a week ahead."""
    unpinned = {"t": 0, "kind": "code_started", "arrest": True}
    for events, where in [
        ([unpinned, {"t": 604800, "kind": "note", "text": "a week later"}], "s.jsonl:2: t: this would be stored"),
        ([{**unpinned, "at": "2999-01-01T00:00:00+00:00"}], "s.jsonl:1: at: this would be stored"),
        ([{**unpinned, "at": "2099-01-01T00:00:00+00:00"}, {"t": 5, "kind": "rosc"}], "s.jsonl:1: at:"),
    ]:
        result = _replay(tmp_path, events)
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.strip().splitlines()
        assert where in line and "days in the future" in line
    assert not Store(db_path).codes()
    # A long code without `at` (within a day) and an old one with it are fine.
    assert _replay(tmp_path, [unpinned, {"t": 80000, "kind": "note", "text": "late"}]).exit_code == 0
    assert _replay(tmp_path, [started(), {"t": 9_000_000, "kind": "note", "text": "long ago"}]).exit_code == 0


def test_a_replay_refuses_a_dob_after_its_start_and_stores_nothing(tmp_path, db_path):
    result = _replay(
        tmp_path, [started(age_years=4), {"t": 9, "kind": "patient_updated", "patient": {"dob": "2026-06-01"}}]
    )
    assert result.exit_code == 2
    assert "s.jsonl:2: patient: dob 2026-06-01 is after the code's start" in result.stderr
    assert not Store(db_path).codes()
