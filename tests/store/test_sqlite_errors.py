"""SQLite's failures are told apart by the code SQLite gives (sqlite_errorname), never by the wording of its message."""

import sqlite3
from pathlib import Path

import pytest

from recorder.store import Store, StoreError
from recorder.store.database import sqlite_family


def _raised(conn: sqlite3.Connection, sql: str) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as caught:
        conn.execute(sql).fetchall()
    return caught.value


def test_the_family_of_real_sqlite_errors(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not sqlite " * 400)
    assert sqlite_family(_raised(sqlite3.connect(garbage), "SELECT * FROM sqlite_master")) == "NOTADB"
    made = tmp_path / "made.db"
    setup = sqlite3.connect(made)
    setup.execute("CREATE TABLE t (x UNIQUE)")
    setup.execute("INSERT INTO t VALUES (1)")
    setup.commit()
    setup.close()
    read_only = sqlite3.connect(f"file:{made}?mode=ro", uri=True)
    assert sqlite_family(_raised(read_only, "INSERT INTO t VALUES (2)")) == "READONLY"
    writer = sqlite3.connect(made)
    assert sqlite_family(_raised(writer, "INSERT INTO t VALUES (1)")) == "CONSTRAINT"
    writer.close()
    # Python's own errors carry no SQLite code.
    assert sqlite_family(_raised(writer, "SELECT 1")) == ""


def test_a_message_that_merely_mentions_locked_readonly_or_full_is_not_taken_for_one(store: Store, tmp_path):
    """A plain SQL error whose text holds the words the store once searched for: explained as what it is."""
    conn = sqlite3.connect(tmp_path / "x.db")
    exc = _raised(conn, "SELECT * FROM readonly_disk_full_database_locked_busy")
    assert sqlite_family(exc) == "ERROR"
    said = store._explain_write(exc)
    assert said.startswith(f"cannot write to {store.path} (no such table") and "check the disk" in said
    assert store._explain_open(exc).startswith(f"cannot open {store.path} (no such table")


def test_the_store_explains_by_the_code_whatever_the_words(store: Store, tmp_path):
    """The same SQLite code in other words (another SQLite version, another language) is still recognised."""
    made = tmp_path / "made.db"
    sqlite3.connect(made).execute("CREATE TABLE t (x)").connection.commit()
    real = _raised(sqlite3.connect(f"file:{made}?mode=ro", uri=True), "INSERT INTO t VALUES (2)")
    reworded = sqlite3.OperationalError("schreibgeschützte Datenbank")
    reworded.sqlite_errorcode, reworded.sqlite_errorname = real.sqlite_errorcode, real.sqlite_errorname
    assert "it is read-only; make it writable" in store._explain_write(reworded)
    assert "is read-only (schreibgeschützte Datenbank)" in store._explain_open(reworded)


def test_a_file_that_is_not_a_database_is_refused_in_one_line(tmp_path: Path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not sqlite " * 400)
    for readonly in (False, True):
        with pytest.raises(StoreError, match="is not a readable recorder database"):
            Store(garbage, readonly=readonly)
    assert garbage.read_bytes() == b"not sqlite " * 400
