"""The debrief timeline as inline SVG: time across, a lane per access line, drugs, fluids, flags, arrest/ROSC shading.

Every state has a shape or a word as well as a colour, so it reads in grey print and to colour-blind eyes.
"""

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from html import escape
from itertools import chain, islice
from typing import Any, TypeVar

from exports.derive import CLINICAL_KINDS, SummaryParts
from schemas.formatting import clock, duration, number, offset, site_label, t_plus, words
from schemas.labels import DRUG_SHORT
from schemas.records import EventRecord
from schemas.summary import AccessLine, DrugRow, EventRow, FlagRow, FluidRow

WIDTH = 1000
LEFT = 150  # the lane labels
RIGHT = 24
PLOT = WIDTH - LEFT - RIGHT
AXIS_H = 44.0
CHAR_W = 6.1  # average width of an 11px sans-serif character, to keep labels apart
ROW_H = 13.0  # one row of staggered labels
# Past 48 hours (12 ticks of 4 h) a code of days or weeks (a million events) still gets at most 12 ticks.
TICK_STEPS = (15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400, 172800, 345600, 604800)
MAX_TICKS = 12
# A lane draws its marks one by one up to this many; past it they could not be told apart (the plot is
# 826 px wide), and a very long code would make a picture of millions of elements. It draws instead how
# many fell in each of BUCKETS stretches of time: a debrief wants to see where things clustered.
MAX_MARKS = 150
BUCKETS = 100
# And this many access lines get a lane each; past it, one lane counts the lines working in each stretch.
MAX_LINE_LANES = 24

COLOURS = {
    "attempting": "#9e9e9e",
    "in": "#7fb3e6",
    "confirmed": "#1565c0",
    "failed": "#c62828",
    "removed": "#212121",
    "drug": "#1a237e",
    "unflushed": "#d50000",
    "fluid": "#00838f",
    "shock": "#6a1b9a",
    "cpr_pause": "#ffe0b2",
    "critical": "#c62828",
    "warning": "#e08a00",
    "info": "#1e6fb8",
    "arrest": "#fdf1f1",
    "arrest_hatch": "#f7dcdc",
    "arrest_bar": "#d32f2f",
    "rosc": "#e2f3e4",
    "rosc_bar": "#43a047",
    "grid": "#d9d9d9",
    "stripe": "#f4f4f4",
    "text": "#212121",
    "muted": "#616161",
}
BAR_HEIGHT = {"attempting": 6, "in": 10, "confirmed": 14}
_ATTRS: dict[str, str] = {}  # keyword → attribute name (font_size → font-size), worked out once each
# What html.escape replaces: searched for first, as most values (colours, anchors) hold none.
_SPECIAL = re.compile("[&<>\"']")
# A float value as it is written (one decimal, none if it is 0): an SVG's coordinates, sizes and widths repeat
# (a mark's line, marker and label share an x), and a dict's look-up is a fraction of formatting one. Bounded.
_ONE_DECIMAL: dict[float, str] = {}
_DECIMALS_KEPT = 20_000


def _el(tag: str, content: str = "", title: str = "", **attrs: Any) -> str:
    """One SVG element; `font_size=10` is written font-size="10", numbers to one decimal."""
    parts = []
    for name, value in attrs.items():
        # By exact type first (a float, a str, an int: nearly every value), then as before for anything else.
        kind = type(value)
        text: str
        if kind is float:
            text = _ONE_DECIMAL.get(value) or _one_decimal(value)
        elif kind is str:
            # Most are colours, anchors and numbers: nothing to escape.
            text = value if _SPECIAL.search(value) is None else escape(value)
        elif kind is int:
            text = str(value)
        elif value is None:
            continue
        elif isinstance(value, float):
            text = _one_decimal(value)
        elif isinstance(value, int):
            text = str(value)
        else:
            text = str(value)
            if _SPECIAL.search(text):
                text = escape(text)
        attr = _ATTRS.get(name)
        if attr is None:
            attr = _ATTRS[name] = name.rstrip("_").replace("_", "-")
        parts.append(f'{attr}="{text}"')
    inner = (f"<title>{_escaped(title)}</title>" if title else "") + content
    open_tag = f"<{tag} {' '.join(parts)}"
    return f"{open_tag}>{inner}</{tag}>" if inner else f"{open_tag}/>"


def _one_decimal(value: float) -> str:
    """A float as an element writes it: one decimal, none when it is 0 (digits, a sign, a point: nothing to escape);
    kept for the next element that writes it."""
    text = f"{value:.1f}".removesuffix(".0")
    # Kept for a plain positive float only: -0.0 equals 0.0 as a key but is written "-0" (and NaN is no key); a
    # subclass may write itself otherwise than the float it equals.
    if type(value) is float and value > 0.0 and len(_ONE_DECIMAL) < _DECIMALS_KEPT:
        _ONE_DECIMAL[value] = text
    return text


def _attr(value: Any) -> str:
    """A value (not None) as `_el` writes it: what the marks below, written from fixed templates, put in."""
    kind = type(value)
    if kind is float:
        return _ONE_DECIMAL.get(value) or _one_decimal(value)
    if kind is str:
        return value if _SPECIAL.search(value) is None else escape(value)
    if kind is int:
        return str(value)
    if isinstance(value, float):
        return _one_decimal(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return escape(text) if _SPECIAL.search(text) else text


def _escaped(text: str) -> str:
    """html.escape(text), searched for first: a label or a tip rarely holds anything to escape."""
    return text if _SPECIAL.search(text) is None else escape(text)


def _text(x: float, y: float, text: str, **attrs: Any) -> str:
    return _el("text", _escaped(text), x=x, y=y, **attrs)


# ── marks written from templates ─────────────────────────────────────────
# A code's repeated marks (a drug's stem, marker and label, a fluid's, a flag's, a flush's drop, a CPR pause, a
# count's bar: about a thousand in a long code) are each written as `_el` writes them, their attributes in the
# same order, from a fixed template: `_el` works out every attribute's name and the text of its constant values
# again for each one. (tests/exports/test_svg_timeline.py checks each against the `_el` call it stands for.)


def _stem(x: float, y1: float, y2: float, colour: str) -> str:
    """`_el("line", x1=x, y1=y1, x2=x, y2=y2, stroke=colour, stroke_width=0.6)`: a mark's line to its label."""
    at = _attr(x)
    return f'<line x1="{at}" y1="{_attr(y1)}" x2="{at}" y2="{_attr(y2)}" stroke="{_attr(colour)}" stroke-width="0.6"/>'


def _mid_label(x: float, y: float, text: str, colour: str, bold: bool = False) -> str:
    """`_text(x, y, text, text_anchor="middle", font_size=10.5, fill=colour, font_weight="bold" if bold else None)`:
    a drug's or a fluid's label."""
    head = f'<text x="{_attr(x)}" y="{_attr(y)}" text-anchor="middle" font-size="10.5" fill="{_attr(colour)}"'
    if bold:
        head += ' font-weight="bold"'
    inner = _escaped(text)
    return f"{head}>{inner}</text>" if inner else f"{head}/>"


def _bar(x: float, y: float, width: float, height: float, fill: str, tip: str = "") -> str:
    """`_el("rect", title=tip, x=x, y=y, width=width, height=height, fill=fill)`: a CPR pause, a count's bar."""
    head = f'<rect x="{_attr(x)}" y="{_attr(y)}" width="{_attr(width)}" height="{_attr(height)}" fill="{_attr(fill)}"'
    return f"{head}><title>{_escaped(tip)}</title></rect>" if tip else f"{head}/>"


def _drop(d: str) -> str:
    """`_el("path", d=d, fill=COLOURS["in"], stroke=COLOURS["confirmed"], stroke_width=0.5)`: a flush's drop."""
    return f'<path d="{_attr(d)}" fill="{_DROP_FILL}" stroke="{_DROP_STROKE}" stroke-width="0.5"/>'


# The templates' constant colours, as `_el` writes them.
_DROP_FILL, _DROP_STROKE = _attr(COLOURS["in"]), _attr(COLOURS["confirmed"])


@dataclass
class _Placed:
    x: float  # the marker
    row: int
    label_x: float  # the label's centre, kept inside the plot


class _Canvas:
    def __init__(self, s: SummaryParts) -> None:
        self.s = s
        self.end = s.header.duration_s if s.header.duration_s is not None else s.header.last_t
        self.step = next((st for st in TICK_STEPS if self.end / st <= MAX_TICKS), TICK_STEPS[-1])
        self.t_max = max(self.step, math.ceil(max(self.end, 1.0) / self.step) * self.step)
        self.parts: list[str] = []

    def x(self, t: float) -> float:
        return round(LEFT + PLOT * min(max(t, 0.0), self.t_max) / self.t_max, 1)

    def add(self, *svg: str) -> None:
        self.parts.extend(svg)

    def ticks(self) -> range:
        return range(0, int(self.t_max) + 1, self.step)

    def bucket(self, t: float) -> int:
        """Which of the BUCKETS stretches of time `t` falls in."""
        return min(BUCKETS - 1, int(BUCKETS * min(max(t, 0.0), self.t_max) / self.t_max))

    def stretch(self, i: int) -> tuple[float, float]:
        """Bucket `i`'s span: its times and where it is drawn."""
        return self.t_max * i / BUCKETS, self.t_max * (i + 1) / BUCKETS

    def anchor(self, t: float) -> str:
        return "start" if t == 0 else "end" if t == self.t_max else "middle"

    def rows(self, items: list[tuple[float, str]], pad: float = 6, beside: bool = False) -> list[_Placed]:
        """Each label in the first row where it does not touch the one before: centred on its time, or
        (a marker with its label beside it) starting just left of it."""
        ends: list[float] = []
        placed = []
        for t, text in items:
            x = self.x(t)
            w = len(text) * CHAR_W
            label_x = x if beside else min(max(x, LEFT + w / 2), WIDTH - 2 - w / 2)
            left, right = (x - 8, x + 12 + w) if beside else (label_x - w / 2, label_x + w / 2)
            row = next((i for i, e in enumerate(ends) if e + pad <= left), len(ends))
            if row == len(ends):
                ends.append(0.0)
            ends[row] = right
            placed.append(_Placed(x, row, label_x))
        return placed


def _depth(placed: list[_Placed]) -> int:
    return max((p.row for p in placed), default=0) + 1


Lane = tuple[float, Callable[[float, float], None]]  # height, draw(top, height)


T = TypeVar("T")


def _few(rows: Iterable[T]) -> tuple[list[T], Iterator[T] | None]:
    """(the rows, None) when there are at most MAX_MARKS of them; else ([], every row, read once)."""
    it = iter(rows)
    head = list(islice(it, MAX_MARKS + 1))
    if len(head) <= MAX_MARKS:
        return head, None
    return [], chain(head, it)


def timeline_svg(s: SummaryParts) -> str:
    """One <svg> element that takes the width of the page (its viewBox scales it)."""
    c = _Canvas(s)
    drugs, many_drugs = _few(s.drugs())
    fluids, many_fluids = _few(s.fluids())
    # The clinical course's records, not its rows: a long code's lane only counts them (no text is made).
    few_clinical, many_clinical = _few(s.timeline.of(*CLINICAL_KINDS))
    clinical = [s.event_row(rec) for rec in few_clinical]
    flags, many_flags = _few(s.flags)
    lanes: list[Lane] = [
        # A long code's lane counts only the kinds it draws, read in a pass of their own: the clinical course's
        # vitals (most of it) and the rest draw nothing there.
        (
            34.0,
            partial(_clinical, c, clinical)
            if many_clinical is None
            else _counted_clinical(c, s.timeline.of(*_COUNTED)),
        ),
        *_line_lanes(c),
    ]
    if many_drugs is None:
        placed = c.rows([(d.t, _drug_label(d)) for d in drugs])
        lanes.append((24.0 + ROW_H * _depth(placed), lambda top, h: _drugs(c, top, drugs, placed)))
    else:
        lanes.append(_counted_drugs(c, many_drugs))
    if many_fluids is None:
        placed_fluids = c.rows([(f.t, _fluid_label(f)) for f in fluids])
        lanes.append((22.0 + ROW_H * _depth(placed_fluids), lambda top, h: _fluids(c, top, fluids, placed_fluids)))
    else:
        lanes.append(_counted_fluids(c, many_fluids))
    if many_flags is None:
        placed_flags = c.rows([(f.t, f"F{f.n}") for f in flags], pad=4, beside=True)
        lanes.append((16.0 + 17.0 * _depth(placed_flags), lambda top, h: _flags(c, top, flags, placed_flags)))
    else:
        lanes.append(_counted_flags(c, many_flags))
    top = AXIS_H
    bottom = AXIS_H + sum(h for h, _ in lanes)
    _defs(c)
    _shading(c, top, bottom)
    _axis(c, top, bottom)
    _end(c, top, bottom)
    for i, (h, draw) in enumerate(lanes):
        if i % 2:
            c.add(_el("rect", x=0, y=top, width=LEFT - 6, height=h, fill=COLOURS["stripe"]))
        c.add(_el("line", x1=0, y1=top + h, x2=WIDTH, y2=top + h, stroke=COLOURS["grid"], stroke_width=0.6))
        draw(top, h)
        top += h
    _legend(c, bottom + 40)
    title = f"Timeline of code {s.header.code_id}: access lines, drugs, fluids and flags against time from the start"
    return _el(
        "svg",
        "".join(c.parts),
        title,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {WIDTH} {bottom + 122:.0f}",
        width="100%",
        role="img",
        aria_label=title,
        font_family="Helvetica, Arial, sans-serif",
        font_size=11,
    )


def _line_lanes(c: _Canvas) -> list[Lane]:
    lines = c.s.lines
    if not lines:
        return [(36.0, lambda top, h: _label(c, top, h, "Access", "no lines recorded"))]
    if len(lines) <= MAX_LINE_LANES:
        return [(36.0, partial(_line_lane, c, line)) for line in lines]
    return [(46.0, partial(_counted_lines, c, lines))]


# ── background: arrest and ROSC, the time axes, the end ──────────────────


def _defs(c: _Canvas) -> None:
    hatch = _el(
        "pattern",
        _el("rect", width=8, height=8, fill=COLOURS["arrest"])
        + _el("line", x1=0, y1=0, x2=0, y2=8, stroke=COLOURS["arrest_hatch"], stroke_width=2),
        id="arrest",
        width=8,
        height=8,
        patternUnits="userSpaceOnUse",
        patternTransform="rotate(45)",
    )
    c.add(f"<defs>{hatch}</defs>")


def _periods(c: _Canvas) -> list[tuple[float, float, str]]:
    """Arrest and ROSC spans: each arrest to its end, and the time after ROSC until the next arrest or the end."""
    periods: list[tuple[float, float, str]] = []
    cursor = 0.0
    for arrest in c.s.arrests:
        if periods and arrest.t > cursor:
            periods.append((cursor, arrest.t, "rosc"))
        stop = arrest.ended_t if arrest.ended_t is not None else c.end
        periods.append((arrest.t, stop, "arrest"))
        cursor = stop
    if c.s.intervals.rosc_s is not None and cursor < c.end:
        periods.append((cursor, c.end, "rosc"))
    return periods


def _shading(c: _Canvas, top: float, bottom: float) -> None:
    for start, stop, kind in _periods(c):
        x0, x1 = c.x(start), c.x(stop)
        width = max(x1 - x0, 0.5)
        fill = "url(#arrest)" if kind == "arrest" else COLOURS["rosc"]
        c.add(_el("rect", x=x0, y=top, width=width, height=bottom - top, fill=fill))
        c.add(_el("rect", x=x0, y=top - 26, width=width, height=4, fill=COLOURS[f"{kind}_bar"]))
        if x1 - x0 > 44:
            c.add(
                _text(
                    (x0 + x1) / 2,
                    top - 30,
                    "ARREST" if kind == "arrest" else "ROSC",
                    text_anchor="middle",
                    font_size=10,
                    font_weight="bold",
                    letter_spacing=1,
                    fill=COLOURS[f"{kind}_bar"],
                )
            )


def _axis(c: _Canvas, top: float, bottom: float) -> None:
    start = c.s.header.start
    for t in c.ticks():
        x = c.x(t)
        c.add(_el("line", x1=x, y1=top - 4, x2=x, y2=bottom, stroke=COLOURS["grid"], stroke_width=0.8))
        c.add(_text(x, top - 12, t_plus(t), text_anchor=c.anchor(t), font_size=10.5))
        # The clock along the bottom, in the code's offset: the debrief matches it to the monitor's log.
        when = clock(start, t)
        c.add(
            _text(
                x,
                bottom + 13,
                when[:5] if c.step >= 60 else when,
                text_anchor=c.anchor(t),
                font_size=10,
                fill=COLOURS["muted"],
            )
        )
    muted = {"text_anchor": "end", "font_size": 10, "fill": COLOURS["muted"]}
    c.add(_text(LEFT - 10, top - 12, "from start", **muted))
    c.add(_text(LEFT - 10, bottom + 13, f"clock (UTC{offset(start)})", **muted))


def _end(c: _Canvas, top: float, bottom: float) -> None:
    """A heavy rule where the code ended (or at its last event, while it is open)."""
    x = c.x(c.end)
    c.add(_el("line", x1=x, y1=top - 4, x2=x, y2=bottom, stroke=COLOURS["text"], stroke_width=1.6))
    if c.t_max - c.end > 20 * c.t_max / PLOT:
        label = "end" if c.s.header.duration_s is not None else "open"
        c.add(_text(x + 3, top + 10, label, font_size=10, font_weight="bold"))


def _label(c: _Canvas, top: float, h: float, title: str, sub: str = "") -> None:
    mid = top + h / 2
    c.add(_text(8, mid - 2 if sub else mid + 4, title, font_weight="bold", font_size=11.5))
    if sub:
        c.add(_text(8, mid + 11, sub, font_size=10, fill=COLOURS["muted"]))


# ── lanes ────────────────────────────────────────────────────────────────


def _shock_marker(x: float, mid: float, synchronized: bool) -> dict[str, Any]:
    """A bolt; a synchronized shock (cardioversion) dashed, so the two read apart at a glance."""
    bolt = f"M{x - 2} {mid + 2} L{x + 2} {mid + 7} L{x - 1} {mid + 8} L{x + 3} {mid + 14}"
    dashed = {"stroke_dasharray": "1.5 1"} if synchronized else {}
    return {"d": bolt, "fill": "none", "stroke": COLOURS["shock"], "stroke_width": 1.6, **dashed}


def _cpr_pauses(c: _Canvas, clinical: Iterable[EventRow]) -> Iterator[tuple[float, float]]:
    """Each `cpr_stopped` to the next `cpr_started` (or ROSC, the end of the code, the last event)."""
    stopped = None
    for e in clinical:
        if e.kind == "cpr_stopped" and stopped is None:
            stopped = e.t
        elif e.kind in ("cpr_started", "rosc", "code_ended") and stopped is not None:
            yield stopped, e.t
            stopped = None
    if stopped is not None:
        yield stopped, c.end


def _clinical(c: _Canvas, clinical: list[EventRow], top: float, h: float) -> None:
    _label(c, top, h, "Rhythm", "shocks ϟ · CPR pauses")
    mid = top + h / 2
    for a, b in _cpr_pauses(c, clinical):
        # Under the marks: the span with no compressions (CPR_PAUSE_LONG flags the long ones).
        tip = f"CPR paused {t_plus(a)}–{t_plus(b)} ({number(b - a, 0)} s)"
        x0, x1 = c.x(a), c.x(b)
        c.add(_bar(x0, mid + 1, max(x1 - x0, 1.5), h / 2 - 3, COLOURS["cpr_pause"], tip))
    for e in clinical:
        x = c.x(e.t)
        if e.kind == "rhythm":
            c.add(_el("line", x1=x, y1=top + 4, x2=x, y2=top + h - 4, stroke=COLOURS["muted"], stroke_width=1))
            c.add(_text(x + 3, mid - 3, e.text.removeprefix("Rhythm: "), font_size=10.5, font_weight="bold"))
        elif e.kind == "shock":
            tip = f"{t_plus(e.t)} {e.text}"
            c.add(_el("path", title=tip, **_shock_marker(x, mid, e.text.startswith("Synchronized"))))
        elif e.kind in ("cpr_started", "cpr_stopped"):
            mark = "CPR▸" if e.kind == "cpr_started" else "◂CPR"
            c.add(_text(x, mid + 13, mark, font_size=9, text_anchor="middle", fill=COLOURS["muted"]))


def _segments(c: _Canvas, line: AccessLine) -> list[tuple[str, float, float]]:
    """attempting until it went in (or failed); IO: in until confirmed, confirmed until failed, removed or the end."""
    stop = min(t for t in (line.failed_t, line.removed_t, c.end) if t is not None)
    went_in = line.result_t if line.result == "in" and line.result_t is not None and line.result_t <= stop else None
    if went_in is None:
        return [("attempting", line.t, stop)]
    segments = [("attempting", line.t, went_in)]
    if line.kind != "io":  # an IV or UVC line works once it is in: no confirmation step
        return [*segments, ("confirmed", went_in, stop)]
    confirmed = line.confirmed_t if line.confirmed_t is not None and line.confirmed_t <= stop else None
    if confirmed is None:
        return [*segments, ("in", went_in, stop)]
    return [*segments, ("in", went_in, confirmed), ("confirmed", confirmed, stop)]


def _line_lane(c: _Canvas, line: AccessLine, top: float, h: float) -> None:
    where = site_label(line.site, line.side) if line.kind == "io" or line.site else line.kind.upper()
    _label(c, top, h, f"{line.line} · {line.kind.upper()}", _fit(where, 24))
    mid = top + h / 2
    for kind, a, b in _segments(c, line):
        x0, x1, bar = c.x(a), c.x(b), BAR_HEIGHT[kind]
        dashed: dict[str, Any] = (
            {"stroke": "#616161", "stroke_width": 0.6, "stroke_dasharray": "2 1.5"} if kind == "attempting" else {}
        )
        tip = f"{line.line} {kind} {t_plus(a)}–{t_plus(b)}"
        c.add(
            _el(
                "rect",
                title=tip,
                x=x0,
                y=mid - bar / 2,
                width=max(x1 - x0, 1.5),
                height=bar,
                fill=COLOURS[kind],
                **dashed,
            )
        )
    flushed = line.flushed_at
    if len(flushed) > MAX_MARKS:  # one drop where a stretch of time had any
        flushed = [c.stretch(i)[0] for i in sorted({c.bucket(t) for t in flushed})]
    for t in flushed:
        fx = c.x(t)
        drop = f"M{fx - 2.5} {mid + 9} L{fx + 2.5} {mid + 9} L{fx} {mid + 13} Z"
        c.add(_drop(drop))
    if line.confirmed_t is not None:
        c.add(_text(c.x(line.confirmed_t) + 3, mid + 3.5, "✓", font_size=9.5, font_weight="bold", fill="#fff"))
    if line.failed_t is not None:
        _failed(c, line, mid)
    if line.removed_t is not None:
        rx = c.x(line.removed_t)
        end_mark = f"M{rx} {mid - 8} L{rx} {mid + 8} M{rx - 5} {mid} L{rx} {mid}"
        tip = f"{line.line} removed {t_plus(line.removed_t)}"
        c.add(_el("path", title=tip, d=end_mark, stroke=COLOURS["removed"], stroke_width=2))
        if line.failed_t is None:
            c.add(_text(rx + 4, mid - 6, "removed", font_size=10))


def _failed(c: _Canvas, line: AccessLine, mid: float) -> None:
    assert line.failed_t is not None
    fx = c.x(line.failed_t)
    after = line.removed_t if line.removed_t is not None else c.end
    # A failed IO needle stays in the bone until it is removed; a failed IV leaves nothing behind.
    if line.kind == "io" and after > line.failed_t:
        c.add(
            _el(
                "line",
                x1=fx,
                y1=mid,
                x2=c.x(after),
                y2=mid,
                stroke=COLOURS["failed"],
                stroke_width=1.2,
                stroke_dasharray="3 2",
            )
        )
    cross = f"M{fx - 5} {mid - 5} L{fx + 5} {mid + 5} M{fx - 5} {mid + 5} L{fx + 5} {mid - 5}"
    tip = f"{line.line} failed {t_plus(line.failed_t)}"
    c.add(_el("path", title=tip, d=cross, stroke=COLOURS["failed"], stroke_width=2.4))
    why = ", ".join(words(w) for w in line.complications) or line.result_reason or "failed"
    c.add(_text(fx + 8, mid - 6, f"✕ {_fit(why, 26)}", font_size=10, fill=COLOURS["failed"]))


def _drug_label(d: DrugRow) -> str:
    return f"{DRUG_SHORT.get(d.drug) or _fit(d.label, 10)} {number(d.dose, 3)}{d.unit}"


def _fluid_label(f: FluidRow) -> str:
    return f"{number(f.volume_ml, 0)} mL"


def _drug_marker(x: float, y: float, unflushed: bool, tip: str = "") -> str:
    # From templates (above): `_el("circle", title=tip, cx=x, cy=y, r=4.5, fill=COLOURS["drug"])`, or when unflushed
    # r=6.5 in COLOURS["unflushed"] and `_text(x, y + 3.8, "!", text_anchor="middle", font_size=10,
    # font_weight="bold", fill="#fff")`.
    title = f"<title>{_escaped(tip)}</title>" if tip else ""
    if not unflushed:
        head = f'<circle cx="{_attr(x)}" cy="{_attr(y)}" r="4.5" fill="{_DRUG}"'
        return f"{head}>{title}</circle>" if title else f"{head}/>"
    # Red, larger, and with a "!": unflushed reads without colour too.
    at = _attr(x)
    head = f'<circle cx="{at}" cy="{_attr(y)}" r="6.5" fill="{_UNFLUSHED}"'
    circle = f"{head}>{title}</circle>" if title else f"{head}/>"
    bang = f'<text x="{at}" y="{_attr(y + 3.8)}" text-anchor="middle" font-size="10" font-weight="bold" fill="#fff">'
    return f"{circle}{bang}!</text>"


_DRUG, _UNFLUSHED = _attr(COLOURS["drug"]), _attr(COLOURS["unflushed"])


def _drugs(c: _Canvas, top: float, drugs: list[DrugRow], placed: list[_Placed]) -> None:
    unflushed = sum(1 for d in drugs if d.unflushed)
    _label(c, top, 30, "Drugs", f"{len(drugs)} given, {unflushed} unflushed" if drugs else "none")
    y = top + 12
    for d, p in zip(drugs, placed, strict=True):
        colour = COLOURS["unflushed"] if d.unflushed else COLOURS["drug"]
        label_y = y + 20 + ROW_H * p.row
        tip = f"{t_plus(d.t)} {d.label} {number(d.dose, 3)} {d.unit}" + (" — NOT FLUSHED" if d.unflushed else "")
        c.add(_stem(p.x, y, label_y - 9, colour))
        c.add(_drug_marker(p.x, y, d.unflushed, tip))
        c.add(_mid_label(p.label_x, label_y, _drug_label(d), colour, bold=d.unflushed))


def _fluid_marker(x: float, y: float, tip: str = "") -> str:
    # From a template (above): `_el("rect", title=tip, x=x - 4, y=y - 6, width=8, height=11, rx=2,
    # fill=COLOURS["fluid"])`.
    head = f'<rect x="{_attr(x - 4)}" y="{_attr(y - 6)}" width="8" height="11" rx="2" fill="{_FLUID}"'
    return f"{head}><title>{_escaped(tip)}</title></rect>" if tip else f"{head}/>"


_FLUID = _attr(COLOURS["fluid"])


def _fluids(c: _Canvas, top: float, fluids: list[FluidRow], placed: list[_Placed]) -> None:
    ft = c.s.fluid_totals
    per_kg = f", {number(ft.fluids_ml_per_kg, 1)} mL/kg" if ft.fluids_ml_per_kg else ""
    _label(c, top, 30, "Fluids", f"{number(ft.fluids_ml, 0)} mL{per_kg}" if fluids else "none")
    y = top + 11
    for f, p in zip(fluids, placed, strict=True):
        c.add(_fluid_marker(p.x, y, f"{t_plus(f.t)} {f.label} {number(f.volume_ml, 1)} mL via {f.line}"))
        label_y = y + 19 + ROW_H * p.row
        c.add(_mid_label(p.label_x, label_y, _fluid_label(f), COLOURS["fluid"]))


def _flag_marker(severity: str, x: float, y: float, tip: str = "") -> str:
    """critical ▲ with "!", warning ◆, info ○ with "i": three shapes, so colour is not needed."""
    # From templates (above), each as `_el` writes: critical `_el("path", title=tip, d=triangle, fill=colour)` and
    # `_text(x, y + 3.5, "!", fill="#fff", text_anchor="middle", font_size=8.5, font_weight="bold")`; warning the
    # diamond's path; info `_el("circle", title=tip, cx=x, cy=y, r=5.5, fill="#fff", stroke=colour,
    # stroke_width=1.8)` and an "i" as the "!" but at y + 3.3 and in the colour.
    colour = _attr(COLOURS[severity])
    title = f"<title>{_escaped(tip)}</title>" if tip else ""
    if severity == "critical":
        triangle = f"M{x} {y - 7} L{x + 7} {y + 5} L{x - 7} {y + 5} Z"
        head = f'<path d="{_attr(triangle)}" fill="{colour}"'
        glyph = f'<text x="{_attr(x)}" y="{_attr(y + 3.5)}" fill="#fff"{_GLYPH}>!</text>'
        return (f"{head}>{title}</path>" if title else f"{head}/>") + glyph
    if severity == "warning":
        diamond = f"M{x} {y - 6.5} L{x + 6.5} {y} L{x} {y + 6.5} L{x - 6.5} {y} Z"
        head = f'<path d="{_attr(diamond)}" fill="{colour}"'
        return f"{head}>{title}</path>" if title else f"{head}/>"
    at = _attr(x)
    head = f'<circle cx="{at}" cy="{_attr(y)}" r="5.5" fill="#fff" stroke="{colour}" stroke-width="1.8"'
    ring = f"{head}>{title}</circle>" if title else f"{head}/>"
    return ring + f'<text x="{at}" y="{_attr(y + 3.3)}" fill="{colour}"{_GLYPH}>i</text>'


_GLYPH = ' text-anchor="middle" font-size="8.5" font-weight="bold"'  # a flag marker's "!" or "i"


def _flags(c: _Canvas, top: float, flags: list[FlagRow], placed: list[_Placed]) -> None:
    counts = {sev: sum(1 for f in flags if f.severity == sev) for sev in ("critical", "warning", "info")}
    _label(c, top, 30, "Flags", " · ".join(f"{n} {sev}" for sev, n in counts.items() if n) or "none")
    for f, p in zip(flags, placed, strict=True):
        y = top + 15 + 17 * p.row
        colour = COLOURS[f.severity]
        c.add(_stem(p.x, top + 2, y, colour))
        c.add(_flag_marker(f.severity, p.x, y, f"F{f.n} {t_plus(f.t)} {f.rule} ({f.severity}): {f.message}"))
        c.add(_flag_label(p.x + 10, y + 4, f"F{f.n}", colour, bold=f.severity == "critical"))


def _flag_label(x: float, y: float, text: str, colour: str, bold: bool) -> str:
    """`_text(x, y, text, font_size=11, fill=colour, font_weight="bold" if bold else None)`: a flag's number."""
    head = f'<text x="{_attr(x)}" y="{_attr(y)}" font-size="11" fill="{_attr(colour)}"'
    if bold:
        head += ' font-weight="bold"'
    inner = _escaped(text)
    return f"{head}>{inner}</text>" if inner else f"{head}/>"


# ── a long code: how many in each stretch of time ─────────────────────────


class _Tally:
    """Counts per stretch of time (BUCKETS of them), by what matters in the lane (unflushed, a severity)."""

    def __init__(self, c: _Canvas) -> None:
        self.c = c
        self.counts: list[dict[str, int]] = [{} for _ in range(BUCKETS)]
        self.total = 0

    def add(self, t: float, what: str) -> None:
        counts = self.counts[self.c.bucket(t)]
        counts[what] = counts.get(what, 0) + 1
        self.total += 1

    def of(self, what: str) -> int:
        return sum(counts.get(what, 0) for counts in self.counts)

    def bars(self, top: float, h: float, colour: Callable[[dict[str, int]], str], noun: str) -> None:
        """A bar per stretch, as tall as its count against the busiest one, titled with its counts."""
        c, busiest = self.c, max((sum(n.values()) for n in self.counts), default=0)
        for i, counts in enumerate(self.counts):
            n = sum(counts.values())
            if not n:
                continue
            a, b = c.stretch(i)
            x0, x1 = c.x(a), c.x(b)
            height = 3 + (h - 3) * n / busiest
            what = ", ".join(f"{k} {w}" for w, k in sorted(counts.items()) if w)
            tip = f"{t_plus(a)}–{t_plus(b)}: {n} {noun}" + (f" ({what})" if what else "")
            c.add(_bar(x0, top + h - height, max(x1 - x0 - 1, 1.0), height, colour(counts), tip))

    def caption(self) -> str:
        return f"bars: count per {duration(self.c.t_max / BUCKETS)}"


# What the rhythm lane of a long code counts or spans (`_counted_clinical`): of the clinical course's kinds.
_COUNTED = ("rhythm", "shock", "cpr_stopped", "cpr_started", "rosc", "code_ended")


def _counted_clinical(c: _Canvas, rows: Iterable[EventRecord]) -> Callable[[float, float], None]:
    """The rhythm lane of a long code: CPR pauses merged where they touch at this scale, shocks and
    rhythm checks counted per stretch."""
    tally, pauses = _Tally(c), list[tuple[float, float, int]]()
    stopped = None
    for rec in rows:
        ev = rec.event  # its kind and time read once: a long code's clinical course is thousands of events
        kind = ev.kind
        if kind in ("rhythm", "shock"):
            tally.add(ev.t, kind)
        elif kind == "cpr_stopped":
            if stopped is None:
                stopped = ev.t
        elif kind in ("cpr_started", "rosc", "code_ended") and stopped is not None:
            _merge(c, pauses, stopped, ev.t)
            stopped = None
    if stopped is not None:
        _merge(c, pauses, stopped, c.end)

    def draw(top: float, h: float) -> None:
        _label(c, top, h, "Rhythm", tally.caption())
        mid = top + h / 2
        for a, b, n in pauses:
            tip = f"CPR paused {t_plus(a)}–{t_plus(b)}" + (f" ({n} pauses)" if n > 1 else "")
            x0, x1 = c.x(a), c.x(b)
            c.add(_bar(x0, mid + 1, max(x1 - x0, 1.5), h / 2 - 3, COLOURS["cpr_pause"], tip))
        tally.bars(
            top + 3, h / 2 - 4, lambda counts: COLOURS["shock"] if "shock" in counts else COLOURS["muted"], "events"
        )

    return draw


def _merge(c: _Canvas, pauses: list[tuple[float, float, int]], a: float, b: float) -> None:
    """Add the span a–b, joined to the one before when less than a pixel apart (their number kept)."""
    if pauses and c.x(a) - c.x(pauses[-1][1]) < 1.0:
        start, _, n = pauses[-1]
        pauses[-1] = (start, max(b, pauses[-1][1]), n + 1)
    else:
        pauses.append((a, b, 1))


def _counted_drugs(c: _Canvas, rows: Iterable[DrugRow]) -> Lane:
    tally = _Tally(c)
    for d in rows:
        tally.add(d.t, "not flushed" if d.unflushed else "")

    def draw(top: float, h: float) -> None:
        unflushed = tally.of("not flushed")
        _label(c, top, 30, "Drugs", f"{tally.total} given, {unflushed} unflushed")
        c.add(_text(8, top + 44, tally.caption(), font_size=10, fill=COLOURS["muted"]))
        red = COLOURS["unflushed"]
        tally.bars(top + 6, h - 12, lambda counts: red if "not flushed" in counts else COLOURS["drug"], "drugs")

    return 56.0, draw


def _counted_fluids(c: _Canvas, rows: Iterable[FluidRow]) -> Lane:
    tally = _Tally(c)
    for f in rows:
        tally.add(f.t, "")

    def draw(top: float, h: float) -> None:
        ft = c.s.fluid_totals
        per_kg = f", {number(ft.fluids_ml_per_kg, 1)} mL/kg" if ft.fluids_ml_per_kg else ""
        _label(c, top, 30, "Fluids", f"{number(ft.fluids_ml, 0)} mL{per_kg}")
        c.add(_text(8, top + 44, tally.caption(), font_size=10, fill=COLOURS["muted"]))
        tally.bars(top + 6, h - 12, lambda counts: COLOURS["fluid"], "fluids")

    return 56.0, draw


def _counted_flags(c: _Canvas, rows: Iterable[FlagRow]) -> Lane:
    tally = _Tally(c)
    for f in rows:
        tally.add(f.t, f.severity)

    def worst(counts: dict[str, int]) -> str:
        return COLOURS[next(sev for sev in ("critical", "warning", "info") if sev in counts)]

    def draw(top: float, h: float) -> None:
        counts = {sev: tally.of(sev) for sev in ("critical", "warning", "info")}
        _label(c, top, 30, "Flags", _fit(" · ".join(f"{n} {sev}" for sev, n in counts.items() if n), 24))
        c.add(_text(8, top + 44, tally.caption(), font_size=10, fill=COLOURS["muted"]))
        tally.bars(top + 6, h - 12, worst, "flags")

    return 56.0, draw


def _counted_lines(c: _Canvas, lines: list[AccessLine], top: float, h: float) -> None:
    """Too many lines for a lane each: how many were working in each stretch, and where lines failed."""
    working, failed = _Tally(c), _Tally(c)
    for line in lines:
        for kind, a, b in _segments(c, line):
            if kind == "confirmed":
                for i in range(c.bucket(a), c.bucket(b) + 1):
                    working.counts[i][""] = working.counts[i].get("", 0) + 1
        if line.failed_t is not None:
            failed.add(line.failed_t, "")
    n_failed = sum(1 for line in lines if line.success is False)
    _label(c, top, h, f"Access · {len(lines)} lines", f"{n_failed} failed; bars: lines working")
    working.bars(top + 4, h - 8, lambda counts: COLOURS["confirmed"], "lines working")
    mid = top + h / 2
    for i, counts in enumerate(failed.counts):
        if counts:
            a, b = c.stretch(i)
            fx = c.x((a + b) / 2)
            cross = f"M{fx - 4} {mid - 4} L{fx + 4} {mid + 4} M{fx - 4} {mid + 4} L{fx + 4} {mid - 4}"
            tip = f"{t_plus(a)}–{t_plus(b)}: {counts['']} failed"
            c.add(_el("path", title=tip, d=cross, stroke=COLOURS["failed"], stroke_width=2))


def _legend(c: _Canvas, top: float) -> None:
    dashed: dict[str, Any] = {"stroke": "#616161", "stroke_width": 0.6, "stroke_dasharray": "2 1.5"}
    lines = [
        (_el("rect", x=0, y=-3, width=22, height=6, fill=COLOURS["attempting"], **dashed), "attempting"),
        (_el("rect", x=0, y=-5, width=22, height=10, fill=COLOURS["in"]), "IO in, not confirmed"),
        (_el("rect", x=0, y=-7, width=22, height=14, fill=COLOURS["confirmed"]), "working (IO confirmed, IV in)"),
        (_el("path", d="M6 -5 L16 5 M6 5 L16 -5", stroke=COLOURS["failed"], stroke_width=2.4), "failed"),
        (_el("path", d="M14 -8 L14 8 M9 0 L14 0", stroke=COLOURS["removed"], stroke_width=2), "removed"),
        (
            _el(
                "path", d="M7.5 -3 L14.5 -3 L11 3 Z", fill=COLOURS["in"], stroke=COLOURS["confirmed"], stroke_width=0.5
            ),
            "flush",
        ),
    ]
    marks = [
        (_drug_marker(11, 0, False), "drug, flushed"),
        (_drug_marker(11, 0, True), "drug NOT flushed"),
        (_fluid_marker(11, 0), "fluid"),
        (_flag_marker("critical", 11, 0), "critical"),
        (_flag_marker("warning", 11, 0), "warning"),
        (_flag_marker("info", 11, 0), "info"),
        (_el("rect", x=0, y=-7, width=22, height=14, fill="url(#arrest)", stroke=COLOURS["arrest_bar"]), "arrest"),
        (_el("rect", x=0, y=-7, width=22, height=14, fill=COLOURS["rosc"], stroke=COLOURS["rosc_bar"]), "ROSC"),
    ]
    rhythm = [
        (_el("path", **_shock_marker(11, -8, False)), "shock"),
        (_el("path", **_shock_marker(11, -8, True)), "synchronized shock (cardioversion)"),
        (_el("rect", x=0, y=-5, width=22, height=10, fill=COLOURS["cpr_pause"]), "no compressions (CPR stopped)"),
    ]
    c.add(_text(8, top + 14, "Key", font_weight="bold", font_size=10.5))
    for y, row in ((top + 10, lines), (top + 34, marks), (top + 58, rhythm)):
        x = float(LEFT)
        for glyph, text in row:
            c.add(_el("g", glyph, transform=f"translate({x:.1f} {y})"), _text(x + 30, y + 4, text, font_size=10.5))
            x += 48 + len(text) * CHAR_W


def _fit(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
