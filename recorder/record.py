"""code_record(session): the CodeRecord every export reads, with what the engine's fold knew along the way."""

from collections.abc import Iterable
from datetime import tzinfo

from recorder.code_views import RecordsView, TimelineView
from recorder.engine import State
from recorder.session import Session
from schemas.code_record import ArrestPeriod, CodeRecord, DoseTotal, LineFacts
from schemas.events import CodeEnded, CodeStarted, DrugGiven
from schemas.records import EventRecord


def code_record(session: Session) -> CodeRecord:
    """One code as data: raw events, effective timeline, flags, and the lines, arrests and totals the fold gives."""
    # Views, not lists: each pass over them reads a long code back from the store a page at a time, so an
    # export of a million-event code holds what it aggregates, not the code (issue 11).
    records, timeline = RecordsView(session), TimelineView(session)
    first = session.records[0]
    started = first.event
    assert isinstance(started, CodeStarted)
    # The code's own offset when its start was pinned; otherwise the zone the recorder runs in.
    zone: tzinfo | None = started.at.tzinfo if started.at is not None else None
    state, confirmed_t, totals = _fold(session, timeline)
    ended = next((r.event for r in timeline.of("code_ended") if isinstance(r.event, CodeEnded)), None)
    info = session.store.code(session.code_id)
    assert info is not None  # Session.read found it
    return CodeRecord(
        code_id=session.code_id,
        audit_id=info.audit_id,
        head_hash=session.store.hash_at(session.code_id, len(session.records)),
        start=first.occurred_at.astimezone(zone),
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
        dose_totals=totals,
    )


def _fold(session: Session, timeline: Iterable[EventRecord]) -> tuple[State, dict[str, float], list[DoseTotal]]:
    """The engine's state over the timeline, noting when each IO line became confirmed and each running total.

    The state keeps only the present; these two need the moment things changed, so we watch as we fold.
    """
    state = State(session.protocol)
    confirmed_t: dict[str, float] = {}
    totals: list[DoseTotal] = []
    for record in timeline:
        event = record.event
        before = state.totals.get(event.drug) if isinstance(event, DrugGiven) else None
        state.apply(record)
        for line in state.lines.values():
            if line.status == "confirmed" and line.id not in confirmed_t:
                confirmed_t[line.id] = record.t
        if isinstance(event, DrugGiven):
            after, unit = state.totals.get(event.drug), session.protocol.drug_unit(event.drug)
            # The engine adds a dose only when it can convert it to the table's unit.
            if after is not None and after != before and unit is not None:
                totals.append(DoseTotal(seq=record.seq, total=after, unit=unit))
    return state, confirmed_t, totals
