"""Tamper evidence: rows changed, deleted, inserted or moved behind the recorder's back.

Every edit is made as someone with the sqlite3 shell would make it (the `sqlite3` program when it
is installed, else Python's sqlite3), after dropping the append-only triggers and, where noted,
putting them back so that only the hash chain can tell. `recorder verify` must exit 1 and name the
first event that does not match.

The `test_limit_*` tests document what a hash chain kept beside the data cannot show: an attacker
who knows the scheme (it is open source; the audit id is in the same file) can rewrite the chain
from the edited event on, or cut the newest events and fix the head. Only an anchor kept outside
the database (the head hash `recorder verify --print-head` prints, or the printed summary's, kept on
paper or sent to another system) can reveal that: each limit test shows the anchor does.
"""

import hashlib
import json
import shutil
import sqlite3
import subprocess

import pytest

from recorder.core.clock import FakeClock
from recorder.core.session import Session
from recorder.store import Store
from recorder.store.chain import canonical, event_hash
from tests.conftest import SCENARIOS_V1
from tests.reliability.helpers import run

DROP = "DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;"
RESTORE = (
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN "
    "SELECT RAISE(ABORT, 'events are append-only: record a void or amend instead'); END; "
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN "
    "SELECT RAISE(ABORT, 'events are append-only: record a void instead'); END;"
)


def shell(db, sql):
    """Run SQL on the database as a person with the sqlite3 shell would."""
    program = shutil.which("sqlite3")
    if program:
        done = subprocess.run([program, str(db)], input=sql, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and not done.stderr, done.stderr
        return
    conn = sqlite3.connect(db)
    conn.executescript(sql)
    conn.close()


@pytest.fixture
def two_codes(db_path):
    """Two ended codes of 8 events each; the store is closed, as after the recorder exits."""
    return make_two_codes(db_path)


def make_two_codes(db_path):
    clock = FakeClock()
    store = Store(db_path)
    for n in range(2):
        session = Session.start(store, clock, arrest=True, patient={"age_years": 4 + n})
        session.log({"kind": "rhythm", "rhythm": "asystole"}, t=10)
        session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=35)
        session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=50)
        session.log({"kind": "flush", "line": "io1", "volume_ml": 5}, t=55)
        session.log({"kind": "drug", "drug": "epinephrine", "dose": 0.2, "unit": "mg", "line": "io1"}, t=60)
        session.log({"kind": "note", "text": f"code {n + 1}"}, t=70)
        session.end("rosc", t=80)
        clock.advance(3600)
    store.close()
    assert run(db_path, "verify").exit_code == 0
    return db_path


def verify(db):
    result = run(db, "verify")
    assert "Traceback" not in result.output
    return result.exit_code, [line.removeprefix("FAULT ") for line in result.stderr.splitlines()]


def faults(db, *sql, restore=True):
    shell(db, DROP + "\n".join(sql) + (RESTORE if restore else ""))
    code, lines = verify(db)
    assert code == 1, lines
    return lines


def row(db, code_id, seq):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    found = dict(conn.execute("SELECT * FROM events WHERE code_id = ? AND seq = ?", [code_id, seq]).fetchone())
    audit_id = conn.execute("SELECT audit_id FROM codes WHERE id = ?", [code_id]).fetchone()[0]
    conn.close()
    return found, audit_id


def q(value):
    return "'" + str(value).replace("'", "''") + "'"


# ── edits the chain finds ──


@pytest.mark.parametrize(
    ("sql", "fault"),
    [
        (
            'UPDATE events SET payload = \'{"drug":"epinephrine","dose":2,"unit":"mg","line":"io1"}\' '
            "WHERE code_id = 1 AND seq = 6",
            "code 1 event 6: was changed",
        ),
        (
            "UPDATE events SET kind = 'note', payload = '{\"text\":\"x\"}' WHERE code_id = 1 AND seq = 6",
            "code 1 event 6: was changed",
        ),
        (
            "UPDATE events SET occurred_at = '2026-03-02T14:04:00.000000+00:00' WHERE code_id = 1 AND seq = 6",
            "code 1 event 6: was changed",
        ),
        (
            "UPDATE events SET recorded_at = '2026-03-02T14:06:00.000000+00:00' WHERE code_id = 1 AND seq = 6",
            "code 1 event 6: was changed",
        ),
        ("UPDATE events SET schema_version = 2 WHERE code_id = 1 AND seq = 6", "code 1 event 6: was changed"),
        ("UPDATE events SET prev_hash = '' WHERE code_id = 1 AND seq = 3", "code 1 event 3: does not follow"),
        ("DELETE FROM events WHERE code_id = 1 AND seq = 4", "code 1 event 4: is missing"),
        ("DELETE FROM events WHERE code_id = 1 AND seq = 8", "code 1 event 8: is missing"),
        ("DELETE FROM events WHERE code_id = 1", "code 1 event 1: is missing"),
        ("UPDATE codes SET audit_id = 'ffffffffffffffff' WHERE id = 1", "code 1 event 1: was changed"),
        ("UPDATE codes SET head_seq = 7 WHERE id = 2", "code 2 event 9: is missing: the code recorded 7 events"),
        ("DELETE FROM codes WHERE id = 1", "code 1: events belong to a code that does not exist"),
    ],
    ids=[
        "dose changed",
        "kind changed",
        "occurred_at changed",
        "recorded_at only",
        "schema_version",
        "prev_hash",
        "middle event deleted",
        "last event deleted",
        "all events of a code deleted",
        "audit id changed",
        "head cut back",
        "code row deleted",
    ],
)
def test_an_edit_is_named(two_codes, sql, fault):
    lines = faults(two_codes, sql + ";")
    assert any(line.startswith(fault) for line in lines), lines


def test_triggers_dropped_and_left_dropped_are_reported(two_codes):
    lines = faults(two_codes, "", restore=False)
    assert "the append-only trigger events_no_update is missing" in lines
    assert "the append-only trigger events_no_delete is missing" in lines


def test_swapping_two_events_payloads_is_found(two_codes):
    a, _ = row(two_codes, 1, 2)
    b, _ = row(two_codes, 1, 7)
    lines = faults(
        two_codes,
        f"UPDATE events SET kind = {q(b['kind'])}, payload = {q(b['payload'])} WHERE code_id = 1 AND seq = 2;",
        f"UPDATE events SET kind = {q(a['kind'])}, payload = {q(a['payload'])} WHERE code_id = 1 AND seq = 7;",
    )
    assert lines == ["code 1 event 2: was changed after it was recorded (hash mismatch)"]


def test_swapping_two_whole_rows_seq_and_all_is_found(two_codes):
    lines = faults(
        two_codes,
        "UPDATE events SET seq = -1 WHERE code_id = 1 AND seq = 5;",
        "UPDATE events SET seq = 5 WHERE code_id = 1 AND seq = 6;",
        "UPDATE events SET seq = 6 WHERE code_id = 1 AND seq = -1;",
    )
    assert lines == ["code 1 event 5: does not follow the event before it (chain broken)"]


def test_moving_an_event_to_another_code_is_found_in_both(two_codes):
    lines = faults(
        two_codes,
        "UPDATE events SET seq = 9 WHERE code_id = 2 AND seq = 8;",  # make room after code 2's end
        "UPDATE events SET code_id = 2, seq = 8 WHERE code_id = 1 AND seq = 6;",
    )
    assert any(line.startswith("code 1 event 6: is missing") for line in lines), lines
    assert any(line.startswith("code 2 event 8:") for line in lines), lines


def test_moving_a_whole_code_under_another_code_row_is_found(two_codes):
    """Events re-parented to a code row with another audit id: every hash names the old code."""
    lines = faults(
        two_codes,
        "UPDATE codes SET head_seq = 0, head_hash = '' WHERE id = 2;",
        "DELETE FROM events WHERE code_id = 2;",
        "UPDATE events SET code_id = 2 WHERE code_id = 1;",
        "UPDATE codes SET head_seq = 0, head_hash = '' WHERE id = 1;",
    )
    assert any(line.startswith("code 2 event 1: was changed") for line in lines), lines


def test_a_fabricated_event_appended_with_a_naive_sha256_is_found(two_codes):
    last, _ = row(two_codes, 1, 8)
    payload = json.dumps({"drug": "epinephrine", "dose": 0.2, "unit": "mg", "line": "io1"})
    naive = hashlib.sha256(payload.encode()).hexdigest()
    lines = faults(
        two_codes,
        "INSERT INTO events (code_id, seq, kind, payload, occurred_at, recorded_at, schema_version, prev_hash, hash) "
        f"VALUES (1, 9, 'drug', {q(payload)}, {q(last['occurred_at'])}, {q(last['recorded_at'])}, 1, "
        f"{q(last['hash'])}, {q(naive)});",
        f"UPDATE codes SET head_seq = 9, head_hash = {q(naive)} WHERE id = 1;",
    )
    assert lines == ["code 1 event 9: was changed after it was recorded (hash mismatch)"]


def test_a_changed_row_rehashed_with_a_naive_sha256_is_found(two_codes):
    changed = json.dumps({"drug": "epinephrine", "dose": 2, "unit": "mg", "line": "io1"})
    lines = faults(
        two_codes,
        f"UPDATE events SET payload = {q(changed)}, hash = {q(hashlib.sha256(changed.encode()).hexdigest())} "
        "WHERE code_id = 1 AND seq = 6;",
    )
    assert lines == ["code 1 event 6: was changed after it was recorded (hash mismatch)"]


def test_a_changed_row_rehashed_with_the_real_scheme_but_not_its_successors_is_found(two_codes):
    found, audit_id = row(two_codes, 1, 6)
    found["payload"] = canonical({"drug": "epinephrine", "dose": 2, "unit": "mg", "line": "io1"})
    new_hash = event_hash(found, audit_id, found["prev_hash"])
    lines = faults(
        two_codes,
        f"UPDATE events SET payload = {q(found['payload'])}, hash = {q(new_hash)} WHERE code_id = 1 AND seq = 6;",
    )
    assert lines == ["code 1 event 7: does not follow the event before it (chain broken)"]


# ── found by tampering, and fixed ──


@pytest.mark.parametrize("column", ["payload", "occurred_at", "kind"])
def test_a_column_turned_into_a_blob_is_named_not_a_crash(two_codes, column):
    shell(two_codes, DROP + f"UPDATE events SET {column} = CAST({column} AS BLOB) WHERE code_id = 1 AND seq = 2;")
    result = run(two_codes, "verify")
    assert result.exit_code == 1, result.output
    assert "FAULT code 1 event 2:" in result.stderr


def test_an_ended_code_made_open_again_is_found(two_codes):
    shell(two_codes, "UPDATE codes SET ended_at = NULL WHERE id = 2;")
    store = Store(two_codes)
    reopened = store.open_code_id()
    store.close()
    assert reopened is None  # today: 2
    code, lines = verify(two_codes)
    assert code == 1, lines


# ── the limits of a hash chain without an outside anchor ──


def _rechain(db, code_id, from_seq, change):
    """Rewrite events from `from_seq` on with the real scheme, as an attacker who read the code would."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    conn.executescript(DROP)
    audit_id = conn.execute("SELECT audit_id FROM codes WHERE id = ?", [code_id]).fetchone()[0]
    rows = [dict(r) for r in conn.execute("SELECT * FROM events WHERE code_id = ? ORDER BY seq", [code_id])]
    prev = rows[from_seq - 2]["hash"] if from_seq > 1 else ""
    for r in rows[from_seq - 1 :]:
        if r["seq"] == from_seq:
            change(r)
        r["prev_hash"] = prev
        r["hash"] = event_hash(r, audit_id, prev)
        conn.execute(
            "UPDATE events SET payload = ?, occurred_at = ?, prev_hash = ?, hash = ? WHERE id = ?",
            [r["payload"], r["occurred_at"], r["prev_hash"], r["hash"], r["id"]],
        )
        prev = r["hash"]
    conn.execute("UPDATE codes SET head_hash = ? WHERE id = ?", [prev, code_id])
    conn.commit()
    conn.executescript(RESTORE)
    conn.close()


def heads(db):
    """What `recorder verify --print-head` prints: the anchor kept in a second place."""
    result = run(db, "verify", "--print-head")
    return [line for line in result.output.splitlines() if line.startswith("code ")]


def test_limit_a_full_rechain_by_someone_who_knows_the_scheme_is_found_only_by_the_anchor(two_codes):
    anchor = heads(two_codes)

    def other_note(r):
        r["payload"] = canonical({"text": "nothing happened"})

    _rechain(two_codes, 1, 7, other_note)
    assert verify(two_codes) == (0, [])  # the limit: nothing in the file can tell
    store = Store(two_codes)
    assert store.events(1)[6].event.text == "nothing happened"
    store.close()
    assert heads(two_codes)[0] != anchor[0] and heads(two_codes)[1] == anchor[1]  # the anchor can


def test_a_full_rechain_that_changes_the_flags_is_found_by_the_flag_history(two_codes):
    """The flush turned into a note, the chain rewritten after it: the kept flags still say "flushed"."""

    def no_flush(r):
        r["kind"], r["payload"] = "note", canonical({"text": "flush"})

    _rechain_kind(two_codes, 1, 5, no_flush)
    code, lines = verify(two_codes)
    assert code == 1
    assert lines == [
        "code 1: its stored flags are not those its record gives under the rules and protocol that raised them "
        "(given but not kept: DRUG_VIA_UNCONFIRMED_IO on event 6; given but not kept: NO_INITIAL_FLUSH on event 6)"
    ]


def _rechain_kind(db, code_id, from_seq, change):
    """_rechain, the kind too."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    conn.executescript(DROP)
    audit_id = conn.execute("SELECT audit_id FROM codes WHERE id = ?", [code_id]).fetchone()[0]
    rows = [dict(r) for r in conn.execute("SELECT * FROM events WHERE code_id = ? ORDER BY seq", [code_id])]
    prev = rows[from_seq - 2]["hash"]
    for r in rows[from_seq - 1 :]:
        if r["seq"] == from_seq:
            change(r)
        r["prev_hash"], r["hash"] = prev, event_hash(r, audit_id, prev)
        conn.execute(
            "UPDATE events SET kind = ?, payload = ?, prev_hash = ?, hash = ? WHERE id = ?",
            [r["kind"], r["payload"], r["prev_hash"], r["hash"], r["id"]],
        )
        prev = r["hash"]
    conn.execute("UPDATE codes SET head_hash = ? WHERE id = ?", [prev, code_id])
    conn.commit()
    conn.executescript(RESTORE)
    conn.close()


def test_limit_cutting_the_newest_events_and_fixing_the_head_is_found_only_by_the_anchor(two_codes):
    anchor = heads(two_codes)
    seventh, _ = row(two_codes, 2, 7)
    # Second edition: the code_ended holds a flag (IO_IN_AT_END: io1 still in), kept at event 8; whoever
    # cuts the event also cuts what the recorder kept at it (the flags and their basis), as a careful
    # forger would, and then the stored flags are those of events 1-7.
    kept_at_8 = " WHERE code_id = 2 AND at_seq = 8;"
    shell(
        two_codes,
        DROP
        + "DROP TRIGGER flags_no_delete; DROP TRIGGER flag_basis_no_delete;"
        + "DELETE FROM events WHERE code_id = 2 AND seq = 8;"
        + f"DELETE FROM flags{kept_at_8} DELETE FROM flag_basis{kept_at_8}"
        + f"UPDATE codes SET head_seq = 7, head_hash = {q(seventh['hash'])}, ended_at = NULL WHERE id = 2;"
        + RESTORE
        + _restore_delete("flags")
        + _restore_delete("flag_basis"),
    )
    code, lines = verify(two_codes)
    assert code == 0, lines
    assert heads(two_codes)[1] != anchor[1]


def test_deleting_a_whole_code_but_not_its_flags_is_found(two_codes):
    shell(two_codes, DROP + "DELETE FROM events WHERE code_id = 1; DELETE FROM codes WHERE id = 1;" + RESTORE)
    code, lines = verify(two_codes)
    assert code == 1 and "rows of flag_basis belong to no row of codes" in lines, lines


def test_limit_deleting_a_whole_code_and_all_it_left_is_found_only_by_the_anchor(two_codes):
    anchor = heads(two_codes)
    shell(
        two_codes,
        "PRAGMA foreign_keys = OFF;"
        + "".join(f"DROP TRIGGER {t}_no_delete;" for t in LEFT_BY_A_CODE)
        + "".join(f"DELETE FROM {t} WHERE code_id = 1;" for t in (*LEFT_BY_A_CODE, "audit_rows"))
        + "DELETE FROM codes WHERE id = 1;"
        + "".join(_restore_delete(t) for t in LEFT_BY_A_CODE),
    )
    assert verify(two_codes) == (0, [])
    assert heads(two_codes) == anchor[1:]


LEFT_BY_A_CODE = ("events", "flags", "flag_basis", "event_clock")  # the append-only tables that name a code


def _restore_delete(table):
    message = {
        "events": "events are append-only: record a void instead",
        "flags": "flags are append-only",
        "flag_basis": "the flag basis is append-only",
        "event_clock": "clock marks are append-only",
    }[table]
    return f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END;"


def test_a_deleted_flag_history_is_found(db_path):
    """Flags are kept with triggers but no hash; verify works them out again from the record."""
    assert run(db_path, "replay", str(SCENARIOS_V1 / "e02_repeat_same_bone.jsonl")).exit_code == 0
    shell(
        db_path,
        "DROP TRIGGER IF EXISTS flags_no_delete; DELETE FROM flags;"
        "CREATE TRIGGER flags_no_delete BEFORE DELETE ON flags "
        "BEGIN SELECT RAISE(ABORT, 'flags are append-only'); END;",
    )
    code, lines = verify(db_path)
    assert code == 1
    assert lines == [
        "code 1: its stored flags are not those its record gives under the rules and protocol that raised them "
        "(given but not kept: IO_IN_AT_END on event 6; given but not kept: REPEAT_SAME_BONE on event 5)"
    ]
