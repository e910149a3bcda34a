"""What the benchmarks share: a long realistic code, timing helpers, the machine, JSON output."""

import json
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as `python benchmarks/x.py` as well as imported: the project root must be importable.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CYCLE = 100  # events in one repeating block of the scenario
STEP = 2.5  # seconds of code time between two events
SITES = [
    ("proximal_tibia", "left"),
    ("proximal_humerus", "right"),
    ("distal_femur", "right"),
    ("proximal_tibia", "right"),
    ("proximal_humerus", "left"),
    ("distal_femur", "left"),
    ("iliac_crest", "left"),
    ("iliac_crest", "right"),
]

SECOND_DRUGS = [
    ("amiodarone", 80, "mg"),
    ("calcium_chloride", 3.2, "mL"),
    ("sodium_bicarbonate", 16, "mEq"),
    ("dextrose", 3.2, "g"),
]


def iter_scenario(n: int, at: datetime | None = None, seed: int = 0) -> Iterator[dict[str, Any]]:
    """A valid code of `n` events, as a scribe would record a long resuscitation.

    It repeats a block of 100 events (about four minutes of CPR): rhythm checks, compressions
    stopped and restarted, an adrenaline dose and its flush every block, vitals, notes, fluids and
    samples through the current IO line, and one other drug a block (amiodarone, calcium, bicarbonate
    or dextrose) with its flush. Every ten blocks the line is removed and a new IO needle
    goes in. What a scribe does between those is in it too: one entry a block is back-dated (the
    screen's `-` key: "that happened 30 s ago"), one flag a block is acknowledged, and every ten
    blocks one note is voided and one vitals reading amended. `seed` varies the numbers, not the
    shape, so every code of the audit benchmark is different but alike.

    One event at a time, holding only the last few: a million-event file is written in constant memory.
    """
    at = at or datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    # The events not yet handed out, and the count handed out before them (seq = count + index + 1).
    events: list[dict[str, Any]] = [
        {
            "t": 0,
            "kind": "code_started",
            "at": at.isoformat(),
            "arrest": True,
            "setting": "picu",
            "patient": {"age_years": 4, "weight_kg": 16 + seed % 7, "weight_source": "length_tape"},
        }
    ]
    done = 0
    line = None
    lines = 0
    t = 0.0
    last_note = last_vitals = last_drug = 0
    while done + len(events) < n:
        i = done + len(events)  # the seq the next event gets, less one
        pos = i % CYCLE
        block = i // CYCLE
        t += STEP
        ev: dict[str, Any]
        if line is None or (pos == 1 and block % 10 == 0):
            if line is not None:
                events.append({"kind": "line_removed", "line": line, "pressure_held": True, "t": t})
                t += STEP
            lines += 1
            site, side = SITES[(lines + seed) % len(SITES)]
            line = f"io{lines}"
            events.append(
                {"kind": "io_attempt", "line": line, "site": site, "side": side, "device": "ez_io", "needle_mm": 25}
            )
            events[-1]["t"] = t
            t += STEP
            events.append({"kind": "io_result", "line": line, "result": "in", "t": t})
            t += STEP
            ev = {"kind": "aspiration", "line": line, "marrow": True}
        elif pos == 10:
            ev = {"kind": "drug", "drug": "epinephrine", "dose": 0.16, "unit": "mg", "line": line, "purpose": "arrest"}
        elif pos == 11:
            ev = {"kind": "flush", "line": line, "volume_ml": 5}
        elif pos == 25:
            drug, dose, unit = SECOND_DRUGS[block % len(SECOND_DRUGS)]
            ev = {"kind": "drug", "drug": drug, "dose": dose, "unit": unit, "line": line}
        elif pos == 26:
            ev = {"kind": "flush", "line": line, "volume_ml": 5}
        elif pos == 30:
            # The scribe pressed `-`: this happened 30 s before it was typed.
            ev = {"kind": "fluid", "fluid": "saline", "volume_ml": 20 * (1 + seed % 3), "line": line, "method": "push"}
            ev["t"] = round(t - 30, 6)
        elif pos == 40:
            ev = {"kind": "sample", "line": line, "tests": ["blood_gas", "glucose"], "labelled_io": True}
        elif pos == 50 and last_drug:
            ev = {"kind": "acknowledge", "rule": "DRUG_NOT_FLUSHED", "target": last_drug, "reason": "flushed"}
        elif pos == 60 and block % 10 == 5 and last_note:
            ev = {"kind": "void", "target": last_note, "reason": "wrong code"}
        elif pos == 70 and block % 10 == 5 and last_vitals:
            ev = {"kind": "amend", "target": last_vitals, "changes": {"hr": 101}, "reason": "misread"}
        elif pos % 20 == 0:
            ev = {"kind": "rhythm", "rhythm": ("asystole", "pea", "vf")[(pos // 20 + block + seed) % 3]}
        elif pos % 20 == 1:
            ev = {"kind": "cpr_stopped"}
        elif pos % 20 == 2 and events[-2]["kind"] == "rhythm" and events[-2]["rhythm"] == "vf":
            ev = {"kind": "shock", "joules": 64}
        elif pos % 20 == 3:
            ev = {"kind": "cpr_started"}
        elif pos % 3 == 0:
            ev = {"kind": "vitals", "hr": 90 + (i + seed) % 40, "spo2": 80 + (i + seed) % 15}
        else:
            ev = {"kind": "note", "text": f"compressor swap {i}, capnography {18 + (i + seed) % 9} mmHg"}
        ev.setdefault("t", t)
        events.append(ev)
        seq = done + len(events)
        kind = ev["kind"]
        if kind == "note":
            last_note = seq
        elif kind == "vitals":
            last_vitals = seq
        elif kind == "drug":
            last_drug = seq
        # Hand out all but the last two (the next event looks back at them).
        while len(events) > 2 and done < n:
            yield _rounded(events.pop(0))
            done += 1
    for e in events[: n - done]:
        yield _rounded(e)


def _rounded(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "t": round(event["t"], 6)}


def scenario(n: int, at: datetime | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """The whole of `iter_scenario` as a list."""
    return list(iter_scenario(n, at, seed))


def jsonl(events: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def scenario_lines(n: int, at: datetime | None = None, seed: int = 0):
    """The scenario parsed and checked as `recorder replay` does before it stores anything."""
    from recorder.engine import RULES
    from recorder.scenario import parse_lines

    return parse_lines(jsonl(scenario(n, at, seed)), "bench", known_rules=RULES)


def started_ago(n: int) -> datetime:
    """A start time that puts the whole of an `n`-event scenario in the past (to resume it live)."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=n * STEP + 600)


def quantile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation (q = 0.5 is the median)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def median(values: list[float]) -> float:
    return statistics.median(values)


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("inf")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = "unknown"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                model = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3

    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A private temporary folder for the benchmark's databases: never the user's."""
    with tempfile.TemporaryDirectory(prefix=f"recorder-bench-{prefix}-") as d:
        yield Path(d)


def emit(result: dict[str, Any]) -> None:
    """Print one benchmark's result as JSON on stdout."""
    print(json.dumps(result, indent=2))
