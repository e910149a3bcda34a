"""build_code_record(session): the CodeRecord every export reads, with what the engine's fold knew along the way."""

from recorder.core.code_views import RecordsView, TimelineView
from recorder.core.session import Session
from schemas.code_record import ArrestPeriod, CodeRecord, EventList, LineFacts
from schemas.events import CodeEnded, CodeStarted


def build_code_record(session: Session) -> CodeRecord:
    """One code as data: raw events, effective timeline, flags, and what the fold gives: the lines, arrests,
    totals, flushes, the weight at each moment and the first epinephrine bolus."""
    # Views, not lists: each pass over them reads a long code back from the store a page at a time, so an
    # export of a million-event code holds what it aggregates, not the code (issue 11).
    records = RecordsView(session)
    # A timeline the fold holds anyway (a code of ordinary length) is handed on as the list it is: the exports go
    # through it a dozen times and pick their kinds from it in C (EventList), where the view would step each pass
    # through a generator (and looking for the end below would go through it once more).
    timeline = EventList(session.timeline()) if session.fold.timeline_held else TimelineView(session)
    first = session.records[0]
    started = first.event
    assert isinstance(started, CodeStarted)
    # The session's own fold of the code: its state now, and what it noted as it folded (not a second fold).
    fold = session.fold
    state, confirmed_t = fold.state, fold.confirmed_t
    ended = next((r.event for r in timeline.of("code_ended") if isinstance(r.event, CodeEnded)), None)
    info = session.store.code(session.code_id)
    assert info is not None  # Session.read found it
    return CodeRecord(
        code_id=session.code_id,
        audit_id=info.audit_id,
        head_hash=session.store.hash_at(session.code_id, len(session.records)),
        start=session.started_at,
        patient=state.patient,
        setting=state.setting,
        arrest=started.arrest,
        outcome=ended.outcome if ended else None,
        records=records,
        timeline=timeline,
        flags=session.flags(),
        rules_edition=session.rules_edition,
        withdrawn_flags=session.withdrawn_flags(),
        lines=[
            LineFacts(
                line=line.id,
                kind=line.kind,
                seq=line.seq,
                attempt_t=line.t,
                in_t=line.in_t,
                confirmed_t=confirmed_t.get(line.id),
                failed_t=line.failed_t,
                failed_why=line.failed_why,
                removed_t=line.removed_t,
                status=line.status,
            )
            for line in state.lines.values()
        ],
        arrests=[ArrestPeriod(seq=a.seq, t=a.t, ended_t=a.ended_t, first_rhythm=a.first_rhythm) for a in state.arrests],
        dose_totals=fold.dose_totals,
        flushes=fold.flushes,
        patient_at=fold.patient_at,
        first_epinephrine_t=fold.first_epinephrine_t,
    )
