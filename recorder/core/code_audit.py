"""One code's audit rows worked out from its session: only the figures the rows hold, not the whole summary."""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from exports.audit import attempt_row, flag_row, whole_s
from exports.derive import DRUG_NOT_FLUSHED, first_shock_after_shockable
from recorder.core.record_log import RecordLog
from recorder.core.session import Session
from recorder.engine.live_fold import LiveFold
from schemas.audit import AuditCode, AuditDrug, AuditExport
from schemas.code_record import DrugFlush
from schemas.events import (
    RECORD_KEEPING,
    CodeEnded,
    CodeStarted,
    ComplicationNoted,
    DrugGiven,
    Flush,
    IoAttempt,
    IoResult,
    IvAttempt,
    RhythmNoted,
    UvcAttempt,
)
from schemas.patient import age_band
from schemas.records import LATE_ENTRY_S, EventRecord, Flag

# exports.audit.audit_rows gives the same rows from the code's record through the summary's parts (the CodeRecord
# with its withdrawn flags read from the store, SummaryParts: every line's, drug's and flag's summary row with its
# text, the header, the fluid totals...), for rows that read a few of their fields: about a quarter of deriving a
# code for an audit of codes without kept rows (3.3 of 12.7 µs an event; this pass, 1.2-1.6). The audit's workers,
# the live recorder when a code ends and `verify` all derive through this pass: tests/test_code_audit.py holds it
# equal to audit_rows, field by field, on codes of every sort.

_ON_TIME = RECORD_KEEPING | {"code_started"}  # never late (SummaryParts._pass)
# The kinds the pass reads more of than lateness and attempts: of an event naming a line, and of any event. Each
# kind is one event class (KIND_MODEL): another kind meets none of the branches.
_LINE_KINDS = frozenset({"io_result", "complication", "flush"})
_PASS_KINDS = frozenset({"drug", "rosc", "code_ended", "rhythm"})
# Every kind whose events the rows read more of than whether they were entered late: the pass's, the attempts'
# (events naming a line) and first_shock_after_shockable's (rhythms, shocks, what ends an arrest). A reader that
# leaves other kinds out (recorder/core/audit_read.py) must still count those entered late (AuditRead.late_left_out).
READS = _ON_TIME | _LINE_KINDS | _PASS_KINDS | frozenset({"rhythm", "shock", "rosc", "code_ended"})


@dataclass
class _Line:
    """One access line as the audit's attempts and intervals read it (SummaryParts._line's AccessLine)."""

    line: str
    kind: str
    t: float
    site: str | None = None
    side: str | None = None
    device: str | None = None
    needle_mm: float | None = None
    result: str | None = None
    result_t: float | None = None
    confirmed_t: float | None = None
    success: bool | None = None
    complications: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AuditRead:
    """What a code's audit rows are made from: its fold and records, its flags (with the scribe's
    acknowledgements), its start and the voids and amends in it. A session's (code_audit_rows), or the audit's
    own read that left out events the rows cannot read (recorder/core/audit_read.py: then `late_left_out` of
    those were entered late)."""

    fold: LiveFold
    records: RecordLog
    flags: list[Flag]
    audit_id: str
    started_at: datetime
    voids: int
    amends: int
    late_left_out: int = 0


def code_audit_rows(session: Session) -> AuditExport:
    """The code's audit rows: what exports.audit.audit_rows(build_code_record(session)) gives, field for field."""
    info = session.store.code(session.code_id)
    assert info is not None  # the session was read from it
    return rows_of(
        AuditRead(
            fold=session.fold,
            records=session.records,
            flags=session.flags(),
            audit_id=info.audit_id,
            started_at=session.started_at,
            voids=len(session.ledger.seqs_of(("void",))),
            amends=len(session.ledger.seqs_of(("amend",))),
        )
    )


def rows_of(read: AuditRead) -> AuditExport:
    """The audit rows of what was read of a code (code_audit_rows)."""
    fold = read.fold
    state = fold.state
    aid = read.audit_id
    flags = read.flags
    flag_rules: dict[int, set[str]] = {}
    for f in flags:
        flag_rules.setdefault(f.seq, set()).add(f.rule)
    lines = {line.id: line for line in state.lines.values()}
    attempt_seqs = {line.seq for line in lines.values() if line.seq is not None}
    line_kinds = {line.id: line.kind for line in lines.values()}
    flush_of = {f.drug: f for f in fold.flushes}
    moments, weight, moment = fold.patient_at, None, 0

    # The one pass over the timeline (SummaryParts._pass, _weighed and _drugs, shockable_to_first_shock_s).
    records = read.records
    count = len(records)
    end_t: float | None = None
    outcome = None
    first_drug: float | None = None
    rosc: float | None = None
    first_noted_rhythm = None
    late = read.late_left_out
    attempts: dict[int, EventRecord] = {}
    results: dict[str, EventRecord] = {}  # each line's first IO result
    complications: dict[str, list[str]] = {}
    drugs: list[tuple[EventRecord, float | None]] = []
    for rec in fold.iter_timeline():
        ev, seq = rec.event, rec.seq
        kind = ev.kind
        if kind not in _ON_TIME:
            raw = rec if not rec.amended_by else ((records.get(seq) if 0 < seq <= count else None) or rec)
            entered = raw.entered_t
            if (entered - raw.event.t if entered is not None else raw.late_by) > LATE_ENTRY_S:
                late += 1
        if seq in attempt_seqs:
            attempts[seq] = rec
        line = ev.__dict__.get("line")
        if line is not None and kind in _LINE_KINDS:  # SummaryParts._line_event, of what the rows read
            if isinstance(ev, IoResult):
                results.setdefault(line, rec)
            elif isinstance(ev, ComplicationNoted):
                complications.setdefault(line, []).append(ev.complication)
            elif isinstance(ev, Flush):
                if ev.extravasation:
                    complications.setdefault(line, []).append("extravasation_on_flush")
                elif not ev.easy:
                    complications.setdefault(line, []).append("flush_not_easy")
        if kind not in _PASS_KINDS:
            continue  # most events (notes, vitals, flushes…): none of what follows is theirs
        if isinstance(ev, DrugGiven):
            first_drug = rec.t if first_drug is None else min(first_drug, rec.t)
            # The weight known when it was given (the timeline is in (t, seq) order, as the weights' changes).
            while moment < len(moments) and (moments[moment].t, moments[moment].seq) <= (rec.t, rec.seq):
                weight, moment = moments[moment].weight_kg, moment + 1
            drugs.append((rec, weight))
        elif kind == "rosc":
            rosc = rec.t if rosc is None else min(rosc, rec.t)
        elif kind == "code_ended" and end_t is None:
            end_t = rec.t
            if isinstance(ev, CodeEnded):
                outcome = ev.outcome
        elif first_noted_rhythm is None and isinstance(ev, RhythmNoted):
            first_noted_rhythm = ev.rhythm

    # The lines whose attempt is on the timeline, in the order of their attempts (SummaryParts._lines).
    made: list[_Line] = []
    confirmed_t = fold.confirmed_t
    for facts in sorted(
        (line for line in lines.values() if line.seq is not None and line.seq in attempts),
        key=lambda line: (line.t or 0.0, line.seq or 0),
    ):
        attempt = attempts[facts.seq]  # type: ignore[index]
        ev = attempt.event
        row = _Line(
            line=facts.id,
            kind=facts.kind,
            t=attempt.t,
            confirmed_t=confirmed_t.get(facts.id),
            complications=complications.get(facts.id, []),
        )
        if isinstance(ev, IoAttempt):
            result = results.get(facts.id)
            row.site, row.side, row.device, row.needle_mm = ev.site, ev.side, ev.device, ev.needle_mm
            if result is not None:
                row.result, row.result_t = result.typed(IoResult).result, result.t
            row.success = (
                True if row.confirmed_t is not None else False if facts.status in ("failed", "removed") else None
            )
        else:
            other = attempt.typed(IvAttempt, UvcAttempt)
            row.site = other.site if isinstance(other, IvAttempt) else None
            row.side = other.side if isinstance(other, IvAttempt) else None
            row.result, row.result_t = other.result, attempt.t
            row.success = other.result == "in"
        made.append(row)

    # The key intervals (SummaryParts._intervals).
    io = [line for line in made if line.kind == "io"]
    working = [line.confirmed_t if line.kind == "io" else line.result_t if line.success else None for line in made]
    first_io = _first(line.t for line in io)

    patient = state.patient
    weight_kg = whole_s(patient.weight_kg)
    first_rhythm = state.arrests[0].first_rhythm if state.arrests else None
    if first_rhythm is None:
        first_rhythm = first_noted_rhythm
    drug_rows = [_drug(aid, rec, known, weight_kg, line_kinds, flush_of, flag_rules) for rec, known in drugs]
    severities = Counter(f.severity for f in flags)
    started = records[0].event
    assert isinstance(started, CodeStarted)
    code = AuditCode(
        audit_id=aid,
        year=read.started_at.year,
        age_band=age_band(patient.age),
        weight_kg=weight_kg,
        setting=state.setting,
        arrest=started.arrest,
        first_rhythm=first_rhythm,
        outcome=outcome,
        duration_s=whole_s(end_t),
        io_attempts=len(io),
        io_first_attempt_success=io[0].success if io else None,
        io_lines_confirmed=sum(1 for line in io if line.confirmed_t is not None),
        t_first_access_attempt_s=whole_s(_first(line.t for line in made)),
        t_first_working_access_s=whole_s(_first(working)),
        t_first_io_attempt_s=whole_s(first_io),
        t_first_confirmed_io_s=whole_s(_first(line.confirmed_t for line in io)),
        t_first_drug_s=whole_s(first_drug),
        t_first_epinephrine_s=whole_s(fold.first_epinephrine_t),
        t_rosc_s=whole_s(rosc),
        iv_attempts_before_io=sum(1 for line in made if line.kind != "io" and (first_io is None or line.t < first_io)),
        drugs_given=len(drug_rows),
        drugs_unflushed=sum(1 for d in drug_rows if d.unflushed),
        flags_critical=severities["critical"],
        flags_warning=severities["warning"],
        flags_info=severities["info"],
        voids=read.voids,
        amends=read.amends,
        late_entries=late,
        shockable_to_first_shock_s=whole_s(
            first_shock_after_shockable({a.seq for a in state.arrests}, fold.iter_timeline())
        ),
        doses_weight_unknown=sum(1 for d in drug_rows if not d.weight_known),
    )
    return AuditExport(
        codes=[code],
        attempts=[attempt_row(aid, line) for line in made],
        drugs=drug_rows,
        flags=[flag_row(aid, f) for f in flags],
    )


def _drug(
    aid: str,
    rec: EventRecord,
    weight: float | None,
    weight_kg: int | None,
    line_kinds: Mapping[str, str],
    flush_of: Mapping[int, DrugFlush],
    flag_rules: dict[int, set[str]],
) -> AuditDrug:
    """A drug's row (SummaryParts._drugs' DrugRow, then audit_rows'): `weight` known when it was given,
    `weight_kg` the code's rounded weight of codes.csv."""
    ev = rec.event
    assert isinstance(ev, DrugGiven)
    flush = flush_of.get(rec.seq) if ev.line else None
    route = line_kinds.get(ev.line, "io") if ev.line else ev.route or ""
    return AuditDrug(
        audit_id=aid,
        t_s=whole_s(rec.t),
        drug=ev.drug,  # `other` keeps no name: what the scribe typed is free text
        dose=ev.dose,
        unit=ev.unit,
        # Per the rounded weight of codes.csv, so the exact weight cannot be worked back.
        dose_per_kg=round(ev.dose / weight_kg, 4) if weight_kg else None,
        route=route,
        line=ev.line,
        concentration=ev.concentration,
        purpose=ev.purpose,
        flushed=None if ev.line is None else flush is not None,
        flush_after_s=whole_s(flush.t - rec.t) if flush else None,
        flush_ml=flush.volume_ml if flush else None,
        unflushed=route == "io" and (flush is None or DRUG_NOT_FLUSHED in flag_rules.get(rec.seq, ())),
        weight_known=weight is not None,
    )


def _first(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None
