"""The session: numbering, line ids, cross-event checks, voids and amends, resume."""

import pytest

from recorder.core.session import Session, SessionError
from recorder.store import StoreError


def test_line_ids_are_assigned_in_order(session):
    a = session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=35).record
    b = session.log({"kind": "iv_attempt", "result": "failed"}, t=36).record
    c = session.log({"kind": "io_attempt", "site": "proximal_humerus", "side": "right"}, t=40).record
    inf = session.log(
        {
            "kind": "infusion_started",
            "drug": "epinephrine",
            "rate": 0.1,
            "rate_unit": "mcg/kg/min",
            "line": "io2",
            "method": "pump",
        },
        t=50,
    ).record
    assert (a.event.line, b.event.line, c.event.line, inf.event.infusion) == ("io1", "iv1", "io2", "inf1")
    assert [a.seq, b.seq, c.seq, inf.seq] == [2, 3, 4, 5]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "flush", "line": "io3", "volume_ml": 3}, "io3 was never started"),
        ({"kind": "io_attempt", "line": "io1", "site": "sternum"}, "io1 is already in use"),
        ({"kind": "aspiration", "line": "iv1", "marrow": True}, "line: 'iv1' is not an IO line id, like io1"),
        ({"kind": "void", "target": 1, "reason": "x"}, "start of the code cannot"),
        ({"kind": "void", "target": 99, "reason": "x"}, "no event 99 yet"),
        ({"kind": "amend", "target": 2, "changes": {"side": "up"}, "reason": "x"}, "changes: side"),
        ({"kind": "amend", "target": 2, "changes": {"line": "io7"}, "reason": "x"}, "line cannot be amended"),
        ({"kind": "infusion_changed", "infusion": "inf4", "rate": 1}, "inf4 was never started"),
        ({"kind": "code_started", "arrest": True}, "must be 0|comes once"),
        ({"kind": "drug", "drug": "epinephrine", "dose": 0, "unit": "mg", "line": "io1"}, "dose:"),
    ],
)
def test_invalid_input_is_refused_and_nothing_stored(session, store, data, message):
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=35)
    session.log({"kind": "iv_attempt", "result": "failed"}, t=36)
    before = len(store.events(session.code_id))
    with pytest.raises(SessionError, match=message):
        session.log(data, t=40)
    assert len(store.events(session.code_id)) == before
    assert len(session.records) == before


def test_void_and_amend_shape_the_effective_timeline(session):
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=35)
    wrong = session.log({"kind": "drug", "drug": "atropine", "dose": 1.8, "unit": "mg", "line": "io1"}, t=60).record
    late = session.log({"kind": "flush", "line": "io1", "volume_ml": 2}, t=90).record
    session.void(wrong.seq, "typed 1.8 for 0.18", t=95)
    session.amend(late.seq, {"t": 62, "volume_ml": 5}, "flush was at 62 s", t=96)
    timeline = session.timeline()
    assert [r.seq for r in timeline] == [1, 2, 4]
    flush = timeline[-1]
    assert (flush.t, flush.event.volume_ml, flush.amended_by) == (62, 5, (6,))
    assert flush.occurred_at == session.clock.at(62)
    # the raw log keeps everything
    assert [r.kind for r in session.records][-2:] == ["void", "amend"]
    with pytest.raises(SessionError, match="already voided"):
        session.amend(wrong.seq, {"dose": 0.18}, "too late", t=97)
    with pytest.raises(SessionError, match="cannot be voided or amended"):
        session.void(5, "void the void", t=97)


def test_amends_build_on_each_other(session):
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=35)
    flush = session.log({"kind": "flush", "line": "io1", "volume_ml": 2}, t=90).record
    session.amend(flush.seq, {"volume_ml": 5}, "was 5", t=91)
    session.amend(flush.seq, {"easy": False}, "and it was hard", t=92)
    event = session.timeline()[-1].event
    assert (event.volume_ml, event.easy) == (5, False)


def test_backdated_event_sorts_by_t(session):
    session.log({"kind": "rhythm", "rhythm": "asystole"}, t=40)
    session.log({"kind": "cpr_started"}, t=20)
    assert [r.kind for r in session.timeline()] == ["code_started", "cpr_started", "rhythm"]


def test_resume_the_open_code(store, clock, session):
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=35)
    clock.advance(100)
    again = Session.resume(store, clock)
    assert again.code_id == session.code_id
    assert [r.event for r in again.records] == [r.event for r in session.records]
    # The code goes on from its last event (T+35) by the 100 s the monotonic clock ran since.
    assert again.now() == pytest.approx(135)
    assert again.log({"kind": "io_attempt", "site": "distal_femur", "side": "left"}).record.event.line == "io2"
    again.end("rosc")
    assert again.ended
    with pytest.raises(SessionError, match="no open code"):
        Session.resume(store, clock)
    with pytest.raises(SessionError, match="already ended"):
        again.end("died")


def test_start_rejects_bad_patient(store, clock):
    with pytest.raises(SessionError, match="weight_kg"):
        Session.start(store, clock, arrest=True, patient={"weight_kg": 0})
    assert store.codes() == []


def test_a_second_recorder_cannot_write_the_same_code(db_path, clock):
    from recorder.store import Store

    first = Session.start(Store(db_path), clock, arrest=True)
    with pytest.raises(StoreError, match="open in another recorder"):
        Session.resume(Store(db_path), clock, first.code_id)
    # reading it is fine
    assert Session.read(Store(db_path), clock, first.code_id).records == first.records
    first.store.close()
    again = Session.resume(Store(db_path), clock, first.code_id)
    assert again.log({"kind": "note", "text": "took over"}).record.seq == 2
