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
