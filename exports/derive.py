"""summarise(record): every figure of the code summary, worked out once so md, html, json, fhir and audit agree."""

from collections import defaultdict
from collections.abc import Container, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from exports.describe import describe, drug_label, infusion_label
from exports.row_models import built
from schemas.code_record import CodeRecord, EventList, EventStream, LineFacts
from schemas.events import (
    RECORD_KEEPING,
    Amend,
    Aspiration,
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
    RhythmNoted,
    Sample,
    Shock,
    UvcAttempt,
    Void,
)
from schemas.labels import FLUID_NAMES
from schemas.patient import age_band
from schemas.records import LATE_ENTRY_S, EventRecord, Flag
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
from schemas.vocabulary import SHOCKABLE, RuleId

# A drug left in the marrow: never flushed before the next drug through the line, or flushed too
# late or too little by the protocol (this rule's flag says which).
DRUG_NOT_FLUSHED: RuleId = "DRUG_NOT_FLUSHED"
# exports.md §1.6: the clinical course, apart from lines and treatment.
CLINICAL_KINDS = frozenset(
    {"rhythm", "cpr_started", "cpr_stopped", "shock", "rosc", "arrest", "responsiveness", "vitals", "code_ended"}
)


# The kinds the one pass (SummaryParts._pass) does more with than lateness, flags, attempts and lines: each
# kind is one event class (KIND_MODEL), so another kind meets none of its branches.
_PASS_KINDS = frozenset(
    {"drug", "flush", "fluid", "rosc", "code_ended", "infusion_started", "infusion_changed", "infusion_stopped"}
)


def summarise(record: CodeRecord) -> Summary:
    """The code summary as data, section by section (exports.md §1)."""
    return SummaryParts(record).summary()


class _LineEvents:
    """What one line's events add up to, gathered in the pass over the timeline."""

    __slots__ = ("aspirations", "complications", "flushed_at", "flushes", "removed", "result")

    def __init__(self) -> None:
        self.result: EventRecord | None = None
        self.aspirations: list[bool] = []
        self.flushes: list[Flush] = []
        self.complications: list[str] = []
        self.removed: EventRecord | None = None
        self.flushed_at: list[float] = []


class SummaryParts:
    """The code summary in two kinds of part: what sums the whole code up (the header, the key intervals,
    the lines, infusions, fluid totals, arrests and flags), worked out in one pass over the timeline and
    held; and the sections that list events (drugs, fluids, findings, samples, the clinical course, notes,
    record keeping, late entries, the full timeline), each a method that goes through the timeline again
    and yields its rows. A renderer writes them as they come: a million-event code is never held whole.
    `summary()` gathers every part into the Summary model (exports.md §1)."""

    def __init__(self, record: CodeRecord) -> None:
        self.r = record
        # A timeline held in memory is gone through as a list (each section picks its kinds from it in C), and each
        # entry's description is kept for the sections that list it again; a long code's is read back each time.
        held = record.timeline.held
        self.timeline: EventStream = (
            record.timeline if isinstance(record.timeline, EventList) or not held else EventList(record.timeline)
        )
        self._texts: dict[int, str] | None = {} if held else None
        self._drug_rows: list[DrugRow] | None = None
        self._fluid_rows: list[FluidRow] | None = None
        self._flag_seqs = {f.seq for f in record.flags}
        self._attempt_seqs = {f.seq for f in record.lines if f.seq is not None}
        self._pass()
        self.header = self._header()
        self.lines = self._lines()
        self.intervals = self._intervals(self.lines)
        self.arrests = record.arrests
        self.flags = [self._flag_row(n, f, self._flag_text.get(f.seq)) for n, f in enumerate(record.flags, start=1)]
        self.flags_by_seq: dict[int, list[FlagRow]] = defaultdict(list)
        for row in self.flags:
            self.flags_by_seq[row.seq].append(row)
        self.withdrawn_flags = [self._flag_row(n, f, None) for n, f in enumerate(record.withdrawn_flags, start=1)]

    def _pass(self) -> None:
        """The one pass over the timeline: the firsts, each line's events, the totals."""
        self.end_t: float | None = None
        self.last_t = 0.0
        self._first_drug: float | None = None
        self._rosc: float | None = None
        self._attempts: dict[int, EventRecord] = {}
        self._by_line: dict[str, _LineEvents] = defaultdict(_LineEvents)
        self._flag_text: dict[int, str] = {}
        infusions: dict[str, dict[str, Any]] = {}
        fluids_ml, flushes = 0.0, []
        # The late entries' seqs (exports.md §1.8), so that listing them and marking them on the full timeline
        # are not each a pass of their own: as many as there are late entries, a handful a code.
        self._late_seqs: set[int] = set()
        records, on_time = self.r.records, RECORD_KEEPING | {"code_started"}
        flag_seqs, attempt_seqs, by_line = self._flag_seqs, self._attempt_seqs, self._by_line
        last: EventRecord | None = None
        for rec in self.timeline:
            last, ev, seq = rec, rec.event, rec.seq
            kind = ev.kind
            if kind not in on_time:
                # Lateness is the record's as written: an amend that moved an event does not make it late.
                raw = rec if not rec.amended_by else (records.get(seq) or rec)
                # raw.late, on the code clock when it was kept (a wall-clock step makes nothing late), without
                # the two properties' calls: this runs for every event of every summary.
                entered = raw.entered_t
                if (entered - raw.event.t if entered is not None else raw.late_by) > LATE_ENTRY_S:
                    self._late_seqs.add(seq)
            if seq in flag_seqs:
                self._flag_text[seq] = describe(ev)
            if seq in attempt_seqs:
                self._attempts[seq] = rec
            # ev.line_ref, without the property's call (this runs for every event of every summary and audit).
            line = ev.__dict__.get("line")
            if line is not None:
                self._line_event(by_line[line], rec)
            if kind not in _PASS_KINDS:
                continue  # most events (notes, vitals, rhythms…): none of what follows is theirs
            if isinstance(ev, DrugGiven):
                self._first_drug = _min(self._first_drug, rec.t)
            elif isinstance(ev, Flush | FluidGiven):
                if isinstance(ev, Flush):
                    flushes.append(ev.volume_ml)
                else:
                    fluids_ml += ev.volume_ml
            elif kind == "rosc":
                self._rosc = _min(self._rosc, rec.t)
            elif kind == "code_ended" and self.end_t is None:
                self.end_t = rec.t
            elif isinstance(ev, InfusionStarted):
                infusions[ev.infusion] = {
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
            elif isinstance(ev, InfusionChanged) and ev.infusion in infusions:
                infusions[ev.infusion]["changes"].append(RateChange(seq=rec.seq, t=rec.t, rate=ev.rate))
            elif isinstance(ev, InfusionStopped) and ev.infusion in infusions:
                infusions[ev.infusion].setdefault("stopped_t", rec.t)
        if last is not None:
            self.last_t = last.t  # the timeline's last event's
        self.infusions = [InfusionRow(**row) for row in infusions.values()]
        weight = self.r.patient.weight_kg
        everything = fluids_ml + sum(flushes)
        self.fluid_totals = FluidTotals(
            weight_kg=weight,
            fluids_ml=fluids_ml,
            fluids_ml_per_kg=fluids_ml / weight if weight else None,
            flushes=len(flushes),
            flush_ml=sum(flushes),
            all_ml=everything,
            all_ml_per_kg=everything / weight if weight else None,
        )

    @staticmethod
    def _line_event(mine: _LineEvents, rec: EventRecord) -> None:
        ev = rec.event
        if isinstance(ev, IoResult):
            mine.result = mine.result or rec
        elif isinstance(ev, Aspiration):
            mine.aspirations.append(ev.marrow)
        elif isinstance(ev, ComplicationNoted):
            mine.complications.append(ev.complication)
        elif isinstance(ev, LineRemoved):
            mine.removed = mine.removed or rec
        if isinstance(ev, Flush):
            mine.flushes.append(ev)
            if ev.extravasation:
                mine.complications.append("extravasation_on_flush")
            elif not ev.easy:
                mine.complications.append("flush_not_easy")
        if isinstance(ev, Flush | FluidGiven):
            mine.flushed_at.append(rec.t)

    def text(self, rec: EventRecord) -> str:
        """`describe(rec.event)` of a timeline entry, made once for the sections that list it again (the clinical
        course or the notes, then the full timeline) when the timeline is held; else made each time."""
        texts = self._texts
        if texts is None:
            return describe(rec.event)
        found = texts.get(rec.seq)
        if found is None:
            found = texts[rec.seq] = describe(rec.event)
        return found

    def at(self, t: float) -> datetime:
        return self.r.start + timedelta(seconds=t)

    def moment(self, rec: EventRecord) -> dict[str, Any]:
        return {"seq": rec.seq, "t": rec.t, "at": self.at(rec.t)}

    def summary(self) -> Summary:
        """Every part gathered into the Summary model (held whole: for a code of ordinary length)."""
        return Summary(
            header=self.header,
            intervals=self.intervals,
            findings=list(self.findings()),
            lines=self.lines,
            drugs=list(self.drugs()),
            infusions=self.infusions,
            fluids=list(self.fluids()),
            fluid_totals=self.fluid_totals,
            samples=list(self.samples()),
            clinical=list(self.clinical()),
            notes=list(self.notes()),
            arrests=self.arrests,
            flags=self.flags,
            withdrawn_flags=self.withdrawn_flags,
            record_keeping=list(self.record_keeping()),
            late_entries=list(self.late_entries()),
            timeline=list(self.full_timeline()),
        )

    # ── header and key intervals ─────────────────────────────────────────

    def _header(self) -> Header:
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

    def _intervals(self, lines: list[AccessLine]) -> KeyIntervals:
        io = [line for line in lines if line.kind == "io"]
        working = [line.confirmed_t if line.kind == "io" else line.result_t if line.success else None for line in lines]
        first_io = _first(line.t for line in io)
        return KeyIntervals(
            first_access_attempt_s=_first(line.t for line in lines),
            first_working_access_s=_first(working),
            first_io_attempt_s=first_io,
            first_confirmed_io_s=_first(line.confirmed_t for line in io),
            first_drug_s=self._first_drug,
            first_epinephrine_s=self.r.first_epinephrine_t,  # the engine's epinephrine bolus
            rosc_s=self._rosc,
            io_attempts=len(io),
            io_first_attempt_success=io[0].success if io else None,
            io_lines_confirmed=sum(1 for line in io if line.confirmed_t is not None),
            iv_attempts_before_io=sum(
                1 for line in lines if line.kind != "io" and (first_io is None or line.t < first_io)
            ),
        )

    # ── access lines ─────────────────────────────────────────────────────

    def _lines(self) -> list[AccessLine]:
        facts = [f for f in self.r.lines if f.seq is not None and f.seq in self._attempts]
        facts.sort(key=lambda f: (f.attempt_t or 0.0, f.seq or 0))
        return [self._line(f) for f in facts]

    def _line(self, facts: LineFacts) -> AccessLine:
        attempt = self._attempts[facts.seq]  # type: ignore[index]
        ev = attempt.event
        mine = self._by_line.get(facts.line) or _LineEvents()
        result, removed, flushes = mine.result, mine.removed, mine.flushes
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
            other = attempt.typed(IvAttempt, UvcAttempt)
            kw = {
                "site": other.site if isinstance(other, IvAttempt) else None,
                "side": other.side if isinstance(other, IvAttempt) else None,
                "result": other.result,
                "result_t": attempt.t,
            }
            success = other.result == "in"
        end = removed.t if removed else self.end_t if self.end_t is not None else self.last_t
        return AccessLine(
            **self.moment(attempt),
            line=facts.line,
            kind=facts.kind,
            **kw,
            aspirated=any(mine.aspirations) if mine.aspirations else None,
            flushed_easily=any(f.easy and not f.extravasation for f in flushes) if flushes else None,
            confirmed_t=facts.confirmed_t,
            complications=mine.complications,
            failed_t=facts.failed_t,
            removed_t=removed.t if removed else None,
            pressure_held=removed.typed(LineRemoved).pressure_held if removed else None,
            in_place_s=end - facts.in_t if facts.in_t is not None else None,
            status=facts.status,
            success=success,
            flushes=len(flushes),
            flush_ml=sum(f.volume_ml for f in flushes),
            flushed_at=mine.flushed_at,
            text=self.text(attempt),
        )

    # ── treatment ────────────────────────────────────────────────────────

    def _weighed(self, kind: str) -> Iterator[tuple[EventRecord, float | None]]:
        """The timeline's events of this kind, each with the weight known when it happened (what the team
        dosed against, as the engine's fold saw it: CodeRecord.patient_at)."""
        moments, weight, i = self.r.patient_at, None, 0
        for rec in self.timeline.of(kind):
            # The timeline is in (t, seq) order: every change up to this event has been made.
            while i < len(moments) and (moments[i].t, moments[i].seq) <= (rec.t, rec.seq):
                weight, i = moments[i].weight_kg, i + 1
            yield rec, weight

    def drugs(self) -> Iterator[DrugRow]:
        """The drug rows: made once and kept when the timeline is held (the SVG timeline and the table both
        list them, a model each); else made on each pass."""
        if self._drug_rows is None:
            if self._texts is None:
                return self._drugs()
            self._drug_rows = list(self._drugs())
        return iter(self._drug_rows)

    def _drugs(self) -> Iterator[DrugRow]:
        totals = {t.seq: t for t in self.r.dose_totals}
        flush_of = {f.drug: f for f in self.r.flushes}
        kinds = {f.line: f.kind for f in self.r.lines}
        same_unit: dict[tuple[str, str | None, str], float] = defaultdict(float)
        for rec, weight in self._weighed("drug"):
            ev = rec.event
            assert isinstance(ev, DrugGiven)
            flush = flush_of.get(rec.seq) if ev.line else None
            same_unit[(ev.drug, ev.name, ev.unit)] += ev.dose
            total = totals.get(rec.seq)
            # The engine totals a drug in its dosing-table unit; a dose it cannot convert (an `other`
            # drug, mL with no concentration) is totalled with the doses given in the same unit.
            value, unit = (total.total, total.unit) if total else (same_unit[(ev.drug, ev.name, ev.unit)], ev.unit)
            route = kinds.get(ev.line, "io") if ev.line else ev.route or ""
            drug_flags = [f.rule for f in self.flags_by_seq.get(rec.seq, [])]
            yield built(  # DrugRow(...) without validating its values again (exports/row_models.py)
                DrugRow,
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
                flush_ml=flush.volume_ml if flush else None,
                unflushed=route == "io" and (flush is None or DRUG_NOT_FLUSHED in drug_flags),
                total=value,
                total_unit=unit,
                total_per_kg=value / weight if weight else None,
                flags=drug_flags,
            )

    def fluids(self) -> Iterator[FluidRow]:
        """The fluid rows: made once and kept when the timeline is held (the SVG timeline and the table both list
        them), as the drug rows are; else made on each pass."""
        if self._fluid_rows is None:
            if self._texts is None:
                return self._fluids()
            self._fluid_rows = list(self._fluids())
        return iter(self._fluid_rows)

    def _fluids(self) -> Iterator[FluidRow]:
        total = 0.0
        for rec, weight in self._weighed("fluid"):
            ev = rec.event
            assert isinstance(ev, FluidGiven)
            total += ev.volume_ml
            yield built(
                FluidRow,
                **self.moment(rec),
                fluid=ev.fluid,
                label=FLUID_NAMES[ev.fluid],
                volume_ml=ev.volume_ml,
                line=ev.line,
                method=ev.method,
                total_ml=total,
                total_ml_per_kg=total / weight if weight else None,
            )

    def findings(self) -> Iterator[FindingRow]:
        for rec in self.timeline.of("finding"):
            ev = rec.event
            assert isinstance(ev, Finding)
            yield FindingRow(
                **self.moment(rec),
                finding=ev.finding,
                bone=ev.bone,
                side=ev.side,
                hours_ago=ev.hours_ago,
                text=self.text(rec),
            )

    def samples(self) -> Iterator[SampleRow]:
        for rec in self.timeline.of("sample"):
            ev = rec.event
            assert isinstance(ev, Sample)
            # The tests copied, as validation copies a list: the row's is not the event's.
            yield built(SampleRow, **self.moment(rec), line=ev.line, tests=list(ev.tests), labelled_io=ev.labelled_io)

    def clinical(self) -> Iterator[EventRow]:
        return (self.event_row(rec) for rec in self.timeline.of(*CLINICAL_KINDS))

    def notes(self) -> Iterator[EventRow]:
        return (self.event_row(rec) for rec in self.timeline.of("note"))

    # ── flags, record keeping, the full timeline ─────────────────────────

    def _flag_row(self, n: int, flag: Flag, text: str | None) -> FlagRow:
        """`text`: the flagged event as it stands on the timeline; else the event as recorded."""
        if text is None:
            rec = self.r.records.get(flag.seq)
            text = describe(rec.event) if rec else f"event #{flag.seq}"
        return built(
            FlagRow,
            n=n,
            rule=flag.rule,
            severity=flag.severity,
            seq=flag.seq,
            t=flag.t,
            at=self.at(flag.t),
            line=flag.line,
            message=flag.message,
            acknowledged=flag.acknowledged,
            reason=flag.reason,
            event=text,
        )

    def event_row(self, rec: EventRecord) -> EventRow:
        return EventRow(**self.moment(rec), kind=rec.kind, text=self.text(rec))

    def record_keeping(self) -> Iterator[RecordKeepingRow]:
        # Each amend's "old" values are the target as it stood after the amends before it.
        standing: dict[int, dict[str, Any]] = {}
        for rec in self.r.records.of("void", "amend"):
            ev = rec.event
            assert isinstance(ev, Void | Amend)
            target = self.r.records.get(ev.target)
            now = standing.setdefault(ev.target, target.event.model_dump(mode="json") if target else {})
            changes = []
            if isinstance(ev, Amend):
                changes = [Change(field=k, old=now.get(k), new=v) for k, v in ev.changes.items()]
                now.update(ev.changes)
            yield RecordKeepingRow(
                seq=rec.seq,
                kind=ev.kind,
                recorded_at=rec.recorded_at.astimezone(self.r.start.tzinfo),
                recorded_t=(rec.recorded_at - self.r.start).total_seconds(),
                target=ev.target,
                target_text=describe(target.event) if target else f"event #{ev.target}",
                changes=changes,
                reason=ev.reason,
            )

    def _late(self) -> Iterator[tuple[EventRecord, EventRecord | None]]:
        """Each timeline event, with its record as written when it was entered late (None: on time)."""
        late = self._late_seqs
        for rec in self.timeline:
            if rec.seq not in late:
                yield rec, None
            else:
                yield rec, rec if not rec.amended_by else (self.r.records.get(rec.seq) or rec)

    def late_count(self) -> int:
        """How many rows `late_entries()` has, without making them."""
        return len(self._late_seqs)

    def late_entries(self) -> Iterator[LateEntry]:
        if not self._late_seqs:
            return  # no pass over the timeline for nothing
        for rec, raw in self._late():
            if raw is not None:
                yield LateEntry(
                    **self.moment(rec),
                    recorded_at=raw.recorded_at.astimezone(self.r.start.tzinfo),
                    delay_s=raw.late_by,
                    text=self.text(rec),
                )

    def timeline_entries(self) -> Iterator[tuple[EventRecord, bool, list[FlagRow]]]:
        """(record, entered late, its flags) for each timeline event: what `full_timeline()` rows hold, without
        a model per row (the HTML and Markdown summaries write about a row per event from these)."""
        flags, late = self.flags_by_seq, self._late_seqs
        none: list[FlagRow] = []
        for rec in self.timeline:
            seq = rec.seq
            yield rec, seq in late, flags.get(seq, none)

    def full_timeline(self) -> Iterator[TimelineRow]:
        for rec, raw in self._late():
            yield TimelineRow(
                **self.moment(rec),
                kind=rec.kind,
                text=self.text(rec),
                flags=[FlagRef(n=f.n, rule=f.rule, severity=f.severity) for f in self.flags_by_seq.get(rec.seq, [])],
                late=raw is not None,
                amended_by=list(rec.amended_by),
            )


def shockable_to_first_shock_s(record: CodeRecord) -> float | None:
    """Seconds from the first shockable rhythm (vf, pvt) documented in an arrest to the first
    unsynchronized shock after it in the same arrest (the audit's KPI); None when the code had no
    shockable rhythm in an arrest, or that arrest ended unshocked (VF_NO_SHOCK says so)."""
    return first_shock_after_shockable({a.seq for a in record.arrests}, record.timeline)


def first_shock_after_shockable(starts: Container[int], timeline: Iterable[EventRecord]) -> float | None:
    """`shockable_to_first_shock_s` of a timeline whose arrests start at the events `starts` (seqs)."""
    in_arrest, shockable_t = False, None
    for rec in timeline:
        ev = rec.event
        if rec.seq in starts:
            in_arrest = True
        elif ev.kind in ("rosc", "code_ended"):
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


def doses_weight_unknown(drugs: Summary | Iterable[DrugRow]) -> int:
    """Drug doses given while the weight was unknown (only a ceiling could check them: rules.md v2): of a
    summary, or of its drug rows."""
    rows = drugs.drugs if isinstance(drugs, Summary) else drugs
    return sum(1 for d in rows if d.weight_kg is None)


def _first(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _min(old: float | None, new: float) -> float:
    return new if old is None else min(old, new)
