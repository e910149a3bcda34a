"""An export leaves nothing in a cycle: what it reads and writes is freed by its last reference, so the summary
and the audit run with the collector's passes paused (recorder/cli/exports.py `out_of_collection`)."""

import gc
from pathlib import Path

from exports.formats import SUMMARY_FORMATS
from recorder.cli.exports import out_of_collection
from recorder.core.audit_rows import read_audit
from recorder.core.clock import FakeClock
from recorder.core.code_record import build_code_record
from recorder.core.session import Session
from recorder.engine import load_protocol
from recorder.store import Store
from tests.factory import scenario
from tests.test_session_checkpoints import START

# Objects a summary or an audit of this code may leave in cycles, whatever its length: a handful (the first
# use of a format's module and the like), never some per event. Before a change that made a cycle an event, a
# 1,500-event code would leave thousands.
AT_MOST = 50


def _code(db: Path, events: int) -> int:
    store = Store(db)
    try:
        lines = scenario(events, at=START)
        first, rest = lines[0], lines[1:]
        clock = FakeClock(START)
        session = Session.start(store, clock, **{k: v for k, v in first.items() if k not in ("kind", "t")})
        for event in rest:
            session.log({k: v for k, v in event.items() if k != "t"}, t=event["t"])
        return session.code_id
    finally:
        store.close()


def _export(db: Path, code_id: int) -> int:
    """Every summary format and the audit of the code, as the commands make them; the size of what they wrote."""
    store = Store(db, readonly=True)
    clock, written = FakeClock(START), 0
    try:
        for fmt in SUMMARY_FORMATS.values():
            session = Session.read(store, clock, code_id, fold_once=True)
            written += sum(len(chunk) for chunk in fmt.chunks(build_code_record(session)))
        written += len(read_audit([store], clock, load_protocol(), rederive=True).codes)
    finally:
        store.close()
    return written


def test_a_summary_and_an_audit_leave_nothing_in_a_cycle(tmp_path):
    code_id = _code(tmp_path / "r.db", 1_500)
    _export(tmp_path / "r.db", code_id)  # the formats' modules imported, their first-use caches filled
    gc.collect()
    with out_of_collection():
        assert not gc.isenabled()
        assert _export(tmp_path / "r.db", code_id) > 0
        # Asked before the collector is given back: its first pass after would take what was left unseen.
        left = gc.collect()
    assert left <= AT_MOST, f"{left} objects left in cycles by an export: it cannot run with the collector paused"


def test_the_collector_is_given_back_as_it_was():
    assert gc.isenabled()
    with out_of_collection():
        assert not gc.isenabled() and gc.get_freeze_count() > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with out_of_collection():
            pass
        assert not gc.isenabled()  # paused by its caller (the screen's launch): left paused
    finally:
        gc.enable()
