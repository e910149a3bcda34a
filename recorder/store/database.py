"""Opening the database safely, appending events durably, reading them back, verifying them."""

import fcntl
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from recorder.store.chain import GENESIS, canonical, event_hash
from recorder.store.version import APPEND_ONLY_TRIGGERS, SCHEMA_VERSION, parse_version
from schemas.events import EVENT_ADAPTER, printable
from schemas.records import CodeInfo, EventRecord, Flag

if TYPE_CHECKING:
    from sqlite_utils import Database


class StoreError(Exception):
    """A problem with the database that the user can act on; the message says how."""


@dataclass(frozen=True)
class Problem:
    """One thing `verify` found wrong: where, and what."""

    code_id: int | None
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = ""
        if self.code_id is not None:
            where = f"code {self.code_id}" + (f" event {self.seq}" if self.seq is not None else "")
        return f"{where}: {self.message}" if where else self.message


_EVENT_COLUMNS = (
    "code_id",
    "seq",
    "kind",
    "payload",
    "occurred_at",
    "recorded_at",
    "schema_version",
    "prev_hash",
    "hash",
)
_INSERT_EVENT = f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(_EVENT_COLUMNS))})"


def iso(dt: datetime) -> str:
    """Stored times: UTC ISO-8601 with microseconds."""
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only: it holds patient data."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        # A file made by someone else's tools (touch, a copy) may be world-readable: tighten it
        # before patient data goes in, with its -wal and -shm.
        for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if each.exists() and each.stat().st_mode & 0o077:
                each.chmod(0o600)
        return
    os.close(fd)


class Store:
    """A recorder database. Every append is one durable transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._locks: dict[int, int] = {}
        # Each code's (audit id, head seq, head hash) as this store last wrote it: appends check it
        # in their UPDATE instead of reading it first.
        self._heads: dict[int, tuple[str, int, str]] = {}
        try:
            _create_private(self.path)
            self.conn = sqlite3.connect(str(self.path), timeout=5)
            self._db: Database | None = None
            self._configure()
            if self._refuse_newer() < SCHEMA_VERSION:
                self._migrate()
            self._inode = os.stat(self.path).st_ino
        except sqlite3.DatabaseError as exc:
            raise StoreError(self._explain_open(exc)) from None
        except OSError as exc:
            raise StoreError(f"cannot create {self.path}: {exc.strerror}; choose another --db path") from None

    # ── opening ──────────────────────────────────────────────────────────

    @property
    def db(self) -> "Database":
        """The connection as a sqlite-utils Database (migrations, tests); made when first asked for."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn)
        return self._db

    def _configure(self) -> None:
        self.conn.execute("PRAGMA journal_mode=WAL").fetchall()
        # FULL: a commit is on disk when it returns, power cut or not.
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=5000")

    def _refuse_newer(self) -> int:
        """The stored schema version (0 for a new file); a newer one than this recorder's is refused."""
        try:
            return self._stored_version()
        except StoreError:
            self.conn.close()
            raise

    def _migrate(self) -> None:
        """Bring a new or older file up to this recorder's schema, holding the write lock throughout.

        Two recorders opening one new file at once: the second waits (busy_timeout) for the first,
        then finds the work done, instead of failing with "database is locked" or migrating twice.
        """
        # sqlite-utils (and its plugins) is imported only to migrate: opening the unit's
        # database at launch goes without it (benchmarks/bench_startup.py).
        from recorder.store.migrations import migrations

        try:
            with self._transaction():
                if self._stored_version() < SCHEMA_VERSION:
                    migrations.apply(self.db)  # nested in this transaction: savepoints
        except StoreError:
            self.conn.close()
            raise

    def _stored_version(self) -> int:
        meta = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if meta is None:
            return 0
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = parse_version(row[0]) if row else 0
        if version is None:
            raise StoreError(
                f"{self.path}: its schema version {printable(repr(row[0]))[:40]} is not a version this recorder "
                "wrote (the file was changed by another program); keep it as it is and restore a copy"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer recorder (schema {version}, this one knows {SCHEMA_VERSION}); "
                "upgrade the recorder to open it"
            )
        return version

    def _explain_open(self, exc: sqlite3.DatabaseError) -> str:
        text = str(exc)
        if "not a database" in text or "malformed" in text:
            return f"{self.path} is not a readable recorder database ({text}); check --db, or run `recorder verify`"
        if "readonly" in text or "read-only" in text:
            return f"{self.path} is read-only ({text}); make it writable or choose another --db"
        if "locked" in text:
            return f"{self.path} is in use by another recorder ({text}); close it and try again"
        return f"cannot open {self.path} ({text}); check the path and its permissions"

    def close(self) -> None:
        for fd in self._locks.values():
            os.close(fd)
        self._locks.clear()
        self.conn.close()

    def lock_code(self, code_id: int) -> None:
        """Become the one writer of a code, or raise: two recorders never write one code.

        An OS file lock beside the database; the OS drops it when the process dies, even by kill -9.
        """
        if code_id in self._locks:
            return
        path = self.path.with_name(f"{self.path.name}.code{code_id}.lock")
        try:
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot lock code {code_id} ({exc.strerror}); check the database directory") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreError(
                f"code {code_id} is open in another recorder; close that one first (this one will not write to it)"
            ) from None
        self._locks[code_id] = fd

    @property
    def schema_version(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = parse_version(row[0])
        if version is None:
            raise StoreError(f"{self.path}: its schema version is not a version this recorder wrote")
        return version

    # ── writing ──────────────────────────────────────────────────────────

    def create_code(self, created_at: datetime) -> tuple[int, str]:
        """A new code with a random audit id (never derived from anything identifying)."""
        audit_id = secrets.token_hex(8)
        self._still_there()
        try:
            with self._transaction():
                cur = self.conn.execute(
                    "INSERT INTO codes (audit_id, created_at, head_seq, head_hash) VALUES (?, ?, 0, '')",
                    [audit_id, iso(created_at)],
                )
        except sqlite3.Error as exc:
            raise StoreError(self._explain_write(exc)) from None
        return int(cur.lastrowid), audit_id

    def append(
        self,
        code_id: int,
        seq: int,
        kind: str,
        payload: dict[str, Any],
        occurred_at: datetime,
        recorded_at: datetime,
        schema_version: int = 1,
    ) -> dict[str, Any]:
        """Append one event in one transaction; durable when this returns. Returns the row."""
        self._still_there()
        try:
            with self._transaction():
                audit_id, head_seq, head_hash = self._heads.get(code_id) or self._read_head(code_id)
                if seq != head_seq + 1:
                    raise StoreError(
                        f"code {code_id} moved on to event {head_seq} behind this recorder's back; "
                        "another recorder may have it open: close one and resume"
                    )
                text = canonical(payload)  # stored as hashed: one encoding of it, not two
                row = {
                    "code_id": code_id,
                    "seq": seq,
                    "kind": kind,
                    "payload": text,
                    "occurred_at": iso(occurred_at),
                    "recorded_at": iso(recorded_at),
                    "schema_version": schema_version,
                    "prev_hash": head_hash,
                }
                row["hash"] = event_hash(row, audit_id, head_hash, text)
                self.conn.execute(_INSERT_EVENT, tuple(row[c] for c in _EVENT_COLUMNS))
                # The head moves only from where this recorder last left it: the kept head is checked here.
                ended = ", ended_at = ?" if kind == "code_ended" else ""
                params = (seq, row["hash"], *((row["occurred_at"],) if ended else ()), code_id, head_seq, head_hash)
                moved = self.conn.execute(
                    f"UPDATE codes SET head_seq = ?, head_hash = ?{ended} "
                    "WHERE id = ? AND head_seq = ? AND head_hash = ?",
                    params,
                )
                if moved.rowcount != 1:
                    raise StoreError(
                        f"code {code_id} moved on behind this recorder's back; "
                        "another recorder may have it open: close one and resume"
                    )
        except BaseException as exc:
            self._heads.pop(code_id, None)  # read it again from the file next time
            if isinstance(exc, sqlite3.Error):
                raise StoreError(self._explain_write(exc)) from None
            raise
        self._heads[code_id] = (audit_id, seq, row["hash"])
        return row

    def _read_head(self, code_id: int) -> tuple[str, int, str]:
        """A code's audit id and the seq and hash of its last event, as stored."""
        head = self.conn.execute("SELECT audit_id, head_seq, head_hash FROM codes WHERE id = ?", (code_id,)).fetchone()
        if head is None:
            raise StoreError(f"there is no code {code_id}; `recorder list` shows the codes")
        return head

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        IMMEDIATE takes the write lock at BEGIN, where a busy database is waited for (busy_timeout).
        A deferred one that reads first (the code's head) and then writes cannot wait: when another
        writer committed in between, SQLite fails it at once with "database is locked".
        """
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def _still_there(self) -> None:
        """Refuse to write when the database file was removed or replaced since it was opened.

        SQLite would go on writing into the unlinked file, and every entry would be lost at exit.
        """
        try:
            same = os.stat(self.path).st_ino == self._inode
        except OSError:
            same = False
        if not same:
            raise StoreError(
                f"the database {self.path} was removed or replaced while open; nothing more can be saved "
                "there — restore the folder or restart the recorder (nothing was saved)"
            )

    def _explain_write(self, exc: sqlite3.Error) -> str:
        text = str(exc)
        if isinstance(exc, sqlite3.IntegrityError):
            return f"another recorder wrote to this code at the same time ({text}); close one and resume"
        if "readonly" in text or "read-only" in text:
            return f"cannot write to {self.path}: it is read-only; make it writable (nothing was saved)"
        if "full" in text:
            return f"cannot write to {self.path}: the disk is full; free space (nothing was saved)"
        if "locked" in text or "busy" in text:
            return f"cannot write to {self.path}: another program holds it; close it (nothing was saved)"
        return f"cannot write to {self.path} ({text}); check the disk and the file (nothing was saved)"

    def record_flags(
        self, code_id: int, at_seq: int, raised: list[Flag], withdrawn: list[Flag], recorded_at: datetime
    ) -> None:
        """Keep what the engine raised and withdrew after event `at_seq`, in one transaction."""
        if not raised and not withdrawn:
            return
        rows = [(f, "raised") for f in raised] + [(f, "withdrawn") for f in withdrawn]
        try:
            with self._transaction():
                for flag, change in rows:
                    self.conn.execute(
                        "INSERT INTO flags (code_id, at_seq, change, rule, severity, seq, t, line, message, "
                        "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            code_id,
                            at_seq,
                            change,
                            flag.rule,
                            flag.severity,
                            flag.seq,
                            flag.t,
                            flag.line,
                            flag.message,
                            iso(recorded_at),
                        ],
                    )
        except sqlite3.Error as exc:
            raise StoreError(self._explain_write(exc)) from None

    def keep_audit_rows(self, kept: list[tuple[int, str, str, str, str]]) -> None:
        """Keep codes' audit rows: (code id, head hash, key, day, rows as JSON), replacing older ones.

        One transaction for all of them. These rows are derived from the record, not part of it: they
        are replaced whenever they are derived again.
        """
        if not kept:
            return
        self._still_there()
        try:
            with self._transaction():
                self.conn.executemany(
                    "INSERT OR REPLACE INTO audit_rows (code_id, head_hash, key, day, rows) VALUES (?, ?, ?, ?, ?)",
                    kept,
                )
        except sqlite3.Error as exc:
            raise StoreError(self._explain_write(exc)) from None

    def kept_audit_rows(self, key: str) -> dict[int, tuple[str, str]]:
        """code id → (day, rows as JSON) for every code whose kept rows are current: derived under `key`
        from the code as it stands now (its head hash unchanged since)."""
        with self._reading():
            rows = self.conn.execute(
                "SELECT a.code_id, a.day, a.rows FROM audit_rows a JOIN codes c ON c.id = a.code_id "
                "WHERE a.key = ? AND a.head_hash = c.head_hash",
                (key,),
            ).fetchall()
        return {code_id: (day, data) for code_id, day, data in rows}

    def head_hash(self, code_id: int) -> str | None:
        """The hash of a code's last event (its head), as stored."""
        with self._reading():
            row = self.conn.execute("SELECT head_hash FROM codes WHERE id = ?", (code_id,)).fetchone()
        return row[0] if row else None

    # ── reading ──────────────────────────────────────────────────────────

    def flag_history(self, code_id: int) -> list[tuple[str, Flag]]:
        """Every raise and withdrawal kept for a code, oldest first."""
        with self._reading():
            rows = self.conn.execute(
                "SELECT change, rule, severity, seq, t, line, message FROM flags WHERE code_id = ? ORDER BY id",
                [code_id],
            ).fetchall()
        return [
            (change, Flag(rule=rule, severity=sev, seq=seq, t=t, line=line, message=msg))
            for change, rule, sev, seq, t, line, msg in rows
        ]

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """A damaged file found after it opened is a clear error, not a crash."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(self._explain_open(exc)) from None

    def code(self, code_id: int) -> CodeInfo | None:
        with self._reading():
            return self._code(code_id)

    def _code(self, code_id: int) -> CodeInfo | None:
        row = self.conn.execute(
            "SELECT id, audit_id, created_at, ended_at, head_seq FROM codes WHERE id = ?", [code_id]
        ).fetchone()
        return self._code_info(row) if row else None

    def codes(self) -> list[CodeInfo]:
        with self._reading():
            rows = self.conn.execute("SELECT id, audit_id, created_at, ended_at, head_seq FROM codes ORDER BY id")
            return [self._code_info(r) for r in rows.fetchall()]

    @staticmethod
    def _code_info(row: tuple) -> CodeInfo:
        return CodeInfo(id=row[0], audit_id=row[1], created_at=row[2], ended_at=row[3], events=row[4])

    def last_code_id(self) -> int | None:
        with self._reading():
            return self.conn.execute("SELECT max(id) FROM codes WHERE head_seq > 0").fetchone()[0]

    def open_code_id(self) -> int | None:
        """The most recent code that has not ended, if any."""
        with self._reading():
            # By the chain's own code_ended, not codes.ended_at: an edited end time cannot reopen a code.
            sql = (
                "SELECT max(c.id) FROM codes c WHERE c.head_seq > 0 AND NOT EXISTS "
                "(SELECT 1 FROM events e WHERE e.code_id = c.id AND e.kind = 'code_ended')"
            )
            return self.conn.execute(sql).fetchone()[0]

    def events(self, code_id: int) -> list[EventRecord]:
        """A code's raw events in seq order, as recorded."""
        with self._reading():
            return self._events(code_id)

    def _events(self, code_id: int) -> list[EventRecord]:
        rows = self.conn.execute(
            "SELECT seq, kind, payload, occurred_at, recorded_at, schema_version FROM events "
            "WHERE code_id = ? ORDER BY seq",
            [code_id],
        ).fetchall()
        start = None
        out = []
        for seq, kind, payload, occurred_at, recorded_at, version in rows:
            try:
                occurred = datetime.fromisoformat(occurred_at)
                start = start or occurred
                data = {"kind": kind, "t": round((occurred - start).total_seconds(), 6), **json.loads(payload)}
                event = EVENT_ADAPTER.validate_python(data)
                record = EventRecord(
                    code_id=code_id,
                    seq=seq,
                    event=event,
                    occurred_at=occurred,
                    recorded_at=datetime.fromisoformat(recorded_at),
                    schema_version=version,
                )
            except (ValidationError, ValueError, TypeError):
                raise StoreError(
                    f"code {code_id} event {seq} cannot be read (it was changed or damaged); run `recorder verify`"
                ) from None
            out.append(record)
        return out

    # ── verifying ────────────────────────────────────────────────────────

    def verify(self) -> list[Problem]:
        """Integrity check, the append-only triggers, and every code's hash chain."""
        try:
            return self._verify()
        except sqlite3.DatabaseError as exc:
            return [Problem(None, None, f"the database is damaged ({exc}); keep this file and a copy as they are")]

    def _verify(self) -> list[Problem]:
        problems = [
            Problem(None, None, f"integrity_check: {msg}")
            for (msg,) in self.conn.execute("PRAGMA integrity_check").fetchall()
            if msg != "ok"
        ]
        triggers = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        for name in APPEND_ONLY_TRIGGERS:
            if name not in triggers:
                problems.append(Problem(None, None, f"the append-only trigger {name} is missing"))
        codes = self.conn.execute(
            "SELECT id, audit_id, head_seq, head_hash, ended_at FROM codes ORDER BY id"
        ).fetchall()
        known = {c[0] for c in codes}
        for (code_id,) in self.conn.execute("SELECT DISTINCT code_id FROM events").fetchall():
            if code_id not in known:
                problems.append(Problem(code_id, None, "events belong to a code that does not exist"))
        for code_id, audit_id, head_seq, head_hash, ended_at in codes:
            problem = self._verify_chain(code_id, audit_id, head_seq, head_hash, ended_at)
            if problem:
                problems.append(problem)
        return problems

    def _verify_chain(
        self, code_id: int, audit_id: str, head_seq: int, head_hash: str, ended_at: str | None
    ) -> Problem | None:
        rows = self.conn.execute(
            "SELECT seq, kind, payload, occurred_at, recorded_at, schema_version, prev_hash, hash "
            "FROM events WHERE code_id = ? ORDER BY seq",
            [code_id],
        )
        cols = ("seq", "kind", "payload", "occurred_at", "recorded_at", "schema_version", "prev_hash", "hash")
        prev = GENESIS
        expected_seq = 1
        ended: str | None = None
        for values in rows.fetchall():
            row = dict(zip(cols, values, strict=True))
            if row["seq"] != expected_seq:
                return Problem(code_id, expected_seq, f"is missing (next recorded is {row['seq']})")
            if row["prev_hash"] != prev:
                return Problem(code_id, row["seq"], "does not follow the event before it (chain broken)")
            if not all(isinstance(row[c], str) for c in ("kind", "payload", "occurred_at", "recorded_at", "hash")):
                return Problem(code_id, row["seq"], "was changed after it was recorded (a column has the wrong type)")
            try:
                derived = event_hash(row, audit_id, prev)
            except (ValueError, TypeError):
                return Problem(code_id, row["seq"], "payload is not valid JSON")
            if row["kind"] == "code_ended":
                ended = row["occurred_at"]
            if derived != row["hash"]:
                return Problem(code_id, row["seq"], "was changed after it was recorded (hash mismatch)")
            prev = row["hash"]
            expected_seq += 1
        if expected_seq - 1 != head_seq or prev != head_hash:
            return Problem(
                code_id,
                expected_seq,
                f"is missing: the code recorded {head_seq} events, {expected_seq - 1} are there",
            )
        if ended != ended_at:
            # ended_at is what `resume` goes by: it must agree with the chain's code_ended.
            return Problem(code_id, None, f"its end time ({ended_at}) does not match its code_ended event ({ended})")
        return None
