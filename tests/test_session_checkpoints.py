"""The session's kept state (timeline, acknowledgements, engine checkpoints) gives what a fresh fold gives."""

from datetime import UTC, datetime
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings

from recorder.core.clock import FakeClock
from recorder.core.session import Session
from recorder.engine import State, evaluate, live_fold
from recorder.engine.rulebook import DEADLINES, FOLDS
from recorder.engine.state import is_epinephrine_bolus
from recorder.engine.timeline import acknowledgements, effective
from recorder.store import Store
from schemas.events import DrugGiven, FluidGiven, Flush, InfusionStarted
from tests.factory import codes, scenario

START = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)


def fresh(session: Session) -> tuple[list, list, dict]:
    """What the session would say if it worked everything out again from its records."""
    timeline = effective(session.records)
    return timeline, evaluate(timeline, session.protocol), acknowledgements(session.records)


def facts(session: Session, timeline: list) -> tuple[dict, list]:
    """When each line first stood confirmed, and each drug's running total: a fold of a fresh State that
    looks at every line after every event (what recorder.core.code_record folded a second time to learn them)."""
    state = State(session.protocol, folds=FOLDS, deadlines=DEADLINES)
    confirmed: dict[str, float] = {}
    totals = []
    for record in timeline:
        event = record.event
        before = state.totals.get(event.drug) if isinstance(event, DrugGiven) else None
        state.apply(record)
        for line in state.lines.values():
            if line.status == "confirmed" and line.id not in confirmed:
                confirmed[line.id] = record.t
        if isinstance(event, DrugGiven):
            after, unit = state.totals.get(event.drug), session.protocol.drug_unit(event.drug)
            if after is not None and after != before and unit is not None:
                totals.append((record.seq, after, unit))
    return confirmed, totals


def exports_facts(session: Session, timeline: list) -> tuple[list, list, float | None]:
    """What the exports read besides: each drug's flush, the weight and band at each moment, the first
    epinephrine bolus, worked out from rules.md's words over the whole timeline (what exports/derive.py
    once re-decided for itself), the weight and band from a fresh State after every event."""
    state = State(session.protocol, folds=FOLDS, deadlines=DEADLINES)
    waiting: dict[str, int] = {}  # line → the drug through it still owed a flush
    flushes, moments, first_epinephrine = [], [], None
    for record in timeline:
        event = record.event
        state.apply(record)
        if isinstance(event, DrugGiven):
            if event.line is not None:
                waiting[event.line] = record.seq
            if first_epinephrine is None and is_epinephrine_bolus(event):
                first_epinephrine = record.t
        # A flush of a line: a flush, a fluid, or a carrier started on it (a carried line is flushed).
        elif isinstance(event, (Flush, FluidGiven)) or (isinstance(event, InfusionStarted) and event.carrier):
            drug = waiting.pop(event.line, None)
            if drug is not None:
                ml = None if isinstance(event, InfusionStarted) else event.volume_ml
                flushes.append((drug, record.seq, record.t, ml))
        now = (state.weight, state.band)
        if not moments or moments[-1][2:] != now:
            moments.append((record.seq, record.t, *now))
    return flushes, moments, first_epinephrine


def check(session: Session) -> None:
    timeline, flags, acks = fresh(session)
    assert session.timeline() == timeline
    assert session.fold.flags == flags
    # What the fold noted as it went, through every refold from a checkpoint, is what a fresh fold notes.
    confirmed, totals = facts(session, timeline)
    assert dict(session.fold.confirmed_t) == confirmed
    assert [(d.seq, d.total, d.unit) for d in session.fold.dose_totals] == totals
    flushes, moments, first_epinephrine = exports_facts(session, timeline)
    assert [(f.drug, f.seq, f.t, f.volume_ml) for f in session.fold.flushes] == flushes
    assert [(m.seq, m.t, m.weight_kg, m.band) for m in session.fold.patient_at] == moments
    assert session.fold.first_epinephrine_t == first_epinephrine
    assert {(f.rule, f.seq): f.reason for f in session.flags() if f.acknowledged} == {
        (f.rule, f.seq): acks[(f.rule, f.seq)] for f in flags if (f.rule, f.seq) in acks
    }


def log_all(store: Store, events: list[dict], every: int = 1) -> Session:
    first, rest = events[0], events[1:]
    session = Session.start(store, FakeClock(START), **{k: v for k, v in first.items() if k not in ("kind", "t")})
    for n, event in enumerate(rest, start=1):
        session.log({k: v for k, v in event.items() if k != "t"}, t=event["t"])
        if n % every == 0:
            check(session)
    check(session)
    return session


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codes(max_steps=60))
def test_every_event_leaves_the_session_as_a_fresh_fold_would(tmp_path_factory, events):
    store = Store(tmp_path_factory.mktemp("cp") / "r.db")
    # Checkpoints every two timeline events, so back-dated entries, voids and amends refold from them.
    try:
        # And at most four of them, so old ones are thinned out as the code grows.
        with patch.object(live_fold, "CHECKPOINT_EVERY", 2), patch.object(live_fold, "MAX_CHECKPOINTS", 4):
            log_all(store, events)
    finally:
        store.close()


def test_a_long_code_with_late_entries_voids_and_amends(store):
    # The benchmark's code: a back-dated entry every 100 events, a void and an amend every 1,000.
    session = log_all(store, scenario(1_300, at=START), every=100)
    assert session.fold._checkpoints  # the refolds started from copies
    assert max(session.fold._checkpoints) <= len(session.timeline())


def test_checkpoints_stay_few_however_long_the_code(store):
    """A copy of the engine every 128 events, each holding the whole state, grew with the square of
    the code's length (thousands of copies for a million events). Past MAX_CHECKPOINTS the older
    ones are thinned: the newest stay dense, and the session still says what a fresh fold says."""
    with patch.object(live_fold, "CHECKPOINT_EVERY", 4), patch.object(live_fold, "MAX_CHECKPOINTS", 8):
        session = log_all(store, scenario(1_300, at=START), every=100)
        kept = sorted(session.fold._checkpoints)
    assert 4 <= len(kept) <= 8
    assert kept[-1] > len(session.timeline()) - 4 * 8  # the newest are the dense ones
