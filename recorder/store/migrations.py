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


# Every event that still stands as a person would read it: voids marked (not dropped), amends applied in
# order, as recorder/engine/timeline.py applies them (an amend's changes replace the fields they name; `t` moves
# the event). Record keeping (void, amend, acknowledge) is left out, as from the effective timeline.
EFFECTIVE_EVENTS = """
WITH RECURSIVE
amends AS (
  SELECT code_id, seq AS amend_seq, json_extract(payload, '$.target') AS target,
    json_extract(payload, '$.changes') AS changes,
    row_number() OVER (PARTITION BY code_id, json_extract(payload, '$.target') ORDER BY seq) AS n
  FROM events WHERE kind = 'amend'
),
amended (code_id, seq, payload, n, amend_seq) AS (
  SELECT e.code_id, e.seq, e.payload, 0, NULL FROM events e
  WHERE EXISTS (SELECT 1 FROM amends a WHERE a.code_id = e.code_id AND a.target = e.seq)
  UNION ALL
  -- json_patch merges objects; an amend replaces a field whole, so an object it gives (the patient) goes first
  SELECT d.code_id, d.seq, json_patch(CASE WHEN json_type(a.changes, '$.patient') = 'object'
      THEN json_remove(d.payload, '$.patient') ELSE d.payload END, a.changes), a.n, a.amend_seq
  FROM amended d JOIN amends a ON a.code_id = d.code_id AND a.target = d.seq AND a.n = d.n + 1
),
latest AS (
  -- SQLite takes the other columns from the row with the largest n: the payload after the last amend
  SELECT code_id, seq, payload, amend_seq, max(n) AS amends FROM amended GROUP BY code_id, seq
),
voids AS (
  SELECT code_id, json_extract(payload, '$.target') AS target, min(seq) AS void_seq
  FROM events WHERE kind = 'void' GROUP BY code_id, target
),
standing AS (
  SELECT e.code_id, e.seq, e.kind, coalesce(l.payload, e.payload) AS amended_payload,
    e.occurred_at AS logged_at, s.occurred_at AS start, e.recorded_at,
    v.void_seq, l.amend_seq, coalesce(l.amends, 0) AS amends
  FROM events e
  JOIN events s ON s.code_id = e.code_id AND s.seq = 1
  LEFT JOIN latest l ON l.code_id = e.code_id AND l.seq = e.seq
  LEFT JOIN voids v ON v.code_id = e.code_id AND v.target = e.seq
  WHERE e.kind NOT IN ('void', 'amend', 'acknowledge')
)
SELECT code_id, seq, kind,
  round(coalesce(json_extract(amended_payload, '$.t'), (julianday(logged_at) - julianday(start)) * 86400.0), 3) AS t,
  CASE WHEN json_type(amended_payload, '$.t') IS NULL THEN logged_at
    ELSE strftime('%Y-%m-%dT%H:%M:%f', julianday(start) + json_extract(amended_payload, '$.t') / 86400.0) || '000+00:00'
  END AS occurred_at,
  void_seq IS NOT NULL AS voided, void_seq AS voided_by, amends, amend_seq AS last_amended_by,
  json_extract(amended_payload, '$.line') AS line,
  json_extract(amended_payload, '$.drug') AS drug,
  json_extract(amended_payload, '$.dose') AS dose,
  json_extract(amended_payload, '$.unit') AS unit,
  json_extract(amended_payload, '$.site') AS site,
  json_extract(amended_payload, '$.side') AS side,
  json_extract(amended_payload, '$.result') AS result,
  json_extract(amended_payload, '$.rhythm') AS rhythm,
  json_remove(amended_payload, '$.t') AS payload,
  recorded_at
FROM standing ORDER BY code_id, t, seq
"""

# One row per code: start and end on the code clock (UTC), what it was and how it ended. The age band is
# the one its kept audit rows give (worked out by the recorder when it ended; none while it is open), so
# that the bands have one home; the flags are those standing (raised and not withdrawn since).
CODE_OVERVIEW = """
SELECT c.id AS code_id,
  s.occurred_at AS started_at,
  json_extract(s.payload, '$.at') AS started_local,
  c.ended_at,
  CAST(round((julianday(c.ended_at) - julianday(s.occurred_at)) * 86400.0) AS INTEGER) AS duration_s,
  (SELECT coalesce(
      (SELECT json_extract(m.payload, '$.changes.outcome') FROM events m
       WHERE m.code_id = c.id AND m.kind = 'amend' AND json_extract(m.payload, '$.target') = e.seq
         AND json_type(m.payload, '$.changes.outcome') IS NOT NULL ORDER BY m.seq DESC LIMIT 1),
      json_extract(e.payload, '$.outcome'))
    FROM events e WHERE e.code_id = c.id AND e.kind = 'code_ended' AND c.ended_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM events v WHERE v.code_id = c.id AND v.kind = 'void'
        AND json_extract(v.payload, '$.target') = e.seq)
    ORDER BY e.seq DESC LIMIT 1) AS outcome,
  json_extract(s.payload, '$.setting') AS setting,
  json_extract(s.payload, '$.arrest') AS arrest,
  json_extract(a.rows, '$.codes[0].age_band') AS age_band,
  c.head_seq AS events,
  (SELECT coalesce(sum(CASE f.change WHEN 'raised' THEN 1 ELSE -1 END), 0) FROM flags f WHERE f.code_id = c.id)
    AS flags,
  c.audit_id
FROM codes c
LEFT JOIN events s ON s.code_id = c.id AND s.seq = 1
LEFT JOIN audit_rows a ON a.code_id = c.id AND a.head_hash = c.head_hash
ORDER BY c.id
"""


@migrations()
def m006_one_clock_and_views(db: Database) -> None:
    """`codes.created_at` on the code clock, like `ended_at`; the views a person reads the database by.

    created_at was the machine clock when the row was made, beside ended_at on the code clock: it becomes
    the code's start (its first event's occurred_at), which is what the recorder writes from now on. It is
    outside the chain, so no hash moves. A code with no event keeps the time its row was made.
    """
    db.execute(
        "UPDATE codes SET created_at = (SELECT occurred_at FROM events e WHERE e.code_id = codes.id AND e.seq = 1) "
        "WHERE EXISTS (SELECT 1 FROM events e WHERE e.code_id = codes.id AND e.seq = 1)"
    )
    db.create_view("effective_events", EFFECTIVE_EVENTS.strip())
    db.create_view("code_overview", CODE_OVERVIEW.strip())
    set_version(db, 6)


def _append_only(db: Database, table: str, message: str) -> None:
    for verb in ("update", "delete"):
        db.execute(
            f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


__all__ = ["APPEND_ONLY_TRIGGERS", "SCHEMA_VERSION", "migrations", "set_version"]
