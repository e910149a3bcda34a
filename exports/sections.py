"""The summary's sections as titled facts and tables: the wording Markdown and HTML share (exports.md §1)."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import NamedTuple

from exports.derive import CLINICAL_KINDS, SummaryParts
from exports.describe import describe
from schemas.code_record import CodeRecord, EventList
from schemas.formatting import age_short, clock, duration, number, offset, site_label, t_plus, words
from schemas.labels import DEVICE_NAMES, OUTCOME_NAMES, ROUTE_NAMES, SETTING_NAMES
from schemas.records import LATE_ENTRY_S, EventRecord
from schemas.summary import AccessLine, DrugRow, FlagRow

NONE = "—"


@dataclass(frozen=True)
class Facts:
    """Label: value pairs."""

    items: list[tuple[str, str]]


class Row(NamedTuple):
    """A table row: a tuple, the cheapest to make (a long code's tables have about two rows an event)."""

    cells: tuple[str, ...]
    # critical / warning / info / withdrawn (flags), alert (an unflushed drug), failed (a line), late:
    # HTML colours the row; Markdown makes critical and alert rows bold.
    tone: str | None = None


# A row as the renderers read it, (cells, tone): a Row, or the plain pair the tables of a long code's events
# make (a NamedTuple's constructor, a Python call, cost a third of such a row's making).
RowCells = tuple[tuple[str, ...], str | None]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    # Made as they are read, once: a table of a long code's events is never held whole (`first_rows`).
    rows: Iterable[RowCells]
    caption: str | None = None
    empty: str = "None recorded."


def first_rows(table: Table) -> Iterator[RowCells] | None:
    """The table's rows to write, or None when it has none (the renderer writes `empty` instead)."""
    rows = iter(table.rows)
    first = next(rows, None)
    return None if first is None else chain((first,), rows)


@dataclass(frozen=True)
class Section:
    title: str
    blocks: list[Facts | Table] = field(default_factory=list)
    anchor: str = ""


def sections(record: CodeRecord) -> tuple[SummaryParts, list[Section]]:
    """The summary and its nine sections, in the order of exports.md §1; each table's rows are made as the
    renderer writes them."""
    s = SummaryParts(record)
    w = _Words(s)
    return s, [
        Section(f"Code {s.header.code_id}", [w.header()], "header"),
        Section("Key intervals", [w.intervals(), w.io_facts()], "intervals"),
        Section("Access lines", [w.findings(), w.lines()], "lines"),
        Section("Drugs", [w.drugs(), w.infusions()], "drugs"),
        Section("Fluids", [w.fluids(), w.fluid_totals()], "fluids"),
        Section("Samples", [w.samples()], "samples"),
        Section("Rhythm, CPR, shocks and ROSC", [w.events(*CLINICAL_KINDS)], "clinical"),
        Section("Notes", [w.events("note")], "notes"),
        Section("Deviations", [w.flags(s.flags), w.flags(s.withdrawn_flags, withdrawn=True)], "deviations"),
        Section("Record keeping", [w.record_keeping(), w.late()], "record-keeping"),
        Section("Full timeline", [w.timeline()], "timeline"),
    ]


def clock_at(start: datetime) -> Callable[[float], str]:
    """`clock(start, t)` for one start: the same wall-clock sum, in whole microseconds, without a datetime
    and a strftime per call (a long code's tables have a clock time in nearly every row)."""
    base = _day_us(start)

    def at(t: float) -> str:
        whole = int(t)
        return _hms((base + whole * 1_000_000 + round((t - whole) * 1e6)) // 1_000_000 % 86_400)

    return at


def times_at(start: datetime) -> Callable[[float], tuple[str, str]]:
    """`(t_plus(t), clock(start, t))` for one start, in one call: the two times of nearly every row of a long
    code's tables (the sums of `t_plus` and `clock_at`, written out)."""
    base = _day_us(start)
    base_s = base // 1_000_000
    two = _TWO
    # Each minute's start of the two strings ("T+12:" and "14:07:"), made once: a code's events are seconds apart,
    # so most minutes have several. Bounded, so that a code spanning years cannot grow them without end.
    pluses: dict[int, str] = {}
    clocks: dict[int, str] = {}

    def at(t: float) -> tuple[str, str]:
        whole = int(t)
        # A whole second (most of a code's times) adds no microseconds: the clock's second is the start's plus it.
        day = base_s + whole if t == whole else (base + whole * 1_000_000 + round((t - whole) * 1e6)) // 1_000_000
        minute, sec = divmod(whole, 60)  # divmod(divmod(whole, 3600)[1], 60) as t_plus has it, for any sign
        plus = pluses.get(minute)
        if plus is None:
            h, m = divmod(minute, 60)
            plus = f"T+{h}:{two[m]}:" if h else f"T+{two[m]}:"
            if len(pluses) < _MINUTES_KEPT:
                pluses[minute] = plus
        minute, csec = divmod(day % 86_400, 60)
        at = clocks.get(minute)
        if at is None:
            h, m = divmod(minute, 60)
            at = clocks[minute] = f"{two[h]}:{two[m]}:"  # at most 1,440: the minutes of a day
        return plus + two[sec], at + two[csec]

    return at


_MINUTES_KEPT = 100_000


def times_of(start: datetime, ts: Iterable[float]) -> list[tuple[str, str]]:
    """`[times_at(start)(t) for t in ts]`, in one loop: a timeline's times come in order, so each minute's start
    of the two strings is made when the minute changes and kept in a local, with no call or look-up per time."""
    base_s, base_us = divmod(_day_us(start), 1_000_000)
    two = _TWO
    made: list[tuple[str, str]] = []
    add = made.append
    minute_was = day_minute_was = None
    plus = at = ""
    for t in ts:
        whole = int(t)
        # times_at's sum, its whole seconds taken out of the floor division: small numbers, not the day's microseconds.
        day = base_s + whole if t == whole else base_s + whole + (base_us + round((t - whole) * 1e6)) // 1_000_000
        minute, sec = divmod(whole, 60)
        if minute != minute_was:
            h, m = divmod(minute, 60)
            plus = f"T+{h}:{two[m]}:" if h else f"T+{two[m]}:"
            minute_was = minute
        day_minute, csec = divmod(day % 86_400, 60)
        if day_minute != day_minute_was:
            h, m = divmod(day_minute, 60)
            at = f"{two[h]}:{two[m]}:"
            day_minute_was = day_minute
        add((plus + two[sec], at + two[csec]))
    return made


def _day_us(start: datetime) -> int:
    """Microseconds from midnight to `start`, on its own clock."""
    return ((start.hour * 60 + start.minute) * 60 + start.second) * 1_000_000 + start.microsecond


def _hms(s: int) -> str:
    """HH:MM:SS of a second of the day."""
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{_TWO[h]}:{_TWO[m]}:{_TWO[sec]}"


# Two digits of 0 to 59, looked up: a format spec per field cost more than the rest of a row's times.
_TWO = tuple(f"{i:02d}" for i in range(60))
# `start + timedelta(seconds=t)` counts whole microseconds as int(t) * 10**6 + round((t - int(t)) * 10**6)
# (CPython's timedelta: the fraction's microseconds rounded half to even), which is the sum above.


class _Words:
    def __init__(self, s: SummaryParts) -> None:
        self.s = s
        self.start = s.header.start
        self._clock = clock_at(self.start)
        self._both = times_at(self.start)
        # Kept as the descriptions are (SummaryParts.text): only when the timeline is held.
        self._times: dict[float, tuple[str, str]] | None = {} if s.timeline.held else None
        # A held timeline's entries' times and texts, in its order (`_held_entries`), made when first asked for.
        self._held: tuple[list[tuple[str, str]], list[str]] | None = None

    def when(self, t: float | None) -> str:
        """T+mm:ss and the clock time in the code's offset."""
        if t is None:
            return NONE
        plus, at = self.times(t)
        return f"{plus} ({at})"

    def times(self, t: float) -> tuple[str, str]:
        """(T+mm:ss, the clock time) of `t`, made once for the tables that show an event again (the clinical
        course or the notes, then the full timeline) when the timeline is held; else made each time."""
        times = self._times
        if times is None:
            return self._both(t)
        found = times.get(t)
        if found is None:
            found = times[t] = self._both(t)
        return found

    def _held_entries(self, timeline: EventList) -> tuple[list[tuple[str, str]], list[str]]:
        """(T+mm:ss, the clock time) and the text of each entry of a held timeline, in its order: made once, in
        two passes driven from C, for the tables that list an event (the clinical course or the notes, then the
        full timeline), which pick theirs by position (EventList.picked) rather than look each one up."""
        if self._held is None:
            events = [rec.event for rec in timeline]
            self._held = times_of(self.start, [ev.t for ev in events]), list(map(describe, events))
        return self._held

    def stamp(self, at: datetime) -> str:
        return at.strftime("%Y-%m-%d %H:%M:%S ") + offset(at)

    def header(self) -> Facts:
        h, p = self.s.header, self.s.header.patient
        who = [x for x in (p.name, f"MRN {p.mrn}" if p.mrn else None) if x]
        patient = [
            ", ".join(who) if who else "name and MRN not recorded",
            f"born {p.dob.isoformat()}" if p.dob else None,
            p.sex,
            f"age {age_short(h.age_years)}" if h.age_years is not None else "age unknown",
        ]
        weight = (
            f"{number(p.weight_kg, 1)} kg" + (f" ({words(p.weight_source)})" if p.weight_source else "")
            if p.weight_kg is not None
            else "unknown"
        )
        end = (
            f"{duration(h.duration_s)} (ended {self.stamp(h.end)})"
            if h.end is not None and h.duration_s is not None
            else f"open (last event {t_plus(h.last_t)})"
        )
        items = [
            ("Start", self.stamp(h.start)),
            ("Duration", end),
            ("Setting", SETTING_NAMES[h.setting] if h.setting else "not recorded"),
            ("In arrest at the start", "yes" if h.arrest else "no"),
            ("Patient", ", ".join(x for x in patient if x)),
            ("Weight", weight),
        ]
        if p.conditions:
            items.append(("Conditions", ", ".join(words(c) for c in p.conditions)))
        items += [("Outcome", OUTCOME_NAMES[h.outcome] if h.outcome else "not recorded"), ("Audit id", h.audit_id)]
        if h.head_hash:  # the same as `recorder verify --print-head` prints, for a record kept elsewhere
            items.append(("Head hash", h.head_hash))
        return Facts(items)

    def intervals(self) -> Table:
        i = self.s.intervals
        rows = [
            ("First access attempt", i.first_access_attempt_s),
            ("First working line", i.first_working_access_s),
            ("First IO attempt", i.first_io_attempt_s),
            ("First confirmed IO", i.first_confirmed_io_s),
            ("First drug", i.first_drug_s),
            ("First epinephrine", i.first_epinephrine_s),
            ("ROSC", i.rosc_s),
        ]
        return Table(
            ("from the start to", "T+", "clock"),
            [
                Row(
                    (
                        name,
                        t_plus(t) if t is not None else "not reached",
                        clock(self.start, t) if t is not None else NONE,
                    )
                )
                for name, t in rows
            ],
        )

    def io_facts(self) -> Facts:
        i = self.s.intervals
        success = NONE if i.io_first_attempt_success is None else "yes" if i.io_first_attempt_success else "no"
        return Facts(
            [
                ("IO attempts", str(i.io_attempts)),
                ("IO first-attempt success", success),
                ("IO lines confirmed", str(i.io_lines_confirmed)),
                ("IV/UVC attempts before the first IO", str(i.iv_attempts_before_io)),
            ]
        )

    def findings(self) -> Table:
        return Table(
            ("time", "finding"),
            (Row((self.when(f.t), f.text.removeprefix("Finding: "))) for f in self.s.findings()),
            caption="Findings at the sites",
            empty="No findings recorded.",
        )

    def lines(self) -> Table:
        return Table(
            (
                "line",
                "type",
                "site",
                "device / needle",
                "attempt",
                "result",
                "confirmation",
                "complications",
                "removal",
                "time in place",
            ),
            [Row(self._line(line), "failed" if line.success is False else None) for line in self.s.lines],
            caption="One row per line",
        )

    def _line(self, line: AccessLine) -> tuple[str, ...]:
        device = DEVICE_NAMES.get(line.device or "", "") if line.device else ""
        if line.needle_mm:
            device = f"{device} {number(line.needle_mm)} mm".strip()
        if line.result is None:
            result = "no result recorded"
        else:
            result = f"{line.result} {t_plus(line.result_t)}" + (
                f": {line.result_reason}" if line.result_reason else ""
            )
        confirmation = []
        if line.aspirated is not None:
            confirmation.append("marrow aspirated" if line.aspirated else "no marrow")
        if line.flushed_easily is not None:
            confirmation.append("flushed easily" if line.flushed_easily else "flush not easy")
        if line.confirmed_t is not None:
            confirmation.append(f"confirmed {t_plus(line.confirmed_t)}")
        removal = NONE
        if line.removed_t is not None:
            held = {True: ", pressure held", False: ", no pressure held", None: ""}[line.pressure_held]
            removal = f"{t_plus(line.removed_t)}{held}"
        return (
            line.line + (f" (by {line.by})" if line.by else ""),
            ROUTE_NAMES[line.kind],
            site_label(line.site, line.side),
            device or NONE,
            self.when(line.t),
            result,
            ", ".join(confirmation) or NONE,
            ", ".join(words(c) for c in line.complications) or NONE,
            removal,
            duration(line.in_place_s) if line.in_place_s is not None else NONE,
        )

    def drugs(self) -> Table:
        return Table(
            ("time", "drug", "dose", "per kg", "line (route)", "flushed", "running total", "flags"),
            (Row(self._drug(d), "alert" if d.unflushed else None) for d in self.s.drugs()),
        )

    def _drug(self, d: DrugRow) -> tuple[str, ...]:
        dose = f"{number(d.dose, 3)} {d.unit}" + (
            f" ({d.concentration}{', diluted' if d.diluted else ''})" if d.concentration else ""
        )
        per_kg = f"{number(d.dose_per_kg, 3)} {d.unit}/kg" if d.dose_per_kg is not None else NONE
        if d.weight_kg is None:
            per_kg = "weight unknown"  # given before a weight: only the ceiling checked it (rules.md v2)
        route = ROUTE_NAMES.get(d.route, d.route)
        line = f"{d.line} ({route})" if d.line else route
        if d.flushed is None:
            flushed = NONE
        elif d.flushed:
            flushed = f"yes, {number(d.flush_ml, 1)} mL at +{number(d.flush_after_s, 0)} s"
        else:
            flushed = "NO"
        if d.unflushed and d.flushed:
            flushed += " (late or too little)"
        total = NONE
        if d.total is not None:
            total = f"{number(d.total, 3)} {d.total_unit}" + (
                f" ({number(d.total_per_kg, 3)} {d.total_unit}/kg)" if d.total_per_kg is not None else ""
            )
        label = d.label + (" (IO analgesia)" if d.purpose == "io_analgesia" else "")
        return (self.when(d.t), label, dose, per_kg, line, flushed, total, ", ".join(d.flags) or NONE)

    def infusions(self) -> Table:
        rows = []
        for inf in self.s.infusions:
            changes = ", ".join(f"{number(c.rate, 3)} at {t_plus(c.t)}" for c in inf.changes)
            rows.append(
                Row(
                    (
                        self.when(inf.t),
                        f"{inf.infusion}: {inf.label}",
                        f"{number(inf.rate, 3)} {inf.rate_unit}",
                        changes or NONE,
                        inf.line,
                        words(inf.method),
                        t_plus(inf.stopped_t) if inf.stopped_t is not None else "running",
                    )
                )
            )
        return Table(
            ("started", "infusion", "rate", "changes", "line", "method", "stopped"),
            rows,
            caption="Infusions",
            empty="No infusions.",
        )

    def fluids(self) -> Table:
        return Table(
            ("time", "fluid", "volume", "line", "method", "running total"),
            (
                Row(
                    (
                        self.when(f.t),
                        f.label,
                        f"{number(f.volume_ml, 1)} mL",
                        f.line,
                        words(f.method),
                        f"{number(f.total_ml, 1)} mL"
                        + (f" ({number(f.total_ml_per_kg, 1)} mL/kg)" if f.total_ml_per_kg is not None else ""),
                    )
                )
                for f in self.s.fluids()
            ),
        )

    def fluid_totals(self) -> Facts:
        ft = self.s.fluid_totals

        def per_kg(value: float | None) -> str:
            return f" ({number(value, 1)} mL/kg at {number(ft.weight_kg, 1)} kg)" if value is not None else ""

        return Facts(
            [
                ("Fluids", f"{number(ft.fluids_ml, 1)} mL{per_kg(ft.fluids_ml_per_kg)}"),
                ("Flushes", f"{ft.flushes}, {number(ft.flush_ml, 1)} mL"),
                ("Fluids and flushes", f"{number(ft.all_ml, 1)} mL{per_kg(ft.all_ml_per_kg)}"),
            ]
        )

    def samples(self) -> Table:
        return Table(
            ("time", "line", "tests", "labelled IO"),
            (
                Row(
                    (
                        self.when(x.t),
                        x.line,
                        ", ".join(words(t) for t in x.tests),
                        NONE if x.labelled_io is None else "yes" if x.labelled_io else "no",
                    )
                )
                for x in self.s.samples()
            ),
        )

    def events(self, *kinds: str) -> Table:
        """The timeline's events of these kinds, each at its time."""
        return Table(("time", "event"), self._events(kinds))

    def _events(self, kinds: tuple[str, ...]) -> Iterator[RowCells]:
        # `when` and the event's text, written out: a long code's clinical course and notes are most of its rows.
        timeline = self.s.timeline
        if isinstance(timeline, EventList):
            times, texts = self._held_entries(timeline)
            for (plus, at), text in timeline.picked(zip(times, texts, strict=True), *kinds):
                yield (f"{plus} ({at})", text), None
            return
        both, text_of = self._both, self.s.text
        for rec in timeline.of(*kinds):
            plus, at = both(rec.event.t)
            yield (f"{plus} ({at})", text_of(rec)), None

    def flags(self, flags: list[FlagRow], withdrawn: bool = False) -> Table:
        prefix = "W" if withdrawn else "F"
        return Table(
            ("#", "time", "rule", "severity", "line", "event", "message", "acknowledged"),
            [
                Row(
                    (
                        f"{prefix}{f.n}",
                        self.when(f.t),
                        f.rule,
                        f.severity,
                        f.line or NONE,  # a shock, a CPR pause or an arrest deadline is about no line
                        f"#{f.seq} {f.event}",
                        f.message,
                        f"yes: {f.reason}" if f.acknowledged else "no",
                    ),
                    "withdrawn" if withdrawn else f.severity,
                )
                for f in flags
            ],
            caption="Withdrawn after a void, an amend or a late entry (not deviations of the final record)"
            if withdrawn
            else "Flags of the final record" + (f" (rules edition {e})" if (e := self.s.header.rules_edition) else ""),
            empty="None." if withdrawn else "No deviations.",
        )

    def record_keeping(self) -> Table:
        return Table(
            ("#", "recorded", "action", "event", "what changed", "why"),
            self._record_keeping(),
            caption="Voids and amends",
            empty="No voids or amends.",
        )

    def _record_keeping(self) -> Iterator[Row]:
        for r in self.s.record_keeping():
            if r.kind == "void":
                what = "voided"
            else:
                what = "; ".join(f"{c.field}: {_value(c.old, c.field)} → {_value(c.new, c.field)}" for c in r.changes)
            yield Row(
                (
                    f"#{r.seq}",
                    f"{t_plus(r.recorded_t)} ({r.recorded_at.strftime('%H:%M:%S')})",
                    r.kind,
                    f"#{r.target} {r.target_text}",
                    what,
                    r.reason,
                )
            )

    def late(self) -> Table:
        return Table(
            ("#", "occurred", "recorded", "late by", "event"),
            (
                Row(
                    (
                        f"#{e.seq}",
                        self.when(e.t),
                        e.recorded_at.strftime("%H:%M:%S"),
                        f"{number(e.delay_s, 0)} s",
                        e.text,
                    ),
                    "late",
                )
                for e in self.s.late_entries()
            ),
            caption=f"Entered late (recorded more than {LATE_ENTRY_S:g} s after they occurred)",
            empty="No late entries.",
        )

    def timeline(self) -> Table:
        return Table(("T+", "clock", "#", "event", "flags"), self._timeline())

    def _timeline(self) -> Iterator[RowCells]:
        # About one row per event, the most of any table: from plain tuples (no row model), the clock precomputed.
        timeline, listed = self.s.timeline, self.s.timeline_entries()
        rows: Iterable[tuple[tuple[EventRecord, bool, list[FlagRow]], tuple[str, str], str]]
        if isinstance(timeline, EventList):
            times, texts = self._held_entries(timeline)
            rows = zip(listed, times, texts, strict=True)  # the same order: timeline_entries goes through the same list
        else:
            both, text_of = self._both, self.s.text
            rows = ((entry, both(entry[0].event.t), text_of(entry[0])) for entry in listed)
        for (rec, late, flagged), (plus, at), text in rows:
            if late or rec.amended_by:
                marks = ["late entry"] if late else []
                if rec.amended_by:
                    marks.append("amended by " + ", ".join(f"#{n}" for n in rec.amended_by))
                text += f" [{'; '.join(marks)}]"
            if flagged:
                flags = ", ".join(f"F{f.n} {f.rule} ({f.severity})" for f in flagged)
                tone = min((f.severity for f in flagged), key=_SEVERITY_ORDER.index)
                yield (plus, at, f"#{rec.seq}", text, flags), tone
            else:
                yield (plus, at, f"#{rec.seq}", text, ""), None


_SEVERITY_ORDER = ["critical", "warning", "info"]


def _value(value: object, name: str) -> str:
    if name == "t" and isinstance(value, int | float):
        return t_plus(value)
    if isinstance(value, float):
        return number(value, 3)
    return NONE if value is None else str(value)
