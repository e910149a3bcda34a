"""A refold from a copy of the engine (a back-dated entry, a void, an amend at any position) leaves the same
flags and state as a fold from scratch, for both editions of the rules.

The live fold keeps copies of the engine (checkpoints) and refolds from the nearest one; the copies share what
is closed (recorder.engine.state.copy_due). Whatever a copy shares or copies wrongly shows up here as a flag,
a deadline or a line that differs from a fresh fold of the same effective timeline.
"""

import dataclasses
import math
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import pytest

from recorder.core.scenario import to_records
from recorder.engine import Engine, live_fold
from recorder.engine.first_edition import engine as first_engine
from recorder.engine.first_edition import protocol as first_protocol
from recorder.engine.live_fold import LiveFold
from recorder.engine.protocol import load_protocol
from recorder.engine.timeline import effective
from schemas.events import parse_event
from schemas.records import EventRecord
from tests.factory import random_scenario, scenario, scenario_lines

START = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)


class Records:
    """A code's records by seq, all in memory (what RecordLog gives the fold), `keep` as the session's."""

    def __init__(self, keep: int = 8192) -> None:
        self.by_seq: dict[int, EventRecord] = {}
        self.keep = keep

    def add(self, record: EventRecord) -> None:
        self.by_seq[record.seq] = record

    def get(self, seq: int) -> EventRecord:
        return self.by_seq[seq]

    def many(self, seqs: Iterable[int]) -> dict[int, EventRecord]:
        return {s: self.by_seq[s] for s in seqs}

    def __iter__(self) -> Iterator[EventRecord]:
        return iter(self.by_seq.values())


def plain(value: Any, seen: frozenset[int] = frozenset()) -> Any:
    """A state as plain, comparable values: dataclasses field by field (a deadline as its fields, the arrest
    it points back at by its seq), containers element by element; the protocol, the fold's functions and what
    is cached (a field named _…) left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if id(value) in seen:
            return ("again", type(value).__name__, getattr(value, "seq", None))
        inner = seen | {id(value)}
        return (
            type(value).__name__,
            tuple(
                (f.name, plain(getattr(value, f.name), inner))
                for f in dataclasses.fields(value)
                if f.name not in ("protocol", "folds", "deadlines") and not f.name.startswith("_")
            ),
        )
    if isinstance(value, dict):
        return tuple(sorted((str(k), plain(v, seen)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(map(str, value)))
    if isinstance(value, (list, tuple)):
        return tuple(plain(v, seen) for v in value)
    return value


def engine_facts(engine: Any) -> tuple:
    """What an engine holds: its state, its flags in order, its open deadlines, and what it has raised."""
    heap = sorted((at, seq, due.rule, due.status) for at, seq, _, due in engine._heap if due.open)
    return plain(engine.state), engine.flags, heap, sorted(map(str, engine._raised)), engine.time


def fresh(records: list[EventRecord], make: Any) -> Any:
    engine = make()
    for record in effective(records):
        engine.apply(record)
    return engine


def corrections(events: list[dict], seed: int) -> Iterator[tuple[int, dict]]:
    """(after which event, a correction logged then): back-dated entries of several kinds, voids and amends
    of earlier events, at many positions of the code."""
    n = len(events)
    for at in range(3, n, max(1, n // 24)):
        kind = (at + seed) % 5
        t = events[at]["t"]
        back = {0: 1.0, 1: 30.0, 2: 200.0, 3: 0.5, 4: 75.0}[kind]
        when = round(max(0.0, t - back), 6)
        if kind == 0:
            yield at, {"kind": "vitals", "t": when, "hr": 130, "sbp": 70}
        elif kind == 1:
            yield at, {"kind": "rhythm", "t": when, "rhythm": "vf"}
        elif kind == 2:
            yield at, {"kind": "note", "t": when, "text": "back-dated"}
        elif kind == 3:
            yield at, {"kind": "cpr_stopped", "t": when}
        else:
            yield at, {"kind": "shock", "t": when, "joules": 50}
        # A void or an amend of an earlier event that stands on the timeline.
        target = max(2, at - 1 - (at * 7 + seed) % 40)
        if events[target - 1]["kind"] in ("vitals", "note", "rhythm", "flush", "fluid", "drug"):
            if (at + seed) % 2:
                yield at, {"kind": "void", "t": t, "target": target, "reason": "wrong"}
            elif events[target - 1]["kind"] == "vitals":
                yield at, {"kind": "amend", "t": t, "target": target, "changes": {"hr": 77}, "reason": "misread"}


def with_corrections(events: list[dict], seed: int) -> list[dict]:
    """The code's events, each correction logged right after its event (targets renumbered as seqs move)."""
    extra: dict[int, list[dict]] = {}
    for at, correction in corrections(events, seed):
        extra.setdefault(at, []).append(correction)
    out: list[dict] = []
    seq_of: dict[int, int] = {}  # the original event's number → its seq in the corrected code
    for n, event in enumerate(events, start=1):
        if "target" in event:  # the code's own voids, amends and acknowledgements
            event = {**event, "target": seq_of[event["target"]]}
        out.append(event)
        seq_of[n] = len(out)
        for correction in extra.get(n, ()):
            if "target" in correction:
                correction = {**correction, "target": seq_of[correction["target"]]}
            out.append(correction)
    return out


def records_of(events: list[dict]) -> list[EventRecord]:
    from recorder.core.scenario import ScenarioLine

    lines = [ScenarioLine(n, parse_event(dict(e), code_start=START)) for n, e in enumerate(events, start=1)]
    return to_records(lines, START)


CODES = {
    "benchmark-300": lambda: scenario(300, at=START, seed=3),
    "random-400": lambda: random_scenario(400, seed=11, record_keeping=0.04),
    "random-250": lambda: random_scenario(250, seed=5, record_keeping=0.0),
}


@pytest.mark.parametrize("every", [2, 7, live_fold.CHECKPOINT_EVERY])
@pytest.mark.parametrize("code", sorted(CODES))
def test_a_refold_after_any_correction_is_a_fresh_fold(code: str, every: int) -> None:
    """Back-dated entries (0.5 s to 200 s back), voids and amends at positions all along the code, each
    logged as the scribe would, refolded from the nearest copy: after each, the fold's flags, state, open
    deadlines and raised keys are a fresh fold's of the effective timeline so far."""
    protocol = load_protocol()
    events = with_corrections(CODES[code](), seed=len(code))
    records = records_of(events)
    kept = Records()
    checked = 0
    with patch.object(live_fold, "CHECKPOINT_EVERY", every), patch.object(live_fold, "MAX_CHECKPOINTS", 6):
        fold = LiveFold(protocol, kept)
        for n, record in enumerate(records):
            kept.add(record)
            fold.add(record)
            corrected = record.kind in ("void", "amend") or (n and record.t < records[n - 1].t)
            if corrected or n == len(records) - 1:
                expected = fresh(records[: n + 1], lambda: Engine(protocol))
                assert engine_facts(fold._engine) == engine_facts(expected), f"after seq {record.seq}"
                checked += 1
    assert checked >= 20  # the corrections were there, and refolded
    assert fold._checkpoints  # and refolded from copies, not from scratch


EDITIONS = {
    "2": (lambda: Engine(load_protocol()), lambda: list(scenario_lines(600, at=START, seed=2))),
    "1": (
        lambda: first_engine.Engine(first_protocol.load_protocol()),
        lambda: list(scenario_lines(600, at=START, seed=2)),
    ),
}


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_a_copy_at_any_position_folds_on_as_the_original(edition: str) -> None:
    """Both editions: an engine copied after any prefix of the timeline, then given the rest (and a live
    advance past the end), holds what a fold from scratch holds, and the original is left as it was."""
    make, lines = EDITIONS[edition]
    timeline = effective(to_records(lines(), START))
    whole = fresh(timeline, make)
    engine = make()
    for i, record in enumerate(timeline):
        if i % 37 == 5:
            before = engine_facts(engine)
            copy = engine.copy()
            for rest in timeline[i:]:
                copy.apply(rest)
            assert engine_facts(copy) == engine_facts(whole), f"copied after {i} events"
            assert engine_facts(engine) == before  # the copy shares nothing it changes
            later = copy.copy()
            assert later.advance(math.inf) == whole.copy().advance(math.inf)
        engine.apply(record)
    assert engine_facts(engine) == engine_facts(whole)
