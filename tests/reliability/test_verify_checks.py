"""What `verify` checks besides the chain: the schema and triggers' SQL, the code's number in the chain,
canonical payloads, the flag history against the record, kept audit rows under their own protocol,
the migration of a database written before all this, and the head it prints as an anchor.

Edits are made as in test_tamper.py: with the sqlite3 shell, triggers dropped and put back.
"""

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import recorder.engine
from recorder.core.clock import FakeClock
from recorder.core.flag_check import protocol_basis
from recorder.core.session import Session
from recorder.engine import load_protocol
from recorder.store import Basis, Store
from recorder.store.chain import canonical
from schemas.records import Flag
from tests.conftest import DATA, SCENARIOS_V1
from tests.reliability.helpers import faulty, run, starts
from tests.reliability.test_tamper import DROP, RESTORE, make_two_codes, q, shell, verify

SHIPPED = Path(recorder.engine.__file__).with_name("protocol.toml")


@pytest.fixture
def lenient(tmp_path) -> Path:
    """A hospital's protocol: the shipped one with a 90 s flush window (written from it, so it never lags it)."""
    text = SHIPPED.read_text(encoding="utf-8")
    changed = text.replace("\nwindow_s = 30 ", "\nwindow_s = 90 ", 1)
    assert changed != text, "the shipped protocol's flush window is no longer 30 s: update this fixture"
    path = tmp_path / "lenient_flush.toml"
    path.write_text(changed, encoding="utf-8")
    return path


OLD_DB = DATA / "schema3_before_chain2.db"  # written by the recorder before this check (schema 3)
FLAGS_DIFFER = "its stored flags are not those its record gives under the rules and protocol that raised them"

TRIGGER = {
    "events_no_update": ("events", "UPDATE", "events are append-only: record a void or amend instead"),
    "flags_no_delete": ("flags", "DELETE", "flags are append-only"),
    "legacy_hashes_no_update": ("legacy_hashes", "UPDATE", "legacy hashes are kept as they were"),
    "flag_basis_no_delete": ("flag_basis", "DELETE", "the flag basis is append-only"),
}


@pytest.fixture
def two_codes(db_path):
    """Two ended codes of 8 events each (test_tamper's), the store closed."""
    return make_two_codes(db_path)


def trigger_sql(name, when="", spelling=str):
    table, verb, message = TRIGGER[name]
    return spelling(f"CREATE TRIGGER {name} BEFORE {verb} ON {table} {when}BEGIN ") + (
        f"SELECT RAISE(ABORT, '{message}'); END;"
    )


def without_triggers(db, sql):
    """Run `sql` with every trigger dropped, then put them back exactly as they were."""
    conn = sqlite3.connect(db)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    conn.close()
    shell(db, "".join(f"DROP TRIGGER {name};" for name, _ in triggers) + sql + "".join(f"{t};" for _, t in triggers))


def replay(db, scenario, *options):
    result = run(db, *options, "replay", str(SCENARIOS_V1 / scenario))
    assert result.exit_code == 0, result.output


# ── the schema: every table the recorder owns, every trigger by its SQL ──


@pytest.mark.parametrize("name", list(TRIGGER))
def test_a_same_named_trigger_that_never_fires_is_found(two_codes, name):
    shell(two_codes, f"DROP TRIGGER {name};" + trigger_sql(name, when="WHEN 0 "))
    code, lines = verify(two_codes)
    assert code == 1
    assert f"the append-only trigger {name} is not the recorder's (its SQL was changed)" in lines


def test_the_same_trigger_spelled_otherwise_is_the_same(two_codes):
    shell(two_codes, "DROP TRIGGER events_no_update;" + trigger_sql("events_no_update", spelling=str.lower))
    shell(two_codes, "DROP TRIGGER flags_no_delete;" + trigger_sql("flags_no_delete").replace("BEGIN ", "BEGIN\n   "))
    assert verify(two_codes) == (0, [])


@pytest.mark.parametrize("table", ["flags", "flag_basis", "protocols", "legacy_hashes", "audit_rows"])
def test_a_dropped_table_is_found(two_codes, table):
    shell(two_codes, f"PRAGMA foreign_keys = OFF; DROP TABLE {table};")
    code, lines = verify(two_codes)
    assert code == 1 and f"the table {table} is missing" in lines, lines


def test_a_changed_table_or_a_dropped_unique_index_is_found(two_codes):
    shell(two_codes, "ALTER TABLE flags ADD COLUMN remark TEXT; DROP INDEX idx_events_code_id_seq;")
    code, lines = verify(two_codes)
    assert code == 1
    assert "the table flags does not have the recorder's columns" in lines
    assert "an index of the table events is missing or changed" in lines


def test_a_trigger_the_recorder_did_not_make_is_found(two_codes):
    shell(two_codes, "CREATE TRIGGER tidy AFTER INSERT ON flags BEGIN SELECT 1; END;")
    code, lines = verify(two_codes)
    assert code == 1 and lines == ["the trigger tidy on flags is not the recorder's"]


# ── the code's number is in the chain ──


def test_swapping_two_codes_numbers_is_found(two_codes):
    """Code 1 becomes code 2 and back, every row that names them moved with it: only the hash can tell."""
    tables = ("events", "flags", "flag_basis", "audit_rows", "legacy_hashes")
    swap = "".join(f"UPDATE {t} SET code_id = -code_id WHERE code_id IN (1, 2);" for t in tables)
    swap += "UPDATE codes SET id = -id WHERE id IN (1, 2);"
    for t, column in [(t, "code_id") for t in tables] + [("codes", "id")]:
        swap += f"UPDATE {t} SET {column} = CASE {column} WHEN -1 THEN 2 WHEN -2 THEN 1 ELSE {column} END;"
    without_triggers(two_codes, "PRAGMA foreign_keys = OFF;" + swap)
    store = Store(two_codes)
    assert [n.text for n in (store.events(c)[6].event for c in (1, 2))] == ["code 2", "code 1"]  # swapped
    store.close()
    code, lines = verify(two_codes)
    assert code == 1
    assert "code 1 event 1: was changed after it was recorded (hash mismatch)" in lines
    assert "code 2 event 1: was changed after it was recorded (hash mismatch)" in lines


# ── canonical payloads ──


def test_a_payload_with_a_duplicate_key_is_found(two_codes):
    """Python reads the last `dose` (the one hashed), SQL the first: one record, two doses."""
    payload = '{"dose":2,"dose":0.2,"drug":"epinephrine","line":"io1","unit":"mg"}'
    shell(two_codes, DROP + f"UPDATE events SET payload = {q(payload)} WHERE code_id = 1 AND seq = 6;" + RESTORE)
    conn = sqlite3.connect(two_codes)
    assert (
        conn.execute("SELECT json_extract(payload, '$.dose') FROM events WHERE code_id = 1 AND seq = 6").fetchone()[0]
        == 2
    )
    conn.close()
    store = Store(two_codes)
    assert store.events(1)[5].event.dose == 0.2
    store.close()
    code, lines = verify(two_codes)
    assert code == 1
    assert lines == ["code 1 event 6: payload is not the recorder's own JSON (the key 'dose' is there twice)"]


@pytest.mark.parametrize(
    "payload",
    [
        '{"drug": "epinephrine", "dose": 0.2, "unit": "mg", "line": "io1"}',
        '{"unit":"mg","line":"io1","drug":"epinephrine","dose":0.2}',
        '{"dose":0.2,"drug":"\\u0065pinephrine","line":"io1","unit":"mg"}',
        '{"dose":0.20,"drug":"epinephrine","line":"io1","unit":"mg"}',
    ],
    ids=["spaces", "key order", "escaped letter", "another number spelling"],
)
def test_a_payload_spelled_another_way_is_found(two_codes, payload):
    shell(two_codes, DROP + f"UPDATE events SET payload = {q(payload)} WHERE code_id = 1 AND seq = 6;" + RESTORE)
    code, lines = verify(two_codes)
    assert code == 1
    assert lines == [
        "code 1 event 6: payload is not the recorder's own JSON (it is not stored in its one canonical spelling)"
    ]


# ── the flag history against the record ──


def test_an_inserted_flag_row_is_found(two_codes):
    shell(
        two_codes,
        "INSERT INTO flags (code_id, at_seq, change, rule, severity, seq, t, line, message, recorded_at) VALUES "
        "(1, 8, 'raised', 'DRUG_NOT_FLUSHED', 'warning', 6, 90.0, 'io1', 'not flushed', '2026-03-02T14:06:30+00:00');",
    )
    code, lines = verify(two_codes)
    assert code == 1 and lines == [f"code 1: {FLAGS_DIFFER} (kept but not given: DRUG_NOT_FLUSHED on event 6)"]


def test_an_inserted_withdrawal_is_found(db_path):
    replay(db_path, "e02_repeat_same_bone.jsonl")
    shell(
        db_path,
        "INSERT INTO flags (code_id, at_seq, change, rule, severity, seq, t, line, message, recorded_at) "
        "SELECT code_id, 12, 'withdrawn', rule, severity, seq, t, line, message, recorded_at FROM flags;",
    )
    code, lines = verify(db_path)
    assert code == 1 and lines == [
        f"code 1: {FLAGS_DIFFER} (given but not kept: IO_IN_AT_END on event 6; "
        "given but not kept: REPEAT_SAME_BONE on event 5)"
    ]


def test_a_flag_raised_twice_in_a_row_is_found(db_path):
    replay(db_path, "e02_repeat_same_bone.jsonl")
    shell(
        db_path,
        "INSERT INTO flags (code_id, at_seq, change, rule, severity, seq, t, line, message, recorded_at) "
        "SELECT code_id, 12, change, rule, severity, seq, t, line, message, recorded_at FROM flags;",
    )
    code, lines = verify(db_path)
    assert code == 1 and lines == ["code 1: its stored flag REPEAT_SAME_BONE on event 5 is raised twice in a row"]


def test_flags_are_worked_out_under_the_protocol_that_raised_them(db_path, lenient):
    """A hospital's 90 s window raised one unflushed drug where the default raises two: a plain verify passes."""
    replay(db_path, "e03_flush_errors.jsonl", "--protocol", str(lenient))
    assert verify(db_path) == (0, [])
    text = protocol_basis(load_protocol()).text  # the default protocol's text under the hospital's hash
    without_triggers(db_path, f"UPDATE protocols SET text = {q(text)};")
    code, lines = verify(db_path)
    assert code == 1
    assert lines == [
        "code 1: the protocol kept with its flags cannot be used (its text does not match its sha256 (changed))"
    ]


def _ended_code(store, clock):
    session = Session.start(store, clock, arrest=True, patient={"age_years": 4, "weight_kg": 16})
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=35)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=50)
    session.log({"kind": "aspiration", "line": "io1", "marrow": True}, t=52)
    session.log({"kind": "flush", "line": "io1", "volume_ml": 5}, t=55)
    return session


def test_a_crash_between_an_event_and_its_flags_is_a_note_and_resume_mends_it(db_path):
    clock = FakeClock()
    store = Store(db_path)
    session = _ended_code(store, clock)
    conn = faulty(store)
    conn.arm(starts("INSERT INTO flags"), "disk I/O error", times=1)  # the flags' write fails, the event's did not
    drug = session.log({"kind": "drug", "drug": "epinephrine", "dose": 5, "unit": "mg", "line": "io1"}, t=60)
    assert drug.raised and conn.failed == 1
    store.close()  # the recorder stops there, before any catch-up
    result = run(db_path, "verify")
    assert result.exit_code == 0, result.stderr
    assert "note: code 1: its stored flags stop at event 5" in result.output
    store = Store(db_path)
    Session.resume(store, clock, 1)
    store.close()
    result = run(db_path, "verify")
    assert result.exit_code == 0 and "note:" not in result.output, result.output


def test_flags_that_changed_content_under_one_key_are_kept_as_they_now_are(db_path):
    """A deadline fired live (not flushed within 30 s), then a back-dated drug made the same flag fire
    earlier with another message: the stored history must end on the flag as the record gives it."""
    clock = FakeClock()
    store = Store(db_path)
    session = _ended_code(store, clock)
    session.log({"kind": "drug", "drug": "epinephrine", "dose": 0.16, "unit": "mg", "line": "io1"}, t=60)
    fired = session.tick(now=200)
    assert [f.message for f in fired] == ["epinephrine via io1 not flushed with ≥ 2 mL within 30 s"]
    session.log({"kind": "drug", "drug": "amiodarone", "dose": 80, "unit": "mg", "line": "io1"}, t=70)
    now = {(f.rule, f.seq): f.message for f in session.flags()}
    assert now[("DRUG_NOT_FLUSHED", 6)] != fired[0].message
    stored = {(f.rule, f.seq): f.message for f in session._stored_flags()}
    store.close()
    assert stored[("DRUG_NOT_FLUSHED", 6)] == now[("DRUG_NOT_FLUSHED", 6)]
    assert verify(db_path) == (0, [])


def test_a_later_rules_edition_is_a_note_not_a_fault(db_path):
    """Flags raised by an edition this recorder does not have: said so, not counted a fault."""
    clock = FakeClock()
    store = Store(db_path)
    session = Session.start(store, clock, arrest=True, patient={"age_years": 4})
    later = Basis("3", protocol_basis(session.protocol).protocol, protocol_basis(session.protocol).text)
    flag = Flag(rule="A_RULE_OF_EDITION_3", severity="info", seq=1, t=0, message="from the third edition")
    store.record_flags(session.code_id, 1, [flag], [], clock.wall(), later)
    store.close()
    result = run(db_path, "verify")
    assert result.exit_code == 0, result.stderr
    assert (
        "note: code 1: its flags were raised by rules edition 3, which this recorder does not have: not checked"
        in result.output
    )


# ── kept audit rows, under the protocol they were kept with ──


def test_kept_audit_rows_made_under_a_hospital_protocol_are_checked_by_a_plain_verify(db_path, lenient):
    replay(db_path, "e03_flush_errors.jsonl", "--protocol", str(lenient))
    conn = sqlite3.connect(db_path)
    (rows,) = conn.execute("SELECT rows FROM audit_rows WHERE code_id = 1").fetchone()
    data = json.loads(rows)
    assert data["flags"]
    data["flags"] = []  # the audit would show the code without its deviations
    conn.execute("UPDATE audit_rows SET rows = ? WHERE code_id = 1", [json.dumps(data)])
    conn.commit()
    conn.close()
    code, lines = verify(db_path)
    assert code == 1
    assert lines == [
        "code 1: its kept audit rows differ from its record; `recorder audit --rederive` works them out again"
    ]


def test_kept_audit_rows_under_a_protocol_not_kept_here_are_a_note(db_path):
    replay(db_path, "e02_repeat_same_bone.jsonl")
    shell(db_path, "UPDATE audit_rows SET key = 'another-recorder-version';")
    result = run(db_path, "verify")
    assert result.exit_code == 0, result.stderr
    assert "note: code 1: its kept audit rows were derived by another recorder version" in result.output


# ── a database written before all this ──


def _old_database(tmp_path):
    db = tmp_path / "old.db"
    shutil.copyfile(OLD_DB, db)
    conn = sqlite3.connect(db)
    events = conn.execute(
        "SELECT id, code_id, seq, kind, payload, occurred_at, recorded_at, schema_version FROM events ORDER BY id"
    ).fetchall()
    hashes = conn.execute("SELECT code_id, seq, prev_hash, hash FROM events ORDER BY code_id, seq").fetchall()
    conn.close()
    return db, events, hashes


def test_an_old_database_opens_migrates_and_verifies_keeping_its_old_hashes(tmp_path, lenient):
    db, events, hashes = _old_database(tmp_path)
    result = run(db, "verify")
    assert result.exit_code == 0, result.stderr
    # Code 6 was recorded under a hospital's protocol, before the protocol was kept with the flags.
    # Its codes were flagged by the first edition, which verify still has (recorder/engine/first_edition).
    # A hospital's --protocol FILE is a second-edition protocol: it cannot stand for the first edition's.
    note = (
        "note: code 6: its flags were kept under rules edition 1 before the recorder noted their protocol, "
        "and are not that edition's default protocol's: not checked"
    )
    assert [line for line in result.output.splitlines() if line.startswith("note:")] == [note]
    result = run(db, "--protocol", str(lenient), "verify")
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if line.startswith("note:")] == [note]
    conn = sqlite3.connect(db)
    # verify reads: it migrated a copy in memory and left the file as the old recorder wrote it
    assert conn.execute("SELECT code_id, seq, prev_hash, hash FROM events ORDER BY code_id, seq").fetchall() == hashes
    assert "legacy_hashes" not in {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    Store(db).close()  # the first writer to open it (the screen, resume, replay) migrates the file
    assert verify(db) == (0, [])
    conn = sqlite3.connect(db)
    assert (
        conn.execute(
            "SELECT id, code_id, seq, kind, payload, occurred_at, recorded_at, schema_version FROM events ORDER BY id"
        ).fetchall()
        == events
    )  # the record's bytes are untouched
    assert conn.execute("SELECT code_id, seq, prev_hash, hash FROM legacy_hashes ORDER BY code_id, seq").fetchall() == (
        hashes
    )
    assert {c for (c,) in conn.execute("SELECT chain FROM codes")} == {2}
    new = conn.execute("SELECT hash FROM events ORDER BY code_id, seq").fetchall()
    assert not {h for (h,) in new} & {h for *_, h in hashes}
    # The first recorder's spelling of a payload stands for the event it wrote.
    assert (
        conn.execute("SELECT payload FROM events WHERE code_id = 7 AND seq = 3").fetchone()[0].startswith('{"text": ')
    )
    conn.close()
    store = Store(db)  # and the code goes on under the new algorithm
    session = Session.resume(store, FakeClock(), 7)
    session.log({"kind": "note", "text": "after the upgrade"}, t=10)
    store.close()
    assert verify(db) == (0, [])


def test_an_edit_made_before_the_upgrade_is_not_laundered_by_it(tmp_path):
    db, _, _ = _old_database(tmp_path)
    changed = canonical({"drug": "epinephrine", "dose": 5, "unit": "mg", "line": "io1"})
    shell(db, DROP + f"UPDATE events SET payload = {q(changed)} WHERE code_id = 4 AND seq = 6;" + RESTORE)
    code, lines = verify(db)
    assert code == 1
    assert lines == ["code 4 event 6: does not match its hash from before the upgrade (changed)"]


# ── the head as an anchor ──


def test_print_head_prints_each_codes_head_and_the_summary_carries_it(two_codes):
    result = run(two_codes, "verify", "--print-head")
    assert result.exit_code == 0
    conn = sqlite3.connect(two_codes)
    expected = [
        f"code {i}  events {n}  head {h}" for i, n, h in conn.execute("SELECT id, head_seq, head_hash FROM codes")
    ]
    conn.close()
    assert [line for line in result.output.splitlines() if line.startswith("code ")] == expected
    head = expected[0].split()[-1]
    for fmt, spelling in [("md", f"**Head hash**: {head}"), ("json", f'"head_hash": "{head}"'), ("html", head)]:
        summary = run(two_codes, "summary", "1", "--format", fmt)
        assert summary.exit_code == 0, summary.stderr
        assert spelling in summary.output, fmt


def test_a_rechained_event_the_recorder_cannot_read_is_a_fault(two_codes):
    """The chain was rewritten over a payload no event model accepts: every command would refuse the code."""
    from tests.reliability.test_tamper import _rechain

    def unreadable(r):
        r["payload"] = canonical({"words": "not a note"})

    _rechain(two_codes, 1, 7, unreadable)
    code, lines = verify(two_codes)
    assert code == 1 and lines == ["code 1: event 7 cannot be read (it was changed or damaged)"]
