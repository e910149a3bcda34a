"""The write-ahead journal: entries the database could not take, kept on disk until it can.

One journal holds one code's queue (or the queue of a code that could not even be created yet).
It is JSON Lines, appended and fsync'd, mode 0600, beside the database (`recorder.db.code3.journal`)
or, when that directory is the fault (full, read-only, gone), in the user's state directory
(`~/.local/state/recorder/journals/recorder.db-<path hash>.code3.journal`). Records:

- a header, first in each file: `{"journal": 1, "db": PATH, "label": …, "code": N|null, "base": SEQ}`;
  `base` is the code's last committed seq when the file was begun;
- the code's start, for a code not created yet: `{"n": 0, "start": {fields}, "at": ISO, "entered": code s}`;
- an entry: `{"n": K, "data": {kind, …, line ids pinned}, "t": code s, "entered": code s, "wall": ISO}`;
- `{"code": N}` once a journalled start is committed; `{"done": K, "seq": S}` once entry K is
  committed as event S; `{"refused": K, "why": …}` when the code refused it.

A record is written between newlines, so a write torn by a crash or a full disk spoils only itself.
Replay is idempotent: an entry without a `done` mark is looked for at the seq it must have taken
(entries are committed one at a time, in order, by the code's one writer) before it is written.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recorder.errors import RecorderError

VERSION = 1


class JournalError(RecorderError):
    """The journal could not be written anywhere; the message says where it tried."""


class JournalBusy(Exception):
    """Another recorder holds this journal (it is replaying or queueing into it)."""


@dataclass
class Entry:
    """One entry the scribe made, as journalled: its data with line ids pinned, and its times."""

    n: int
    data: dict[str, Any]
    t: float
    entered: float  # code time when it was entered: its `recorded_at` once written
    wall: str = ""


@dataclass
class Start:
    """A code that could not be created yet: its code_started fields and when it began."""

    fields: dict[str, Any]
    at: str
    entered: float = 0.0  # code time of the first key, when the scribe began the code


@dataclass
class _Contents:
    code: int | None = None
    base: int = 0
    made: str = ""
    start: Start | None = None
    entries: dict[int, Entry] = field(default_factory=dict)
    done: dict[int, int] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)


def state_dir() -> Path:
    """Where journals go when the database's own directory cannot take them."""
    import platformdirs

    return Path(platformdirs.user_state_dir("recorder", appauthor=False)) / "journals"


def _db_key(db: Path) -> str:
    real = os.path.realpath(db)
    return f"{db.name}-{hashlib.sha256(real.encode()).hexdigest()[:16]}"


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Journal:
    """One queue on disk, in up to two files (beside the database, and the fallback)."""

    def __init__(self, db: Path, label: str, code: int | None) -> None:
        self.db = Path(db)
        self.label = label
        self.contents = _Contents(code=code)
        self.places = [
            self.db.with_name(f"{self.db.name}.{label}.journal"),
            state_dir() / f"{_db_key(self.db)}.{label}.journal",
        ]
        self._fds: dict[Path, int] = {}
        self.where: Path | None = None  # where the last record went

    # ── making and finding ───────────────────────────────────────────────

    @classmethod
    def for_code(cls, db: Path, code: int) -> "Journal":
        return cls(db, f"code{code}", code)

    @classmethod
    def for_new_code(cls, db: Path) -> "Journal":
        return cls(db, f"new-{secrets.token_hex(6)}", None)

    @classmethod
    def find(cls, db: Path) -> list["Journal"]:
        """Every journal of this database that no running recorder holds, loaded and locked, oldest first."""
        db = Path(db)
        labels: set[str] = set()
        for folder, prefix in ((db.parent, f"{db.name}."), (state_dir(), f"{_db_key(db)}.")):
            with contextlib.suppress(OSError):
                for path in folder.glob(f"{prefix}*.journal"):
                    label = path.name[len(prefix) :].removesuffix(".journal")
                    if (label.startswith("code") and label[4:].isdigit()) or label.startswith("new-"):
                        labels.add(label)
        found = []
        for label in sorted(labels):
            journal = cls(db, label, None)
            try:
                journal._load()
            except JournalBusy:
                continue
            found.append(journal)
        return sorted(found, key=lambda j: j.contents.made)

    def _load(self) -> None:
        """Read and lock every file of this queue; a file another recorder holds raises JournalBusy."""
        for path in self.places:
            try:
                fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            except OSError:
                continue  # unreadable here: nothing of ours can be in it
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                self.close()
                raise JournalBusy(str(path)) from None
            self._fds[path] = fd
            with open(path, "rb") as f:
                self._read(f.read())
        if self.contents.code is None and self.label.startswith("code"):
            self.contents.code = int(self.label[4:])

    def _read(self, data: bytes) -> None:
        c = self.contents
        for chunk in data.split(b"\n"):
            if not chunk.strip():
                continue
            try:
                rec = json.loads(chunk)
            except ValueError:
                continue  # a write torn by a crash or a full disk: it never counted as queued
            if not isinstance(rec, dict):
                continue
            if "journal" in rec:
                if rec.get("code") is not None:
                    c.code = rec["code"]
                c.base = max(c.base, int(rec.get("base") or 0))
                c.made = min(c.made, rec.get("made", "")) if c.made else rec.get("made", "")
            elif "start" in rec:
                c.start = Start(rec["start"], rec["at"], float(rec.get("entered", 0.0)))
            elif "data" in rec:
                n = int(rec["n"])
                c.entries[n] = Entry(n, rec["data"], float(rec["t"]), float(rec["entered"]), rec.get("wall", ""))
            elif "done" in rec:
                c.done[int(rec["done"])] = int(rec["seq"])
            elif "refused" in rec:
                c.refused[int(rec["refused"])] = str(rec.get("why", ""))
            elif "code" in rec:
                c.code = int(rec["code"])

    # ── what it holds ────────────────────────────────────────────────────

    @property
    def code(self) -> int | None:
        return self.contents.code

    @property
    def start(self) -> Start | None:
        """The code's start, while the code has not been created."""
        c = self.contents
        return c.start if c.start is not None and c.code is None else None

    def pending(self) -> list[Entry]:
        """The entries not yet committed nor refused, in the order they were made."""
        c = self.contents
        return [c.entries[n] for n in sorted(c.entries) if n not in c.done and n not in c.refused]

    def next_seq(self) -> int:
        """The seq the first pending entry must take: after every seq this queue saw committed."""
        c = self.contents
        started = 1 if c.start is not None else 0  # a journalled start is seq 1 once the code exists
        return max([c.base, started, *c.done.values()]) + 1

    def empty(self) -> bool:
        return self.start is None and not self.pending()

    def next_n(self) -> int:
        c = self.contents
        return max([0, *c.entries, *c.done, *c.refused]) + 1

    # ── writing ──────────────────────────────────────────────────────────

    def begin(self, base: int, made: str) -> None:
        """A new queue, begun at wall time `made`: the code's last committed seq is `base`."""
        self.contents.base = max(self.contents.base, base)
        self.contents.made = self.contents.made or made

    def add_start(self, start: Start) -> Path:
        path = self._write({"n": 0, "start": start.fields, "at": start.at, "entered": start.entered})
        self.contents.start = start
        return path

    def add(self, entry: Entry) -> Path:
        """Append an entry, durably: it is on disk when this returns. JournalError when nowhere can take it."""
        record = {"n": entry.n, "data": entry.data, "t": entry.t, "entered": entry.entered, "wall": entry.wall}
        path = self._write(record)
        self.contents.entries[entry.n] = entry
        return path

    def code_created(self, code: int) -> None:
        self.contents.code = code
        self._mark({"code": code})

    def done(self, n: int, seq: int) -> None:
        self.contents.done[n] = seq
        self._mark({"done": n, "seq": seq})

    def refused(self, n: int, why: str) -> None:
        self.contents.refused[n] = why
        self._mark({"refused": n, "why": why})

    def _mark(self, record: dict[str, Any]) -> None:
        # A lost mark is harmless: replay finds a committed entry in the database by its seq.
        with contextlib.suppress(JournalError):
            self._write(record)

    def _write(self, record: dict[str, Any]) -> Path:
        line = b"\n" + json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode() + b"\n"
        errors = []
        for path in self.places:
            try:
                fd = self._open(path)
                _append(fd, line)
            except OSError as exc:
                errors.append(f"{path}: {exc.strerror or exc}")
                continue
            self.where = path
            return path
        raise JournalError("; ".join(errors) or "no place left to keep the journal")

    def _open(self, path: Path) -> int:
        fd = self._fds.get(path)
        if fd is not None:
            return fd
        if path.parent == state_dir():
            path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        created = not path.exists()
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            c = self.contents
            if os.fstat(fd).st_size == 0:
                header = {"journal": VERSION, "db": os.path.realpath(self.db), "label": self.label}
                header |= {"code": c.code, "base": c.base, "made": c.made}
                _append(fd, b"\n" + json.dumps(header, separators=(",", ":")).encode() + b"\n")
            if created:
                _fsync_dir(path.parent)
        except OSError:
            os.close(fd)
            if created:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
        self._fds[path] = fd
        return fd

    def remove(self) -> None:
        """Every entry is in the database: the journal goes."""
        for path in self.places:
            with contextlib.suppress(OSError):
                path.unlink()
                _fsync_dir(path.parent)
        self.close()
        self.contents = _Contents(code=self.contents.code)

    def close(self) -> None:
        for fd in self._fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()

    def files(self) -> list[Path]:
        """The files that hold this queue now."""
        return [p for p in self.places if p.exists()]


def _append(fd: int, data: bytes) -> None:
    """Append and fsync; on failure the file is cut back to where it was, so no torn record stays."""
    size = os.fstat(fd).st_size
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
        raise
