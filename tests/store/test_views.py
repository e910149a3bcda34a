"""The live database's views (effective_events, code_overview) and codes.created_at on the code clock (m006)."""

import json
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from recorder.core.clock import FakeClock
from recorder.core.code_record import build_code_record
from recorder.core.session import Session
from recorder.engine.timeline import effective
from recorder.store import Store
from schemas.events import event_payload
from tests.exports.scenarios import CHILD, record

DATA = Path(__file__).parent.parent / "data"

# Every way the record keeping changes what stands: two amends of one drug (the second builds on the
# first), an amend that moves an event, one that replaces the patient, a void, and a voided end.
CORRECTED = [
    {
        "t": 0,
        "kind": "code_started",
        "at": "2026-05-04T10:00:00+02:00",
        "arrest": True,
        "setting": "ed",
        "patient": {"age_years": 3, "weight_kg": 14},
    },
    {"t": 10, "kind": "patient_updated", "patient": {"weight_kg": 15, "weight_source": "estimated"}},
    {"t": 20, "kind": "io_attempt", "line": "io1", "site": "proximal_tibia", "side": "left"},
    {"t": 30, "kind": "io_result", "line": "io1", "result": "in"},
    {"t": 40, "kind": "drug", "drug": "epinephrine", "dose": 0.14, "unit": "mg", "line": "io1"},
    {"t": 45, "kind": "flush", "line": "io1", "volume_ml": 5},
    {"t": 60, "kind": "drug", "drug": "epinephrine", "dose": 1.5, "unit": "mg", "line": "io1"},
    {"t": 90, "kind": "rosc"},
    {"t": 100, "kind": "amend", "target": 5, "changes": {"dose": 0.15}, "reason": "misheard"},
    {"t": 110, "kind": "amend", "target": 5, "changes": {"concentration": "1:10000"}, "reason": "syringe"},
    {"t": 120, "kind": "amend", "target": 8, "changes": {"t": 95.5}, "reason": "clock on the wall"},
    {"t": 130, "kind": "amend", "target": 2, "changes": {"patient": {"weight_kg": 16}}, "reason": "weighed"},
    {"t": 140, "kind": "void", "target": 7, "reason": "never given"},
    {"t": 300, "kind": "code_ended", "outcome": "rosc"},
    {"t": 310, "kind": "void", "target": 14, "reason": "not over yet"},
    {"t": 400, "kind": "code_ended", "outcome": "transferred"},
    {"t": 410, "kind": "amend", "target": 16, "changes": {"outcome": "rosc"}, "reason": "stayed in the unit"},
]


def view(db: Path, sql: str) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def _read(db: Path, code_id: int) -> Session:
    store = Store(db)
    return Session.read(store, FakeClock(datetime(2030, 1, 1).astimezone()), code_id, whole=True)


def test_effective_events_applies_voids_and_amends_as_the_recorder_does(db_path):
    code_id = record(db_path, CORRECTED, "0c0de00000000001")
    store = Store(db_path)
    try:
        records = store.events(code_id)
        want = effective(records)
    finally:
        store.close()
    rows = view(db_path, f"SELECT * FROM effective_events WHERE code_id = {code_id}")
    standing = [r for r in rows if not r["voided"]]
    assert [r["seq"] for r in standing] == [rec.seq for rec in want]  # in (t, seq) order, as the timeline
    for row, rec in zip(standing, want, strict=True):
        assert (row["kind"], row["t"]) == (rec.kind, pytest.approx(rec.t)), rec.seq
        assert json.loads(row["payload"]) == event_payload(rec.event), rec.seq
        assert datetime.fromisoformat(row["occurred_at"]) == rec.occurred_at, rec.seq
        assert row["amends"] == len(rec.amended_by) and row["last_amended_by"] == (rec.amended_by or (None,))[-1]
    by_seq = {r["seq"]: r for r in rows}
    assert {s for s, r in by_seq.items() if r["voided"]} == {7, 14}
    assert (by_seq[7]["voided_by"], by_seq[14]["voided_by"]) == (13, 15)
    assert (by_seq[5]["dose"], by_seq[5]["amends"]) == (0.15, 2)  # the second amend kept the first's dose
    assert json.loads(by_seq[2]["payload"])["patient"] == {"weight_kg": 16}  # replaced whole, as the timeline does
    assert by_seq[8]["t"] == 95.5 and by_seq[8]["occurred_at"] == "2026-05-04T08:01:35.500000+00:00"
    assert not {"void", "amend", "acknowledge"} & {r["kind"] for r in rows}


def test_code_overview_is_what_the_summary_says(db_path):
    code_id = record(db_path, CORRECTED, "0c0de00000000001")
    child_id = record(db_path, CHILD, "c41d0000000000a1")
    rows = {r["code_id"]: r for r in view(db_path, "SELECT * FROM code_overview")}
    for cid in (code_id, child_id):
        session = _read(db_path, cid)
        try:
            summary_record = build_code_record(session)
            flags = session.flags()
            info = session.store.code(cid)
        finally:
            session.store.close()
        row = rows[cid]
        start = session.records[0].occurred_at
        assert datetime.fromisoformat(row["started_at"]) == start == info.created_at  # one clock
        assert datetime.fromisoformat(row["ended_at"]) == info.ended_at
        assert row["duration_s"] == round((info.ended_at - start).total_seconds())
        assert row["started_local"] == summary_record.start.isoformat()
        assert row["outcome"] == summary_record.outcome
        assert row["flags"] == len(flags)
        assert row["events"] == len(session.records)
    assert rows[code_id]["outcome"] == "rosc"  # the standing end, amended; not the voided one
    assert (rows[code_id]["setting"], rows[code_id]["age_band"]) == ("ed", "1-4y")
    assert rows[child_id]["audit_id"] == "c41d0000000000a1"


def test_an_open_code_has_no_end_outcome_or_band_yet(db_path):
    record(db_path, CORRECTED[:5], "0c0de00000000001")
    (row,) = view(db_path, "SELECT * FROM code_overview")
    assert (row["ended_at"], row["duration_s"], row["outcome"], row["age_band"]) == (None, None, None, None)
    assert row["events"] == 5


@pytest.mark.parametrize("name", ["schema3_before_chain2.db", "edition1_by_main.db"])
def test_an_old_database_gets_created_at_on_the_code_clock_and_verifies(tmp_path, name):
    """m006 on databases older recorders wrote: created_at becomes the start; no hash moves; verify passes."""
    from sqlite_utils import Database

    from recorder.store.migrations import migrations

    db = tmp_path / name
    shutil.copy(DATA / name, db)
    old = Database(db)
    migrations.apply(old, stop_before="m006_one_clock_and_views")
    # The machine clock when the row was made: seconds or hours off the code's start.
    old.execute("UPDATE codes SET created_at = '2001-01-01T00:00:00.000000+00:00'")
    old.conn.commit()
    hashes = old.execute("SELECT code_id, seq, prev_hash, hash FROM events ORDER BY id").fetchall()
    heads = old.execute("SELECT id, head_seq, head_hash FROM codes ORDER BY id").fetchall()
    old.close()
    store = Store(db)
    try:
        assert store.schema_version == 6
        assert store.verify() == []
        for info in store.codes():
            assert info.created_at == store.events(info.id)[0].occurred_at
        assert store.conn.execute("SELECT code_id, seq, prev_hash, hash FROM events ORDER BY id").fetchall() == hashes
        assert store.conn.execute("SELECT id, head_seq, head_hash FROM codes ORDER BY id").fetchall() == heads
    finally:
        store.close()
    assert len(view(db, "SELECT * FROM code_overview")) == len(heads)


def test_a_new_code_is_created_at_its_start(db_path):
    code_id = record(db_path, CHILD, "c41d0000000000a1")
    store = Store(db_path)
    try:
        # Recorded hours after the stamped start (a replay): created_at is the start, not when the row was made.
        assert store.code(code_id).created_at == datetime.fromisoformat(CHILD[0]["at"])
    finally:
        store.close()


def test_verify_names_a_view_changed_or_dropped(db_path):
    """A view that hides voids would show Datasette another record than the events: verify names it."""
    record(db_path, CORRECTED[:5], "0c0de00000000001")
    conn = sqlite3.connect(db_path)
    conn.execute("DROP VIEW effective_events")
    conn.execute("CREATE VIEW effective_events AS SELECT * FROM events WHERE kind != 'drug'")
    conn.execute("DROP VIEW code_overview")
    conn.execute("CREATE VIEW my_own AS SELECT id FROM codes")  # someone's own view is theirs
    conn.commit()
    conn.close()
    store = Store(db_path)
    try:
        problems = [str(p) for p in store.verify()]
    finally:
        store.close()
    assert problems == [
        "the view effective_events is not the recorder's (its SQL was changed)",
        "the view code_overview is missing",
    ]
