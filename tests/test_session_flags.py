"""Flags through the session: raised live, withdrawn by voids and amends, kept, acknowledged."""

import json

import pytest
from click.testing import CliRunner

from recorder.cli import cli
from recorder.core.session import Session, SessionError
from recorder.store import Store
from tests.conftest import SCENARIOS_V2


def _io(session, t=35):
    session.log(
        {"kind": "io_attempt", "site": "proximal_tibia", "side": "left", "device": "ez_io", "needle_mm": 15}, t=t
    )


def test_repeat_same_bone_is_raised_by_the_event_that_breaks_it(session):
    _io(session)
    session.log({"kind": "io_result", "line": "io1", "result": "failed"}, t=50)
    logged = session.log(
        {"kind": "io_attempt", "site": "distal_tibia", "side": "left", "device": "ez_io", "needle_mm": 15}, t=70
    )
    assert [(f.rule, f.severity, f.seq, f.line) for f in logged.raised] == [("REPEAT_SAME_BONE", "critical", 4, "io2")]
    assert [f.rule for f in session.flags()] == ["REPEAT_SAME_BONE"]


def test_void_withdraws_and_the_withdrawal_is_kept(session, store):
    _io(session)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=40)
    session.log({"kind": "flush", "line": "io1", "volume_ml": 3}, t=45)
    drug = session.log({"kind": "drug", "drug": "epinephrine", "dose": 1.2, "unit": "mg", "line": "io1"}, t=60)
    assert ("DOSE_OUT_OF_RANGE", "critical") in [(f.rule, f.severity) for f in drug.raised]
    voided = session.void(drug.record.seq, "typed 1.2 for 0.12", t=62)
    assert "DOSE_OUT_OF_RANGE" in [f.rule for f in voided.withdrawn]
    assert "DOSE_OUT_OF_RANGE" not in [f.rule for f in session.flags()]
    assert "DOSE_OUT_OF_RANGE" in [f.rule for f in session.withdrawn_flags()]
    history = store.flag_history(session.code_id)
    assert [c for c, f in history if f.rule == "DOSE_OUT_OF_RANGE"] == ["raised", "withdrawn"]


def test_amend_moving_a_flush_into_the_window_clears_the_flag(session):
    _io(session)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=40)
    session.log({"kind": "flush", "line": "io1", "volume_ml": 3}, t=45)
    session.log({"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1"}, t=60)
    late = session.log({"kind": "flush", "line": "io1", "volume_ml": 3}, t=120)
    assert [f.rule for f in late.raised] == ["DRUG_NOT_FLUSHED"]
    fixed = session.amend(late.record.seq, {"t": 70}, "flush was at 70 s", t=121)
    assert [f.rule for f in fixed.withdrawn] == ["DRUG_NOT_FLUSHED"]
    assert session.flags() == []


def test_acknowledge_marks_the_flag_and_keeps_it_listed(session):
    _io(session)
    session.log({"kind": "io_result", "line": "io1", "result": "failed"}, t=50)
    session.log(
        {"kind": "io_attempt", "site": "distal_tibia", "side": "left", "device": "ez_io", "needle_mm": 15}, t=70
    )
    session.acknowledge("REPEAT_SAME_BONE", 4, "only site available", t=75)
    (flag,) = session.flags()
    assert flag.acknowledged and flag.reason == "only site available"
    assert flag.as_json()["reason"] == "only site available"
    with pytest.raises(SessionError, match="NOT_A_RULE is not a rule"):
        session.acknowledge("NOT_A_RULE", 4, "x", t=76)


def test_tick_fires_a_deadline_live_and_it_is_kept(session, clock, store, db_path):
    _io(session, t=0)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=5)
    session.log({"kind": "flush", "line": "io1", "volume_ml": 3}, t=8)
    session.log({"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1"}, t=10)
    assert session.tick(39) == []
    fired = session.tick(41)
    assert [(f.rule, f.seq, f.t) for f in fired] == [("DRUG_NOT_FLUSHED", 5, 40)]
    assert [c for c, f in store.flag_history(session.code_id) if f.rule == "DRUG_NOT_FLUSHED"] == ["raised"]
    # after a crash, the resumed session still shows it
    store.close()
    clock.advance(45)
    again = Session.resume(Store(db_path), clock, session.code_id)
    assert "DRUG_NOT_FLUSHED" in [f.rule for f in again.flags()]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS_V2.glob("*.jsonl")), ids=lambda p: p.stem)
def test_replay_json_gives_the_expected_flags(tmp_path, scenario):
    expected = json.loads(scenario.with_name(scenario.stem + ".expected.json").read_text())
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "r.db"), "replay", "--json", str(scenario)])
    assert result.exit_code == 0, result.output
    got = [json.loads(line) for line in result.output.splitlines()]
    # The expected files list flags by seq; replay prints them by (t, seq) (IO_IN_AT_END has the end's t).
    by_seq = sorted(({k: f[k] for k in ("rule", "severity", "seq")} for f in got), key=lambda f: (f["seq"], f["rule"]))
    assert by_seq == sorted(expected, key=lambda f: (f["seq"], f["rule"]))
    for flag in got:
        assert set(flag) == {"rule", "severity", "seq", "t", "line", "message", "acknowledged"}
    assert [(f["t"], f["seq"]) for f in got] == sorted((f["t"], f["seq"]) for f in got)


def test_flush_typed_before_the_deadline_but_saved_after_it_withdraws_the_live_flag(session):
    """The event's time is the first key: a flush begun at 39 s is in time even if the tick at 41 s fired."""
    _io(session, t=0)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=5)
    session.log({"kind": "flush", "line": "io1", "volume_ml": 3}, t=8)
    session.log({"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1"}, t=10)
    assert [f.rule for f in session.tick(41)] == ["DRUG_NOT_FLUSHED"]
    logged = session.log({"kind": "flush", "line": "io1", "volume_ml": 3}, t=39)
    assert [f.rule for f in logged.withdrawn] == ["DRUG_NOT_FLUSHED"]
    assert session.flags() == []


def test_live_deadline_flag_survives_a_void_of_something_else(session):
    _io(session, t=0)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=5)
    session.log({"kind": "flush", "line": "io1", "volume_ml": 3}, t=8)
    session.log({"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1"}, t=10)
    note = session.log({"kind": "note", "text": "typo"}, t=12)
    session.tick(50)
    voided = session.void(note.record.seq, "wrong code", t=50)
    assert voided.withdrawn == []
    assert [f.rule for f in session.flags()] == ["DRUG_NOT_FLUSHED"]


def test_preview_shows_the_flag_before_anything_is_logged(session, store):
    _io(session)
    session.log({"kind": "io_result", "line": "io1", "result": "failed"}, t=50)
    before = len(store.events(session.code_id))
    flags = session.preview({"kind": "io_attempt", "site": "distal_tibia", "side": "left"}, t=60)
    assert [(f.rule, f.severity) for f in flags] == [("REPEAT_SAME_BONE", "critical")]
    assert session.preview({"kind": "io_attempt", "site": "distal_tibia", "side": "right"}, t=60) == []
    assert session.preview({"kind": "io_attempt", "site": "distal_tibia"}, t=60) == []  # side not chosen yet
    assert len(store.events(session.code_id)) == before and session.flags() == []
