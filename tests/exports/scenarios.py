"""Fixed codes for the export tests, recorded through the session with a clock moved as a scribe would type.

Each event may say `entered`: the code time it was typed (default: 4 s after it happened; record
keeping is typed at its own `t`). So `recorded_at` is realistic and late entries are real.
"""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from recorder.clock import FakeClock
from recorder.end_hooks import keep_audit_rows
from recorder.record import code_record
from recorder.session import Session
from recorder.store import Store
from schemas.code_record import CodeRecord

TYPING_S = 4.0
RECORD_KEEPING = {"void", "amend", "acknowledge"}


def record(db: Path, events: list[dict[str, Any]], audit_id: str) -> int:
    """Store one code in `db`, with a pinned audit id; return its code id."""
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


def read(db: Path, code_id: int) -> CodeRecord:
    store = Store(db)
    try:
        session = Session.read(store, FakeClock(datetime(2030, 1, 1).astimezone()), code_id)
        return code_record(session)
    finally:
        store.close()


def child_record(db: Path) -> CodeRecord:
    return read(db, record(db, CHILD, "c41d0000000000a1"))


def adult_record(db: Path) -> CodeRecord:
    return read(db, record(db, ADULT, "ad0170000000000b"))


def new_rules_record(db: Path) -> CodeRecord:
    return read(db, record(db, NEW_RULES, "2ed0000000000c13"))


# (a) A 4-year-old in asystole then VF: IV fails, the first IO goes through and through, the second
# goes into the same tibia (REPEAT_SAME_BONE), amiodarone and dextrose left unflushed, a tenfold
# adrenaline typed and voided, ROSC amended to the monitor's time. 3 lines, 12 drugs, 5 flags.
CHILD: list[dict[str, Any]] = [
    {
        "t": 0,
        "kind": "code_started",
        "at": "2026-03-02T14:05:00+01:00",
        "arrest": True,
        "setting": "ed",
        "patient": {"age_years": 4, "weight_kg": 16, "weight_source": "length_tape"},
    },
    {"t": 40, "kind": "iv_attempt", "line": "iv1", "site": "left hand", "side": "left", "result": "failed"},
    {
        "t": 75,
        "kind": "io_attempt",
        "line": "io1",
        "site": "proximal_tibia",
        "side": "left",
        "device": "ez_io",
        "needle_mm": 15,
        "by": "RN Jones",
    },
    {"t": 15, "kind": "rhythm", "rhythm": "asystole", "entered": 80},
    {"t": 20, "kind": "cpr_started", "entered": 81},
    {
        "t": 30,
        "kind": "patient_updated",
        "patient": {"name": "Ada Example", "mrn": "MRN-4411", "sex": "female", "dob": "2021-11-20"},
        "entered": 82,
    },
    {"t": 90, "kind": "io_result", "line": "io1", "result": "failed", "reason": "through and through"},
    {"t": 100, "kind": "line_removed", "line": "io1", "pressure_held": False},
    {
        "t": 110,
        "kind": "io_attempt",
        "line": "io2",
        "site": "distal_tibia",
        "side": "left",
        "device": "ez_io",
        "needle_mm": 15,
        "by": "Dr Smith",
    },
    {"t": 125, "kind": "io_result", "line": "io2", "result": "in"},
    {"t": 130, "kind": "aspiration", "line": "io2", "marrow": True},
    {"t": 132, "kind": "sample", "line": "io2", "tests": ["crossmatch", "glucose"], "labelled_io": True},
    {"t": 135, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 150, "kind": "drug", "drug": "epinephrine", "dose": 0.16, "unit": "mg", "line": "io2"},
    {"t": 158, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 200, "kind": "fluid", "fluid": "saline", "volume_ml": 320, "line": "io2", "method": "pressure_bag"},
    {"t": 240, "kind": "rhythm", "rhythm": "vf"},
    {"t": 245, "kind": "shock", "joules": 64},
    {"t": 360, "kind": "drug", "drug": "epinephrine", "dose": 0.16, "unit": "mg", "line": "io2"},
    {"t": 366, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 370, "kind": "shock", "joules": 64},
    {"t": 400, "kind": "drug", "drug": "amiodarone", "dose": 80, "unit": "mg", "line": "io2"},
    {"t": 480, "kind": "shock", "joules": 64},
    {"t": 540, "kind": "drug", "drug": "lidocaine", "dose": 16, "unit": "mg", "line": "io2"},
    {"t": 545, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 570, "kind": "drug", "drug": "epinephrine", "dose": 1.6, "unit": "mg", "line": "io2"},
    {"t": 577, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 600, "kind": "void", "target": 26, "reason": "typed 1.6 for 0.16"},
    {"t": 570, "kind": "drug", "drug": "epinephrine", "dose": 0.16, "unit": "mg", "line": "io2", "entered": 602},
    {"t": 610, "kind": "drug", "drug": "amiodarone", "dose": 80, "unit": "mg", "line": "io2"},
    {"t": 615, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 700, "kind": "drug", "drug": "calcium_chloride", "dose": 320, "unit": "mg", "line": "io2"},
    {"t": 706, "kind": "flush", "line": "io2", "volume_ml": 5},
    {
        "t": 720,
        "kind": "drug",
        "drug": "sodium_bicarbonate",
        "dose": 16,
        "unit": "mEq",
        "line": "io2",
        "concentration": "8.4%",
    },
    {"t": 726, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 900, "kind": "drug", "drug": "epinephrine", "dose": 0.16, "unit": "mg", "line": "io2"},
    {"t": 905, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 960, "kind": "drug", "drug": "dextrose", "dose": 8, "unit": "g", "line": "io2", "concentration": "10%"},
    {"t": 1080, "kind": "rosc"},
    {"t": 1100, "kind": "amend", "target": 39, "changes": {"t": 1050}, "reason": "monitor shows ROSC at 14:22:30"},
    {"t": 1110, "kind": "vitals", "sbp": 85, "dbp": 50, "hr": 132, "spo2": 96},
    {"t": 1120, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 1140, "kind": "drug", "drug": "other", "name": "midazolam", "dose": 1.6, "unit": "mg", "line": "io2"},
    {"t": 1146, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 1150, "kind": "fluid", "fluid": "saline", "volume_ml": 160, "line": "io2", "method": "syringe_driver"},
    {"t": 1170, "kind": "drug", "drug": "other", "name": "rocuronium", "dose": 16, "unit": "mg", "line": "io2"},
    {"t": 1176, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 1180, "kind": "note", "text": "Mother present, told by Dr Smith"},
    {
        "t": 1190,
        "kind": "acknowledge",
        "rule": "REPEAT_SAME_BONE",
        "target": 9,
        "reason": "only site the team could reach",
    },
    {"t": 1200, "kind": "code_ended", "outcome": "rosc"},
]

# (b) A 58-year-old on the ward in PEA then VF, all through a peripheral IV after one failed attempt.
ADULT: list[dict[str, Any]] = [
    {
        "t": 0,
        "kind": "code_started",
        "at": "2026-07-14T03:12:00-04:00",
        "arrest": True,
        "setting": "ward",
        "patient": {"age_years": 58, "weight_kg": 82, "weight_source": "stated", "sex": "male"},
    },
    {"t": 10, "kind": "cpr_started"},
    {"t": 25, "kind": "rhythm", "rhythm": "pea"},
    {
        "t": 60,
        "kind": "iv_attempt",
        "line": "iv1",
        "site": "right antecubital fossa",
        "side": "right",
        "result": "failed",
    },
    {"t": 110, "kind": "iv_attempt", "line": "iv2", "site": "left forearm", "side": "left", "result": "in"},
    {"t": 130, "kind": "drug", "drug": "epinephrine", "dose": 1, "unit": "mg", "line": "iv2"},
    {"t": 135, "kind": "flush", "line": "iv2", "volume_ml": 20},
    {"t": 250, "kind": "rhythm", "rhythm": "vf"},
    {"t": 255, "kind": "shock", "joules": 200},
    {"t": 340, "kind": "drug", "drug": "epinephrine", "dose": 1, "unit": "mg", "line": "iv2"},
    {"t": 344, "kind": "flush", "line": "iv2", "volume_ml": 20},
    {"t": 375, "kind": "shock", "joules": 200},
    {"t": 380, "kind": "drug", "drug": "amiodarone", "dose": 300, "unit": "mg", "line": "iv2"},
    {"t": 385, "kind": "flush", "line": "iv2", "volume_ml": 20},
    {"t": 500, "kind": "shock", "joules": 200},
    {"t": 560, "kind": "rosc"},
    {"t": 570, "kind": "cpr_stopped"},
    {"t": 600, "kind": "vitals", "sbp": 96, "map": 70, "hr": 104, "spo2": 94},
    {"t": 620, "kind": "fluid", "fluid": "lactated_ringers", "volume_ml": 500, "line": "iv2", "method": "pressure_bag"},
    {"t": 900, "kind": "code_ended", "outcome": "transferred"},
]


# (c) The second edition's ten new rules, each raised once, in a 3-year-old whose weight is unknown at
# first (a dose checked by the ceiling only), then 14 kg by the length tape: a shock into asystole, a
# 20 s CPR pause, VF shocked 130 s late at 21 J/kg, a 4th shock with no antiarrhythmic, an adrenaline
# infusion at 3 mcg/kg/min on io1 and a bolus into it, ET amiodarone, 28.6 mL/kg of saline, io1 still
# in at the end. The code's offset is UTC-04:00: IO_IN_AT_END gives its remove-by time in it.
NEW_RULES: list[dict[str, Any]] = [
    {
        "t": 0,
        "kind": "code_started",
        "at": "2026-05-10T09:00:00-04:00",
        "arrest": True,
        "setting": "ed",
        "patient": {"age_years": 3},
    },
    {"t": 10, "kind": "rhythm", "rhythm": "asystole"},
    {"t": 20, "kind": "iv_attempt", "line": "iv1", "site": "right antecubital", "side": "right", "result": "in"},
    # Weight unknown: only the ceiling can check this dose (10 × the max single of 1 mg).
    {"t": 30, "kind": "drug", "drug": "epinephrine", "dose": 10, "unit": "mg", "line": "iv1", "by": "RN Example"},
    {"t": 40, "kind": "shock", "joules": 50},  # into asystole
    {"t": 60, "kind": "patient_updated", "patient": {"weight_kg": 14, "weight_source": "length_tape"}},
    {"t": 70, "kind": "cpr_stopped"},
    {"t": 90, "kind": "cpr_started"},  # a 20 s pause
    {"t": 100, "kind": "rhythm", "rhythm": "vf"},
    {"t": 230, "kind": "shock", "joules": 300},  # 130 s after the VF, and 21 J/kg
    {"t": 250, "kind": "shock", "joules": 56},
    {"t": 270, "kind": "shock", "joules": 56},  # the 4th: no amiodarone or lidocaine yet
    {"t": 280, "kind": "io_attempt", "line": "io1", "site": "proximal_tibia", "side": "left", "device": "ez_io"},
    {"t": 290, "kind": "io_result", "line": "io1", "result": "in"},
    {"t": 295, "kind": "flush", "line": "io1", "volume_ml": 5},
    {
        "t": 300,
        "kind": "infusion_started",
        "infusion": "inf1",
        "drug": "epinephrine",
        "rate": 3,
        "rate_unit": "mcg/kg/min",
        "line": "io1",
        "method": "pump",
    },
    {"t": 340, "kind": "drug", "drug": "epinephrine", "dose": 0.14, "unit": "mg", "line": "io1"},
    {"t": 360, "kind": "drug", "drug": "amiodarone", "dose": 70, "unit": "mg", "route": "et"},
    {"t": 400, "kind": "fluid", "fluid": "saline", "volume_ml": 400, "line": "iv1", "method": "push"},
    {"t": 500, "kind": "rosc"},
    {"t": 900, "kind": "code_ended", "outcome": "transferred"},
]
