"""summarise(record): every figure of the code summary, worked out once so md, html, json, fhir and audit agree."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, TypeVar

from exports.describe import describe, drug_label, infusion_label
from schemas.code_record import CodeRecord, LineFacts
from schemas.events import (
    RECORD_KEEPING,
    Amend,
    Aspiration,
    BaseEvent,
    CodeStarted,
    ComplicationNoted,
    DrugGiven,
    Finding,
    FluidGiven,
    Flush,
    InfusionChanged,
    InfusionStarted,
    InfusionStopped,
    IoAttempt,
    IoResult,
    IvAttempt,
    LineRemoved,
    Note,
    PatientUpdated,
    RhythmNoted,
    Sample,
    Shock,
    UvcAttempt,
    Void,
)
from schemas.labels import FLUID_NAMES
from schemas.patient import Patient, age_band
from schemas.records import EventRecord, Flag
from schemas.summary import (
    AccessLine,
    Change,
    DrugRow,
    EventRow,
    FindingRow,
    FlagRef,
    FlagRow,
    FluidRow,
    FluidTotals,
    Header,
    InfusionRow,
    KeyIntervals,
    LateEntry,
    RateChange,
    RecordKeepingRow,
    SampleRow,
    Summary,
    TimelineRow,
)
from schemas.vocabulary import RuleId

E = TypeVar("E", bound=BaseEvent)
# A drug left in the marrow: never flushed before the next drug through the line, or flushed too
# late or too little by the protocol (this rule's flag says which).
DRUG_NOT_FLUSHED: RuleId = "DRUG_NOT_FLUSHED"
# rules.md terms: the shockable rhythms (the audit's time to first shock starts at the first of them).
SHOCKABLE = frozenset({"vf", "pvt"})
# exports.md §1.6: the clinical course, apart from lines and treatment.
CLINICAL_KINDS = frozenset(
    {"rhythm", "cpr_started", "cpr_stopped", "shock", "rosc", "arrest", "responsiveness", "vitals", "code_ended"}
)


def summarise(record: CodeRecord) -> Summary:
    """The code summary as data, section by section (exports.md §1)."""
    return _Summariser(record).summary()


class _Summariser:
    def __init__(self, record: CodeRecord) -> None:
        self.r = record
        self.timeline = record.timeline
        self.by_seq = {rec.seq: rec for rec in self.timeline}
        self.raw_by_seq = {rec.seq: rec for rec in record.records}
        ended = next((rec for rec in self.timeline if rec.kind == "code_ended"), None)
        self.end_t = ended.t if ended else None
        self.last_t = self.timeline[-1].t if self.timeline else 0.0
        self.weights = _weights(self.timeline)
        self.late = self._late_seqs()
        self.flags = [self._flag_row(n, f, self.by_seq) for n, f in enumerate(record.flags, start=1)]
        self.flags_by_seq: dict[int, list[FlagRow]] = defaultdict(list)
        for row in self.flags:
            self.flags_by_seq[row.seq].append(row)

    def at(self, t: float) -> datetime:
        return self.r.start + timedelta(seconds=t)

    @cached_property
    def by_line(self) -> dict[str, list[EventRecord]]:
        """Each line's events in timeline order: one pass, not one per line."""
        out: dict[str, list[EventRecord]] = defaultdict(list)
        for rec in self.timeline:
            line = getattr(rec.event, "line", None)
            if line is not None:
                out[line].append(rec)
        return out

    def moment(self, rec: EventRecord) -> dict[str, Any]:
        return {"seq": rec.seq, "t": rec.t, "at": self.at(rec.t)}

    def events(self, kind: type[E]) -> list[tuple[EventRecord, E]]:
        """The timeline's events of one kind, each beside its record (typed: a checker sees the fields)."""
        return [(rec, rec.event) for rec in self.timeline if isinstance(rec.event, kind)]

    def summary(self) -> Summary:
        lines = self.lines()
        return Summary(
            header=self.header(),
            intervals=self.intervals(lines),
            findings=[
                FindingRow(
                    **self.moment(rec),
                    finding=ev.finding,
                    bone=ev.bone,
                    side=ev.side,
                    hours_ago=ev.hours_ago,
                    text=describe(ev),
                )
                for rec, ev in self.events(Finding)
            ],
            lines=lines,
            drugs=self.drugs(),
            infusions=self.infusions(),
            fluids=self.fluids(),
            fluid_totals=self.fluid_totals(),
            samples=[
                SampleRow(**self.moment(rec), line=ev.line, tests=ev.tests, labelled_io=ev.labelled_io)
                for rec, ev in self.events(Sample)
            ],
            clinical=[self.event_row(rec) for rec in self.timeline if rec.kind in CLINICAL_KINDS],
            notes=[self.event_row(rec) for rec, _ in self.events(Note)],
            arrests=self.r.arrests,
            flags=self.flags,
            withdrawn_flags=[self._flag_row(n, f, self.raw_by_seq) for n, f in enumerate(self.r.withdrawn_flags, 1)],
            record_keeping=self.record_keeping(),
            late_entries=self.late_entries(),
            timeline=self.full_timeline(),
        )

    # ── header and key intervals ─────────────────────────────────────────

    def header(self) -> Header:
        r = self.r
        return Header(
            code_id=r.code_id,
            audit_id=r.audit_id,
            head_hash=r.head_hash,
            start=r.start,
            end=self.at(self.end_t) if self.end_t is not None else None,
            duration_s=self.end_t,
            last_t=self.last_t,
            setting=r.setting,
            arrest=r.arrest,
            outcome=r.outcome,
            patient=r.patient,
            age_years=r.patient.age,
            age_band=age_band(r.patient.age),
            rules_edition=r.rules_edition,
        )

    def intervals(self, lines: list[AccessLine]) -> KeyIntervals:
        io = [line for line in lines if line.kind == "io"]
        working = [line.confirmed_t if line.kind == "io" else line.result_t if line.success else None for line in lines]
        first_io = _first(line.t for line in io)
        epinephrine = [
            rec.t for rec, ev in self.events(DrugGiven) if ev.drug == "epinephrine" and ev.purpose != "other"
        ]
        return KeyIntervals(
            first_access_attempt_s=_first(line.t for line in lines),
            first_working_access_s=_first(working),
            first_io_attempt_s=first_io,
            first_confirmed_io_s=_first(line.confirmed_t for line in io),
            first_drug_s=_first(rec.t for rec, _ in self.events(DrugGiven)),
            first_epinephrine_s=_first(epinephrine),
            rosc_s=_first(rec.t for rec in self.timeline if rec.kind == "rosc"),
            io_attempts=len(io),
            io_first_attempt_success=io[0].success if io else None,
            io_lines_confirmed=sum(1 for line in io if line.confirmed_t is not None),
            iv_attempts_before_io=sum(
                1 for line in lines if line.kind != "io" and (first_io is None or line.t < first_io)
            ),
        )

    # ── access lines ─────────────────────────────────────────────────────

    def lines(self) -> list[AccessLine]:
        facts = [f for f in self.r.lines if f.seq is not None and f.seq in self.by_seq]
        facts.sort(key=lambda f: (f.attempt_t or 0.0, f.seq or 0))
        return [self.line(f) for f in facts]

    def line(self, facts: LineFacts) -> AccessLine:
        attempt = self.by_seq[facts.seq]  # type: ignore[index]
        ev = attempt.typed(IoAttempt, IvAttempt, UvcAttempt)
        mine = self.by_line.get(facts.line, [])
        result = next((rec for rec in mine if isinstance(rec.event, IoResult)), None)
        aspirations = [rec.event.marrow for rec in mine if isinstance(rec.event, Aspiration)]
        flushes = [rec.event for rec in mine if isinstance(rec.event, Flush)]
        complications: list[str] = []
        for rec in mine:
            if isinstance(rec.event, ComplicationNoted):
                complications.append(rec.event.complication)
            elif isinstance(rec.event, Flush) and rec.event.extravasation:
                complications.append("extravasation_on_flush")
            elif isinstance(rec.event, Flush) and not rec.event.easy:
                complications.append("flush_not_easy")
        removed = next((rec for rec in mine if isinstance(rec.event, LineRemoved)), None)
        if isinstance(ev, IoAttempt):
            kw: dict[str, Any] = {
                "site": ev.site,
                "side": ev.side,
                "device": ev.device,
                "needle_mm": ev.needle_mm,
                "by": ev.by,
                "result": result.typed(IoResult).result if result else None,
                "result_t": result.t if result else None,
                "result_reason": result.typed(IoResult).reason if result else None,
            }
            success = (
                True if facts.confirmed_t is not None else False if facts.status in ("failed", "removed") else None
            )
        else:
            kw = {
                "site": ev.site if isinstance(ev, IvAttempt) else None,
                "side": ev.side if isinstance(ev, IvAttempt) else None,
                "result": ev.result,
                "result_t": attempt.t,
            }
            success = ev.result == "in"
        end = removed.t if removed else self.end_t if self.end_t is not None else self.last_t
        return AccessLine(
            **self.moment(attempt),
            line=facts.line,
            kind=facts.kind,
            **kw,
            aspirated=any(aspirations) if aspirations else None,
            flushed_easily=any(f.easy and not f.extravasation for f in flushes) if flushes else None,
            confirmed_t=facts.confirmed_t,
            complications=complications,
            failed_t=facts.failed_t,
            removed_t=removed.t if removed else None,
            pressure_held=removed.typed(LineRemoved).pressure_held if removed else None,
            in_place_s=end - facts.in_t if facts.in_t is not None else None,
            status=facts.status,
            success=success,
            flushes=len(flushes),
            flush_ml=sum(f.volume_ml for f in flushes),
            flushed_at=[rec.t for rec in mine if isinstance(rec.event, Flush | FluidGiven)],
            text=describe(ev),
        )

    # ── treatment ────────────────────────────────────────────────────────

    def drugs(self) -> list[DrugRow]:
        totals = {t.seq: t for t in self.r.dose_totals}
        kinds = {f.line: f.kind for f in self.r.lines}
        same_unit: dict[tuple[str, str | None, str], float] = defaultdict(float)
        rows = []
        for i, rec in enumerate(self.timeline):
            ev = rec.event
            if not isinstance(ev, DrugGiven):
                continue
            weight = self.weights.get(rec.seq)
            flush = _next_flush(self.timeline[i + 1 :], ev.line) if ev.line else None
            same_unit[(ev.drug, ev.name, ev.unit)] += ev.dose
            total = totals.get(rec.seq)
            # The engine totals a drug in its dosing-table unit; a dose it cannot convert (an `other`
            # drug, mL with no concentration) is totalled with the doses given in the same unit.
            value, unit = (total.total, total.unit) if total else (same_unit[(ev.drug, ev.name, ev.unit)], ev.unit)
            route = kinds.get(ev.line, "io") if ev.line else ev.route or ""
            drug_flags = [f.rule for f in self.flags_by_seq.get(rec.seq, [])]
            rows.append(
                DrugRow(
                    **self.moment(rec),
                    drug=ev.drug,
                    name=ev.name,
                    label=drug_label(ev.drug, ev.name),
                    dose=ev.dose,
                    unit=ev.unit,
                    weight_kg=weight,
                    dose_per_kg=ev.dose / weight if weight else None,
                    line=ev.line,
                    route=route,
                    concentration=ev.concentration,
                    diluted=ev.diluted,
                    purpose=ev.purpose,
                    flushed=None if ev.line is None else flush is not None,
                    flush_seq=flush.seq if flush else None,
                    flush_after_s=flush.t - rec.t if flush else None,
                    flush_ml=flush.typed(Flush, FluidGiven).volume_ml if flush else None,
                    unflushed=route == "io" and (flush is None or DRUG_NOT_FLUSHED in drug_flags),
                    total=value,
                    total_unit=unit,
                    total_per_kg=value / weight if weight else None,
                    flags=drug_flags,
                )
            )
        return rows

    def infusions(self) -> list[InfusionRow]:
        rows: dict[str, dict[str, Any]] = {}
        for rec in self.timeline:
            ev = rec.event
            if isinstance(ev, InfusionStarted):
                rows[ev.infusion] = {
                    **self.moment(rec),
                    "infusion": ev.infusion,
                    "drug": ev.agent,
                    "label": infusion_label(ev),
                    "rate": ev.rate,
                    "rate_unit": ev.rate_unit,
                    "line": ev.line,
                    "method": ev.method,
                    "changes": [],
                }
            elif isinstance(ev, InfusionChanged) and ev.infusion in rows:
                rows[ev.infusion]["changes"].append(RateChange(seq=rec.seq, t=rec.t, rate=ev.rate))
            elif isinstance(ev, InfusionStopped) and ev.infusion in rows:
                rows[ev.infusion].setdefault("stopped_t", rec.t)
        return [InfusionRow(**row) for row in rows.values()]

    def fluids(self) -> list[FluidRow]:
        rows, total = [], 0.0
        for rec, ev in self.events(FluidGiven):
            total += ev.volume_ml
            weight = self.weights.get(rec.seq)
            rows.append(
                FluidRow(
                    **self.moment(rec),
                    fluid=ev.fluid,
                    label=FLUID_NAMES[ev.fluid],
                    volume_ml=ev.volume_ml,
                    line=ev.line,
                    method=ev.method,
                    total_ml=total,
                    total_ml_per_kg=total / weight if weight else None,
                )
            )
        return rows

    def fluid_totals(self) -> FluidTotals:
        weight = self.r.patient.weight_kg
        fluids = sum(ev.volume_ml for _, ev in self.events(FluidGiven))
        flushes = [ev.volume_ml for _, ev in self.events(Flush)]
        everything = fluids + sum(flushes)
        return FluidTotals(
            weight_kg=weight,
            fluids_ml=fluids,
            fluids_ml_per_kg=fluids / weight if weight else None,
            flushes=len(flushes),
            flush_ml=sum(flushes),
            all_ml=everything,
            all_ml_per_kg=everything / weight if weight else None,
        )

    # ── flags, record keeping, the full timeline ─────────────────────────

    def _flag_row(self, n: int, flag: Flag, where: dict[int, EventRecord]) -> FlagRow:
        rec = where.get(flag.seq) or self.raw_by_seq.get(flag.seq)
        return FlagRow(
            n=n,
            **flag.model_dump(exclude={"reason", "acknowledged"}),
            acknowledged=flag.acknowledged,
            reason=flag.reason,
            at=self.at(flag.t),
            event=describe(rec.event) if rec else f"event #{flag.seq}",
        )

    def event_row(self, rec: EventRecord) -> EventRow:
        return EventRow(**self.moment(rec), kind=rec.kind, text=describe(rec.event))

    def record_keeping(self) -> list[RecordKeepingRow]:
        # Each amend's "old" values are the target as it stood after the amends before it.
        standing: dict[int, dict[str, Any]] = {}
        rows = []
        for rec in self.r.records:
            ev = rec.event
            if not isinstance(ev, Void | Amend):
                continue
            target = self.raw_by_seq.get(ev.target)
            now = standing.setdefault(ev.target, target.event.model_dump(mode="json") if target else {})
            changes = []
            if isinstance(ev, Amend):
                changes = [Change(field=k, old=now.get(k), new=v) for k, v in ev.changes.items()]
                now.update(ev.changes)
            rows.append(
                RecordKeepingRow(
                    seq=rec.seq,
                    kind=ev.kind,
                    recorded_at=rec.recorded_at.astimezone(self.r.start.tzinfo),
                    recorded_t=(rec.recorded_at - self.r.start).total_seconds(),
                    target=ev.target,
                    target_text=describe(target.event) if target else f"event #{ev.target}",
                    changes=changes,
                    reason=ev.reason,
                )
            )
        return rows

    def _late_seqs(self) -> dict[int, float]:
        """seq → how late it was entered, for bedside events still on the timeline."""
        late = {}
        for rec in self.r.records:
            if rec.kind in RECORD_KEEPING or rec.kind == "code_started" or rec.seq not in self.by_seq:
                continue
            if rec.late:  # on the code clock: a wall-clock step makes nothing late
                late[rec.seq] = rec.late_by
        return late

    def late_entries(self) -> list[LateEntry]:
        late = self.late
        return [
            LateEntry(
                **self.moment(rec),
                recorded_at=self.raw_by_seq[rec.seq].recorded_at.astimezone(self.r.start.tzinfo),
                delay_s=late[rec.seq],
                text=describe(rec.event),
            )
            for rec in self.timeline
            if rec.seq in late
        ]

    def full_timeline(self) -> list[TimelineRow]:
        late = self.late
        return [
            TimelineRow(
                **self.moment(rec),
                kind=rec.kind,
                text=describe(rec.event),
                flags=[FlagRef(n=f.n, rule=f.rule, severity=f.severity) for f in self.flags_by_seq.get(rec.seq, [])],
                late=rec.seq in late,
                amended_by=list(rec.amended_by),
            )
            for rec in self.timeline
        ]


def shockable_to_first_shock_s(record: CodeRecord) -> float | None:
    """Seconds from the first shockable rhythm (vf, pvt) documented in an arrest to the first
    unsynchronized shock after it in the same arrest (the audit's KPI); None when the code had no
    shockable rhythm in an arrest, or that arrest ended unshocked (VF_NO_SHOCK says so)."""
    starts = {a.seq for a in record.arrests}
    in_arrest, shockable_t = False, None
    for rec in record.timeline:
        ev = rec.event
        if rec.seq in starts:
            in_arrest = True
        elif rec.kind in ("rosc", "code_ended"):
            if shockable_t is not None:
                return None  # the arrest with the first shockable rhythm ended without a shock
            in_arrest = False
        elif not in_arrest:
            continue
        elif isinstance(ev, RhythmNoted) and ev.rhythm in SHOCKABLE and shockable_t is None:
            shockable_t = rec.t
        elif isinstance(ev, Shock) and not ev.cardioversion and shockable_t is not None:
            return rec.t - shockable_t
    return None


def doses_weight_unknown(summary: Summary) -> int:
    """Drug doses given while the weight was unknown (only a ceiling could check them: rules.md v2)."""
    return sum(1 for d in summary.drugs if d.weight_kg is None)


def _first(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _weights(timeline: list[EventRecord]) -> dict[int, float | None]:
    """seq → the weight known when that event happened (what the team dosed against, as the rules see it)."""
    patient, out = Patient(), {}
    for rec in timeline:
        if isinstance(rec.event, PatientUpdated | CodeStarted):
            patient = patient.merged(rec.event.patient)
        out[rec.seq] = patient.weight_kg
    return out


def _next_flush(after: list[EventRecord], line: str) -> EventRecord | None:
    """The first flush (a `flush` or a `fluid`) of `line` before the next drug through it."""
    for rec in after:
        ev = rec.event
        if getattr(ev, "line", None) != line:
            continue
        if isinstance(ev, Flush | FluidGiven):
            return rec
        if isinstance(ev, DrugGiven):
            return None
    return None
