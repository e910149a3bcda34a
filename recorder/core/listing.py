"""One line per code, as `recorder list` and the screen's code list show it."""

from typing import Any

from recorder.core.clock import Clock
from recorder.core.session import Session
from recorder.engine import Protocol
from recorder.store import Store
from schemas.events import CodeEnded, CodeStarted, PatientUpdated
from schemas.patient import Patient, age_band
from schemas.vocabulary import SEVERITIES


def code_row(store: Store, clock: Clock, protocol: Protocol, code_id: int) -> dict[str, Any]:
    """id, start (local, with offset), duration, age band, status, event and flag counts."""
    session = Session.read(store, clock, code_id, protocol)
    patient, ended = Patient(), None
    for record in session.iter_timeline():  # a page at a time: a long code is not held whole
        if isinstance(record.event, CodeStarted | PatientUpdated):
            patient = patient.merged(record.event.patient)
        elif record.kind == "code_ended" and ended is None:
            ended = record
    flags = session.flags()
    start = session.started_at
    return {
        "code": code_id,
        "start": start.isoformat(timespec="seconds"),
        "duration_s": ended.t if ended else None,
        "age_band": age_band(patient.age),
        "status": f"ended ({ended.typed(CodeEnded).outcome})" if ended else "open",
        "events": len(session.records),
        "flags": {sev: sum(1 for f in flags if f.severity == sev) for sev in SEVERITIES},
    }


def code_rows(store: Store, clock: Clock, protocol: Protocol) -> list[dict[str, Any]]:
    """Every code that has at least its start recorded, oldest first."""
    return [code_row(store, clock, protocol, info.id) for info in store.codes() if info.events]
