"""SVG snapshots of the screen: a busy live code, the IO picker, a critical flag, review mode."""

import pytest

from recorder.core.session import Session
from recorder.tui.app import build_app
from tests.tui.helpers import CHILD

SIZES = [(120, 40), (80, 24)]


def busy_code(store, clock) -> Session:
    """A child arrest eight minutes in: three lines, drugs, a flush missed, a void and an amend."""
    s = Session.start(store, clock, **CHILD)

    def at(t: float) -> float:
        clock.advance(t - s.now())  # each entry made as it happens: the code clock is at t
        return t

    def log(data: dict, t: float) -> None:
        s.log(data, t=at(t))

    log({"kind": "rhythm", "rhythm": "asystole"}, t=10)
    log({"kind": "cpr_started"}, t=12)
    log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left", "device": "ez_io", "needle_mm": 15}, t=35)
    log({"kind": "io_result", "line": "io1", "result": "failed", "reason": "through and through"}, t=50)
    log({"kind": "io_attempt", "site": "distal_tibia", "side": "left", "device": "ez_io", "needle_mm": 15}, t=70)
    log({"kind": "io_result", "line": "io2", "result": "in"}, t=80)
    log({"kind": "flush", "line": "io2", "volume_ml": 3}, t=85)
    log({"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io2"}, t=95)
    log({"kind": "iv_attempt", "result": "failed"}, t=100)
    log({"kind": "io_attempt", "site": "proximal_humerus", "side": "right", "device": "ez_io", "needle_mm": 25}, t=150)
    log({"kind": "io_result", "line": "io3", "result": "in"}, t=160)
    log({"kind": "aspiration", "line": "io3", "marrow": True}, t=165)
    log({"kind": "flush", "line": "io3", "volume_ml": 5}, t=170)
    log({"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io3"}, t=300)
    log({"kind": "note", "text": "parents arrived"}, t=310)
    s.void(16, "wrong code", t=at(320))
    log({"kind": "drug", "drug": "amiodarone", "dose": 60, "unit": "mg", "line": "io3"}, t=400)
    s.amend(8, {"volume_ml": 5}, "was 5 mL", t=at(410))
    at(480)
    s.store.close()
    return s


@pytest.fixture
def busy(db_path, clock):
    from recorder.store import Store

    busy_code(Store(db_path), clock)
    return Store(db_path)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_screen_busy_code(snap_compare, busy, clock, size):
    assert snap_compare(build_app(busy, clock), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_io_picker_with_a_breached_bone(snap_compare, busy, clock, size):
    assert snap_compare(build_app(busy, clock), terminal_size=size, press=["i", "2", "l"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_critical_flag_raised(snap_compare, store, clock, size):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    assert snap_compare(app, terminal_size=size, press=["i", "1", "l", "enter", "x", "i", "2", "l", "enter"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_mode(snap_compare, busy, clock, size):
    s = Session.resume(busy, clock, 1)
    s.end("rosc", t=480)
    assert snap_compare(build_app(busy, clock, mode="review", code_id=1), terminal_size=size)


def test_team_display_busy_code(snap_compare, busy, db_path, clock):
    """`recorder watch` on the busy code, read-only, at a wall screen's 120x40."""
    from recorder.engine import load_protocol
    from recorder.store import Store
    from recorder.tui.watch import build_watch

    app = build_watch(Store(db_path, readonly=True), clock, load_protocol(), 1)
    assert snap_compare(app, terminal_size=(120, 40))
