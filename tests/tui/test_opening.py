"""The first frame before the code is open: keys typed meanwhile land as on an open screen, in order, and a
fault while opening ends the app and is raised after it, as build_app would have raised it."""

import time

import pytest
from textual import events

from recorder.core.clock import FakeClock, SystemClock
from recorder.core.session import Session
from recorder.engine import load_protocol
from recorder.store import Store, StoreError
from recorder.tui import app as tui_app
from recorder.tui.app import RecorderApp, build_app
from recorder.tui.live import LiveScreen
from recorder.tui.opening import OpeningScreen

SIZE = (120, 40)
# A patient line, a note (each typed into its box), an IO attempt through its picker, a result, an IV
# attempt and a drug with its proposed dose: every kind of key, boxes included.
BURST = ["p", *"2y12t", "enter", "n", *"hi", "enter", "i", "1", "l", "enter", "x", "v", "y", "e", "enter"]
KINDS = ["code_started", "patient_updated", "note", "io_attempt", "io_result", "iv_attempt", "drug"]


def press(app: RecorderApp, burst: list[str]) -> None:
    """As the terminal driver delivers keys: each queued before the first is handled."""
    for key in burst:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def until_stored(pilot, store: Store, count: int) -> None:
    for _ in range(100):  # until the keys have drained (a bounded wait, not a timed one)
        await pilot.pause()
        if store.last_code_id() is not None and len(store.events(store.last_code_id())) >= count:
            return


def stored(store: Store) -> list[dict]:
    return [r.event.model_dump() for r in store.events(1)]


@pytest.mark.parametrize(
    ("mode", "burst", "fields"),
    [
        ("new", BURST, {"arrest": True}),
        ("auto", ["enter", *BURST], None),  # `recorder`: Enter starts the code (in arrest), then the rest
    ],
)
async def test_keys_typed_while_the_code_opens_land_as_on_an_open_screen(
    tmp_path, clock, monkeypatch, mode, burst, fields
):
    # The same keys on a screen opened before it starts (build_app): what they must store.
    after = Store(tmp_path / "after.db")
    app = build_app(after, clock, mode=mode, new_fields=fields)
    async with app.run_test(size=SIZE) as pilot:
        press(app, burst)
        await until_stored(pilot, after, len(KINDS))
    expected = stored(after)
    after.close()
    assert [e["kind"] for e in expected] == KINDS and expected[1]["patient"]["weight_kg"] == 12

    # Typed as the opening screen is mounted, and while the code is being opened after its first frame:
    # nothing that could take these keys exists yet.
    early, late = burst[:4], burst[4:]
    during = tmp_path / "during.db"
    opened: list[Store] = []
    seen: list[str] = []

    class TypedAtOnce(OpeningScreen):
        def on_mount(self) -> None:  # Textual runs OpeningScreen.on_mount too (each class's handler)
            press(self.app, early)  # the screen is there to take them: they must wait for the live screen

    monkeypatch.setattr(tui_app, "OpeningScreen", TypedAtOnce)

    def opener():
        seen.append(type(app.screen).__name__)  # the first frame is the opening screen's
        press(app, late)
        opened.append(Store(during))
        return opened[0], load_protocol()

    app = RecorderApp.opening(opener, clock, mode=mode, db_path=str(during), new_fields=fields)
    async with app.run_test(size=SIZE) as pilot:
        await until_stored(pilot, opened[0], len(KINDS))
        assert isinstance(app.screen, LiveScreen)
        assert isinstance(app.screen_stack[0], OpeningScreen)  # beneath it, never shown again
    assert seen == ["TypedAtOnce"]
    assert stored(opened[0]) == expected  # the same events, in the same order, with the same values
    opened[0].close()


async def test_the_opening_screen_says_only_what_is_known_and_its_keys(tmp_path, clock):
    store: list[Store] = []

    def opener():
        lines = app.screen.query_one("#lines").render()
        banner = app.screen.query_one("#banner").render()
        store.append(Store(tmp_path / "r.db"))
        shown.extend([str(lines), str(banner)])
        return store[0], load_protocol()

    shown: list[str] = []
    path = str(tmp_path / "r.db") + "\x1b[31m[red]"  # a path is text: shown as it is, never as markup
    app = RecorderApp.opening(opener, clock, mode="new", db_path=path, new_fields={"arrest": True})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LiveScreen)
    lines, banner = shown
    assert lines == "No lines yet — i IO · v IV"  # a new code has no lines: the live screen's own words
    assert "[red]" in banner and "\x1b" not in banner and banner.startswith("new code · opening ")
    store[0].close()


@pytest.mark.parametrize("mode", ["new", "resume", "auto"])
async def test_a_fault_while_opening_ends_the_app_and_is_raised_after_it(tmp_path, clock, mode):
    def newer():
        press(app, ["c", "ctrl+q"])  # typed meanwhile: never handed to a screen that is not there
        raise StoreError(f"{tmp_path / 'x.db'} was written by a newer recorder (schema 99); update the recorder")

    app = RecorderApp.opening(newer, clock, mode=mode, db_path=str(tmp_path / "x.db"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    assert app.return_code == 2 and isinstance(app.failure, StoreError)
    with pytest.raises(StoreError, match="newer recorder"):
        app.raise_failure()


async def test_a_code_another_recorder_holds_is_refused_while_opening(tmp_path, clock):
    db = tmp_path / "held.db"
    holder = Store(db)
    held = Session.start(holder, clock, arrest=True)
    app = RecorderApp.opening(lambda: (Store(db), load_protocol()), clock, mode="resume", db_path=str(db))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    with pytest.raises(StoreError, match="open in another recorder"):
        app.raise_failure()
    assert [r.kind for r in holder.events(held.code_id)] == ["code_started"]  # nothing written by the refused
    holder.close()


async def test_held_keys_wait_however_long_the_code_takes_to_open_then_go_in_order(store, clock):
    """The hold is not the patience a key has for a box to open (about a second): it lasts until let go."""
    app = build_app(store, clock, mode="new", new_fields={"arrest": True})
    async with app.run_test(size=SIZE) as pilot:
        app.keys_in_order.hold()
        press(app, ["n", *"late", "enter", "c"])
        await pilot.pause(1.5)  # past the patience of a waiting key (key_order.PATIENCE x RETRY)
        assert [r.kind for r in store.events(1)] == ["code_started"] and isinstance(app.screen, LiveScreen)
        app.keys_in_order.let_go()
        await until_stored(pilot, store, 3)
    assert [(r.kind, getattr(r.event, "text", None)) for r in store.events(1)] == [
        ("code_started", None),
        ("note", "late"),
        ("cpr_started", None),
    ]


@pytest.mark.parametrize("mode", ["new", "auto"])
async def test_a_new_code_runs_from_the_first_frame_however_long_it_takes_to_open(tmp_path, clock, mode):
    """`recorder` and `recorder new`: the clock runs from the moment the screen opens (its first frame)."""
    at_first_frame = clock.wall()
    opened: list[Store] = []

    def slow():
        clock.advance(5)  # opening the code took five seconds
        opened.append(Store(tmp_path / "slow.db"))
        return opened[0], load_protocol()

    app = RecorderApp.opening(slow, clock, mode=mode, db_path=str(tmp_path / "slow.db"), new_fields={"arrest": True})
    async with app.run_test(size=SIZE) as pilot:
        if mode == "auto":
            press(app, ["enter"])  # the first key starts the code
        press(app, ["c"])
        await until_stored(pilot, opened[0], 2)
    started, cpr = opened[0].events(1)
    assert started.event.at == at_first_frame.astimezone() and started.t == 0
    assert cpr.kind == "cpr_started" and cpr.t == 5  # five seconds into the code, as the team saw it
    opened[0].close()


class KeyAges(FakeClock):
    """A fake clock on which a key's age is what the test stamped it with (time.monotonic() is not this clock)."""

    def since_stamp(self, stamp: float) -> float:
        return -stamp if stamp < 0 else 0.0


async def test_a_key_typed_while_the_code_opens_is_timed_when_it_was_typed(tmp_path):
    """A key waits for the code to open (the app reads it only then), but the entry it begins happened when it
    was typed: `c` typed three seconds before its turn came, five seconds in, is CPR at T+2; `c` after it, at
    T+5."""
    clock = KeyAges()
    opened: list[Store] = []

    def slow():
        clock.advance(5)
        opened.append(Store(tmp_path / "slow.db"))
        return opened[0], load_protocol()

    app = RecorderApp.opening(slow, clock, mode="new", db_path=str(tmp_path / "slow.db"), new_fields={"arrest": True})
    async with app.run_test(size=SIZE) as pilot:
        typed = events.Key("c", "c")
        typed.time = -3.0  # read from the terminal three seconds before the app could take it
        app.post_message(typed)
        await until_stored(pilot, opened[0], 2)
        press(app, ["c"])  # CPR stopped, typed with the code open
        await until_stored(pilot, opened[0], 3)
        assert app.keys_in_order.waited == 0  # nothing left over for whatever comes next
    assert [(r.kind, r.t) for r in opened[0].events(1)] == [("code_started", 0), ("cpr_started", 2), ("cpr_stopped", 5)]
    opened[0].close()


def test_a_key_s_age_is_read_on_the_clock_textual_stamps_it_with():
    stamp = time.monotonic()
    assert 0 <= SystemClock().since_stamp(stamp) < 60
    assert SystemClock().since_stamp(stamp + 3600) == 0  # never negative
