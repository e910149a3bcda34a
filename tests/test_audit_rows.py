"""Kept audit rows: an ended code's rows are kept in its database, audits read them, and they never
stand for a record they no longer match (a correction, another protocol, damage)."""

import os
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from recorder.cli import cli
from recorder.core.audit_rows import audit_key, derive, read_audit
from recorder.core.clock import FakeClock
from recorder.core.end_hooks import keep_audit_rows
from recorder.core.session import Session
from recorder.engine import load_protocol, parse_protocol
from recorder.store import Store
from tests.factory import record
from tests.reliability.helpers import faulty, starts
from tests.test_cli_exports import CODE_A, CODE_B, CODE_C, read_csv

CLOCK = FakeClock(datetime(2030, 1, 1).astimezone())


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "unit.db"
    record(path, CODE_A, "aaaa000000000001")
    record(path, CODE_B, "bbbb000000000002")
    return path


def kept(path: Path) -> dict[int, tuple[str, str]]:
    store = Store(path)
    try:
        return store.kept_audit_rows(audit_key(load_protocol()))
    finally:
        store.close()


def fresh(path: Path, code_id: int):
    """A code's rows worked out from its record, nothing kept involved."""
    store = Store(path)
    try:
        return derive(Session.read(store, CLOCK, code_id))[1]
    finally:
        store.close()


def audit(*paths: Path, protocol=None, **kw):
    stores = [Store(p) for p in paths]
    try:
        return read_audit(stores, CLOCK, protocol or load_protocol(), **kw)
    finally:
        for store in stores:
            store.close()


def no_session_reads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the audit read a whole code although its rows were kept")

    monkeypatch.setattr(Session, "read", refuse)


def test_an_ended_code_keeps_its_rows_and_an_audit_reads_them_as_they_are(db, monkeypatch):
    rows = kept(db)
    assert sorted(rows) == [1, 2]
    assert rows[2][0] == "2026-05-10"  # the day it started where it happened (UTC-5), for --since/--until
    expected = [fresh(db, 1), fresh(db, 2)]
    no_session_reads(monkeypatch)
    got = audit(db)
    assert got.codes == [*expected[0].codes, *expected[1].codes]
    assert got.flags == [*expected[0].flags, *expected[1].flags]
    # Second edition: each code's IO needle still in at its end is said (IO_IN_AT_END).
    assert [f.rule for f in got.flags] == ["IO_IN_AT_END", "REPEAT_SAME_BONE", "IO_IN_AT_END"]


def test_an_open_code_is_derived_at_each_audit_and_not_kept(tmp_path):
    path = tmp_path / "open.db"
    record(path, CODE_A[:-1], "aaaa000000000001")  # no code_ended
    assert kept(path) == {}
    assert [c.audit_id for c in audit(path).codes] == ["aaaa000000000001"]
    assert kept(path) == {}


def test_a_correction_after_the_end_is_in_the_kept_rows(db):
    store = Store(db)
    session = Session.resume(store, CLOCK, 1, on_end=keep_audit_rows)
    drug = next(r.seq for r in session.records if r.kind == "drug")
    session.void(drug, "wrong patient's syringe", t=session.records[-1].t)
    store.close()
    (code,) = [c for c in audit(db).codes if c.audit_id == "aaaa000000000001"]
    assert code.drugs_given == 0 and code.voids == 1
    assert code == fresh(db, 1).codes[0]


def test_rows_of_a_record_changed_behind_the_recorders_back_are_not_used(db):
    """A row stands only for the head it was derived from: an event appended by other means (here a
    session that fails to keep its rows) makes the audit derive the code again."""
    before = kept(db)[1]
    store = Store(db)
    session = Session.resume(store, CLOCK, 1)  # no end hook: as a recorder that does not keep them
    # (record keeping: nothing but a void, amend or acknowledge can follow the code's end)
    assert session.records[5].kind == "drug"
    session.amend(6, {"dose": 0.28}, "charted as half the dose given")
    store.close()
    assert 1 not in kept(db)
    assert audit(db).codes[0] == fresh(db, 1).codes[0]
    assert kept(db)[1] != before  # kept again, for this head


def test_another_protocol_derives_its_own_rows(db, tmp_path):
    text = (Path(__file__).resolve().parents[1] / "recorder" / "engine" / "protocol.toml").read_text()
    other = parse_protocol(text.replace("[meta]", "[meta]\n# a hospital's copy", 1), "hospital")
    assert audit_key(other) == audit_key(load_protocol())  # the same content is the same key
    strict = parse_protocol(_bump_a_threshold(text), "hospital")
    assert audit_key(strict) != audit_key(load_protocol())
    got = audit(db, protocol=strict)
    assert [c.audit_id for c in got.codes] == ["aaaa000000000001", "bbbb000000000002"]
    store = Store(db)
    try:
        assert sorted(store.kept_audit_rows(audit_key(strict))) == [1, 2]
    finally:
        store.close()


def _bump_a_threshold(text: str) -> str:
    """The protocol with one number changed: another protocol as far as the rows are concerned."""
    import re

    match = re.search(r"^(\w+) = (\d+)\s*(#.*)?$", text, flags=re.M)
    assert match, "protocol.toml has an integer setting"
    name, value = match.group(1), int(match.group(2))
    return text.replace(match.group(0), f"{name} = {value + 1}", 1)


def test_a_damaged_kept_row_is_derived_again(db):
    conn = sqlite3.connect(db)
    conn.execute("UPDATE audit_rows SET rows = '{\"codes\": [' WHERE code_id = 1")
    conn.execute("UPDATE audit_rows SET day = 'yesterday' WHERE code_id = 2")
    conn.commit()
    conn.close()
    got = audit(db)
    assert got.codes == [*fresh(db, 1).codes, *fresh(db, 2).codes]
    assert sorted(kept(db)) == [1, 2]  # and kept again, whole


def test_a_database_that_cannot_be_written_is_audited_all_the_same(tmp_path):
    """Keeping rows is not the audit's job: when the write fails (a full disk, a busy or read-only
    file), the audit stands and nothing is kept."""
    path = tmp_path / "full.db"
    record(path, CODE_C, "cccc000000000003")
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM audit_rows")  # as a database from before rows were kept
    conn.commit()
    conn.close()
    store = Store(path)
    fault = faulty(store)
    fault.arm(starts("COMMIT"), "database or disk is full")
    try:
        got = read_audit([store], CLOCK, load_protocol())
    finally:
        store.close()
    assert fault.failed == 1  # it did try to keep them
    assert [c.audit_id for c in got.codes] == ["cccc000000000003"]
    assert kept(path) == {}


def test_ending_a_code_when_its_rows_cannot_be_kept_still_ends_it(tmp_path):
    path = tmp_path / "end.db"
    record(path, CODE_A[:-1], "aaaa000000000001")
    store = Store(path)
    session = Session.resume(store, CLOCK, 1, on_end=keep_audit_rows)
    fault = faulty(store)
    fault.arm(starts("INSERT OR REPLACE INTO audit_rows"), "database or disk is full")
    try:
        logged = session.end("rosc", t=300)
    finally:
        store.close()
    assert fault.failed == 1  # it did try to keep them
    assert logged.record.kind == "code_ended" and session.ended
    assert kept(path) == {}
    assert [c.outcome for c in audit(path).codes] == ["rosc"]  # derived from the record
    assert sorted(kept(path)) == [1]


def test_the_cli_audit_is_the_same_from_kept_rows_and_from_the_record(db, tmp_path):
    """Byte for byte: the files of an audit that derives every code equal those of one that reads rows."""
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM audit_rows")
    conn.commit()
    conn.close()
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", str(db), "audit", "-o", str(tmp_path / "derived")])
    assert first.exit_code == 0, first.output
    assert sorted(kept(db)) == [1, 2]  # the first audit kept them
    second = runner.invoke(cli, ["--db", str(db), "audit", "-o", str(tmp_path / "kept")])
    assert second.exit_code == 0, second.output
    for name in ("codes.csv", "attempts.csv", "drugs.csv", "flags.csv"):
        assert (tmp_path / "derived" / name).read_bytes() == (tmp_path / "kept" / name).read_bytes(), name
    assert first.stdout == second.stdout  # the KPI table


def test_the_progress_counts_the_codes_an_audit_reads(db):
    """The bar's length is counted in one query: the codes with an event, as the audit lists them."""
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO codes (audit_id, created_at) VALUES ('no-events', '2030-01-01T00:00:00+00:00')")
    conn.commit()
    conn.close()
    store = Store(db, readonly=True)
    try:
        assert store.code_count() == len([info for info in store.codes() if info.events]) == 2
        assert len(store.codes()) == 3
    finally:
        store.close()
    assert len(audit(db).codes) == 2


def test_verify_names_kept_rows_that_differ_from_the_record_and_rederive_mends_the_audit(db, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(cli, ["--db", str(db), "verify"])
    assert ok.exit_code == 0 and "kept audit rows match" in ok.stdout
    # Someone with the file edits the figures an audit would read, leaving the record alone.
    conn = sqlite3.connect(db)
    (rows,) = conn.execute("SELECT rows FROM audit_rows WHERE code_id = 2").fetchone()
    conn.execute(
        "UPDATE audit_rows SET rows = ? WHERE code_id = 2", (rows.replace('"flags_critical":1', '"flags_critical":0'),)
    )
    conn.commit()
    conn.close()
    bad = runner.invoke(cli, ["--db", str(db), "verify"])
    assert bad.exit_code == 1
    assert "FAULT code 2: its kept audit rows differ from its record; `recorder audit --rederive`" in bad.stderr
    edited = runner.invoke(cli, ["--db", str(db), "audit", "-o", str(tmp_path / "edited")])
    assert read_csv(tmp_path / "edited" / "codes.csv")[1]["flags_critical"] == "0"  # as kept
    mended = runner.invoke(cli, ["--db", str(db), "audit", "--rederive", "-o", str(tmp_path / "mended")])
    assert edited.exit_code == mended.exit_code == 0
    assert read_csv(tmp_path / "mended" / "codes.csv")[1]["flags_critical"] == "1"  # from the record
    assert runner.invoke(cli, ["--db", str(db), "verify"]).exit_code == 0  # and kept again, right


def _mixed(path: Path) -> list[int]:
    """Codes of every sort an audit meets: the CLI's three, and long ones with voids, amends, back-dated and
    late entries and flags (a vital sign or a note every so often entered 90 s after it happened)."""
    from tests.factory import random_scenario

    ids = [record(path, code, f"cccc00000000000{i}") for i, code in enumerate((CODE_A, CODE_B, CODE_C))]
    for seed in (1, 2):
        events = random_scenario(400, seed=seed, record_keeping=0.06)
        typed = 0.0
        for n, event in enumerate(events[1:], start=1):
            # Typed a few seconds after it happened, never before the entry before it.
            typed = event["entered"] = max(typed, event["t"] + (0 if event["kind"] in ("void", "amend") else 4))
            if n % 37 == 0 and event["kind"] in ("vitals", "note") and event["t"] > 100:
                event["t"] = round(event["t"] - 90, 6)
        ids.append(record(path, events, f"dddd00000000000{seed}"))
    return ids


def test_rows_an_audit_derives_equal_the_rows_each_code_kept_when_it_ended(tmp_path):
    """The rows kept by the live session (folded event by event) equal those an audit of the same codes
    derives when none are kept (folded once, only the parts of the summary the rows read), code by code and
    as files; and the counts it no longer lists equal those of the whole summary."""
    from exports.audit import audit_csv, audit_rows
    from exports.derive import summarise
    from recorder.core.code_record import build_code_record
    from schemas.audit import AuditExport

    path = tmp_path / "mixed.db"
    ids = _mixed(path)
    kept_then = {code_id: AuditExport.model_validate_json(rows) for code_id, (_, rows) in kept(path).items()}
    assert sorted(kept_then) == ids
    whole = audit(path)
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM audit_rows")
    conn.commit()
    conn.close()
    derived = audit(path)
    assert derived == whole
    assert audit_csv(derived) == audit_csv(whole)
    store = Store(path)
    try:
        for code_id in ids:
            session = Session.read(store, CLOCK, code_id)
            record_ = build_code_record(session)
            rows = audit_rows(record_)
            assert rows == kept_then[code_id], code_id
            s = summarise(record_)
            (code,) = rows.codes
            assert code.late_entries == len(s.late_entries)
            assert (code.voids, code.amends) == (
                sum(1 for r in s.record_keeping if r.kind == "void"),
                sum(1 for r in s.record_keeping if r.kind == "amend"),
            )
            assert code.doses_weight_unknown == sum(1 for d in s.drugs if d.weight_kg is None)
    finally:
        store.close()
    assert any(c.late_entries for c in derived.codes) and any(c.voids and c.amends for c in derived.codes)
    assert sorted(kept(path)) == ids  # and the audit kept them again


def test_the_csv_files_are_written_from_each_rows_fields_as_model_dump_gives_them(db):
    import csv
    import io

    from exports.audit import TABLES, audit_csv

    export = audit(db)
    files = audit_csv(export)
    for table in TABLES:
        rows = list(csv.reader(io.StringIO(files[f"{table}.csv"].decode("utf-8"))))
        models = getattr(export, table)
        assert len(rows) == len(models) + 1 and models
        for written, model in zip(rows[1:], models, strict=True):
            dumped = model.model_dump()
            assert list(dumped) == rows[0]
            assert written == [
                ""
                if v is None
                else ("true" if v else "false")
                if isinstance(v, bool)
                else str(int(v))
                if isinstance(v, float) and v.is_integer()
                else str(v)
                for v in dumped.values()
            ]


def _unkept_copies(tmp_path: Path) -> tuple[Path, Path, list[int]]:
    """Two copies of a database of codes of every sort (see _mixed, and more random ones) that kept no rows."""
    import shutil

    from tests.factory import random_scenario

    path = tmp_path / "pooled.db"
    ids = _mixed(path)
    for seed in range(3, 10):
        events = random_scenario(80, seed=seed, record_keeping=0.06)
        typed = 0.0
        for event in events[1:]:  # entered in order, as _mixed's
            typed = event["entered"] = max(typed, event["t"] + (0 if event["kind"] in ("void", "amend") else 2))
        ids.append(record(path, events, f"eeee00000000000{seed}"))
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM audit_rows")
    conn.commit()
    conn.close()
    serial = tmp_path / "serial.db"
    shutil.copyfile(path, serial)
    return path, serial, ids


def _in_workers(monkeypatch, workers: int = 3) -> list[int]:
    """Spread the derivation over `workers` processes, whatever this machine's cores; the list fills with
    the codes this process derived itself."""
    from recorder.core import audit_rows

    monkeypatch.setattr(audit_rows, "MIN_CODES_PER_WORKER", 1)
    monkeypatch.setattr(audit_rows.os, "cpu_count", lambda: workers)
    here: list[int] = []
    derive_one = audit_rows._derive_one
    parent = os.getpid()

    def counted(store, clock, protocol, code_id):
        if os.getpid() == parent:
            here.append(code_id)
        return derive_one(store, clock, protocol, code_id)

    monkeypatch.setattr(audit_rows, "_derive_one", counted)
    return here


def _kept_table(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM audit_rows ORDER BY code_id").fetchall()
    finally:
        conn.close()


def test_codes_derived_in_worker_processes_give_the_rows_one_process_gives(tmp_path, monkeypatch):
    """Spread over worker processes, an audit of codes that kept no rows gives, in the same order, the very
    rows (and files, and kept rows) that deriving them one after another in this process gives."""
    from exports.audit import audit_csv
    from recorder.core import audit_rows

    pooled_db, serial_db, ids = _unkept_copies(tmp_path)
    with monkeypatch.context() as m:
        m.setattr(audit_rows, "_workers", lambda codes: 1)
        serial = audit(serial_db)
    here = _in_workers(monkeypatch)
    # Chunks of two codes: each worker derives several through its one connection, closed as it ends.
    monkeypatch.setattr(audit_rows, "CODES_PER_CHUNK", 2)
    log, reader, close, parent = tmp_path / "readers.log", Store.reader, Store.close, os.getpid()

    def noted(what: str) -> None:
        if os.getpid() != parent:
            with open(log, "a") as f:
                f.write(f"{what} {os.getpid()}\n")

    def opened(self):
        noted("open")
        return reader(self)

    def closed(self):
        noted(f"close {self.readonly}")
        close(self)

    monkeypatch.setattr(Store, "reader", opened)
    monkeypatch.setattr(Store, "close", closed)
    pooled = audit(pooled_db)
    assert here == []  # every code was derived by a worker
    notes = sorted(line.split() for line in log.read_text().splitlines())
    workers = {pid for *_, pid in notes}
    assert 1 <= len(workers) <= 3 and len(ids) > 2 * 3  # more chunks than workers
    assert notes == sorted([w for pid in workers for w in (["open", pid], ["close", "True", pid])])
    assert pooled == serial and len(pooled.codes) == len(ids)
    assert audit_csv(pooled) == audit_csv(serial)
    assert _kept_table(pooled_db) == _kept_table(serial_db) and len(_kept_table(pooled_db)) == len(ids)
    # And with the rows kept, the next audit reads them as they are: the same again.
    assert audit(pooled_db) == serial


@pytest.mark.parametrize("readonly", [False, True], ids=["writable", "read-only"])
def test_rows_are_kept_a_batch_at_a_time_while_the_rest_are_derived(tmp_path, monkeypatch, readonly):
    """The parent keeps derived rows as they come (audit_rows._Keeper): the first batch is written before the last
    code is derived, a read-only store through one writer for all of its batches, and the rows kept are those of
    one transaction at the end (the serial audit's)."""
    from recorder.core import audit_rows

    pooled_db, serial_db, ids = _unkept_copies(tmp_path)
    with monkeypatch.context() as m:
        m.setattr(audit_rows, "_workers", lambda codes: 1)
        m.setattr(audit_rows._Keeper, "BATCH", 10**6)  # one transaction, after the last code
        audit(serial_db)
    _in_workers(monkeypatch)
    monkeypatch.setattr(audit_rows, "CODES_PER_CHUNK", 2)
    monkeypatch.setattr(audit_rows._Keeper, "BATCH", 3)
    derived: list[int] = []
    batches: list[tuple[int, int]] = []  # (codes derived so far, codes in the batch)
    writers: list[Store] = []
    keep, writer = Store.keep_audit_rows, Store.writer

    def counted_keep(self, rows, protocol=None):
        batches.append((len(derived), len(rows)))
        return keep(self, rows, protocol)

    def counted_writer(self):
        writers.append(made := writer(self))
        return made

    monkeypatch.setattr(Store, "keep_audit_rows", counted_keep)
    monkeypatch.setattr(Store, "writer", counted_writer)
    store = Store(pooled_db, readonly=readonly)
    try:
        read_audit([store], CLOCK, load_protocol(), tick=lambda: derived.append(1))
    finally:
        store.close()
    ended = len(_kept_table(serial_db))
    assert 0 < ended <= len(ids)
    assert len(batches) == -(-ended // 3) and sum(n for _, n in batches) == ended
    assert batches[0][0] < len(ids)  # kept while codes were still to come
    assert len(writers) == (1 if readonly else 0)
    assert _kept_table(pooled_db) == _kept_table(serial_db)


DAMAGED = "code {} event 3 cannot be read (it was changed or damaged); run `recorder verify`"


def test_a_code_a_worker_cannot_derive_is_derived_here_with_its_own_error(tmp_path, monkeypatch):
    """A worker that fails on a code hands it back: this process derives it, so the rows are the same, and an
    error is the one this process meets (one line for the user), not a worker's traceback."""
    from recorder.core import audit_rows
    from recorder.store import StoreError

    pooled_db, serial_db, ids = _unkept_copies(tmp_path)
    serial = audit(serial_db)
    here = _in_workers(monkeypatch)
    parent, read = os.getpid(), Session.read

    def fails_in_workers(store, clock, code_id, *args, **kwargs):
        if os.getpid() != parent and code_id == ids[4]:
            raise StoreError(DAMAGED.format(code_id))
        return read(store, clock, code_id, *args, **kwargs)

    monkeypatch.setattr(Session, "read", fails_in_workers)
    assert audit(pooled_db) == serial
    assert here == [ids[4]]

    def fails_everywhere(store, clock, code_id, *args, **kwargs):
        if code_id == ids[6]:
            raise StoreError(DAMAGED.format(code_id))
        return read(store, clock, code_id, *args, **kwargs)

    monkeypatch.setattr(Session, "read", fails_everywhere)
    with pytest.raises(StoreError, match=rf"^code {ids[6]} event 3 cannot be read"):
        audit(pooled_db, rederive=True)
    assert audit_rows._job is None  # the workers are gone with the pool


# `recorder audit` as the console script runs it, then the modules it loaded.
AUDIT_IMPORTS = """
import json, sys
from recorder.cli import main

try:
    main()
except SystemExit as done:
    assert not done.code, done.code
print(json.dumps(sorted(sys.modules)))
"""


def test_an_audit_of_kept_rows_imports_only_what_it_reads(db, tmp_path):
    """Every code kept its rows: the audit reads them and writes the files, and loads neither the session, the
    CodeRecord and the summary's parts (what deriving a code needs) nor a screen, FHIR or SVG (a tenth of its
    time was imports it did not use: benchmarks/bench_exports.py)."""
    import json
    import subprocess
    import sys

    argv = ["recorder", "--db", str(db), "audit", "-o", str(tmp_path / "out")]
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.argv = {argv!r}\n{AUDIT_IMPORTS}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    assert (tmp_path / "out" / "codes.csv").read_text().count("\n") == 3  # the header and the two codes
    assert "recorder.core.audit_rows" in modules and "schemas.audit" in modules  # (the list is the real one)
    unused = ["recorder.core.session", "recorder.core.code_record", "exports.derive", "schemas.summary"]
    unused += ["textual", "exports.fhir", "exports.svg_timeline", "exports.html", "sqlite_utils"]
    assert [m for m in unused if m in modules] == []
