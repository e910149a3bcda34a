"""Scenario files (JSON Lines, events.md): read and validated whole before anything is stored."""

import json
from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recorder.ledger import Ledger
from schemas.events import BaseEvent, EventError, event_dict, parse_event
from schemas.records import EventRecord

MAX_LINE = 1_000_000  # bytes; no real event comes near this


class ScenarioError(ValueError):
    """A scenario file that cannot be replayed; the message is `FILE:LINE: reason`."""


@dataclass(frozen=True)
class ScenarioLine:
    lineno: int
    event: BaseEvent


def parse_lines(text: str, name: str, known_rules: Container[str] | None = None) -> list[ScenarioLine]:
    """Every event of a scenario, checked alone and against the lines before it."""
    ledger = Ledger(known_rules)
    out: list[ScenarioLine] = []
    # Lines end at "\n" only: JSON allows U+2028 and friends raw inside strings, and
    # str.splitlines() would break a valid event in two there.
    for lineno, raw in enumerate(text.split("\n"), start=1):
        raw = raw.removesuffix("\r")
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{name}:{lineno}"
        if len(raw) > MAX_LINE:
            raise ScenarioError(f"{where}: line is longer than {MAX_LINE} characters")
        try:
            data = json.loads(stripped, parse_constant=_no_constants)
        except (ValueError, RecursionError) as exc:
            raise ScenarioError(f"{where}: not valid JSON ({_short(exc)})") from None
        try:
            event = parse_event(data)
            ledger.check(event)
        except EventError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
        ledger.add(event)
        out.append(ScenarioLine(lineno, event))
    if not out:
        raise ScenarioError(f"{name}:1: no events; a scenario starts with a code_started line")
    return out


def read_scenario(path: str | Path, known_rules: Container[str] | None = None) -> list[ScenarioLine]:
    """Read and validate a scenario file whole; raise ScenarioError on the first bad line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}:0: cannot read the file ({exc.strerror}); check the path") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        lineno = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(f"{path}:{lineno}: not UTF-8 text; save the file as UTF-8") from None
    return parse_lines(text, str(path), known_rules)


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
