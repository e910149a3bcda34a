"""A generator of long, valid scenario files (events.md) for the crash and load tests.

`long_scenario(n)` is a plausible, very long code: notes (some non-ASCII), rhythms, vitals,
IO attempts on new line ids with their results, aspirations and flushes, IV lines, drugs
through the lines and by other routes, fluids, shocks, CPR, and voids and amends of earlier
notes. It is deterministic for a given seed, and every line passes `recorder.scenario`.
"""

import json
import random
from pathlib import Path
from typing import Any

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


def long_scenario(
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


def scenario_text(events: list[dict[str, Any]]) -> str:
    """Events as a scenario file: one JSON object per line, UTF-8."""
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)


def write_scenario(
    path: str | Path, n_events: int = 3000, seed: int = 0, record_keeping: float = 0.01, at: str | None = START_AT
) -> list[dict[str, Any]]:
    """Write a long scenario to `path` and return its events."""
    events = long_scenario(n_events, seed, record_keeping, at)
    Path(path).write_text(scenario_text(events), encoding="utf-8")
    return events
