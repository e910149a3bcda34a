"""Keeping an ended code's audit rows is a hook the front ends give the session, not the session's import."""

from recorder.core.audit_rows import audit_key
from recorder.core.clock import CodeClock
from recorder.core.end_hooks import keep_audit_rows
from recorder.engine import load_protocol
from recorder.store import Store
from recorder.tui.app import build_app
from recorder.tui.write_queue import WriteQueue

CHILD = {"arrest": True, "setting": "ed", "patient": {"age_years": 4, "weight_kg": 16, "weight_source": "measured"}}


def test_a_code_ended_through_the_screens_scribe_keeps_its_audit_rows(store, clock):
    protocol = load_protocol()
    queue = WriteQueue.begin(store, clock, protocol, CodeClock(clock, clock.wall()), CHILD, on_end=keep_audit_rows)
    assert queue.session is not None and queue.session.on_end is keep_audit_rows
    queue.enter({"kind": "rhythm", "rhythm": "asystole"}, t=10)
    assert store.kept_audit_rows(audit_key(protocol)) == {}  # open: nothing kept yet
    queue.enter({"kind": "code_ended", "outcome": "rosc"}, t=20)
    assert list(store.kept_audit_rows(audit_key(protocol))) == [queue.session.code_id]


def test_a_session_given_no_hook_keeps_nothing_at_the_end(store, session):
    session.end("rosc", t=20)
    assert store.kept_audit_rows(audit_key(session.protocol)) == {}


def test_the_app_gives_the_hook_to_the_sessions_it_writes_with(db_path, clock):
    first = Store(db_path)
    new = build_app(first, clock, mode="new", new_fields=CHILD)
    assert new.on_end is keep_audit_rows and new.session.on_end is keep_audit_rows
    first.close()  # as a recorder closed mid-code
    again = Store(db_path)
    try:
        resumed = build_app(again, clock, mode="resume")
        assert resumed.session.on_end is keep_audit_rows
    finally:
        again.close()
