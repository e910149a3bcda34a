"""The record cannot be changed quietly: triggers refuse edits, the hash chain finds the rest."""

import json
import sqlite3

import pytest
from click.testing import CliRunner

from recorder.cli import cli
from recorder.store import StoreError


def _log_some(session):
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=35)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=50)
    session.log({"kind": "flush", "line": "io1", "volume_ml": 3}, t=55)
    session.log({"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1"}, t=60)


@pytest.mark.parametrize(
    "sql",
    ["UPDATE events SET payload = '{}' WHERE seq = 2", "DELETE FROM events WHERE seq = 2", "DELETE FROM events"],
)
def test_update_and_delete_are_refused(session, store, sql):
    _log_some(session)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute(sql)
    assert len(store.events(session.code_id)) == 5


def test_refused_also_from_another_connection(session, db_path):
    _log_some(session)
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET kind = 'note'")
    conn.close()


def test_append_is_durable_on_return(session, db_path):
    """Another connection sees the event as soon as `log` returns: it was committed."""
    session.log({"kind": "note", "text": "committed?"}, t=5)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    conn.close()


def test_duplicate_seq_is_refused(session, store):
    _log_some(session)
    with pytest.raises(StoreError, match="behind this recorder's back"):
        store.append(session.code_id, 3, "note", {"text": "x"}, session.clock.at(1), session.clock.at(1))


def _tamper(db_path, *statements):
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def _verify(db_path):
    return CliRunner().invoke(cli, ["--db", str(db_path), "verify"])


def test_verify_passes_on_an_honest_database(session, db_path):
    _log_some(session)
    result = _verify(db_path)
    assert result.exit_code == 0, result.output
    assert "hash chains intact" in result.output


def test_changed_payload_is_named(session, store, db_path):
    _log_some(session)
    payload = json.dumps({"drug": "epinephrine", "dose": 1.2, "unit": "mg", "line": "io1"})
    _tamper(db_path, f"UPDATE events SET payload = '{payload}' WHERE seq = 5")
    result = _verify(db_path)
    assert result.exit_code == 1
    assert f"code {session.code_id} event 5: was changed after it was recorded" in result.output
    assert "trigger events_no_update is missing" in result.output


def test_changed_time_is_named(session, db_path):
    _log_some(session)
    _tamper(db_path, "UPDATE events SET occurred_at = '2026-03-02T14:04:00.000000+00:00' WHERE seq = 3")
    result = _verify(db_path)
    assert result.exit_code == 1
    assert "event 3: was changed" in result.output


def test_deleted_event_is_named(session, db_path):
    _log_some(session)
    _tamper(db_path, "DELETE FROM events WHERE seq = 3")
    result = _verify(db_path)
    assert result.exit_code == 1
    assert "event 3: is missing" in result.output


def test_deleted_last_event_is_found(session, db_path):
    _log_some(session)
    _tamper(db_path, "DELETE FROM events WHERE seq = 5")
    result = _verify(db_path)
    assert result.exit_code == 1
    assert "event 5: is missing: the code recorded 5 events, 4 are there" in result.output


def test_inserted_event_is_found(session, store, db_path):
    _log_some(session)
    _tamper(
        db_path,
        "UPDATE events SET seq = seq + 100 WHERE seq >= 3",
    )
    result = _verify(db_path)
    assert result.exit_code == 1
    assert "event 3: is missing" in result.output


def test_verify_does_not_change_the_database(session, db_path):
    _log_some(session)
    session.store.close()
    before = {p.name: p.read_bytes() for p in [db_path]}
    _verify(db_path)
    assert db_path.read_bytes() == before[db_path.name]
