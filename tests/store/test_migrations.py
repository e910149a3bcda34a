"""The migrations build exactly the schema we expect, and a newer database is refused."""

import os
import sqlite3
import stat

import pytest

from recorder.store import Store, StoreError
from recorder.store.migrations import APPEND_ONLY_TRIGGERS, SCHEMA_VERSION

EXPECTED = {
    "meta": ["key", "value"],
    "codes": ["id", "audit_id", "created_at", "ended_at", "head_seq", "head_hash", "chain"],
    "events": [
        "id",
        "code_id",
        "seq",
        "kind",
        "payload",
        "occurred_at",
        "recorded_at",
        "schema_version",
        "prev_hash",
        "hash",
    ],
    "flags": [
        "id",
        "code_id",
        "at_seq",
        "change",
        "rule",
        "severity",
        "seq",
        "t",
        "line",
        "message",
        "recorded_at",
    ],
    "audit_rows": ["code_id", "head_hash", "key", "day", "rows"],
    "event_clock": ["code_id", "seq", "boot_id", "monotonic", "elapsed"],
    "legacy_hashes": ["code_id", "seq", "chain", "prev_hash", "hash"],
    "protocols": ["sha256", "text"],
    "flag_basis": ["id", "code_id", "at_seq", "rules", "protocol"],
    "_sqlite_migrations": ["id", "migration_set", "name", "applied_at"],
}


def test_blank_database_gets_exact_tables_and_columns(store):
    assert set(store.db.table_names()) == set(EXPECTED)
    for table, columns in EXPECTED.items():
        assert [c.name for c in store.db[table].columns] == columns, table
    assert store.schema_version == SCHEMA_VERSION
    indexes = {tuple(i.columns): i.unique for i in store.db["events"].indexes}
    assert indexes[("code_id", "seq")] == 1
    triggers = {t.name for t in store.db.triggers}
    assert triggers == set(APPEND_ONLY_TRIGGERS)
    assert [fk.other_table for fk in store.db["events"].foreign_keys] == ["codes"]
    # What a person reads the database by (tests/store/test_views.py): views, so no row is kept twice.
    assert set(store.db.view_names()) == {"effective_events", "code_overview"}


def test_pragmas(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_reopening_migrates_nothing_twice(db_path):
    Store(db_path).close()
    again = Store(db_path)
    assert [m["name"] for m in again.db["_sqlite_migrations"].rows] == [
        "m001_codes_and_events",
        "m002_flags",
        "m003_audit_rows",
        "m004_event_clock_marks",
        "m005_chain_with_code_id",
        "m006_one_clock_and_views",
    ]
    again.close()


def test_newer_database_is_refused_untouched(db_path):
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match=r"newer recorder.*schema 99"):
        Store(db_path)
    assert db_path.read_bytes() == before


def test_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is a shopping list, not a database\n" * 100)
    with pytest.raises(StoreError, match="not a readable recorder database"):
        Store(path)
    assert path.read_text().startswith("this is a shopping list")


def test_database_files_are_private(store, session, db_path):
    for suffix in ("", "-wal", "-shm"):
        path = db_path.with_name(db_path.name + suffix)
        assert path.exists(), suffix
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, suffix


def test_database_in_new_directory_is_private(tmp_path):
    path = tmp_path / "new" / "dir" / "r.db"
    Store(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


@pytest.mark.parametrize(
    ("version", "stop_before", "missing"),
    [
        (1, "m002_flags", {"flags", "audit_rows", "event_clock", "flag_basis"}),
        (2, "m003_audit_rows", {"audit_rows", "event_clock", "flag_basis"}),
        (3, "m004_event_clock_marks", {"event_clock", "legacy_hashes", "flag_basis", "protocols"}),
        (4, "m005_chain_with_code_id", {"legacy_hashes", "flag_basis", "protocols"}),
        (5, "m006_one_clock_and_views", set()),
    ],
    ids=[
        "before flags were kept",
        "before audit rows were kept",
        "before clock marks were kept",
        "before the code id was in the chain",
        "before created_at was on the code clock",
    ],
)
def test_an_older_database_is_migrated_keeping_its_codes(db_path, version, stop_before, missing):
    """A database an older recorder wrote gains the tables since; its codes read as they were."""
    from sqlite_utils import Database

    from recorder.store.migrations import migrations

    db = Database(db_path)
    migrations.apply(db, stop_before=stop_before)
    assert int(db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]) == version
    db.execute("INSERT INTO codes (audit_id, created_at, head_seq, head_hash) VALUES ('a1', '2026-01-01', 0, '')")
    db.conn.commit()
    assert not missing & set(db.table_names())
    db.close()
    store = Store(db_path)
    assert missing <= set(store.db.table_names())
    assert store.schema_version == SCHEMA_VERSION == 6
    assert [c.audit_id for c in store.codes()] == ["a1"]
    assert store.kept_audit_rows("any key") == {}
    store.close()


def test_an_existing_world_readable_file_is_made_private(tmp_path):
    path = tmp_path / "touched.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    Store(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.parametrize("value", ["three", "3.0", " 3", "", "-1", "1e3", "٣", None, b"\x03"])
def test_a_schema_version_that_is_not_a_whole_number_is_refused_in_one_line(db_path, value):
    """A version edited outside the recorder is a clear user error (exit 2), never `unexpected error` (70)."""
    from click.testing import CliRunner

    from recorder.cli import cli

    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (value,))
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match=r"schema version .* is not a version this recorder wrote"):
        Store(db_path)
    for args in (["list"], ["verify"], ["events", "1"], ["summary", "1"]):
        result = CliRunner().invoke(cli, ["--db", str(db_path), *args])
        assert result.exit_code == 2, (args, result.output)
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("recorder: ") and "schema version" in line
    assert db_path.read_bytes() == before
