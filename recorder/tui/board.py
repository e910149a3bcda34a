"""What the live screen shows, computed from the session: lines, timers, flags, patient band.

Pure and textual-free, so the widgets only draw and the tests can check the figures directly.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from recorder.engine import Protocol
from recorder.engine.clinical_view import ClinicalView
from recorder.engine.state import LineState
from schemas.formatting import age_short, number, words
from schemas.formatting import site_label as site_words
from schemas.formatting import t_plus as code_time
from schemas.labels import DEVICE_NAMES as DEVICE
from schemas.labels import ROUTE_NAMES
from schemas.patient import Patient
from schemas.records import EventRecord, Flag
from schemas.vocabulary import SEVERITIES

Level = Literal["ok", "due", "over"]


@dataclass(frozen=True)
class LineRow:
    id: str
    kind: str
    where: str
    kit: str
    status: str
    since: float | None  # when it went in (or was attempted), for "time in place"
    usable: bool


@dataclass(frozen=True)
class Timer:
    label: str
    seconds: float  # counting up
    level: Level
    detail: str


def line_rows(state: ClinicalView, made: "LineRows | None" = None) -> list[LineRow]:
    """Every line of the code, newest first (`made`: the rows a screen has made already, to make only new ones)."""
    return (made if made is not None else LineRows())(state)


class LineRows:
    """The rows of one screen's lines, each kept by what it is made of: a long code has dozens of lines, and a
    key or the second's tick changes one at most (the live screen works them out again at every one)."""

    MOST = 4096  # rows kept at most: a row no longer made of what a line is made of stays until then

    def __init__(self) -> None:
        self._made: dict[tuple, LineRow] = {}

    def __call__(self, state: ClinicalView) -> list[LineRow]:
        rows = []
        made = self._made
        if len(made) > self.MOST:
            made.clear()
        for line in state.lines.values():
            if not line.known:
                continue
            key = (
                line.id,
                line.kind,
                line.t,
                line.site,
                line.side,
                line.device,
                line.needle_mm,
                line.in_seq,
                line.in_t,
                line.aspirated,
                line.flushed_ok,
                line.failed_seq,
                line.removed_seq,
            )
            row = made.get(key)
            if row is None:
                row = made[key] = _line_row(line)
            rows.append(row)
        return sorted(rows, key=lambda r: r.since or 0, reverse=True)


def _line_row(line: LineState) -> LineRow:
    kit = " ".join(
        p for p in (DEVICE.get(line.device or "", ""), f"{number(line.needle_mm)} mm" if line.needle_mm else "") if p
    )
    return LineRow(
        id=line.id,
        kind=ROUTE_NAMES[line.kind],
        where=site_words(line.site, line.side) if line.kind == "io" else (line.site or ""),
        kit=kit,
        status=line.status,
        since=line.in_t if line.in_t is not None else line.t,
        usable=line.usable,
    )


def current_line(state: ClinicalView, preferred: str | None = None, rows: list[LineRow] | None = None) -> str | None:
    """The line an event goes through by default: the chosen one while it lasts, else the newest live one
    (`rows`: line_rows(state), when the caller has them already)."""
    live = [r for r in (line_rows(state) if rows is None else rows) if r.status in ("attempting", "in", "confirmed")]
    ids = [r.id for r in live]
    if preferred in ids:
        return preferred
    usable = [r.id for r in live if r.usable]
    return next(iter(usable or ids), None)


def next_line(state: ClinicalView, current: str | None, rows: list[LineRow] | None = None) -> str | None:
    """The next live line after `current`, cycling: the scribe's `l` key (`rows`: line_rows(state), when the
    caller has them already)."""
    ids = [r.id for r in (line_rows(state) if rows is None else rows) if r.status in ("attempting", "in", "confirmed")]
    if not ids:
        return None
    if current not in ids:
        return ids[0]
    return ids[(ids.index(current) + 1) % len(ids)]


def cpr_running(newest_first: Iterable[EventRecord]) -> bool:
    """Whether CPR is going on at the end of a timeline, read newest first: the `c` key starts or stops it.

    It stops at the latest CPR event, so a key costs what the last minutes of the code cost, not the
    whole code (read oldest first it was most of a key's time at 50,000 events, benchmarks/bench_keys.py).
    """
    for record in newest_first:
        if record.kind in ("cpr_started", "cpr_stopped"):
            return record.kind == "cpr_started"
    return False


def timers(state: ClinicalView, now: float, protocol: Protocol) -> list[Timer]:
    """The clocks that matter now: adrenaline in an arrest, drugs waiting in the marrow for a flush."""
    out: list[Timer] = []
    epi = protocol.epinephrine
    arrest = state.arrest
    if arrest is not None:
        if arrest.last_epinephrine_t is None:
            since = now - arrest.t
            level: Level = "over" if since > epi.first_dose_s else "due" if since > epi.too_soon_s else "ok"
            out.append(Timer("No adrenaline yet", since, level, f"arrest since {code_time(arrest.t)}"))
        else:
            since = now - arrest.last_epinephrine_t
            level = "over" if since > epi.interval_s else "due" if since >= epi.too_soon_s else "ok"
            window = f"due {number(epi.too_soon_s / 60)}–{number(epi.interval_s / 60)} min"
            out.append(Timer("Since adrenaline", since, level, f"{arrest.epinephrine_doses} given · {window}"))
    # A drug stays "in the marrow" until its line is flushed, past the deadline too: that is when it matters.
    waiting = [
        line.awaiting_flush
        for line in state.lines.values()
        if line.awaiting_flush is not None
        and line.status not in ("failed", "removed")
        and (line.awaiting_flush.open or not line.flushed_since_drug)
    ]
    for due in sorted(waiting, key=lambda d: d.at):
        need = f"≥ {number(due.min_ml)} mL" if due.min_ml else "any volume"
        level = "over" if now > due.at or not due.open else "due"
        out.append(
            Timer(f"{words(due.drug)} in {due.line}", now - due.since, level, f"flush {need} by {code_time(due.at)}")
        )
    return out


def patient_band(patient: Patient) -> str:
    """`2.5 y · 12 kg (length tape) · female`, `7 mo · weight ?`: with ? for what is not known yet."""
    age = "age ?" if patient.age is None else age_short(patient.age)
    if patient.weight_kg is None:
        weight = "weight ?"
    else:
        source = words(patient.weight_source) if patient.weight_source else ""
        weight = f"{number(patient.weight_kg)} kg" + (f" ({source})" if source else "")
    parts = [age, weight]
    if patient.sex and patient.sex != "unknown":
        parts.append(patient.sex)
    if patient.name:
        parts.insert(0, patient.name)
    return " · ".join(parts)


def flags_by_urgency(flags: list[Flag]) -> list[Flag]:
    """Unacknowledged before acknowledged, critical first, newest first within each."""
    rank = {sev: i for i, sev in enumerate(SEVERITIES)}
    return sorted(flags, key=lambda f: (f.acknowledged, rank[f.severity], -f.t, -f.seq))


def flag_to_acknowledge(flags: list[Flag], chosen: tuple[str, int] | None = None) -> tuple[Flag, str] | None:
    """The flag `k` acknowledges and why that one: the (rule, seq) the scribe chose if it still stands,
    else the newest unacknowledged critical, else warning, else info; None when every flag is acknowledged.

    An acknowledged flag is offered again only when chosen (to give a new reason): never by default.
    """
    if chosen is not None:
        flag = next((f for f in flags if (f.rule, f.seq) == chosen), None)
        if flag is not None:
            return flag, "selected"
    rank = {sev: i for i, sev in enumerate(SEVERITIES)}
    unacknowledged = [f for f in flags if not f.acknowledged]
    if not unacknowledged:
        return None
    flag = min(unacknowledged, key=lambda f: (rank[f.severity], -f.t, -f.seq))
    return flag, f"the newest unacknowledged {flag.severity}"


def breached_sites(state: ClinicalView) -> dict[str, str]:
    """Site → what already happened in its bone (`L io1 failed`), for the IO picker's marks.

    The bone of each site is the protocol's (the table the site rules read), so the marks and the flags agree."""
    out: dict[str, str] = {}
    for site, bone in state.protocol.anatomy.site_bone.items():
        notes = []
        for key, line_ids in state.bones.items():
            if key.split("/")[0] != bone:
                continue
            side = key.split("/")[1][0].upper() if "/" in key else ""
            notes += [f"{side} {lid} {state.lines[lid].status}".strip() for lid in line_ids if lid in state.lines]
        if notes:
            out[site] = f"{bone}: " + ", ".join(notes)
    return out
