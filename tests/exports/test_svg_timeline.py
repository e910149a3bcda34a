"""The HTML timeline shows what the second edition's shock and CPR rules are about."""

import re

from exports.derive import SummaryParts
from exports.svg_timeline import timeline_svg
from tests.factory import read, record


def test_cpr_pauses_and_shocks_are_drawn(newrules):
    """The 20 s pause (CPR stopped T+01:10, started T+01:30) is a span; four shocks are bolts."""
    svg = timeline_svg(SummaryParts(newrules))
    assert re.findall(r"<title>(CPR paused [^<]*)</title>", svg) == ["CPR paused T+01:10–T+01:30 (20 s)"]
    shocks = re.findall(r"<title>(T\+[0-9:]+ (?:Synchronized shock|Shock)[^<]*)</title>", svg)
    assert shocks == ["T+00:40 Shock 50 J", "T+03:50 Shock 300 J", "T+04:10 Shock 56 J", "T+04:30 Shock 56 J"]
    assert "synchronized shock (cardioversion)" in svg and "no compressions (CPR stopped)" in svg  # the key


def test_a_synchronized_shock_reads_apart(tmp_path):
    events = [
        {"t": 0, "kind": "code_started", "at": "2026-04-01T10:00:00+00:00", "arrest": False},
        {"t": 30, "kind": "shock", "joules": 10, "synchronized": True},
        {"t": 60, "kind": "cpr_stopped"},
        {"t": 90, "kind": "code_ended", "outcome": "transferred"},
    ]
    db = tmp_path / "sync.db"
    svg = timeline_svg(SummaryParts(read(db, record(db, events, "5c0000000000000f"))))
    bolt = re.search(r"<path[^>]*><title>T\+00:30 Synchronized shock \(cardioversion\) 10 J</title>", svg)
    assert bolt and 'stroke-dasharray="1.5 1"' in bolt.group()
    # a CPR stop never followed by a start runs to the end of the code
    assert "CPR paused T+01:00–T+01:30 (30 s)" in svg


class _Many:
    """A code's summary parts with each kind of mark repeated `n` times across the same hour, and 30 lines."""

    def __init__(self, parts: SummaryParts, n: int) -> None:
        self._parts, self._n = parts, n

    def __getattr__(self, name: str) -> object:
        return getattr(self._parts, name)

    def _spread(self, rows: list, **numbered: bool) -> list:
        end = self._parts.header.last_t
        return [
            rows[i % len(rows)].model_copy(update={"t": end * i / self._n, **({"n": i + 1} if numbered else {})})
            for i in range(self._n)
        ]

    def drugs(self) -> list:
        return self._spread(list(self._parts.drugs()))

    def fluids(self) -> list:
        return self._spread(list(self._parts.fluids()))

    def clinical(self) -> list:
        return self._spread(list(self._parts.clinical()))

    @property
    def flags(self) -> list:
        return self._spread(self._parts.flags, numbered=True)

    @property
    def lines(self) -> list:
        lines = self._parts.lines
        return [lines[i % len(lines)].model_copy(update={"line": f"io{i + 1}"}) for i in range(30)]


def test_a_long_code_draws_a_bounded_picture(newrules):
    """Past 150 marks a lane (and 24 lines), the timeline counts marks per stretch of time: ten times the
    events draw no more elements, and every lane still says what it holds."""
    parts = SummaryParts(newrules)
    few, many = timeline_svg(_Many(parts, 1_000)), timeline_svg(_Many(parts, 10_000))
    assert many.count("<") <= few.count("<") < 3_000
    assert "Access · 30 lines" in many and "1000 given" in few and "10000 given" in many
    assert re.search(r"<title>T\+[0-9:]+–T\+[0-9:]+: \d+ drugs", many)
    assert "bars: count per" in many
    assert timeline_svg(parts).count("bars:") == 0  # an ordinary code: every mark on its own


def test_a_code_of_days_keeps_its_time_axis_readable(newrules):
    """Three weeks of events (a million of them, 2.5 s apart): at most 12 ticks on the axis, not hundreds."""
    parts = SummaryParts(newrules)
    weeks = _Many(parts, 1_000)
    header = parts.header.model_copy(update={"last_t": 2_500_000.0, "duration_s": 2_500_000.0})
    weeks.__dict__["header"] = header
    ticks = re.findall(r'font-size="10.5">(T\+[0-9:]+)</text>', timeline_svg(weeks))
    assert 2 <= len(ticks) <= 13, ticks


def test_a_long_codes_rhythm_lane_from_the_kinds_it_draws_is_the_lane_from_the_clinical_course(tmp_path):
    """The counted rhythm lane reads only rhythms, shocks, CPR stops and starts, ROSC and the end: drawn the same
    as from every event of the clinical course (its vitals, responsiveness and arrests draw nothing there)."""
    from benchmarks.bench_exports import build_codes
    from exports.derive import CLINICAL_KINDS
    from exports.svg_timeline import _COUNTED, _Canvas, _counted_clinical
    from recorder.core.clock import FakeClock
    from recorder.core.code_record import build_code_record
    from recorder.core.session import Session
    from recorder.store import Store

    db = tmp_path / "long.db"
    build_codes(db, 1, 1_500)
    store = Store(db, readonly=True)
    try:
        parts = SummaryParts(build_code_record(Session.read(store, FakeClock(), 1, fold_once=True)))
    finally:
        store.close()
    drawn = []
    for kinds in (CLINICAL_KINDS, _COUNTED):
        canvas = _Canvas(parts)
        _counted_clinical(canvas, parts.timeline.of(*kinds))(50.0, 34.0)
        drawn.append("".join(canvas.parts))
    assert drawn[0] == drawn[1]
    assert drawn[0].count("CPR paused") > 50 and drawn[0].count("events") > 20  # pauses and bars, not an empty lane


def _reference_el(tag: str, content: str = "", title: str = "", **attrs: object) -> str:
    """`_el` as it was written before it looked values up by type and kept formatted floats."""
    from html import escape

    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        attr = name.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            text = f"{value:.1f}".removesuffix(".0")
        elif isinstance(value, int):
            text = str(value)
        else:
            text = escape(str(value))
        parts.append(f'{attr}="{text}"')
    inner = (f"<title>{escape(title)}</title>" if title else "") + content
    open_tag = f"<{tag} {' '.join(parts)}"
    return f"{open_tag}>{inner}</{tag}>" if inner else f"{open_tag}/>"


def test_an_element_is_written_as_the_reference_writes_it_whatever_its_values():
    """Floats (kept once formatted: -0.0 beside 0.0, NaN, the halves that round to even), ints, bools, None,
    text with markup, and subclasses of float, int and str."""
    from enum import IntEnum

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from exports.svg_timeline import _el

    class Big(float):
        pass

    class Level(IntEnum):
        HIGH = 3

    class Name(str):
        pass

    fixed = [0.0, -0.0, 0.05, -0.05, 0.25, 2.25, 1e-9, -1e-9, float("nan"), float("inf"), 150.0, 976.4, 11.5]
    values = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(fixed),
        st.integers(-(10**20), 10**20),
        st.booleans(),
        st.none(),
        st.text(max_size=8),
        st.sampled_from([Big(2.35), Level.HIGH, Name('a"b'), "#fff", "url(#arrest)", "<&>"]),
    )

    @settings(max_examples=600, deadline=None)
    @given(st.dictionaries(st.sampled_from(["x", "y", "font_size", "stroke_width", "class_"]), values, max_size=5))
    def check(attrs: dict) -> None:
        for _ in range(2):  # the second time from the kept formats
            assert _el("rect", "", "tip <&>", **attrs) == _reference_el("rect", "", "tip <&>", **attrs)
            assert _el("g", "<b/>", **attrs) == _reference_el("g", "<b/>", **attrs)

    check()


def test_the_marks_written_from_templates_are_the_elements_they_stand_for():
    """Each repeated mark (a stem, a label, a bar, a drop, the drug, fluid and flag markers) is what the `_el` or
    `_text` call it replaced writes, for any coordinates (-0.0, NaN, halves, ints, a float's subclass) and any tip
    or label (markup, quotes, none)."""
    from html import escape

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from exports import svg_timeline as svg
    from exports.svg_timeline import COLOURS, _el
    from tests.hostile import ACCEPTED

    class Big(float):
        pass

    def reference_text(x: object, y: object, text: str, **attrs: object) -> str:
        return _reference_el("text", escape(text), x=x, y=y, **attrs)

    fixed = [0.0, -0.0, 0.05, -0.05, 0.25, 2.25, 1e-9, float("nan"), float("inf"), 150.0, 976.4, 11.5, Big(2.35)]
    numbers = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(fixed), st.integers(-(10**6), 10**6)
    )
    words = st.one_of(st.text(max_size=12), st.sampled_from(["", "T+01:02 Shock 50 J", "a < b & 'c'", *ACCEPTED]))
    colours = st.sampled_from([*COLOURS.values(), "#fff", 'a"b'])

    @settings(max_examples=500, deadline=None)
    @given(numbers, numbers, numbers, numbers, colours, words, st.booleans())
    def check(x: float, y: float, w: float, h: float, colour: str, text: str, bold: bool) -> None:
        weight = "bold" if bold else None
        for _ in range(2):  # the second time from the kept formats
            assert svg._stem(x, y, w, colour) == _el("line", x1=x, y1=y, x2=x, y2=w, stroke=colour, stroke_width=0.6)
            assert svg._mid_label(x, y, text, colour, bold) == reference_text(
                x, y, text, text_anchor="middle", font_size=10.5, fill=colour, font_weight=weight
            )
            assert svg._flag_label(x, y, text, colour, bold) == reference_text(
                x, y, text, font_size=11, fill=colour, font_weight=weight
            )
            assert svg._bar(x, y, w, h, colour, text) == _el(
                "rect", title=text, x=x, y=y, width=w, height=h, fill=colour
            )
            d = f"M{x} {y} L{w} {h} Z{text}"
            assert svg._drop(d) == _el("path", d=d, fill=COLOURS["in"], stroke=COLOURS["confirmed"], stroke_width=0.5)
            assert svg._fluid_marker(x, y, text) == _el(
                "rect", title=text, x=x - 4, y=y - 6, width=8, height=11, rx=2, fill=COLOURS["fluid"]
            )
            assert svg._drug_marker(x, y, bold, text) == (
                _el("circle", title=text, cx=x, cy=y, r=6.5, fill=COLOURS["unflushed"])
                + reference_text(x, y + 3.8, "!", text_anchor="middle", font_size=10, font_weight="bold", fill="#fff")
                if bold
                else _el("circle", title=text, cx=x, cy=y, r=4.5, fill=COLOURS["drug"])
            )
            glyph = {"text_anchor": "middle", "font_size": 8.5, "font_weight": "bold"}
            triangle = f"M{x} {y - 7} L{x + 7} {y + 5} L{x - 7} {y + 5} Z"
            diamond = f"M{x} {y - 6.5} L{x + 6.5} {y} L{x} {y + 6.5} L{x - 6.5} {y} Z"
            expected = {
                "critical": _el("path", title=text, d=triangle, fill=COLOURS["critical"])
                + reference_text(x, y + 3.5, "!", fill="#fff", **glyph),
                "warning": _el("path", title=text, d=diamond, fill=COLOURS["warning"]),
                "info": _el(
                    "circle", title=text, cx=x, cy=y, r=5.5, fill="#fff", stroke=COLOURS["info"], stroke_width=1.8
                )
                + reference_text(x, y + 3.3, "i", fill=COLOURS["info"], **glyph),
            }
            for severity, written in expected.items():
                assert svg._flag_marker(severity, x, y, text) == written

    check()
