"""Scenario files (JSON Lines, events.md): checked whole before anything is stored, read a line at a time."""

import json
import os
import stat
import tempfile
from array import array
from collections.abc import Container, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from recorder.core.ledger import Ledger
from recorder.errors import RecorderError
from schemas.events import BaseEvent, EventError, event_dict, parse_event
from schemas.records import EventRecord

MAX_LINE = 1_000_000  # bytes (characters, for text already in memory); no real event comes near this
# A scenario that cannot be read twice (a pipe, /dev/stdin) is kept in a private temporary file while
# it is checked; this much and no more (a million-event code is about 70 MB).
MAX_SPOOL = 1 << 30
# How far ahead of the replay's clock an event may be stored: a code replayed without `at` starts at
# the replay, so its events lie ahead by their t; a day is longer than any resuscitation, and wide
# enough for the clocks and time zones of two machines to disagree.
MAX_AHEAD = timedelta(hours=24)


class ScenarioError(RecorderError, ValueError):
    """A scenario file that cannot be replayed; the message is `FILE:LINE: reason`."""


@dataclass(frozen=True)
class ScenarioLine:
    lineno: int
    event: BaseEvent


def _parse_line(raw: str, where: str, code_start: datetime | None = None) -> BaseEvent | None:
    """One line's event, or None for a blank or `#` line; ScenarioError naming the line otherwise."""
    raw = raw.removesuffix("\r")
    stripped = raw.strip()
    if not stripped or stripped.startswith("#"):
        return None
    try:
        data = json.loads(stripped, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise ScenarioError(f"{where}: not valid JSON ({_short(exc)})") from None
    try:
        return parse_event(data, code_start)
    except EventError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def _checked(ledger: Ledger, event: BaseEvent, where: str) -> None:
    try:
        ledger.check(event)
    except EventError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    ledger.add(event)


def parse_lines(text: str, name: str, known_rules: Container[str] | None = None) -> list[ScenarioLine]:
    """Every event of a scenario, checked alone and against the lines before it."""
    out: list[ScenarioLine] = []
    ledger = Ledger(known_rules, fetch=lambda seq: out[seq - 1].event)
    # Lines end at "\n" only: JSON allows U+2028 and friends raw inside strings, and
    # str.splitlines() would break a valid event in two there.
    for lineno, raw in enumerate(text.split("\n"), start=1):
        where = f"{name}:{lineno}"
        if len(raw) > MAX_LINE:
            raise ScenarioError(f"{where}: line is longer than {MAX_LINE} characters")
        event = _parse_line(raw, where)
        if event is None:
            continue
        _checked(ledger, event, where)
        out.append(ScenarioLine(lineno, event))
    if not out:
        raise ScenarioError(_no_events(name))
    return out


def read_scenario(path: str | Path, known_rules: Container[str] | None = None) -> list[ScenarioLine]:
    """Read and validate a scenario file whole; raise ScenarioError on the first bad line.

    Every event in memory at once: for tests and small files. `recorder replay` streams (ScenarioFile).
    """
    with ScenarioFile.open(path) as source:
        source.check(known_rules)
        return list(source.lines())


class ScenarioFile:
    """A scenario file read a line at a time, never whole: `check` it all, then take its `lines`.

    Each line is at most MAX_LINE bytes (`replay /dev/zero` stops at once). A regular file is read
    twice from the same open descriptor, and refused if it changed in between; anything else (a
    pipe, /dev/stdin, a device) is copied, up to MAX_SPOOL bytes, into a private temporary file as
    it is checked, and read back from there.
    """

    def __init__(self, name: str, stream: BinaryIO, spool: BinaryIO | None) -> None:
        self.name = name
        self._stream = stream
        self._spool = spool
        self._checked: tuple[int, int, int] | None = None
        self.events = 0

    @classmethod
    @contextmanager
    def open(cls, path: str | Path) -> Iterator["ScenarioFile"]:
        name = str(path)
        try:
            stream = open(path, "rb")  # closed below, after both passes
        except OSError as exc:
            raise ScenarioError(f"{name}:0: cannot read the file ({exc.strerror}); check the path") from None
        spool = None
        try:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                spool = tempfile.TemporaryFile(prefix="recorder-replay-")  # mode 0600, gone when closed
            yield cls(name, stream, spool)
        finally:
            stream.close()
            if spool is not None:
                spool.close()

    def check(self, known_rules: Container[str] | None = None, now: datetime | None = None) -> int:
        """Validate every line, alone and against the lines before it; the number of events.

        Holds what the checks need (the ledger), never the file. With `now` (the replay's clock),
        the code's start is known, which bounds a date of birth and the events' times: nothing
        is stored more than MAX_AHEAD after `now`.
        """
        # Where each event's line begins: an amend's target is read back from the file, not held.
        offsets = array("q")
        source = self._spool if self._spool is not None else self._stream
        start = now

        def fetch(seq: int) -> BaseEvent:
            return self._event_at(source, offsets[seq - 1], start)

        ledger = Ledger(known_rules, fetch=fetch)
        before = self._identity()
        copied = offset = 0
        for lineno, raw in self._raw_lines(self._stream):
            at, offset = offset, offset + len(raw)
            if self._spool is not None:
                copied += len(raw)
                if copied > MAX_SPOOL:
                    raise ScenarioError(
                        f"{self.name}:{lineno}: more than {MAX_SPOOL >> 20} MB from a stream; "
                        "save the scenario to a file and replay that"
                    )
                self._spool.write(raw)
            where = f"{self.name}:{lineno}"
            event = _parse_line(self._decode(raw, where), where, start)
            if event is None:
                continue
            offsets.append(at)
            _checked(ledger, event, where)
            if now is not None:
                if len(ledger) == 1:
                    start = getattr(event, "at", None) or now
                _not_ahead(event, start or now, now, where)  # start began as now: never None here
        if not len(ledger):
            raise ScenarioError(_no_events(self.name))
        self.events = len(ledger)
        self._checked = before
        return self.events

    def lines(self) -> Iterator[ScenarioLine]:
        """The file's events, read again a line at a time (after `check`, already known to be valid)."""
        source = self._spool if self._spool is not None else self._stream
        if self._checked is not None and self._identity() != self._checked:
            raise ScenarioError(f"{self.name}:0: the file changed while it was being replayed; nothing was stored")
        source.seek(0)
        for lineno, raw in self._raw_lines(source):
            where = f"{self.name}:{lineno}"
            event = _parse_line(self._decode(raw, where), where)
            if event is not None:
                yield ScenarioLine(lineno, event)

    def _event_at(self, source: BinaryIO, offset: int, start: datetime | None) -> BaseEvent:
        """The event of the line at `offset`, read again (already checked once: it parses)."""
        back = source.tell()
        try:
            source.seek(offset)
            raw = source.readline(MAX_LINE + 1)
        finally:
            source.seek(back)
        event = _parse_line(self._decode(raw, self.name), self.name, start)
        assert event is not None
        return event

    def _identity(self) -> tuple[int, int, int]:
        if self._spool is not None:
            return (0, 0, 0)
        info = os.fstat(self._stream.fileno())
        return (info.st_ino, info.st_size, info.st_mtime_ns)

    def _raw_lines(self, stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
        lineno = 0
        while True:
            try:
                raw = stream.readline(MAX_LINE + 1)
            except OSError as exc:
                raise ScenarioError(f"{self.name}:{lineno + 1}: cannot read the file ({exc.strerror})") from None
            if not raw:
                return
            lineno += 1
            if len(raw) > MAX_LINE and not (raw.endswith(b"\n") and len(raw) == MAX_LINE + 1):
                raise ScenarioError(
                    f"{self.name}:{lineno}: line is longer than {MAX_LINE} bytes; one event a line, as events.md says"
                )
            yield lineno, raw

    @staticmethod
    def _decode(raw: bytes, where: str) -> str:
        try:
            return raw.decode("utf-8").removesuffix("\n")
        except UnicodeDecodeError:
            raise ScenarioError(f"{where}: not UTF-8 text; save the file as UTF-8") from None


def _not_ahead(event: BaseEvent, start: datetime, now: datetime, where: str) -> None:
    """Refuse an event that would be stored as happening well after the replay (a typo in `at` or `t`)."""
    ahead = start + timedelta(seconds=event.t) - now
    if ahead <= MAX_AHEAD:
        return
    days = ahead.total_seconds() / 86400
    field = "at" if event.kind == "code_started" else "t"
    pin = "" if getattr(event, "at", None) or start != now else "; without `at` the code starts when it is replayed"
    raise ScenarioError(
        f"{where}: {field}: this would be stored {days:.3g} days in the future; a replay records a code that "
        f"has happened: check `at` on the first line and t{pin}"
    )


def _no_events(name: str) -> str:
    return f"{name}:1: no events; a scenario starts with a code_started line"


def dump_records(records: list[EventRecord]) -> str:
    """A code's raw events as a scenario file that replays to the same code."""
    out = []
    for record in records:
        data = event_dict(record.event)
        if record.kind == "code_started" and "at" not in data:
            # Pin the start so a replay of this file gives the same clock times.
            data["at"] = record.occurred_at.isoformat(timespec="microseconds")
        out.append(json.dumps(data, ensure_ascii=False) + "\n")
    return "".join(out)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _short(exc: Exception) -> str:
    return str(exc).split("\n")[0][:120]


def to_records(lines: list[ScenarioLine], start: datetime | None = None, code_id: int = 0) -> list[EventRecord]:
    """Scenario events as recorded events (seq = event line number), without a database.

    For pure tests of the engine and the exports; `recorder replay` goes through the session.
    """
    first = lines[0].event
    if start is None:
        start = getattr(first, "at", None) or datetime(2026, 1, 1, tzinfo=UTC)
    return [
        EventRecord(
            code_id=code_id,
            seq=seq,
            event=line.event,
            occurred_at=start + timedelta(seconds=line.event.t),
            recorded_at=start + timedelta(seconds=line.event.t),
        )
        for seq, line in enumerate(lines, start=1)
    ]
