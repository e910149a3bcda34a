"""Numbered schema migrations (sqlite_utils.Migrations) and the schema version they reach."""

from sqlite_utils import Database, Migrations

from recorder.store.version import APPEND_ONLY_TRIGGERS, SCHEMA_VERSION

migrations = Migrations("recorder")


def set_version(db: Database, version: int) -> None:
    db["meta"].upsert({"key": "schema_version", "value": str(version)}, pk="key")


@migrations()
def m001_codes_and_events(db: Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["codes"].create(
        {
            "id": int,
            "audit_id": str,
            "created_at": str,
            "ended_at": str,
            "head_seq": int,
            "head_hash": str,
        },
        pk="id",
        not_null={"audit_id", "created_at", "head_seq", "head_hash"},
        defaults={"head_seq": 0, "head_hash": ""},
    )
    db["codes"].create_index(["audit_id"], unique=True)
    db["events"].create(
        {
            "id": int,
            "code_id": int,
            "seq": int,
            "kind": str,
            "payload": str,
            "occurred_at": str,
            "recorded_at": str,
            "schema_version": int,
            "prev_hash": str,
            "hash": str,
        },
        pk="id",
        foreign_keys=[("code_id", "codes", "id")],
        not_null={
            "code_id",
            "seq",
            "kind",
            "payload",
            "occurred_at",
            "recorded_at",
            "schema_version",
            "prev_hash",
            "hash",
        },
    )
    db["events"].create_index(["code_id", "seq"], unique=True)
    # The record is append-only: a mistake is fixed by a later void or amend event.
    # (execute, not executescript: that would commit the migration's transaction half-way)
    db.execute(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN "
        "SELECT RAISE(ABORT, 'events are append-only: record a void or amend instead'); END"
    )
    db.execute(
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN "
        "SELECT RAISE(ABORT, 'events are append-only: record a void instead'); END"
    )
    set_version(db, 1)


@migrations()
def m002_flags(db: Database) -> None:
    """Flags as the engine raised and withdrew them, so every reader sees the same list."""
    db["flags"].create(
        {
            "id": int,
            "code_id": int,
            "at_seq": int,
            "change": str,
            "rule": str,
            "severity": str,
            "seq": int,
            "t": float,
            "line": str,
            "message": str,
            "recorded_at": str,
        },
        pk="id",
        foreign_keys=[("code_id", "codes", "id")],
        not_null={"code_id", "at_seq", "change", "rule", "severity", "seq", "t", "message", "recorded_at"},
    )
    db["flags"].create_index(["code_id", "id"])
    # A flag's history is kept like the events: a withdrawal is a new row, never an edit.
    db.execute(
        "CREATE TRIGGER flags_no_update BEFORE UPDATE ON flags BEGIN SELECT RAISE(ABORT, 'flags are append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER flags_no_delete BEFORE DELETE ON flags BEGIN SELECT RAISE(ABORT, 'flags are append-only'); END"
    )
    set_version(db, 2)


@migrations()
def m003_audit_rows(db: Database) -> None:
    """Each ended code's de-identified audit rows, kept so that an audit reads rows, not whole codes.

    Derived data, not the record: a row stands only while the code's head hash and the key (recorder
    version, audit columns, protocol) it was derived under are current, and is replaced, not appended.
    """
    db["audit_rows"].create(
        {"code_id": int, "head_hash": str, "key": str, "day": str, "rows": str},
        pk="code_id",
        foreign_keys=[("code_id", "codes", "id")],
        not_null={"head_hash", "key", "day", "rows"},
    )
    set_version(db, 3)


@migrations()
def m004_event_clock_marks(db: Database) -> None:
    """Where the code clock stood as each event was written: the boot, the monotonic reading, the code's t.

    So a resumed code goes on from its last event on the monotonic clock (in the same boot) instead of
    the wall clock, and lateness is measured on that clock. Kept beside the event, out of its hashed
    row: no code's hashes move, and a code written before this has no marks (then the wall clock serves).
    """
    db["event_clock"].create(
        {"code_id": int, "seq": int, "boot_id": str, "monotonic": float, "elapsed": float},
        pk=("code_id", "seq"),
        foreign_keys=[("code_id", "codes", "id")],
        not_null={"boot_id", "monotonic", "elapsed"},
    )
    db.execute(
        "CREATE TRIGGER event_clock_no_update BEFORE UPDATE ON event_clock BEGIN "
        "SELECT RAISE(ABORT, 'clock marks are append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER event_clock_no_delete BEFORE DELETE ON event_clock BEGIN "
        "SELECT RAISE(ABORT, 'clock marks are append-only'); END"
    )
    set_version(db, 4)


__all__ = ["APPEND_ONLY_TRIGGERS", "SCHEMA_VERSION", "migrations", "set_version"]
