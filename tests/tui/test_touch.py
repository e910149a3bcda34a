"""The touch layout: a toddler IO arrest entered by taps alone gives the record and flags the keys give, and
every button is in sight on a tablet-sized screen."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.command import CommandPalette
from textual.widgets import Input, OptionList

from recorder.core.clock import FakeClock
from recorder.core.session import Session
from recorder.engine import Protocol
from recorder.store import Store
from recorder.tui.app import QuitScreen, build_app
from recorder.tui.help import HelpScreen
from recorder.tui.key_bar import KeyBar
from recorder.tui.live import LiveScreen
from recorder.tui.review import ReviewScreen
from recorder.tui.touch import LIVE_BUTTONS, TouchBar, TouchButton, wants_touch
from recorder.tui.widgets import FlagsPanel, TimelineView
from schemas.vocabulary import SITES
from tests.tui.test_snapshots import busy_code

Step = Callable[..., Awaitable[None]]
SIZE = (128, 40)  # a 1024×768 tablet in a browser, in cells


def tap(label: str) -> Step:
    """Tap the button with this label on the screen on top (the only way the touch run enters anything)."""

    async def step(pilot) -> None:
        screen = pilot.app.screen
        found = [b for b in screen.query(TouchButton) if str(b.label) == label and b.display]
        assert len(found) == 1, (label, type(screen).__name__, [str(b.label) for b in screen.query(TouchButton)])
        button = found[0]
        # A second tap on a button within 0.2 s is ignored (Textual's button: a shaky double tap logs once);
        # a scribe's next tap comes later than that.
        while button.has_class("-active"):
            await pilot.pause(0.05)
        landed = await pilot.click(button, offset=(button.size.width // 2, 1))
        assert landed, f"the tap on {label!r} landed on another widget"
        await pilot.pause()

    return step


def type_in(text: str, enter: bool = False) -> Step:
    """Type into the text box that has the focus, as an on-screen keyboard does: letters, digits, space, Enter."""

    async def step(pilot) -> None:
        for ch in text:
            assert isinstance(pilot.app.focused, Input), (text, pilot.app.focused)
            assert ch.isalnum() or ch in " ", ch  # what an on-screen keyboard has
            await pilot.press("space" if ch == " " else ch)
        if enter:
            assert isinstance(pilot.app.focused, Input), pilot.app.focused
            await pilot.press("enter")
        await pilot.pause()

    return step


def click_in(selector: str, x: int = 1) -> Step:
    """Tap a text box (it takes the focus, as a tap on a tablet does)."""

    async def step(pilot) -> None:
        assert await pilot.click(selector, offset=(x, 1))
        await pilot.pause()

    return step


def tap_row(seq: int) -> Step:
    """Tap the timeline row of event `seq`."""

    async def step(pilot) -> None:
        view = pilot.app.screen.query_one(TimelineView)
        index = next(i for i, row in enumerate(view.rows) if row.record.seq == seq)
        if not view.scroll_y <= index < view.scroll_y + view.size.height:
            # Out of sight: scrolled to, as a swipe (the mouse wheel in a browser) would.
            view.scroll_to(y=index, animate=False)
            await pilot.pause()
        assert await pilot.click(view, offset=(20, index - int(view.scroll_y)))
        await pilot.pause()
        assert view.selected is not None and view.selected.record.seq == seq

    return step


async def tap_option(pilot, options: OptionList, index: int) -> None:
    """Tap option `index` of a list: on its first line as drawn (below the list's border and padding)."""
    y = next(y for y, (option, _) in enumerate(options._lines) if option == index)
    offset = (options.gutter.left + 2, options.gutter.top + y - int(options.scroll_y))
    assert await pilot.click(options, offset=offset), (index, offset)
    await pilot.pause()


def tap_flag(rule: str) -> Step:
    """Tap the flag with this rule in the flags panel."""

    async def step(pilot) -> None:
        panel = pilot.app.screen.query_one(FlagsPanel)
        index = next(i for i in range(panel.option_count) if str(panel.get_option_at_index(i).id).startswith(rule))
        await tap_option(pilot, panel, index)
        assert panel.target is not None and panel.target[0].rule == rule, panel.target

    return step


def tap_palette(label: str) -> Step:
    """Tap an entry of the command palette (opened by the More… button), after typing part of its name."""

    async def step(pilot) -> None:
        palette = pilot.app.screen
        assert isinstance(palette, CommandPalette), palette
        await pilot.pause(0.3)
        options = palette.query_one(OptionList)
        index = next(i for i in range(options.option_count) if label in str(options.get_option_at_index(i).prompt))
        await tap_option(pilot, options, index)

    return step


def select_flag_by_keys(rule: str) -> Step:
    """The keyboard's way to choose a flag: into the flags panel, Home, ↓ to it."""

    async def step(pilot) -> None:
        panel = pilot.app.screen.query_one(FlagsPanel)
        index = next(i for i in range(panel.option_count) if str(panel.get_option_at_index(i).id).startswith(rule))
        panel.focus()
        await pilot.press("home", *["down"] * index)
        await pilot.pause()
        assert panel.target is not None and panel.target[0].rule == rule, panel.target

    return step


def press(*keys: str) -> Step:
    async def step(pilot) -> None:
        for key in keys:
            await pilot.press(key)
        await pilot.pause()

    return step


def seq_of(pilot, kind: str, nth: int = 0) -> int:
    records = [r for r in pilot.app.store.events(1) if r.kind == kind]
    return records[nth].seq


def select_by_keys(kind: str, nth: int = 0) -> Step:
    """Home, then ↓ to the row of the nth `kind` event: the keyboard's way to select it."""

    async def step(pilot) -> None:
        seq = seq_of(pilot, kind, nth)
        view = pilot.app.screen.query_one(TimelineView)
        index = next(i for i, row in enumerate(view.rows) if row.record.seq == seq)
        view.focus()
        await pilot.press("home", *["down"] * index)
        await pilot.pause()
        assert view.selected is not None and view.selected.record.seq == seq

    return step


def select_by_tap(kind: str, nth: int = 0) -> Step:
    async def step(pilot) -> None:
        await tap_row(seq_of(pilot, kind, nth))(pilot)

    return step


HUMERUS = SITES.index("proximal_humerus") + 1

# A toddler IO arrest (age and weight told after the start), as the keys enter it and as the taps do:
# each step's keys and its taps must store the same events, with the same times and flags.
FLOW: list[tuple[str, list[Step], list[Step]]] = [
    ("start, in arrest", [press("enter")], [tap("In arrest")]),
    (
        "patient: 2 years, 12 kg by tape",
        [press("p"), type_in("2y 12kg tape", enter=True)],
        [tap("Patient"), type_in("2y 12kg tape"), tap("Save")],
    ),
    ("rhythm: asystole", [press("r", "1")], [tap("Rhythm"), tap("asystole")]),
    ("CPR started", [press("c")], [tap("CPR")]),
    (
        "IO left proximal tibia",
        [press("i", "1", "l", "enter")],
        [tap("IO"), tap("proximal tibia"), tap("Left"), tap("Log attempt")],
    ),
    ("IO failed", [press("x")], [tap("Line fail")]),
    (
        "IO right proximal humerus",
        [press("i", str(HUMERUS), "r", "enter")],
        [tap("IO"), tap("proximal humerus"), tap("Right"), tap("Log attempt")],
    ),
    ("IO in", [press("y")], [tap("Line in")]),
    ("aspiration: marrow", [press("a", "y")], [tap("Aspirate"), tap("marrow aspirated")]),
    ("flush, the minimum volume", [press("f", "enter")], [tap("Flush"), tap("Log")]),
    ("adrenaline, the proposed dose", [press("e", "enter")], [tap("Adrenaline"), tap("Log")]),
    ("flush after it", [press("f", "enter")], [tap("Flush"), tap("Log")]),
    ("rhythm: VF", [press("r", "3")], [tap("Rhythm"), tap("VF")]),
    ("shock, the proposed energy", [press("s", "enter")], [tap("Shock"), tap("Log")]),
    ("CPR stopped 30 s ago", [press("minus", "c")], [tap("Earlier"), tap("CPR")]),
    ("CPR started", [press("c")], [tap("CPR")]),
    (
        "a note",
        [press("n"), type_in("parents here", enter=True)],
        [tap("Note"), type_in("parents here"), tap("Save")],
    ),
    (
        "void the second flush, with a reason",
        [select_by_keys("flush", 1), press("delete"), type_in("wrong line", enter=True)],
        [select_by_tap("flush", 1), tap("Void"), type_in("wrong line"), tap("Save")],
    ),
    (
        "amend the note's text",
        # The keys: Tab to the text (all of it selected), typed anew. The taps: the box tapped after its
        # text (the cursor goes there), the words added.
        [
            *[select_by_keys("note"), press("m", "tab"), type_in("parents here now")],
            *[press("tab"), type_in("typo"), press("ctrl+s")],
        ],
        [
            *[select_by_tap("note"), tap("Amend"), click_in("#f_text", x=40), type_in(" now")],
            *[click_in("#f_reason"), type_in("typo"), tap("Log")],
        ],
    ),
    (
        "acknowledge the long CPR pause (not the flag `k` would take first), with a reason",
        [select_flag_by_keys("CPR_PAUSE_LONG"), press("k"), type_in("airway", enter=True)],
        [tap_flag("CPR_PAUSE_LONG"), tap("Ack flag"), type_in("airway"), tap("Save")],
    ),
    (
        "ROSC, from the palette",
        [press("ctrl+p"), type_in("ROSC"), press("enter")],
        [tap("More…"), type_in("ROSC"), tap_palette("ROSC")],
    ),
    ("end of the code: ROSC", [press("o", "e", "r")], [tap("ROSC/end"), tap("end of the code…"), tap("rosc")]),
]


async def run_flow(db, touch: bool, protocol: Protocol | None = None) -> tuple[list, list]:
    """The FLOW by keys or by taps, on a fake clock 10 s an entry: the records (seq, t, event) and the flags.

    `protocol`: another than the default (the browser test's, whose deadlines no real-time run reaches)."""
    store = Store(db)
    clock = FakeClock(datetime(2026, 3, 2, 14, 5, tzinfo=UTC))
    app = build_app(store, clock, protocol, touch=touch)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LiveScreen) and app.screen.touch is touch
        for name, by_keys, by_taps in FLOW:
            before = len(store.events(1)) if store.code(1) else 0
            steps = by_taps if touch else by_keys
            for step in steps:
                await step(pilot)
            await pilot.pause()
            stored = store.events(1)
            assert len(stored) == before + 1, (name, touch, [r.kind for r in stored[before:]])
            clock.advance(10)
        assert isinstance(app.screen, ReviewScreen)
    records = [(r.seq, r.t, r.event.model_dump(mode="json")) for r in store.events(1)]
    session = Session.read(store, clock, 1, protocol)
    flags = [(f.rule, f.severity, f.seq, f.acknowledged, f.reason) for f in session.flags()]
    store.close()
    return records, flags


@pytest.mark.slow
async def test_a_toddler_io_arrest_by_taps_alone_stores_what_the_keys_store(tmp_path):
    by_keys, keys_flags = await run_flow(tmp_path / "keys.db", touch=False)
    by_taps, taps_flags = await run_flow(tmp_path / "taps.db", touch=True)
    assert by_taps == by_keys
    assert taps_flags == keys_flags
    kinds = [event["kind"] for _, _, event in by_taps]
    for kind in ("patient_updated", "io_attempt", "io_result", "aspiration", "flush", "drug", "rhythm", "shock"):
        assert kind in kinds
    assert {"void", "amend", "rosc", "code_ended", "note", "cpr_started", "cpr_stopped"} <= set(kinds)
    io = [e for _, _, e in by_taps if e["kind"] == "io_result"]
    assert [(e["line"], e["result"]) for e in io] == [("io1", "failed"), ("io2", "in")]
    stopped = next((t, e) for _, t, e in by_taps if e["kind"] == "cpr_stopped")
    started = [t for _, t, e in by_taps if e["kind"] == "cpr_started"]
    assert stopped[0] == started[1] - 10 - 30 + 0  # "Earlier": 30 s before it was tapped
    amend = next(e for _, _, e in by_taps if e["kind"] == "amend")
    assert amend["changes"] == {"text": "parents here now"} and amend["reason"] == "typo"
    assert ("IO_IN_AT_END", "info") in {(f[0], f[1]) for f in taps_flags}
    # The flag tapped is the one acknowledged, not the one `k` would have taken first.
    acknowledged = {f[0]: f[3:] for f in taps_flags}
    assert acknowledged["CPR_PAUSE_LONG"] == (True, "airway") and acknowledged["DRUG_NOT_FLUSHED"] == (False, None)


@pytest.fixture
def busy(db_path, clock) -> Store:
    """A child arrest eight minutes in (the keyboard layout's snapshots show the same code)."""
    busy_code(Store(db_path), clock)
    return Store(db_path)


# ── every button in sight ─────────────────────────────────────────────────────


def in_sight(screen, button: TouchButton) -> bool:
    """The whole button is drawn, on the screen, uncovered, with its whole label."""
    region = button.region
    corners = [(region.x, region.y), (region.right - 1, region.y), (region.x, region.bottom - 1)]
    corners.append((region.right - 1, region.bottom - 1))
    if region.area == 0 or not screen.region.contains_region(region):
        return False
    if any(screen.get_widget_at(x, y)[0] is not button for x, y in corners):
        return False
    return button.content_size.width >= len(str(button.label))


def assert_all_in_sight(app, where: str, least: int = 1) -> None:
    screen = app.screen
    buttons = [b for b in screen.query(TouchButton) if all(n.display for n in b.ancestors_with_self if n is not screen)]
    assert len(buttons) >= least, (where, len(buttons))
    hidden = [str(b.label) for b in buttons if not in_sight(screen, b)]
    assert not hidden, (where, app.size, hidden)


DIALOGS: list[tuple[str, list[str], int]] = [
    # (what, buttons tapped to open it from the live screen, how many buttons it has at least)
    ("IO picker", ["IO"], 13),
    ("choice picker (rhythm)", ["Rhythm"], 9),
    ("flush form", ["Flush"], 2),
    ("adrenaline (drug picker)", ["Adrenaline"], 2),
    ("shock form", ["Shock"], 2),
    ("note", ["Note"], 2),
    ("patient", ["Patient"], 2),
    ("the end of the code", ["ROSC/end", "end of the code…"], 6),
    ("help", ["Help"], 1),
]


@pytest.mark.parametrize("size", [(100, 35), (128, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_button_is_in_sight_on_a_tablet_from_the_first_frame(busy, clock, size):
    app = build_app(busy, clock, touch=True)
    async with app.run_test(size=size) as pilot:
        bar = app.screen.query_one(TouchBar)
        assert bar.region.bottom == size[1]  # at the foot, from the first frame: no tap to reveal it
        assert_all_in_sight(app, "live screen", least=len(LIVE_BUTTONS))
        assert not app.screen.query(KeyBar)
        for what, opening, least in DIALOGS:
            for label in opening:
                await tap(label)(pilot)
            assert_all_in_sight(app, what, least)
            cancel = "Close" if isinstance(app.screen, HelpScreen) else "Cancel"
            await tap(cancel)(pilot)
            assert isinstance(app.screen, LiveScreen), (what, app.screen)
        await tap_row(8)(pilot)  # the flush amended: its amend form has the most fields of the busy code
        await tap("Amend")(pilot)
        assert_all_in_sight(app, "amend form", 2)


def test_the_busy_code_in_the_touch_layout_looks_as_it_did(snap_compare, busy, clock):
    """The touch layout at a 1024×768 tablet's 128×40 cells."""
    assert snap_compare(build_app(busy, clock, touch=True), terminal_size=SIZE)
    # The picture in the docs is this one (scripts/touch_screens.py draws it again).
    assert (Path(__file__).resolve().parents[2] / "docs" / "touch-layout.svg").exists()


async def test_help_quit_and_review_are_left_by_buttons(busy, clock):
    app = build_app(busy, clock, touch=True)
    async with app.run_test(size=SIZE) as pilot:
        await tap("Help")(pilot)
        assert isinstance(app.screen, HelpScreen)
        await tap("Close")(pilot)
        assert isinstance(app.screen, LiveScreen)
        await tap("Quit")(pilot)
        assert not app.is_running  # nothing waits to be saved: it quits at once, as ctrl+q does
    app = build_app(busy, clock, touch=True)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(QuitScreen("2 entries are not saved in the database yet."))
        await pilot.pause()
        assert_all_in_sight(app, "quit question", 2)
        await tap("Stay")(pilot)
        assert isinstance(app.screen, LiveScreen) and app.is_running
        await tap("ROSC/end")(pilot)
        await tap("end of the code…")(pilot)
        await tap("rosc")(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert_all_in_sight(app, "review", 7)
        await tap("Quit")(pilot)
        assert not app.is_running


async def test_a_site_side_and_yes_no_answer_are_tapped(session, store, clock):
    app = build_app(store, clock, mode="resume", touch=True)
    async with app.run_test(size=SIZE) as pilot:
        for label in ("IO", "proximal tibia", "Left"):
            await tap(label)(pilot)
        chosen = {str(b.label) for b in app.screen.query(TouchButton) if b.variant == "primary"}
        assert chosen == {"proximal tibia", "Left"}  # what was tapped shows on its button
        for label in ("Log attempt", "Line in", "Flush"):
            await tap(label)(pilot)
        easy = app.screen.query_one("#f_easy")  # "Went in easily": shown answered yes
        assert easy.value is True
        assert await pilot.click(easy, offset=(easy.gutter.left + 7, 1))  # on "no"
        assert easy.value is False
        assert await pilot.click(easy, offset=(easy.gutter.left + 1, 1))  # on "yes"
        assert easy.value is True
        assert await pilot.click(easy, offset=(easy.gutter.left + 7, 1))
        await tap("Log")(pilot)
        flush = store.events(1)[-1]
        assert flush.kind == "flush" and flush.event.easy is False


def test_touch_is_asked_for_or_a_browser_as_narrow_as_a_tablet():
    assert wants_touch(True, is_web=False, width=80)
    assert not wants_touch(False, is_web=True, width=110)
    assert wants_touch(None, is_web=True, width=128)  # a 1024×768 tablet
    assert not wants_touch(None, is_web=True, width=240)  # a desktop browser window
    assert not wants_touch(None, is_web=False, width=100)  # a terminal: the keyboard's layout


def test_every_button_runs_an_action_a_key_runs():
    actions = {b.action for b in LiveScreen.BINDINGS if isinstance(b, Binding) and b.show}
    on_bar = set(LIVE_BUTTONS)
    assert actions <= on_bar, actions - on_bar  # every key on the key bar has its button
    assert on_bar - actions <= {"app.command_palette", "app.quit"}  # and the app's own ctrl+p, ctrl+q


@pytest.mark.parametrize(
    "args, mode, touch",
    [
        (["--touch"], "auto", True),
        (["--no-touch"], "auto", False),
        ([], "auto", None),
        (["new", "--touch"], "new", True),
        (["resume", "--touch"], "resume", True),
        (["resume"], "resume", None),
    ],
)
def test_the_commands_that_open_the_screen_take_touch(monkeypatch, db_path, args, mode, touch):
    from click.testing import CliRunner

    import recorder.tui.app
    from recorder.cli import cli

    opened = []

    class Opened:
        def run(self) -> None:
            pass

    def fake_build_app(store, clock, protocol, **options):
        opened.append((options["mode"], options.get("touch")))
        return Opened()

    monkeypatch.setattr(recorder.tui.app, "build_app", fake_build_app)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert opened == [(mode, touch)]


@pytest.mark.parametrize("width, touch", [(128, True), (100, True), (200, False)])
async def test_a_browser_as_narrow_as_a_tablet_gets_the_touch_layout_unasked(monkeypatch, store, clock, width, touch):
    from recorder.tui.app import RecorderApp

    monkeypatch.setattr(RecorderApp, "is_web", property(lambda self: True))  # as under textual-serve
    app = build_app(store, clock)
    async with app.run_test(size=(width, 40)):
        assert isinstance(app.screen, LiveScreen) and app.screen.touch is touch
        assert bool(app.screen.query(TouchBar)) is touch and bool(app.screen.query(KeyBar)) is not touch


async def test_a_terminal_gets_the_keyboard_layout_unasked(store, clock):
    app = build_app(store, clock)
    async with app.run_test(size=(100, 35)):
        assert not app.touch and not app.screen.query(TouchButton) and app.screen.query(KeyBar)


async def test_not_in_arrest_is_tapped_before_the_first_entry(store, clock):
    app = build_app(store, clock, touch=True)
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.query_one("#touch-start").display  # asked from the first frame, as the keys' prompt is
        await tap("Not in arrest")(pilot)
        assert not app.screen.query_one("#touch-start").display
        started = store.events(1)[0]
        assert started.kind == "code_started" and started.event.arrest is False


async def test_text_typed_at_once_after_the_tap_that_opens_a_box_lands_in_it(session, store, clock):
    """A tap then typing at once (an on-screen keyboard is fast): every letter lands in the box the tap
    opened, none on the screen under it (found in Chromium: `2y 12kg tape` typed at once after Patient was
    stored as `y 12kg tape`)."""
    from textual import events
    from textual.pilot import _get_mouse_message_arguments

    app = build_app(store, clock, mode="resume", touch=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        button = next(b for b in app.screen.query(TouchButton) if str(b.label) == "Note")
        where = _get_mouse_message_arguments(button, (button.size.width // 2, 1), button=1)
        # The tap and the keys after it arrive together, as from a browser: nothing waits between them.
        for event in (events.MouseDown, events.MouseUp):
            app.post_message(event(**where))
        for char in "2 doses":
            app.post_message(events.Key("space" if char == " " else char, char))
        # Waited for, not a fixed pause: on a loaded machine half a second was not always enough for the seven
        # keys to be handled; a letter that landed elsewhere never reaches the box, and the wait runs out.
        for _ in range(200):
            boxes = app.screen.query(Input)
            if boxes and boxes.first().value == "2 doses":
                break
            await pilot.pause(0.05)
        box = app.screen.query_one(Input)
        assert box.value == "2 doses"
        await pilot.press("enter")
        await pilot.pause()
    notes = [r.event for r in session.store.iter_events(session.code_id) if r.event.kind == "note"]
    assert [n.text for n in notes] == ["2 doses"]


async def test_a_tap_right_after_typed_letters_waits_for_them(session, store, clock):
    """Letters typed, then Save tapped at once (an on-screen keyboard, then a finger): the tap is handled after
    the letters, never before them, so none of them reaches the screen under the box as a command (on a loaded
    tablet a Save that overtook the last letters stored the note short and `i` opened the IO picker)."""
    from textual import events
    from textual.pilot import _get_mouse_message_arguments

    app = build_app(store, clock, mode="resume", touch=True)
    async with app.run_test(size=SIZE) as pilot:
        await tap("Note")(pilot)
        await pilot.pause()
        save = next(b for b in app.screen.query(TouchButton) if str(b.label) == "Save")
        where = _get_mouse_message_arguments(save, (save.size.width // 2, 1), button=1)
        # Every letter and the tap arrive together, as from a browser: nothing is handled between them.
        for char in "iv in":
            app.post_message(events.Key("space" if char == " " else char, char))
        for event in (events.MouseDown, events.MouseUp):
            app.post_message(event(**where))
        for _ in range(200):  # until the note is stored (a bounded wait, not a timed one)
            await pilot.pause(0.02)
            if any(r.kind == "note" for r in store.iter_events(session.code_id)):
                break
        await pilot.pause(0.1)
        assert isinstance(app.screen, LiveScreen)  # no picker opened by a letter
    stored = [r.event for r in store.iter_events(session.code_id)]
    assert [e.text for e in stored if e.kind == "note"] == ["iv in"]
    assert stored[-1].kind == "note"  # and nothing logged after it by a stray letter


@pytest.mark.parametrize("size", [(80, 40), (120, 34)])  # where a live button lies under the picker's Log
async def test_a_double_tap_on_a_dialogs_button_is_one_tap_never_one_on_the_screen_beneath(session, store, clock, size):
    """Log tapped twice, as a shaking hand does: the drug is logged once, and the second tap, come once the picker
    has closed but before the scribe could see it go, is not a tap on the live screen's button that lies under
    Log (it logged the IO failed, or opened the rhythm picker)."""
    from textual import events
    from textual.pilot import _get_mouse_message_arguments

    app = build_app(store, clock, mode="resume", touch=True)
    async with app.run_test(size=size) as pilot:
        for label in ("IO", "proximal tibia", "Left", "Log attempt", "Line in", "Adrenaline"):
            await tap(label)(pilot)
        log = next(b for b in app.screen.query(TouchButton) if str(b.label) == "Log")
        where = _get_mouse_message_arguments(log, (log.size.width // 2, 1), button=1)
        # Both taps stamped now, as read from the terminal: the second within the double-click time of the first
        # however long the first takes to handle on a loaded machine.
        taps = [[event(**where) for event in (events.MouseDown, events.MouseUp)] for _ in range(2)]
        for second, pressed in zip((False, True), taps, strict=True):
            for event in pressed:
                app.post_message(event)
            for _ in range(100):  # the first: until the picker has closed; the second: what it might set off
                await pilot.pause(0.02)
                if second or isinstance(app.screen, LiveScreen):
                    break
        await pilot.pause(0.2)
        assert isinstance(app.screen, LiveScreen), app.screen
    stored = [r.kind for r in store.iter_events(session.code_id)]
    assert stored.count("drug") == 1 and stored[-1] == "drug", stored


async def test_a_button_tapped_again_within_the_double_click_time_is_pressed_again(session, store, clock):
    """CPR tapped twice, the second tap on the same button: both count (started, stopped), as Next line tapped to
    step through the lines does; only a tap on a button that came up under the finger is the first one again."""
    from textual import events
    from textual.pilot import _get_mouse_message_arguments

    app = build_app(store, clock, mode="resume", touch=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        cpr = next(b for b in app.screen.query(TouchButton) if str(b.label) == "CPR")
        where = _get_mouse_message_arguments(cpr, (cpr.size.width // 2, 1), button=1)
        taps = [[event(**where) for event in (events.MouseDown, events.MouseUp)] for _ in range(2)]  # 0 s apart
        for pressed in taps:
            while cpr.has_class("-active"):  # Textual's button ignores a tap while it shows the last (0.2 s)
                await pilot.pause(0.02)
            for event in pressed:
                app.post_message(event)
            await pilot.pause()
    stored = [r.kind for r in store.iter_events(session.code_id)]
    assert stored[-2:] == ["cpr_started", "cpr_stopped"], stored
