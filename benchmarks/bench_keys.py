"""Benchmark 2, key to screen: in a headless Pilot run, the time from a key press to the event being
committed and shown in the timeline of a code that already holds 5,000 events, beside a bare Textual
app's key handling measured the same way."""

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import emit, machine, ms, quantile, ratio, workdir
from tests.factory import scenario_lines, started_ago

BUDGET_P99_MS = 16.0
SIZE = (120, 40)
GAP_S = 0.03  # between keys: a fast typist, and the screen idle again before the next one
FRAME_PERIOD_S = 0.001  # Textual's frame timer while measuring (its default waits up to 1/60 s)


class Probe:
    """Timestamps of one key: sent, handled (committed and in the timeline), and the next frame drawn."""

    def __init__(self) -> None:
        self.sent = 0.0
        self.handled: float | None = None
        self.frame: float | None = None
        self.done = asyncio.Event()
        self.handled_s: list[float] = []
        self.frame_s: list[float] = []

    def arm(self) -> None:
        self.handled = self.frame = None
        self.done.clear()
        self.sent = time.perf_counter()

    def mark_handled(self) -> None:
        if self.handled is None:
            self.handled = time.perf_counter()

    def mark_frame(self) -> None:
        if self.handled is not None and self.frame is None:
            self.frame = time.perf_counter()
            self.handled_s.append(self.handled - self.sent)
            self.frame_s.append(self.frame - self.sent)
            self.done.set()

    def hook_display(self, app) -> None:
        """The compositor hands each finished frame to App._display (headless: it writes nothing)."""
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is not None:
                self.mark_frame()

        app._display = display


async def press(app, probe: Probe, key: str) -> None:
    """What Pilot.press does, without its idle waits in the timing: the key goes to the driver."""
    from textual import events

    probe.arm()
    event = events.Key(key, key)
    event.set_sender(app)
    app._driver.send_message(event)
    await asyncio.wait_for(probe.done.wait(), timeout=10)
    await asyncio.sleep(GAP_S)


def pace_frames(period: float | None) -> float:
    """Set Textual's frame timer period (None: leave it); returns the one it had."""
    import textual.screen

    before = textual.screen.UPDATE_PERIOD
    if period is not None:
        textual.screen.UPDATE_PERIOD = period
    return before


def build_code(path: Path, events: int) -> None:
    """An open code of `events` events that ended just now, written fast (synchronous=OFF: setup only)."""
    from recorder.core.clock import SystemClock
    from recorder.core.session import replay
    from recorder.store import Store

    store = Store(path)
    store.conn.execute("PRAGMA synchronous=OFF")
    try:
        replay(store, SystemClock(), scenario_lines(events, at=started_ago(events)))
    finally:
        store.close()


async def recorder_keys(path: Path, keys: int) -> tuple[Probe, int]:
    from recorder.core.clock import SystemClock
    from recorder.store import Store
    from recorder.tui.app import build_app
    from recorder.tui.live import LiveScreen
    from recorder.tui.widgets import TimelineView

    store = Store(path)  # the recorder's own settings: WAL, synchronous=FULL
    probe = Probe()
    try:
        app = build_app(store, SystemClock(), mode="resume")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, LiveScreen), screen
            session = screen.session
            timeline = screen.query_one(TimelineView)
            show = timeline.show

            def shown(rows) -> None:
                show(rows)
                # Shown: the event the key made is committed (the session has it) and is the top row.
                if rows and rows[0].record.seq == session.records[-1].seq == expected:
                    probe.mark_handled()

            timeline.show = shown
            probe.hook_display(app)
            for _ in range(keys):
                expected = session.records[-1].seq + 1
                await press(app, probe, "c")  # CPR started / stopped: one key, one event
            head = store.code(session.code_id).events
    finally:
        store.close()
    return probe, head


async def bare_keys(keys: int) -> Probe:
    """A bare Textual app: one binding that updates one label."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    probe = Probe()

    class Bare(App[None]):
        BINDINGS = [("c", "count", "Count")]
        count = 0

        def compose(self) -> ComposeResult:
            yield Static("0", id="n")

        def action_count(self) -> None:
            self.count += 1
            self.query_one(Static).update(str(self.count))
            probe.mark_handled()

    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        probe.hook_display(app)
        for _ in range(keys):
            await press(app, probe, "c")
    return probe


def stats(values: list[float]) -> dict[str, float]:
    return {"p50_ms": ms(quantile(values, 0.5)), "p99_ms": ms(quantile(values, 0.99)), "max_ms": ms(max(values))}


def run(events: int = 5000, keys: int = 300, frame_period: float | None = FRAME_PERIOD_S) -> dict[str, Any]:
    before = pace_frames(frame_period)
    try:
        with workdir("keys") as d:
            path = d / "recorder.db"
            build_code(path, events)
            bare = asyncio.run(bare_keys(keys))
            recorder, head = asyncio.run(recorder_keys(path, keys))
    finally:
        pace_frames(before)
    assert head == events + keys, (head, events, keys)  # every key was one durable event
    rec_frame, bare_frame = quantile(recorder.frame_s, 0.99), quantile(bare.frame_s, 0.99)
    return {
        "benchmark": "keys",
        "events_before": events,
        "keys": keys,
        "frame_timer_s": frame_period,
        "recorder": {"handled": stats(recorder.handled_s), "on_screen": stats(recorder.frame_s)},
        "bare_textual": {"handled": stats(bare.handled_s), "on_screen": stats(bare.frame_s)},
        "ratio_p50": ratio(quantile(recorder.frame_s, 0.5), quantile(bare.frame_s, 0.5)),
        "ratio_p99": ratio(rec_frame, bare_frame),
        "budget_p99_ms": BUDGET_P99_MS,
        "met": rec_frame * 1000 <= BUDGET_P99_MS,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument(
        "--frame-timer",
        type=float,
        default=FRAME_PERIOD_S,
        help="Textual's frame timer period while measuring (0 keeps Textual's own 1/60 s)",
    )
    args = parser.parse_args(argv)
    emit({**run(args.events, args.keys, args.frame_timer or None), "machine": machine()})


if __name__ == "__main__":
    main()
