"""Opening the database safely, appending events durably, reading them back, verifying them."""

import itertools
import json
import os
import secrets
import sqlite3
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import ValidationError

from recorder.errors import RecorderError
from recorder.store import files, trusted
from recorder.store.chain import (
    CHAIN,
    GENESIS,
    appended_hash,
    canonical,
    check_canonical,
    event_hash,
    head_prefix,
    legacy_event_hash,
)
from recorder.store.left_out import KindRows, in_store_form, to_read
from recorder.store.version import SCHEMA_VERSION, parse_version
from schemas.events import EVENT_ADAPTER, printable
from schemas.records import CodeInfo, EventRecord, Flag

if TYPE_CHECKING:
    from sqlite_utils import Database


class StoreError(RecorderError):
    """A problem with the database that the user can act on; the message says how."""


class CodeLocked(StoreError):
    """Another recorder writes this code (it holds the code's lock): a reader may still follow it."""


@dataclass(frozen=True)
class Basis:
    """What raised a code's flags: the rules edition, and the protocol by the sha256 of its canonical JSON."""

    rules: str
    protocol: str
    text: str


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
_INSERT_MARK = "INSERT INTO event_clock (code_id, seq, boot_id, monotonic, elapsed) VALUES (?, ?, ?, ?, ?)"
_WHERE_HEAD = "WHERE id = ? AND head_seq = ? AND head_hash = ?"
_MOVE_HEAD = f"UPDATE codes SET head_seq = ?, head_hash = ? {_WHERE_HEAD}"


class Chained(NamedTuple):
    """One event's row as `Store.write` appends it, chained onto its code's head (`Store.chained`), not yet written:
    the events row, its clock mark's row, and what the head update needs (the payload: a void may reopen the code).
    A named tuple: one is made for every entry (a frozen dataclass's making cost ten times a tuple's)."""

    row: tuple[Any, ...]  # the events row, in _EVENT_COLUMNS order
    mark: tuple[Any, ...] | None  # its event_clock row
    payload: dict[str, Any]
    audit_id: str
    prefix: str  # the code's head_prefix

    @property
    def seq(self) -> int:
        return self.row[1]

    @property
    def digest(self) -> str:
        return self.row[8]


def sqlite_family(exc: sqlite3.Error) -> str:
    """SQLite's primary result code by name ("READONLY" for SQLITE_READONLY_DBMOVED), or "" for an error of
    Python's own: recognised by the code SQLite gives (Python 3.11's sqlite_errorname), never by its wording.
    """
    name = getattr(exc, "sqlite_errorname", None) or ""
    return name.removeprefix("SQLITE_").split("_")[0] if name.startswith("SQLITE_") else ""


# Below this many seconds, a difference of two stored times (whole microseconds) as total_seconds() gives it
# is already what round(…, 6) would make of it: the double nearest N µs is within half its spacing (under
# 2**-21 s here) of N µs, so the six-decimal rounding is N µs again, and back to that double. The round, a
# decimal conversion, was a sixth of rebuilding a stored record (tests/store/test_trusted_read.py checks it).
EXACT_SECONDS = 2.0**32


def iso(dt: datetime) -> str:
    """Stored times: UTC ISO-8601 with microseconds."""
    # Positional arguments: isoformat's keyword parsing was a fifth of its cost, twice on every append.
    return dt.astimezone(UTC).isoformat("T", "microseconds")


class Store:
    """A recorder database. Every append is one durable transaction."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        """Open (a writer creates it when new) the database at `path`.

        A reader (`readonly`) never creates, changes or chmods anything: a missing file is an error.
        """
        self.path = Path(path)
        self.readonly = readonly
        # A reader of an older file reads a migrated copy in memory: what it holds never moves on (see copy).
        self.copy = False
        self._locks: dict[int, int] = {}
        # Each code's (audit id, head seq, head hash) as this store last wrote it: appends check it
        # in their UPDATE instead of reading it first; and the start of its events' hashed texts (head_prefix).
        self._heads: dict[int, tuple[str, int, str, str]] = {}
        self._db: Database | None = None
        self._key: files.Identity | None = None
        # The identity of the database ("") and of its -wal and -shm as opened: see _still_there.
        self._ids: dict[str, files.Identity | None] = {}
        self._companions: dict[str, Path] = {}
        self._db_name = os.fsencode(self.path)
        self._watched: list[tuple[str, bytes]] = []  # (suffix, name) of each companion: see _watch
        # Says in one poll whether the files need looking at (files.FolderWatch); None: looked at every time.
        self._folder: files.FolderWatch | None = None
        self._looked = False  # the files were looked at, and were there, since the folder last changed
        self._tidy = False
        # The cursor appends write through, and the connection it was made on (see _append_cursor).
        self._cursor: tuple[sqlite3.Connection, sqlite3.Cursor] | None = None
        try:
            self.conn = self._open_reader() if readonly else self._open_writer()
        except files.OpenRefused as exc:
            raise StoreError(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(self._explain_open(exc)) from None
        except OSError as exc:
            raise StoreError(f"cannot create {self.path}: {exc.strerror}; choose another --db path") from None
        if self._key is not None:  # set by the opening, as close() reads it
            files.opened(self._key)

    # ── opening ──────────────────────────────────────────────────────────

    @property
    def db(self) -> "Database":
        """The connection as a sqlite-utils Database (migrations, tests); made when first asked for."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn)
        return self._db

    def _open_writer(self) -> sqlite3.Connection:
        if files.existing(self.path) is None:
            files.create(self.path)
        conn = self._connect(files.uri(self.path, mode="rw"))
        try:
            # Another program's file (a device was refused before anything was opened) is refused
            # before it is chmod'ed or migrated.
            files.check_ours(conn, self.path)
            files.existing(self.path)  # not hard-linked in the meantime
            files.tighten(self.path)
            self.conn = conn
            self._configure()
            if self._refuse_newer() < SCHEMA_VERSION:
                self._migrate()
        except BaseException:
            conn.close()
            raise
        self._watch()
        return conn

    def _open_reader(self) -> sqlite3.Connection:
        if files.existing(self.path) is None:
            raise files.OpenRefused(
                f"no database at {self.path}; check --db (a code is recorded with `recorder` or `recorder replay FILE`)"
            )
        had = [files.companion(self.path, s).exists() for s in files.COMPANIONS]
        conn = self._connect(files.uri(self.path, mode="ro"))
        try:
            try:
                files.check_ours(conn, self.path)
            except sqlite3.OperationalError as exc:
                conn.close()
                conn = self._reader_after(exc, had[0])
                had = [True, True]
            self.conn = conn
            conn.execute("PRAGMA query_only=ON")
            if self._refuse_newer() < SCHEMA_VERSION:
                conn = self._migrated_copy(conn)
        except BaseException:
            conn.close()
            raise
        # SQLite leaves a reader's -wal and -shm behind: if this reader made them, close() tidies them.
        self._tidy = not any(had)
        self._key = files.identity(self.path)
        return conn

    def _reader_after(self, exc: sqlite3.OperationalError, had_wal: bool) -> sqlite3.Connection:
        """A read-only open that failed: a crash's hot journal, or read-only media; else `exc` stands."""
        ro_media = files.on_read_only_media(self.path)
        if files.companion(self.path, "-journal").exists():
            if ro_media:
                raise files.OpenRefused(
                    f"{self.path} is on read-only media with the -journal of a recorder that stopped mid-write: "
                    "copy the folder to writable storage to read it"
                ) from None
            # A recorder killed while it first made the file left a hot journal, which SQLite rolls
            # back at the next open; a read-only connection cannot. One plain open does, as any SQLite
            # open would: it restores the last committed state (nothing recorded changes).
            rescue = self._connect(files.uri(self.path, mode="rw"))
            try:
                rescue.execute("SELECT count(*) FROM sqlite_master").fetchall()
            finally:
                rescue.close()
            conn = self._connect(files.uri(self.path, mode="ro"))
        elif ro_media:
            # A WAL database needs its -shm: on read-only media, where none can be made, the file is
            # read as it is (immutable) — unless an unfinished -wal holds part of it.
            if had_wal:
                raise files.OpenRefused(
                    f"{self.path} is on read-only media with the -wal of a recorder that did not close it, "
                    "but no -shm: copy the folder to writable storage to read it whole"
                ) from None
            conn = self._connect(files.uri(self.path, mode="ro", immutable="1"))
        else:
            raise exc
        try:
            files.check_ours(conn, self.path)
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrated_copy(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        """An older database read through a migrated copy in memory: a reader never migrates the file."""
        from sqlite_utils import Database

        from recorder.store.migrations import migrations

        copy = sqlite3.connect(":memory:")
        conn.backup(copy)
        conn.close()
        migrations.apply(Database(copy))
        self.conn, self._db, self.copy = copy, None, True
        return copy

    def _connect(self, target: str) -> sqlite3.Connection:
        return sqlite3.connect(target, uri=True, timeout=5)

    def _watch(self) -> None:
        """Note the identity of the database and its companions as opened (see _still_there)."""
        self._key = files.identity(self.path)
        self._ids = {"": self._key}
        # Where SQLite keeps them for this connection: beside the real name as it was when opened.
        self._companions = {suffix: files.companion(self.path, suffix) for suffix in files.COMPANIONS}
        for suffix, path in self._companions.items():
            self._ids[suffix] = files.identity(path)
        # The same names as bytes, looked at before every write (a Path is turned into them at each look).
        self._watched = [(suffix, os.fsencode(path)) for suffix, path in self._companions.items()]
        if self._folder is not None:
            self._folder.close()
        self._folder, self._looked = files.FolderWatch.of(self.path), False

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

    def _explain_open(self, exc: sqlite3.Error) -> str:
        text, family = str(exc), sqlite_family(exc)
        if family in ("NOTADB", "CORRUPT"):
            return f"{self.path} is not a readable recorder database ({text}); check --db, or run `recorder verify`"
        if family == "READONLY":
            return f"{self.path} is read-only ({text}); make it writable or choose another --db"
        if family in ("BUSY", "LOCKED"):
            return f"{self.path} is in use by another recorder ({text}); close it and try again"
        return f"cannot open {self.path} ({text}); check the path and its permissions"

    def close(self) -> None:
        key = self._key
        if key is not None:  # a lock is only taken with a key
            for code_id, fd in self._locks.items():
                files.unlock(key, code_id, fd)
        self._locks.clear()
        self._cursor = None
        self.conn.close()
        if self._folder is not None:
            self._folder.close()
            self._folder = None
        if self._tidy and key is not None:
            self._tidy_reader(key)
        if key is not None:
            files.closed(key)
            self._key = None

    def _tidy_reader(self, key: files.Identity) -> None:
        """Remove the -wal and -shm this reader made, as SQLite's last connection to a file does.

        A read-only connection cannot: a plain one that reads and closes does, and only when no one
        else has the file open (it takes an exclusive lock on the database first). Were there frames in
        the -wal (rows an audit kept meanwhile), they are checkpointed first, as SQLite always does.
        """
        self._tidy = False
        wal = files.companion(self.path, "-wal")
        try:
            if not wal.exists() or files.identity(self.path) != key or files.is_open_here(key):
                return
            conn = self._connect(files.uri(self.path, mode="rw"))
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
            finally:
                conn.close()
        except (OSError, sqlite3.Error):
            pass  # they stay, as they do beside any SQLite reader; the next writer removes them

    def reader(self) -> "Store | None":
        """Another reader on the very file this one opened (a worker process's own connection), or None
        when there is none to open again: a migrated copy in memory, or a file removed or replaced since."""
        if self.copy or self._key is None or files.identity(self.path) != self._key:
            return None
        other = Store(self.path, readonly=True)
        if other.copy or other._key != self._key:
            other.close()
            return None
        return other

    def writer(self) -> "Store":
        """A writer on the file this reader opened (to keep derived rows); refused when the file changed."""
        if files.identity(self.path) != self._key:
            raise StoreError(f"the database {self.path} was removed or replaced while open; nothing was kept")
        return Store(self.path)

    def lock_code(self, code_id: int) -> None:
        """Become the one writer of a code, or raise: two recorders never write one code.

        An OS lock on the database file itself, keyed by the file's identity, not by the name it was
        opened by; the OS drops it when the process dies, even by kill -9.
        """
        if code_id in self._locks:
            return
        if self.readonly or self._key is None:
            raise StoreError(f"{self.path} was opened read-only; open it with `recorder resume` to write")
        try:
            fd = files.lock(self.path, self._key, code_id)
        except OSError as exc:
            raise StoreError(f"cannot lock code {code_id} ({exc.strerror}); check the database file") from None
        if fd is None:
            raise CodeLocked(
                f"code {code_id} is open in another recorder; close that one first (this one will not write to it)"
            )
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
        assert cur.lastrowid is not None  # an INSERT sets it
        return cur.lastrowid, audit_id

    def append(
        self,
        code_id: int,
        seq: int,
        kind: str,
        payload: dict[str, Any],
        occurred_at: datetime,
        recorded_at: datetime,
        schema_version: int = 1,
        mark: tuple[str, float, float] | None = None,
    ) -> None:
        """Append one event in one transaction; durable when this returns.

        `mark` is where the code clock stood as it was written (boot id, monotonic reading, the
        code's t then), kept beside the event, outside its hash.
        """
        self.write(self.chained(code_id, seq, kind, payload, occurred_at, recorded_at, schema_version, mark))

    def chained(
        self,
        code_id: int,
        seq: int,
        kind: str,
        payload: dict[str, Any],
        occurred_at: datetime,
        recorded_at: datetime,
        schema_version: int = 1,
        mark: tuple[str, float, float] | None = None,
        after: Chained | None = None,
    ) -> Chained:
        """The event's row as `write` will append it, chained onto its code's head as this store last wrote it,
        or onto `after` (an event chained before it and not yet written: a replay works out a few ahead).

        Nothing is written: `write` checks, in its transaction, that the head is still the one chained onto.
        """
        if after is not None:
            audit_id, head_seq, head_hash, prefix = after.audit_id, after.seq, after.digest, after.prefix
        else:
            try:
                audit_id, head_seq, head_hash, prefix = self._heads.get(code_id) or self._read_head(code_id)
            except sqlite3.Error as exc:
                raise StoreError(self._explain_write(exc)) from None
        if seq != head_seq + 1:
            self._heads.pop(code_id, None)  # read it again from the file next time
            raise StoreError(
                f"code {code_id} moved on to event {head_seq} behind this recorder's back; "
                "another recorder may have it open: close one and resume"
            )
        text = canonical(payload)  # stored as hashed: one encoding of it, not two
        occurred, recorded = iso(occurred_at), iso(recorded_at)
        digest = appended_hash(prefix, kind, occurred, text, head_hash, recorded, schema_version, seq)
        row = (code_id, seq, kind, text, occurred, recorded, schema_version, head_hash, digest)
        return Chained(row, None if mark is None else (code_id, seq, *mark), payload, audit_id, prefix)

    def write(self, chained: Chained) -> None:
        """Append a chained event in one transaction; durable when this returns. Refused (StoreError, nothing
        written) when its code's head is no longer the one it was chained onto."""
        self._still_there()
        conn = self.conn
        cur = self._append_cursor(conn)
        code_id, seq, kind, _, occurred, _, _, head_hash, digest = chained.row
        # One transaction, written out rather than through _transaction: this is the path every entry takes.
        try:
            cur.execute("BEGIN IMMEDIATE")
            try:
                cur.execute(_INSERT_EVENT, chained.row)
                if chained.mark is not None:
                    cur.execute(_INSERT_MARK, chained.mark)
                # The head moves only from where it was chained onto: the head is checked here.
                if kind == "code_ended" or kind == "void":
                    ended, end_params = self._ending(code_id, kind, chained.payload, occurred)
                    cur.execute(
                        f"UPDATE codes SET head_seq = ?, head_hash = ?{ended} {_WHERE_HEAD}",
                        (seq, digest, *end_params, code_id, seq - 1, head_hash),
                    )
                else:
                    cur.execute(_MOVE_HEAD, (seq, digest, code_id, seq - 1, head_hash))
                if cur.rowcount != 1:
                    raise StoreError(
                        f"code {code_id} moved on behind this recorder's back; "
                        "another recorder may have it open: close one and resume"
                    )
                cur.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except BaseException as exc:
            self._heads.pop(code_id, None)  # read it again from the file next time
            if isinstance(exc, sqlite3.Error):
                raise StoreError(self._explain_write(exc)) from None
            raise
        # Nothing returned: the caller has every value, and a row built for each event went unread.
        self._heads[code_id] = (chained.audit_id, seq, digest, chained.prefix)

    def _append_cursor(self, conn: sqlite3.Connection) -> sqlite3.Cursor:
        """The cursor of `conn` that appends execute on, made once a connection.

        Connection.execute makes (and registers, and drops) a cursor for every statement: five of them an
        append, a few microseconds of every entry. A new connection (reopened after a lost -wal, or one
        standing in for it) gets its own.
        """
        kept = self._cursor
        if kept is not None and kept[0] is conn:
            return kept[1]
        cur = conn.cursor()
        self._cursor = (conn, cur)
        return cur

    def _ending(self, code_id: int, kind: str, payload: dict[str, Any], occurred_at: str) -> tuple[str, tuple]:
        """How an event moves the code's end time: a code_ended sets it, a void of that end clears it."""
        if kind == "code_ended":
            return ", ended_at = ?", (occurred_at,)
        voids_end = "SELECT 1 FROM events WHERE code_id = ? AND seq = ? AND kind = 'code_ended'"
        if kind == "void" and self.conn.execute(voids_end, (code_id, payload.get("target"))).fetchone():
            return ", ended_at = NULL", ()  # the end is voided: the code is open again
        return "", ()

    def _read_head(self, code_id: int) -> tuple[str, int, str, str]:
        """A code's audit id, the seq and hash of its last event, as stored, and the start of its hashed texts."""
        head = self.conn.execute("SELECT audit_id, head_seq, head_hash FROM codes WHERE id = ?", (code_id,)).fetchone()
        if head is None:
            raise StoreError(f"there is no code {code_id}; `recorder list` shows the codes")
        return (*head, head_prefix(head[0], code_id))

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
        """Refuse to write when the database or its -wal or -shm was removed or replaced since it was opened.

        SQLite would go on writing into the unlinked file, and every entry would be lost at exit.
        """
        if self.readonly:
            raise StoreError(f"{self.path} was opened read-only; nothing can be written to it")
        folder = self._folder
        if folder is not None and self._looked and folder.quiet():
            return  # nothing created, removed or renamed in the folder or above it since the files were looked at
        self._looked = False
        if folder is not None and not folder.settle():  # taken before the look: what comes after is seen next time
            self._folder = None
        self._look_at_files()
        self._looked = True

    def _look_at_files(self) -> None:
        """The database, its -wal and -shm by their names: each still the file that was opened (or raise)."""
        if files.identity(self._db_name) != self._ids.get(""):
            raise StoreError(
                f"the database {self.path} was removed or replaced while open; nothing more can be saved "
                "there — restore the folder or restart the recorder (nothing was saved)"
            )
        for suffix, name in self._watched:
            now = files.identity(name)
            if now == self._ids.get(suffix):
                continue
            if self._ids.get(suffix) is None:  # not there when opened: SQLite made it since
                self._ids[suffix] = now
                continue
            self._companion_lost(suffix, now)

    def _companion_lost(self, suffix: str, now: files.Identity | None) -> None:
        """The -wal or -shm this connection uses is gone (or another file has its name): a storage fault.

        What was committed lives in the unlinked -wal until a checkpoint: it is put into the database file
        now, while this connection still reaches it, so a kill loses nothing. When the file was only
        removed, the database is then reopened (fresh -wal and -shm) and the next try writes again.
        """
        name = f"{self.path.name}{suffix}"
        try:
            busy, _, _ = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error:
            busy = 1
        if busy:
            raise StoreError(
                f"the database's {name} file was removed while open and another program holds the database; "
                "close it, then try again (nothing was saved)"
            )
        if now is not None:
            raise StoreError(
                f"the database's {name} file was replaced by another file while open; what was recorded is safe "
                f"in {self.path}: move {name} aside and restart the recorder (nothing was saved)"
            )
        try:
            self.conn.close()
            self.conn, self._db = self._connect(files.uri(self.path, mode="rw")), None
            self._configure()
        except sqlite3.Error as exc:
            raise StoreError(self._explain_open(exc)) from None
        self._watch()
        raise StoreError(
            f"the database's {name} file was removed while open; what was recorded is safe in {self.path}, "
            "which was reopened (this entry was not saved: it can be written again)"
        )

    def _explain_write(self, exc: sqlite3.Error) -> str:
        text, family = str(exc), sqlite_family(exc)
        if isinstance(exc, sqlite3.IntegrityError):
            return f"another recorder wrote to this code at the same time ({text}); close one and resume"
        if family == "READONLY":
            return f"cannot write to {self.path}: it is read-only; make it writable (nothing was saved)"
        if family == "FULL":
            return f"cannot write to {self.path}: the disk is full; free space (nothing was saved)"
        if family in ("BUSY", "LOCKED"):
            return f"cannot write to {self.path}: another program holds it; close it (nothing was saved)"
        return f"cannot write to {self.path} ({text}); check the disk and the file (nothing was saved)"

    def record_flags(
        self,
        code_id: int,
        at_seq: int,
        raised: list[Flag],
        withdrawn: list[Flag],
        recorded_at: datetime,
        basis: "Basis | None" = None,
    ) -> None:
        """Keep what the engine raised and withdrew after event `at_seq`, in one transaction.

        `basis` is the rules edition and protocol that raised them, kept with the code (a flag_basis row)
        so that `verify` can work the flags out again as they were raised; the row also says the flags
        were brought up to date at `at_seq`.
        """
        if not raised and not withdrawn and basis is None:
            return
        # Withdrawals first: a flag withdrawn and raised again with new content ends raised.
        rows = [(f, "withdrawn") for f in withdrawn] + [(f, "raised") for f in raised]
        try:
            with self._transaction():
                if basis is not None:
                    self._keep_basis(code_id, at_seq, basis)
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

    def _keep_basis(self, code_id: int, at_seq: int, basis: "Basis") -> None:
        self._keep_protocol(basis.protocol, basis.text)
        self.conn.execute(
            "INSERT INTO flag_basis (code_id, at_seq, rules, protocol) VALUES (?, ?, ?, ?)",
            (code_id, at_seq, basis.rules, basis.protocol),
        )

    def _keep_protocol(self, sha256: str, text: str) -> None:
        self.conn.execute("INSERT OR IGNORE INTO protocols (sha256, text) VALUES (?, ?)", (sha256, text))

    def flag_basis(self, code_id: int) -> tuple[str, str | None, int] | None:
        """The (rules edition, protocol sha256) the code's stored flags were last raised under, if kept, and the
        latest event at which they were brought up to date."""
        with self._reading():
            return self.conn.execute(
                "SELECT rules, protocol, (SELECT max(at_seq) FROM flag_basis WHERE code_id = ?) "
                "FROM flag_basis WHERE code_id = ? ORDER BY id DESC LIMIT 1",
                (code_id, code_id),
            ).fetchone()

    def protocols(self) -> dict[str, str]:
        """Every protocol kept in this database: sha256 → its canonical JSON."""
        with self._reading():
            return dict(self.conn.execute("SELECT sha256, text FROM protocols").fetchall())

    def flag_rows(self, code_id: int) -> list[tuple[int, str, Flag]]:
        """Every raise and withdrawal kept for a code, oldest first, with the event after which it was kept."""
        with self._reading():
            rows = self.conn.execute(
                "SELECT at_seq, change, rule, severity, seq, t, line, message FROM flags WHERE code_id = ? ORDER BY id",
                [code_id],
            ).fetchall()
        return [
            (at_seq, change, Flag(rule=rule, severity=sev, seq=seq, t=t, line=line, message=msg))
            for at_seq, change, rule, sev, seq, t, line, msg in rows
        ]

    def keep_audit_rows(
        self, kept: list[tuple[int, str, str, str, str]], protocol: tuple[str, str] | None = None
    ) -> None:
        """Keep codes' audit rows: (code id, head hash, key, day, rows as JSON), replacing older ones.

        One transaction for all of them. These rows are derived from the record, not part of it: they
        are replaced whenever they are derived again.
        """
        if not kept:
            return
        self._still_there()
        try:
            with self._transaction():
                if protocol is not None:  # (sha256, text): verify finds the protocol the rows were derived under
                    self._keep_protocol(*protocol)
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

    def current_audit_rows(self) -> list[tuple[int, str, str, str]]:
        """Every kept (code id, key, day, rows) that stands for its code as it is now, whatever its key."""
        with self._reading():
            return self.conn.execute(
                "SELECT a.code_id, a.key, a.day, a.rows FROM audit_rows a JOIN codes c ON c.id = a.code_id "
                "WHERE a.head_hash = c.head_hash ORDER BY a.code_id"
            ).fetchall()

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

    def code_count(self) -> int:
        """How many codes have an event: those of `codes()` whose `events` is not 0 (an audit's codes), counted."""
        with self._reading():
            return self.conn.execute("SELECT count(*) FROM codes WHERE head_seq <> 0").fetchone()[0]

    @staticmethod
    def _code_info(row: tuple) -> CodeInfo:
        return CodeInfo(id=row[0], audit_id=row[1], created_at=row[2], ended_at=row[3], events=row[4])

    def last_code_id(self) -> int | None:
        with self._reading():
            return self.conn.execute("SELECT max(id) FROM codes WHERE head_seq > 0").fetchone()[0]

    def open_code_id(self) -> int | None:
        """The most recent code that has not ended, if any."""
        with self._reading():
            # By the chain's own code_ended (one no void undid), not codes.ended_at: an edited end time
            # cannot reopen a code.
            sql = (
                "SELECT max(c.id) FROM codes c WHERE c.head_seq > 0 AND NOT EXISTS "
                "(SELECT 1 FROM events e WHERE e.code_id = c.id AND e.kind = 'code_ended' AND NOT EXISTS "
                "(SELECT 1 FROM events v WHERE v.code_id = c.id AND v.kind = 'void' "
                "AND json_extract(v.payload, '$.target') = e.seq))"
            )
            return self.conn.execute(sql).fetchone()[0]

    def last_clock_mark(self, code_id: int) -> tuple[str, float, float] | None:
        """(boot id, monotonic reading, code t) as the code's last marked event was written, if any."""
        with self._reading():
            return self.conn.execute(
                "SELECT boot_id, monotonic, elapsed FROM event_clock WHERE code_id = ? ORDER BY seq DESC LIMIT 1",
                (code_id,),
            ).fetchone()

    def events(self, code_id: int) -> list[EventRecord]:
        """A code's raw events in seq order, as recorded (all of them: `iter_events` pages a long code)."""
        return list(self.iter_events(code_id))

    _SELECT_EVENTS = (
        "SELECT e.seq, e.kind, e.payload, e.occurred_at, e.recorded_at, e.schema_version, m.elapsed FROM events e "
        "LEFT JOIN event_clock m ON m.code_id = e.code_id AND m.seq = e.seq WHERE e.code_id = ? "
    )
    PAGE = 512  # rows read at a time: a long code is read in bounded memory
    FIRST_PAGE = 16  # the first page of iter_events

    def iter_events(
        self, code_id: int, from_seq: int = 1, started: datetime | None = None, full_first_page: bool = False
    ) -> Iterator[EventRecord]:
        """A code's raw events in seq order from `from_seq`, read a page at a time (never the whole code).

        Each page is its own query (by seq, after the last one read), so a write between pages does
        not disturb the reading. `started`: the code's start as `started` gave it just before (not read
        again); `full_first_page`: the reader takes every event (a short code is read in one query).
        """
        start = started if started is not None else self._start(code_id)
        # A first page that is short: many readers want only the first record or two (Session.read the first
        # event's time), and a full page fetched for them is every row of a short code read for nothing.
        first = self.PAGE if full_first_page else self.FIRST_PAGE
        for page in self._pages(code_id, start, from_seq - 1, first):
            yield from page

    def _pages(
        self, code_id: int, start: datetime | None, after: int, first: int, without: Collection[str] = ()
    ) -> Iterator[list[EventRecord]]:
        """The records of a code's raw events after seq `after` but those of the kinds `without`, in seq order: a
        page a query (by seq, after the last one read), `first` rows in the first, PAGE in each one after it."""
        leave_out = f"AND e.kind NOT IN ({', '.join('?' * len(without))}) " if without else ""
        select = self._SELECT_EVENTS + leave_out + "AND e.seq > ? ORDER BY e.seq LIMIT ?"
        page = first
        while True:
            with self._reading():
                rows = self.conn.execute(select, [code_id, *without, after, page]).fetchmany(page)
            yield self._records(code_id, start, rows)
            if len(rows) < page:
                return
            after, page = rows[-1][0], self.PAGE

    def events_at(self, code_id: int, seqs: Iterable[int]) -> dict[int, EventRecord]:
        """Some of a code's raw events, by seq (a recompute reads back the stretch it refolds)."""
        wanted = sorted(set(seqs))
        start = self._start(code_id)
        out: dict[int, EventRecord] = {}
        for i in range(0, len(wanted), self.PAGE):
            part = wanted[i : i + self.PAGE]
            with self._reading():
                rows = self.conn.execute(
                    self._SELECT_EVENTS + f"AND e.seq IN ({', '.join('?' * len(part))})", [code_id, *part]
                ).fetchall()
            for record in self._records(code_id, start, rows):
                out[record.seq] = record
        return out

    def kind_rows(
        self, code_id: int, kinds: Collection[str], late_after: float, start: datetime, counted: Collection[str] = ()
    ) -> dict[str, KindRows]:
        """Of a code's events of `kinds` (those a reader may leave out unread) and of `counted`, each kind there is;
        and of `kinds`, the t of the latest in time and the seqs a reader must read all the same:
        those that may have been entered more than `late_after` s late, whose times are not in the store's form
        (recorder/store/left_out.py), or the latest when its time does not read. `start`: the code's (`started`),
        with its offset. Only the rows of these kinds are looked at: a reader passes in `counted` the few kinds
        that decide what it may leave out."""
        start_jd = start.timestamp() / 86400.0 + 2440587.5
        named = [*kinds, *(kind for kind in counted if kind not in kinds)]
        # One max() in the query: SQLite gives the bare e.seq of the row holding it (the latest in time among the
        # times in the store's form, which sort as text as they do in time).
        query = (
            f"SELECT e.kind, max(CASE WHEN {in_store_form('e.occurred_at')} THEN e.occurred_at END), e.seq, "
            f"group_concat(CASE WHEN {to_read('?', '?')} THEN e.seq END) "
            "FROM events e LEFT JOIN event_clock m ON m.code_id = e.code_id AND m.seq = e.seq "
            f"WHERE e.code_id = ? AND e.kind IN ({', '.join('?' * len(named))}) GROUP BY e.kind"
        )
        with self._reading():
            rows = self.conn.execute(query, [start_jd, late_after - 1.0, code_id, *named]).fetchall()
        out: dict[str, KindRows] = {}
        for kind, latest_at, latest, read in rows:
            if kind not in kinds:
                out[kind] = KindRows(None, [])
                continue
            seqs = [int(seq) for seq in read.split(",")] if read else []
            latest_t = None
            if latest_at is not None:
                try:
                    latest_t = self._t(start, datetime.fromisoformat(latest_at))
                except ValueError:  # in the form, but no time (a day that does not exist): read, it says so
                    seqs.append(latest)
            out[kind] = KindRows(latest_t, seqs)
        return out

    def pages_without(self, code_id: int, kinds: Collection[str], start: datetime) -> Iterator[list[EventRecord]]:
        """A code's raw events but those of `kinds`, in seq order, a page at a time as `iter_events` reads them
        (`start`: the code's, as `started` or `audit_basis` gave it, not read again)."""
        return self._pages(code_id, start, 0, self.PAGE, kinds)

    def audit_basis(self, code_id: int) -> tuple[str, str | None, datetime | None, str] | None:
        """What an audit's read of a code starts from, in one query: its audit id, the rules edition its stored
        flags were last raised under (None: none kept; `flag_basis`), its start (`started`) and its head hash
        (`head_hash`: read before its events, so rows derived from them never claim later ones); None for no code."""
        with self._reading():
            row = self.conn.execute(
                "SELECT c.audit_id, "
                "(SELECT b.rules FROM flag_basis b WHERE b.code_id = c.id ORDER BY b.id DESC LIMIT 1), "
                "(SELECT e.occurred_at FROM events e WHERE e.code_id = c.id AND e.seq = 1), c.head_hash "
                "FROM codes c WHERE c.id = ?",
                [code_id],
            ).fetchone()
        if row is None:
            return None
        audit_id, rules, first, head = row
        return audit_id, rules, self._started(code_id, first), head

    def latest_t(self, code_id: int) -> float:
        """The latest `t` of a code's raw events (stored times are UTC ISO strings: they sort as text)."""
        start = self._start(code_id)
        with self._reading():
            (latest,) = self.conn.execute("SELECT max(occurred_at) FROM events WHERE code_id = ?", [code_id]).fetchone()
        if start is None or latest is None:
            return 0.0
        return round((datetime.fromisoformat(latest) - start).total_seconds(), 6)

    def started(self, code_id: int) -> datetime | None:
        """When a code began: its first event's occurred_at (None when it has no event 1: a damaged file)."""
        return self._start(code_id)

    def _start(self, code_id: int) -> datetime | None:
        """When a code began (its first event's occurred_at): every stored `t` counts from it."""
        with self._reading():
            row = self.conn.execute(
                "SELECT occurred_at FROM events WHERE code_id = ? AND seq = 1", [code_id]
            ).fetchone()
        return self._started(code_id, row[0] if row else None)

    @staticmethod
    def _started(code_id: int, occurred_at: str | None) -> datetime | None:
        """Event 1's stored occurred_at as the code's start (None: no event 1)."""
        try:
            return datetime.fromisoformat(occurred_at) if occurred_at is not None else None
        except (ValueError, TypeError):
            raise StoreError(
                f"code {code_id} event 1 cannot be read (it was changed or damaged); run `recorder verify`"
            ) from None

    @staticmethod
    def _t(start: datetime | None, occurred: datetime) -> float:
        """An event's t: seconds from the code's start (rounded far from it: a damaged file, as it always was)."""
        t = (occurred - (start or occurred)).total_seconds()
        return t if -EXACT_SECONDS < t < EXACT_SECONDS else round(t, 6)

    @classmethod
    def _records(cls, code_id: int, start: datetime | None, rows: list[tuple]) -> list[EventRecord]:
        """The records of a page of rows: each rebuilt the fast way (trusted.stored_page) where it takes it; a row
        it does not take goes to _record, which rebuilds or validates it, or names it damaged."""
        return trusted.stored_page(code_id, start, rows, EXACT_SECONDS, partial(cls._record, code_id, start))

    @staticmethod
    def _record(code_id: int, start: datetime | None, row: tuple, trust: bool = True) -> EventRecord:
        seq, kind, payload, occurred_at, recorded_at, version, entered_t = row
        try:
            occurred = datetime.fromisoformat(occurred_at)
            t = Store._t(start, occurred)
            recorded = datetime.fromisoformat(recorded_at)
            if (recorded.tzinfo is None) is not (occurred.tzinfo is None):
                # Neither can be read against the other (how late it was entered): the store writes both with one.
                raise ValueError("one time with an offset, one without")
            values = trusted.payload(payload)
            # Validated when it was written and hash-chained since: rebuilt, not validated again (trusted.py);
            # columns of another type than the store writes are validated as before.
            if trust and type(version) is int and (entered_t is None or type(entered_t) is float):
                event = trusted.event({"kind": kind, "t": t, **values})
                return trusted.record(code_id, seq, event, occurred, recorded, version, entered_t)
            return EventRecord(
                code_id=code_id,
                seq=seq,
                event=EVENT_ADAPTER.validate_python({"kind": kind, "t": t, **values}),
                occurred_at=occurred,
                recorded_at=recorded,
                schema_version=version,
                entered_t=entered_t,
            )
        except (ValidationError, ValueError, TypeError, AttributeError):
            raise StoreError(
                f"code {code_id} event {seq} cannot be read (it was changed or damaged); run `recorder verify`"
            ) from None

    # ── verifying ────────────────────────────────────────────────────────

    def verify(self) -> list[Problem]:
        """Integrity check, the recorder's tables and triggers, and every code's hash chain and payloads."""
        try:
            return self._verify()
        except sqlite3.DatabaseError as exc:
            return [Problem(None, None, f"the database is damaged ({exc}); keep this file and a copy as they are")]

    def _verify(self) -> list[Problem]:
        from recorder.store.schema import differences

        problems = [
            Problem(None, None, f"integrity_check: {msg}")
            for (msg,) in self.conn.execute("PRAGMA integrity_check").fetchall()
            if msg != "ok"
        ]
        tables, triggers = differences(self.conn)
        problems += [Problem(None, None, found) for found in tables + triggers]
        if tables:
            return problems  # the recorder's tables changed: what is read from them below cannot be trusted
        for table, _, parent, _ in self.conn.execute("PRAGMA foreign_key_check").fetchall():
            problems.append(Problem(None, None, f"rows of {table} belong to no row of {parent}"))
        codes = self.conn.execute(
            "SELECT id, audit_id, head_seq, head_hash, ended_at, chain FROM codes ORDER BY id"
        ).fetchall()
        known = {c[0] for c in codes}
        for (code_id,) in self.conn.execute("SELECT DISTINCT code_id FROM events").fetchall():
            if code_id not in known:
                problems.append(Problem(code_id, None, "events belong to a code that does not exist"))
        for code_id, audit_id, head_seq, head_hash, ended_at, chain in codes:
            problem = self._verify_chain(code_id, audit_id, head_seq, head_hash, ended_at, chain)
            if problem:
                problems.append(problem)
        return problems

    def _verify_chain(
        self, code_id: int, audit_id: str, head_seq: int, head_hash: str, ended_at: str | None, chain: int
    ) -> Problem | None:
        if chain != CHAIN:
            return Problem(code_id, None, f"its hash chain is of algorithm {chain!r}, not the recorder's {CHAIN}")
        rows = self.conn.execute(
            "SELECT e.seq, e.kind, e.payload, e.occurred_at, e.recorded_at, e.schema_version, e.prev_hash, e.hash, "
            "l.prev_hash, l.hash FROM events e LEFT JOIN legacy_hashes l ON l.code_id = e.code_id AND l.seq = e.seq "
            "WHERE e.code_id = ? ORDER BY e.seq",
            [code_id],
        )
        cols = ("seq", "kind", "payload", "occurred_at", "recorded_at", "schema_version", "prev_hash", "hash")
        prev = legacy_prev = GENESIS
        expected_seq = 1
        ended: str | None = None
        ended_seq = 0
        start: datetime | None = None
        # A page of rows at a time: a million-event code is checked in bounded memory.
        for values in itertools.chain.from_iterable(iter(lambda: rows.fetchmany(self.PAGE), [])):
            row = dict(zip(cols, values[:8], strict=True), code_id=code_id)
            legacy, legacy_hash = values[8:] != (None, None), values[9]
            if row["seq"] != expected_seq:
                return Problem(code_id, expected_seq, f"is missing (next recorded is {row['seq']})")
            if row["prev_hash"] != prev:
                return Problem(code_id, row["seq"], "does not follow the event before it (chain broken)")
            if not all(isinstance(row[c], str) for c in ("kind", "payload", "occurred_at", "recorded_at", "hash")):
                return Problem(code_id, row["seq"], "was changed after it was recorded (a column has the wrong type)")
            try:
                text = canonical(json.loads(row["payload"]))  # parsed and encoded once, for both checks
                derived = event_hash(row, audit_id, prev, text)
            except (ValueError, TypeError):
                return Problem(code_id, row["seq"], "payload is not valid JSON")
            if row["kind"] == "code_ended":
                ended, ended_seq = row["occurred_at"], row["seq"]
            elif row["kind"] == "void" and ended is not None and json.loads(row["payload"]).get("target") == ended_seq:
                ended = None  # the end was voided: the code is open again
            if derived != row["hash"]:
                return Problem(code_id, row["seq"], "was changed after it was recorded (hash mismatch)")
            # Readers rebuild stored events without validating them again (trusted.py): here each is validated
            # in full, as it was when it was written.
            try:
                start = start or datetime.fromisoformat(row["occurred_at"])
                self._record(code_id, start, (*values[:5], row["schema_version"], None), trust=False)
            except (StoreError, ValueError):
                # Worded as a reader's StoreError is by the flag check, which used to be the first to meet it.
                return Problem(code_id, None, f"event {row['seq']} cannot be read (it was changed or damaged)")
            # The hash is of the payload re-encoded: the stored bytes must be that encoding, or a reader (SQL's
            # json_extract takes a duplicate key's first value, Python its last) may see another one. Equal
            # bytes cannot hide a duplicate key (the encoding would have dropped one); else look closer.
            if text != row["payload"]:
                try:
                    check_canonical(row["payload"], first_spelling=legacy)
                except ValueError as exc:
                    return Problem(code_id, row["seq"], f"payload is not the recorder's own JSON ({exc})")
            if legacy:
                # Written before algorithm 2: its first hashes must still hold, or it was edited before the upgrade.
                if values[8] != legacy_prev or legacy_event_hash(row, audit_id, legacy_prev, text) != legacy_hash:
                    return Problem(code_id, row["seq"], "does not match its hash from before the upgrade (changed)")
                legacy_prev = legacy_hash
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

    def heads(self) -> list[tuple[int, int, str]]:
        """Each code's (id, events, head hash): the anchor `verify --print-head` prints for a second place."""
        with self._reading():
            return self.conn.execute("SELECT id, head_seq, head_hash FROM codes ORDER BY id").fetchall()

    def hash_at(self, code_id: int, seq: int) -> str | None:
        """The hash of one event: the head of the code as it stood at that event."""
        with self._reading():
            row = self.conn.execute("SELECT hash FROM events WHERE code_id = ? AND seq = ?", (code_id, seq)).fetchone()
        return row[0] if row else None
