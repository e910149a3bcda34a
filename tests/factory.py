"""Codes for the tests, the benchmarks and the reliability harness: the one place that makes them.

- `SAMPLES`: one valid example of every event kind, in an order that makes a valid code.
- `scenario(n)` / `iter_scenario(n)`: a long, realistic resuscitation repeated in blocks of 100 events
  (the benchmarks' workload; streamed in constant memory), `scenario_lines(n)` parsed as replay does.
- `random_scenario(n, seed)`: a long seeded random walk (non-ASCII notes, voids and amends) for the
  crash, corruption and fuzz harness; `write_random_scenario` writes one to a file.
- `codes()`: a hypothesis strategy for valid codes, lines and record keeping included.
- `jsonl(events)`: events as a scenario file; `record(db, events)` stores a code through the session
  with a clock moved as a scribe types; `read(db, code_id)` its CodeRecord; `make_database(db, text)`
  a database holding a scenario's code.

Imported by the benchmarks, which run as scripts from the repository root, so everything heavy (the
recorder, hypothesis) is imported inside the function that needs it: importing this costs nothing.
"""

import atexit
import json
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemas.code_record import CodeRecord

# ── one of every kind ────────────────────────────────────────────────────

SAMPLES: list[dict] = [
    {
        "kind": "code_started",
        "t": 0,
        "at": "2026-03-02T14:05:00+01:00",
        "arrest": True,
        "setting": "ed",
        "patient": {
            "age_years": 2,
            "age_months": 3,
            "weight_kg": 12,
            "weight_source": "length_tape",
            "sex": "female",
            "name": "Test Child",
            "mrn": "MRN0001",
            "dob": "2024-01-01",
            "conditions": ["coagulopathy"],
        },
    },
    {"kind": "patient_updated", "t": 5, "patient": {"weight_kg": 12.5, "weight_source": "measured"}},
    {"kind": "finding", "t": 6, "finding": "fracture", "bone": "femur", "side": "left"},
    {"kind": "finding", "t": 7, "finding": "recent_io", "bone": "tibia", "side": "right", "hours_ago": 30},
    {"kind": "responsiveness", "t": 8, "responsive": False},
    {"kind": "rhythm", "t": 10, "rhythm": "asystole"},
    {"kind": "cpr_started", "t": 12},
    {
        "kind": "io_attempt",
        "t": 35,
        "line": "io1",
        "site": "proximal_tibia",
        "side": "left",
        "device": "ez_io",
        "needle_mm": 15,
        "by": "RN Smith",
    },
    {"kind": "io_result", "t": 50, "line": "io1", "result": "in"},
    {"kind": "aspiration", "t": 52, "line": "io1", "marrow": True},
    {"kind": "sample", "t": 53, "line": "io1", "tests": ["crossmatch", "glucose"], "labelled_io": True},
    {"kind": "flush", "t": 55, "line": "io1", "volume_ml": 5, "easy": True, "extravasation": False},
    {"kind": "iv_attempt", "t": 56, "line": "iv1", "site": "left hand", "side": "left", "result": "failed"},
    {"kind": "uvc_attempt", "t": 57, "line": "uvc1", "result": "failed"},
    {
        "kind": "drug",
        "t": 60,
        "drug": "epinephrine",
        "dose": 0.12,
        "unit": "mg",
        "line": "io1",
        "concentration": "0.1 mg/mL",
        "purpose": "arrest",
    },
    {"kind": "drug", "t": 61, "drug": "other", "name": "vasopressin", "dose": 4, "unit": "units", "line": "io1"},
    {"kind": "drug", "t": 62, "drug": "naloxone", "dose": 0.4, "unit": "mg", "route": "in"},
    {"kind": "fluid", "t": 70, "fluid": "saline", "volume_ml": 120, "line": "io1", "method": "push"},
    {
        "kind": "infusion_started",
        "t": 80,
        "infusion": "inf1",
        "drug": "epinephrine",
        "rate": 0.1,
        "rate_unit": "mcg/kg/min",
        "line": "io1",
        "method": "syringe_driver",
    },
    {"kind": "infusion_changed", "t": 90, "infusion": "inf1", "rate": 0.2},
    {"kind": "vitals", "t": 95, "sbp": 80, "map": 55, "hr": 140, "spo2": 94},
    {"kind": "shock", "t": 100, "joules": 50},
    {"kind": "cpr_stopped", "t": 110},
    {"kind": "rosc", "t": 120},
    {"kind": "arrest", "t": 130},
    {"kind": "infusion_stopped", "t": 140, "infusion": "inf1"},
    {"kind": "complication", "t": 150, "line": "io1", "complication": "swelling"},
    {"kind": "line_removed", "t": 160, "line": "io1", "pressure_held": True},
    {"kind": "note", "t": 170, "text": "Parents arrived"},
    {"kind": "void", "t": 171, "target": 17, "reason": "wrong patient"},
    {"kind": "amend", "t": 172, "target": 16, "changes": {"dose": 2}, "reason": "was 2 units"},
    {"kind": "acknowledge", "t": 173, "rule": "DRUG_NOT_FLUSHED", "target": 15, "reason": "flushed, not logged"},
    {"kind": "code_ended", "t": 180, "outcome": "rosc"},
]


# ── a long realistic code (the benchmarks' workload) ─────────────────────

CYCLE = 100  # events in one repeating block of the scenario
STEP = 2.5  # seconds of code time between two events
BLOCK_SITES = [
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
            site, side = BLOCK_SITES[(lines + seed) % len(BLOCK_SITES)]
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


def scenario_lines(n: int, at: datetime | None = None, seed: int = 0):
    """The scenario parsed and checked as `recorder replay` does before it stores anything."""
    from recorder.core.scenario import parse_lines
    from recorder.engine import RULES

    return parse_lines(jsonl(scenario(n, at, seed)), "bench", known_rules=RULES)


def started_ago(n: int) -> datetime:
    """A start time that puts the whole of an `n`-event scenario in the past (to resume it live)."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=n * STEP + 600)


# ── a long seeded random walk (the reliability harness) ─────────────────

START_AT = "2026-03-02T14:05:00+00:00"

_SITES = ["proximal_tibia", "distal_tibia", "distal_femur", "proximal_humerus", "iliac_crest", "calcaneus", "sternum"]
_RHYTHMS = ["asystole", "pea", "vf", "pvt", "sinus", "bradycardia", "svt"]
_NOTES = [
    "Parents arrived",
    "Père arrivé — attend dehors",
    "母亲在场",
    "Team leader: Dr O'Neill; compressions swapped",
    'ETT 5.0 cuffed, "grade 1" view',
    "Glucose 2.1 mmol/L on the POC meter",
    "Handover to PICU retrieval team 🚑",
]


def random_scenario(
    n_events: int = 3000, seed: int = 0, record_keeping: float = 0.01, at: str | None = START_AT
) -> list[dict[str, Any]]:
    """A valid code of exactly `n_events` events (the first code_started, the last code_ended).

    `record_keeping` is the share of voids and amends (of earlier notes), at most 0.06. `at` pins
    the start on the wall clock; None leaves it to the replay's clock, as a live code starts now.
    """
    if not 0 <= record_keeping <= 0.06:
        raise ValueError("record_keeping is a share between 0 and 0.06")
    if n_events < 2:
        raise ValueError("a code needs at least code_started and code_ended")
    rng = random.Random(seed)
    events: list[dict[str, Any]] = [
        {
            "t": 0,
            "kind": "code_started",
            **({"at": at} if at else {}),
            "arrest": True,
            "setting": "ed",
            "patient": {"age_years": 7, "weight_kg": 24.5, "weight_source": "length_tape"},
        }
    ]
    t = 0.0
    io_n = iv_n = 0
    usable: list[str] = []
    notes: list[int] = []  # seqs of notes that can still be voided or amended
    cpr = False

    def add(kind: str, **fields: Any) -> int:
        nonlocal t
        t = round(t + rng.uniform(0.2, 4.0), 6)
        events.append({"t": t, "kind": kind, **fields})
        return len(events)  # its seq

    while len(events) < n_events - 1:
        room = n_events - 1 - len(events)
        roll = rng.random()
        if roll < 0.15:
            seq = add("note", text=f"{rng.choice(_NOTES)} (#{len(events) + 1})")
            notes.append(seq)
        elif roll < 0.25:
            add("rhythm", rhythm=rng.choice(_RHYTHMS))
        elif roll < 0.37:
            add("vitals", hr=rng.randint(30, 220), spo2=round(rng.uniform(60, 100), 1), sbp=rng.randint(40, 140))
        elif roll < 0.50 and room >= 3 and io_n < 9999:
            io_n += 1
            line = f"io{io_n}"
            site = rng.choice(_SITES)
            side = {} if site == "sternum" else {"side": rng.choice(["left", "right"])}
            add("io_attempt", line=line, site=site, device=rng.choice(["ez_io", "manual", "fast1"]), **side)
            if rng.random() < 0.75:
                add("io_result", line=line, result="in")
                add("aspiration", line=line, marrow=rng.random() < 0.8)
                usable.append(line)
            else:
                add("io_result", line=line, result="failed", reason="through and through")
        elif roll < 0.55 and iv_n < 9999:
            iv_n += 1
            result = rng.choice(["in", "failed"])
            add("iv_attempt", line=f"iv{iv_n}", site="left hand", side="left", result=result)
            if result == "in":
                usable.append(f"iv{iv_n}")
        elif roll < 0.67 and usable:
            add("flush", line=rng.choice(usable), volume_ml=rng.choice([2, 3, 5, 10]))
        elif roll < 0.80 and usable:
            add("drug", drug="epinephrine", dose=0.24, unit="mg", line=rng.choice(usable), concentration="0.1 mg/mL")
        elif roll < 0.83:
            add("drug", drug="naloxone", dose=0.4, unit="mg", route="in")
        elif roll < 0.87 and usable:
            add("fluid", fluid="saline", volume_ml=rng.choice([100, 200, 480]), line=rng.choice(usable), method="push")
        elif roll < 0.90:
            add("shock", joules=rng.choice([50, 100]))
        elif roll < 0.94:
            add("cpr_stopped" if cpr else "cpr_started")
            cpr = not cpr
        elif roll < 0.94 + record_keeping / 2 and notes:
            target = notes.pop(rng.randrange(len(notes)))
            add("void", target=target, reason="entered on the wrong code")
        elif roll < 0.94 + record_keeping and notes:
            target = rng.choice(notes)
            add("amend", target=target, changes={"text": f"corrected note {target}"}, reason="typo")
        else:
            seq = add("note", text=f"note #{len(events) + 1}")
            notes.append(seq)
    add("code_ended", outcome="rosc")
    return events


def write_random_scenario(
    path: str | Path, n_events: int = 3000, seed: int = 0, record_keeping: float = 0.01, at: str | None = START_AT
) -> list[dict[str, Any]]:
    """Write a long scenario to `path` and return its events."""
    events = random_scenario(n_events, seed, record_keeping, at)
    Path(path).write_text(jsonl(events), encoding="utf-8")
    return events


def jsonl(events: list[dict[str, Any]]) -> str:
    """Events as a scenario file: one JSON object per line, UTF-8 as written (non-ASCII kept)."""
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)


# ── generated codes (hypothesis) ─────────────────────────────────────────


def codes(max_steps: int = 40, record_keeping: bool = True) -> Any:
    """A hypothesis strategy for a valid code: code_started, then bedside events (and voids/amends) on
    lines that exist. Built when asked for: the benchmarks import this module without hypothesis."""
    from hypothesis import strategies as st

    from schemas.vocabulary import DRUGS, SITES

    WEIGHTS = st.one_of(st.none(), st.sampled_from([0.8, 2.5, 3.5, 9, 12, 25, 39.5, 40, 70]))
    AGES = st.one_of(st.none(), st.sampled_from([0.01, 0.5, 1, 2, 8, 12, 13, 17.9, 18, 45, 80]))
    DOSES = st.sampled_from([0.01, 0.1, 0.12, 0.5, 1, 2, 5, 10, 25, 50, 150, 300, 1000])
    UNITS = st.sampled_from(["mg", "mcg", "g", "mEq", "mL"])
    # The second edition's new rules read these (rhythms, routes, rates; RHYTHMS as events.md lists them).
    RHYTHMS = ["asystole", "pea", "vf", "pvt", "sinus", "bradycardia", "svt", "other"]
    ROUTES = st.sampled_from(["et", "im", "in", "sc", "po"])
    RATE_UNITS = ["mcg/kg/min", "mcg/kg/min", "mcg/min", "mg/kg/h", "mL/h"]
    INFUSED = [
        "epinephrine",
        "norepinephrine",
        "amiodarone",
        "dopamine",
        "milrinone",
        "lidocaine",
        "potassium_chloride",
    ]
    GAPS = st.sampled_from([0, 1, 5, 20, 29, 31, 60, 100, 179, 181, 299, 301, 900, 86_400])

    @st.composite
    def code(draw: Any) -> list[dict]:
        patient = {}
        age, weight = draw(AGES), draw(WEIGHTS)
        if age is not None:
            patient["age_years"] = age
        if weight is not None:
            patient["weight_kg"] = weight
        events: list[dict] = [
            {
                "t": 0,
                "kind": "code_started",
                "arrest": draw(st.booleans()),
                "patient": patient,
                "at": "2026-03-02T14:05:00+00:00",
            }
        ]
        lines: list[str] = []
        infusions: list[str] = []
        counts = {"io": 0, "iv": 0}
        t = 0.0
        for _ in range(draw(st.integers(1, max_steps))):
            t += draw(GAPS)
            when = t
            if draw(st.integers(0, 9)) == 0:
                when = max(0.0, t - draw(st.sampled_from([1, 10, 30, 120])))  # a late entry
            options = [
                "io",
                "iv",
                "rhythm",
                "arrest_state",
                "shock",
                "shock",
                "finding",
                "responsive",
                "vitals",
                "note",
            ]
            if not lines:
                options += ["route_drug"]
            if lines:
                options += [
                    "result",
                    "aspiration",
                    "flush",
                    "flush",
                    "drug",
                    "drug",
                    "drug",
                    "fluid",
                    "infusion",
                    "route_drug",
                    "sample",
                    "removed",
                    "complication",
                ]
            if infusions:
                options += ["rate"]
            bedside = [i for i, e in enumerate(events, 1) if e["kind"] not in ("code_started", "void", "amend")]
            if record_keeping and bedside:
                options += ["void", "amend"]
            what = draw(st.sampled_from(options))
            line = draw(st.sampled_from(lines)) if lines else None
            io_lines = [x for x in lines if x.startswith("io")]
            if what == "io":
                counts["io"] += 1
                site = draw(st.sampled_from(SITES))
                ev = {
                    "kind": "io_attempt",
                    "line": f"io{counts['io']}",
                    "site": site,
                    "device": draw(st.sampled_from(["ez_io", "manual", "big_paediatric", "big_adult", "fast1"])),
                    "needle_mm": draw(st.sampled_from([15, 25, 45])),
                }
                if site != "sternum":
                    ev["side"] = draw(st.sampled_from(["left", "right"]))
                lines.append(ev["line"])
            elif what == "iv":
                counts["iv"] += 1
                ev = {
                    "kind": "iv_attempt",
                    "line": f"iv{counts['iv']}",
                    "result": draw(st.sampled_from(["in", "failed"])),
                }
                lines.append(ev["line"])
            elif what == "rhythm":
                ev = {"kind": "rhythm", "rhythm": draw(st.sampled_from(RHYTHMS))}
            elif what == "arrest_state":
                ev = {"kind": draw(st.sampled_from(["rosc", "arrest", "cpr_started", "cpr_stopped", "cpr_stopped"]))}
            elif what == "shock":
                ev = {"kind": "shock"}
                if draw(st.booleans()):
                    ev["joules"] = draw(st.sampled_from([4, 10, 20, 40, 50, 100, 200, 360]))
                if draw(st.integers(0, 3)) == 0:
                    ev["synchronized"] = draw(st.booleans())
            elif what == "finding":
                ev = {
                    "kind": "finding",
                    "finding": draw(st.sampled_from(["fracture", "recent_io", "burn", "vascular_injury"])),
                    "bone": draw(st.sampled_from(["tibia", "femur", "humerus", "pelvis"])),
                    "side": draw(st.sampled_from(["left", "right"])),
                }
            elif what == "responsive":
                ev = {"kind": "responsiveness", "responsive": draw(st.booleans())}
            elif what == "vitals":
                ev = {"kind": "vitals", "sbp": 80}
            elif what == "note":
                ev = {"kind": "note", "text": "note"}
            elif what == "result" and io_lines:
                ev = {
                    "kind": "io_result",
                    "line": draw(st.sampled_from(io_lines)),
                    "result": draw(st.sampled_from(["in", "in", "failed"])),
                }
            elif what == "aspiration" and io_lines:
                ev = {"kind": "aspiration", "line": draw(st.sampled_from(io_lines)), "marrow": draw(st.booleans())}
            elif what == "flush":
                ev = {
                    "kind": "flush",
                    "line": line,
                    "volume_ml": draw(st.sampled_from([0.5, 2, 3, 5, 10])),
                    "easy": draw(st.sampled_from([True, True, True, False])),
                }
            elif what == "drug":
                drug = draw(st.sampled_from(DRUGS))
                ev = {"kind": "drug", "drug": drug, "dose": draw(DOSES), "unit": draw(UNITS), "line": line}
                if drug == "other":
                    ev["name"] = "vasopressin"
                if draw(st.booleans()):
                    ev["concentration"] = draw(st.sampled_from(["8.4%", "4.2%", "10%", "50%", "0.1 mg/mL"]))
                if drug == "lidocaine" and draw(st.booleans()):
                    ev["purpose"] = "io_analgesia"
            elif what == "route_drug":
                drug = draw(st.sampled_from(DRUGS))
                ev = {"kind": "drug", "drug": drug, "dose": draw(DOSES), "unit": draw(UNITS), "route": draw(ROUTES)}
                if drug == "other":
                    ev["name"] = "vasopressin"
            elif what == "fluid":
                ev = {
                    "kind": "fluid",
                    "fluid": draw(st.sampled_from(["saline", "saline", "dextrose_10"])),
                    "volume_ml": draw(st.sampled_from([20, 50, 100, 200, 500])),
                    "line": line,
                    "method": draw(st.sampled_from(["push", "gravity", "pump"])),
                }
            elif what == "infusion":
                inf = f"inf{len(infusions) + 1}"
                infusions.append(inf)
                ev = {
                    "kind": "infusion_started",
                    "infusion": inf,
                    "drug": draw(st.sampled_from(INFUSED)),
                    "rate": draw(st.sampled_from([0.1, 0.6, 2.5, 10])),
                    "rate_unit": draw(st.sampled_from(RATE_UNITS)),
                    "line": line,
                    "method": draw(st.sampled_from(["pump", "gravity"])),
                }
                if ev["rate_unit"] == "mL/h" and draw(st.booleans()):
                    ev["concentration"] = draw(st.sampled_from(["0.1 mg/mL", "16 mcg/mL"]))
                if draw(st.integers(0, 5)) == 0:  # a carrier: a fluid running on the line
                    del ev["drug"]
                    ev["fluid"] = "saline"
            elif what == "rate":
                ev = {
                    "kind": "infusion_changed",
                    "infusion": draw(st.sampled_from(infusions)),
                    "rate": draw(st.sampled_from([0.1, 1, 3])),
                }
            elif what == "sample":
                ev = {
                    "kind": "sample",
                    "line": line,
                    "tests": draw(st.sampled_from([["blood_gas"], ["fbc"], ["glucose"]])),
                    "labelled_io": draw(st.booleans()),
                }
            elif what == "removed":
                ev = {"kind": "line_removed", "line": line, "pressure_held": draw(st.booleans())}
            elif what == "complication":
                ev = {"kind": "complication", "line": line, "complication": "swelling"}
            elif what == "void":
                target = draw(st.sampled_from(bedside))
                if any(e["kind"] == "void" and e["target"] == target for e in events):
                    continue
                ev = {"kind": "void", "target": target, "reason": "mistake"}
            elif what == "amend":
                target = draw(st.sampled_from(bedside))
                if any(e["kind"] == "void" and e["target"] == target for e in events):
                    continue
                ev = {
                    "kind": "amend",
                    "target": target,
                    "reason": "time was off",
                    "changes": {"t": max(0.0, events[target - 1]["t"] + draw(st.sampled_from([-30, -5, 5, 40])))},
                }
            else:
                continue
            ev["t"] = when
            events.append(ev)
        if draw(st.integers(0, 3)) == 0:  # the code ends (nothing bedside may follow it)
            last = max(e["t"] for e in events) + 40  # past any amend's move (+40 s at most)
            events.append({"kind": "code_ended", "outcome": "transferred", "t": last + draw(GAPS)})
        return events

    return code()


# ── codes stored through the session ─────────────────────────────────────

TYPING_S = 4.0
RECORD_KEEPING = {"void", "amend", "acknowledge"}


def record(db: Path, events: list[dict[str, Any]], audit_id: str) -> int:
    """Store one code in `db`, with a pinned audit id; return its code id.

    Each event may say `entered`: the code time it was typed (default: TYPING_S after it happened; record
    keeping is typed at its own `t`). So `recorded_at` is realistic and late entries are real.
    """
    from unittest.mock import patch

    from recorder.core.clock import FakeClock
    from recorder.core.end_hooks import keep_audit_rows
    from recorder.core.session import Session
    from recorder.store import Store

    first = dict(events[0])
    start = datetime.fromisoformat(first["at"])
    clock = FakeClock(start)
    store = Store(db)
    try:
        with patch("recorder.store.database.secrets.token_hex", return_value=audit_id):
            # As the CLI and the screen record: an ended code keeps its audit rows.
            fields = {k: v for k, v in first.items() if k not in ("t", "kind")}
            session = Session.start(store, clock, on_end=keep_audit_rows, **fields)
        for raw in events[1:]:
            event = dict(raw)
            typed = event.pop("entered", event["t"] if event["kind"] in RECORD_KEEPING else event["t"] + TYPING_S)
            wait = (start + timedelta(seconds=typed) - clock.wall()).total_seconds()
            assert wait >= 0, f"{event}: typed before the event before it"
            clock.advance(wait)
            session.log(event, t=event["t"])
        return session.code_id
    finally:
        store.close()


def read(db: Path, code_id: int) -> "CodeRecord":
    """The CodeRecord every export reads, of code `code_id` in `db`."""
    from recorder.core.clock import FakeClock
    from recorder.core.code_record import build_code_record
    from recorder.core.session import Session
    from recorder.store import Store

    store = Store(db)
    try:
        session = Session.read(store, FakeClock(datetime(2030, 1, 1).astimezone()), code_id)
        return build_code_record(session)
    finally:
        store.close()


def make_database(db: Path, text: str) -> None:
    """A database holding the code of scenario `text`, written through the session and closed."""
    from recorder.core.clock import SystemClock
    from recorder.core.scenario import parse_lines
    from recorder.core.session import replay
    from recorder.store import Store

    if not db.exists():
        # A copy of an empty database made once (a new one runs every migration: ~30 ms, and the suite makes
        # thousands): the same file Store(db) would create.
        shutil.copyfile(_empty_database(), db)
    store = Store(db)
    try:
        replay(store, SystemClock(), parse_lines(text, "made.jsonl"))
    finally:
        store.close()


_EMPTY: dict[int, Path] = {}  # by process: a forked worker makes its own


def _empty_database() -> Path:
    """A new, empty database, every migration applied and closed (no -wal beside it), made once a process."""
    from recorder.store import Store, files

    made = _EMPTY.get(os.getpid())
    if made is None:
        made = Path(tempfile.mkdtemp(prefix="recorder-empty-")) / "recorder.db"
        atexit.register(shutil.rmtree, made.parent, True)
        Store(made).close()
        left = [suffix for suffix in files.COMPANIONS if files.companion(made, suffix).exists()]
        assert not left, f"an empty database left its {left} beside it"
        _EMPTY[os.getpid()] = made
    return made
