"""Benchmark 2, key to screen: in a headless Pilot run, the time from a key press to the event being
committed and shown in the timeline of a code that already holds 5,000 (and 50,000) events, beside a bare
Textual app's key handling measured the same way, just before it: the budget is a ratio to that floor."""

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

BUDGET_P99_RATIO = 2.0  # key -> on screen p99 against the bare app's, at every size (issue 17)
SIZES = (5000, 50000)  # events already in the code: the timeline must not cost more as the code grows
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

            def shown(rows, **kw) -> None:
                show(rows, **kw)
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


async def bare_keys(keys: int, db: Path | None = None) -> Probe:
    """A bare Textual app: one binding that updates one label; with `db`, the binding first commits one
    row durably as the recorder's store does (WAL, synchronous=FULL, a transaction a key): the floor of
    "committed and on screen", Textual's and SQLite's own cost with nothing of the recorder's."""
    import sqlite3

    from textual.app import App, ComposeResult
    from textual.widgets import Static

    probe = Probe()
    conn = None
    if db is not None:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL").fetchall()
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    payload = '{"kind": "cpr_started", "t": 1234.5}' + " " * 200  # about an event row's size

    class Bare(App[None]):
        BINDINGS = [("c", "count", "Count")]
        count = 0

        def compose(self) -> ComposeResult:
            yield Static("0", id="n")

        def action_count(self) -> None:
            self.count += 1
            if conn is not None:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO events (payload) VALUES (?)", (payload,))
                conn.execute("COMMIT")
            self.query_one(Static).update(str(self.count))
            probe.mark_handled()

    app = Bare()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            probe.hook_display(app)
            for _ in range(keys):
                await press(app, probe, "c")
    finally:
        if conn is not None:
            conn.close()
    return probe


def stats(values: list[float]) -> dict[str, float]:
    return {"p50_ms": ms(quantile(values, 0.5)), "p99_ms": ms(quantile(values, 0.99)), "max_ms": ms(max(values))}


def one_size(events: int, keys: int, under: Path | None = None) -> dict[str, Any]:
    """The bare app, the bare app committing, then the recorder on a code of `events` events: the
    floors measured just before, on the same disk."""
    with workdir("keys", under) as d:
        path = d / "recorder.db"
        build_code(path, events)
        bare = asyncio.run(bare_keys(keys))
        committing = asyncio.run(bare_keys(keys, d / "bare.db"))
        recorder, head = asyncio.run(recorder_keys(path, keys))
    assert head == events + keys, (head, events, keys)  # every key was one durable event
    p99 = quantile(recorder.frame_s, 0.99)
    to_bare = ratio(p99, quantile(bare.frame_s, 0.99))
    return {
        "events_before": events,
        "recorder": {"handled": stats(recorder.handled_s), "on_screen": stats(recorder.frame_s)},
        "bare_textual": {"handled": stats(bare.handled_s), "on_screen": stats(bare.frame_s)},
        "bare_textual_committing": {"handled": stats(committing.handled_s), "on_screen": stats(committing.frame_s)},
        "ratio_p50": ratio(quantile(recorder.frame_s, 0.5), quantile(bare.frame_s, 0.5)),
        "ratio_p99": to_bare,
        "ratio_p99_to_committing": ratio(p99, quantile(committing.frame_s, 0.99)),
        "met": to_bare <= BUDGET_P99_RATIO,
    }


def run(
    sizes: tuple[int, ...] = SIZES,
    keys: int = 300,
    frame_period: float | None = FRAME_PERIOD_S,
    under: Path | None = None,
) -> dict[str, Any]:
    before = pace_frames(frame_period)
    try:
        measured = [one_size(events, keys, under) for events in sizes]
    finally:
        pace_frames(before)
    return {
        "benchmark": "keys",
        "keys": keys,
        "frame_timer_s": frame_period,
        "dir": str(under) if under else "the system's temporary folder",
        "sizes": measured,
        "budget_p99_ratio": BUDGET_P99_RATIO,
        "met": all(m["met"] for m in measured),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--events",
        default=",".join(map(str, SIZES)),
        help="events already in the code, one measure per size (comma-separated)",
    )
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument(
        "--frame-timer",
        type=float,
        default=FRAME_PERIOD_S,
        help="Textual's frame timer period while measuring (0 keeps Textual's own 1/60 s)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="the folder the databases are made in (a tmpfs: the commit's fsync nearly free); default the system's",
    )
    args = parser.parse_args(argv)
    sizes = tuple(int(n) for n in args.events.split(","))
    emit({**run(sizes, args.keys, args.frame_timer or None, args.dir), "machine": machine()})


if __name__ == "__main__":
    main()
