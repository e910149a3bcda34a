"""Numbered schema migrations (sqlite_utils.Migrations) and the schema version they reach."""

from sqlite_utils import Database, Migrations

from recorder.store.chain import GENESIS, event_hash
from recorder.store.version import APPEND_ONLY_TRIGGERS, SCHEMA_VERSION

migrations = Migrations("recorder")


def set_version(db: Database, version: int) -> None:
    db.table("meta").upsert({"key": "schema_version", "value": str(version)}, pk="key")


@migrations()
def m001_codes_and_events(db: Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("codes").create(
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
    db.table("codes").create_index(["audit_id"], unique=True)
    db.table("events").create(
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
    db.table("events").create_index(["code_id", "seq"], unique=True)
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
    db.table("flags").create(
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
    db.table("flags").create_index(["code_id", "id"])
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
    db.table("audit_rows").create(
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
    db.table("event_clock").create(
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


@migrations()
def m005_chain_with_code_id(db: Database) -> None:
    """Algorithm 2 of the chain (each hash names its code's number too), and what `verify` recomputes from.

    Every code is re-chained under algorithm 2; its algorithm-1 hashes are kept in legacy_hashes for the
    record (and `verify` still checks them, so an edit made before the upgrade is not laundered). Events'
    stored content is untouched: only prev_hash and hash change. A head that did not match its last event
    is left as it was, for `verify` to name. The flags gain their basis (the rules edition and the
    protocol that raised them); codes recorded before it get edition 1 and an unknown protocol.
    """
    db.table("codes").add_column("chain", int, not_null_default=2)
    db.table("legacy_hashes").create(
        {"code_id": int, "seq": int, "chain": int, "prev_hash": str, "hash": str},
        pk=("code_id", "seq"),
        foreign_keys=[("code_id", "codes", "id")],
        not_null={"chain", "prev_hash", "hash"},
    )
    _append_only(db, "legacy_hashes", "legacy hashes are kept as they were")
    # The append-only trigger is put back exactly as it was found (verify compares its SQL).
    found = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'events_no_update'"
    (trigger,) = db.execute(found).fetchone()
    db.execute("DROP TRIGGER events_no_update")
    codes = db.execute("SELECT id, audit_id, head_seq, head_hash FROM codes").fetchall()
    cols: tuple[str, ...] = ("id", "code_id", "seq", "kind", "payload", "occurred_at", "recorded_at", "schema_version")
    cols += ("prev_hash", "hash")
    for code_id, audit_id, head_seq, head_hash in codes:
        rows = db.execute(f"SELECT {', '.join(cols)} FROM events WHERE code_id = ? ORDER BY seq", [code_id]).fetchall()
        prev = GENESIS
        new_head = head_hash
        for values in rows:
            row = dict(zip(cols, values, strict=True))
            db.execute(
                "INSERT INTO legacy_hashes (code_id, seq, chain, prev_hash, hash) VALUES (?, ?, 1, ?, ?)",
                [code_id, row["seq"], row["prev_hash"], row["hash"]],
            )
            try:
                new = event_hash(row, audit_id, prev)
            except (ValueError, TypeError):
                new = ""  # unreadable content: verify names it
            db.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", [prev, new, row["id"]])
            if row["seq"] == head_seq and row["hash"] == head_hash:
                new_head = new
            prev = new
        db.execute("UPDATE codes SET head_hash = ?, chain = 2 WHERE id = ?", [new_head, code_id])
    db.execute(trigger)
    db.table("protocols").create({"sha256": str, "text": str}, pk="sha256", not_null={"text"})
    _append_only(db, "protocols", "kept protocols are never changed")
    db.table("flag_basis").create(
        {"id": int, "code_id": int, "at_seq": int, "rules": str, "protocol": str},
        pk="id",
        foreign_keys=[("code_id", "codes", "id"), ("protocol", "protocols", "sha256")],
        not_null={"code_id", "at_seq", "rules"},
    )
    db.table("flag_basis").create_index(["code_id", "id"])
    _append_only(db, "flag_basis", "the flag basis is append-only")
    # Before this, flags were raised by the first edition of the rules under a protocol not noted.
    db.execute("INSERT INTO flag_basis (code_id, at_seq, rules, protocol) SELECT id, 0, '1', NULL FROM codes")
    set_version(db, 5)


def _append_only(db: Database, table: str, message: str) -> None:
    for verb in ("update", "delete"):
        db.execute(
            f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


__all__ = ["APPEND_ONLY_TRIGGERS", "SCHEMA_VERSION", "migrations", "set_version"]
