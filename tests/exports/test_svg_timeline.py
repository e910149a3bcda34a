"""The HTML timeline shows what the second edition's shock and CPR rules are about."""

import re

from exports.derive import SummaryParts
from exports.svg_timeline import timeline_svg
from tests.exports.scenarios import read, record


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
