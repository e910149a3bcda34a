"""Keys as a measure: the trial's flows counted from a table, the palette timed at ctrl+p, a key bar that
fits, Esc then a key read as two keys, and the patient in one line."""

import time

from textual import events

from recorder.tui.app import build_app
from recorder.tui.escape_keys import EscapeFirstParser
from recorder.tui.help import HelpScreen, key_table
from recorder.tui.key_bar import KeyBar
from recorder.tui.live import LiveScreen
from recorder.tui.patient_prompt import PatientPrompt
from recorder.tui.pickers import ChoicePicker
from recorder.tui.review import ReviewScreen
from recorder.tui.widgets import FlagsPanel, TimelineView
from tests.tui.helpers import CHILD, keys, live, palette

SIZE = (120, 40)
CATCH_ALL = 4  # every other frequent event

# The trial (a toddler arrest, age unknown at first) as the scribe keys it: flow, keys, the event it
# must store, and the most keys it may take. A change that adds a key to a flow fails here.
FLOWS = [
    ("start, in arrest", ["enter"], "code_started", 1),
    ("rhythm: asystole", ["r", "1"], "rhythm", CATCH_ALL),
    ("CPR started", ["c"], "cpr_started", CATCH_ALL),
    ("IV failed", ["v", "x"], "iv_attempt", CATCH_ALL),
    ("IO left proximal tibia", ["i", "1", "l", "enter"], "io_attempt", CATCH_ALL),
    ("IO failed", ["x"], "io_result", CATCH_ALL),
    ("IO again, same bone", ["i", "2", "l", "enter"], "io_attempt", CATCH_ALL),
    ("IO in", ["y"], "io_result", CATCH_ALL),
    ("patient: 2 years, 12 kg by tape", ["p", "2", "y", "1", "2", "t", "enter"], "patient_updated", 8),
    ("aspiration: marrow", ["a", "y"], "aspiration", CATCH_ALL),
    ("flush, the minimum volume", ["f", "enter"], "flush", CATCH_ALL),
    ("adrenaline, the proposed dose", ["e", "enter"], "drug", CATCH_ALL),
    ("adrenaline ET, its proposed dose", ["e", "t", "enter"], "drug", CATCH_ALL),
    ("shock 24 J", ["s", "2", "4", "enter"], "shock", CATCH_ALL),
    ("CPR stopped 30 s ago", ["minus", "c"], "cpr_stopped", CATCH_ALL),
    ("ROSC", ["o", "r"], "rosc", 3),
    ("re-arrest", ["o", "a"], "arrest", 3),
    ("ROSC again", ["o", "r"], "rosc", 3),
    ("end of the code: ROSC", ["o", "e", "r"], "code_ended", 3),
]


async def test_each_flow_of_the_trial_stores_its_event_within_its_key_budget(store, clock):
    app = build_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        for name, presses, kind, most in FLOWS:
            assert len(presses) <= most, f"{name}: {len(presses)} keys, at most {most}"
            before = len(store.events(1)) if store.open_code_id() or store.code(1) else 0
            for key in presses:
                await pilot.press(key)
            await pilot.pause()
            clock.advance(10)
            stored = store.events(1)
            assert len(stored) == before + 1 and stored[-1].kind == kind, (name, [r.kind for r in stored[before:]])
        patient = next(r for r in store.events(1) if r.kind == "patient_updated").event.patient
        assert (patient.age_years, patient.weight_kg, patient.weight_source) == (2, 12, "length_tape")
        doses = [(r.event.dose, r.event.line, r.event.route) for r in store.events(1) if r.kind == "drug"]
        assert doses == [(0.12, "io2", None), (1.2, None, "et")]  # 0.01 mg/kg through the line, 0.1 mg/kg ET
        assert isinstance(app.screen, ReviewScreen)


async def test_a_palette_entry_is_timed_when_ctrl_p_is_pressed(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        clock.advance(30)
        await pilot.press("ctrl+p")
        await pilot.pause()
        clock.advance(4)  # four seconds to find it
        await keys(pilot, "ROSC")
        await pilot.pause(0.2)
        await keys(pilot, "enter")
        assert [(r.kind, r.t) for r in store.events(1)][-1] == ("rosc", 30)
        # A form from the palette too: the time of ctrl+p, not of the form's Enter.
        clock.advance(10)  # T+44
        await palette(pilot, "Vitals")
        clock.advance(6)
        app.screen.query_one("#f_hr").value = "150"
        await keys(pilot, "ctrl+s")
        assert [(r.kind, r.t) for r in store.events(1)][-1] == ("vitals", 44)
        # A palette closed without a choice holds no time for the next entry.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await keys(pilot, "escape")
        clock.advance(20)
        await keys(pilot, "c")
        assert [(r.kind, r.t) for r in store.events(1)][-1] == ("cpr_started", 70)


async def test_the_key_bar_shows_every_key_at_80_and_120_columns_and_the_timeline_is_whole(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=(80, 24)) as pilot:
        for width, height in ((80, 24), (120, 40)):
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            bar = app.screen.query_one(KeyBar)
            shown = bar.render().plain
            assert shown.count("\n") + 1 <= 2, shown
            assert bar.region.bottom == height and bar.region.height == shown.count("\n") + 1
            for key, label in bar.items:
                assert key + label in shown, (width, key, label, shown)
            keys_on_bar = {key for key, _ in bar.items}
            assert {"s", "p", "l", "-", "k", "?", "o", "^p", "^q"} <= keys_on_bar
            assert app.screen.query_one(TimelineView).size.width >= width - 4  # across the screen
        await keys(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
    help_text = "".join(str(cell) for column in key_table().columns for cell in column._cells)
    assert "ctrl+q" in help_text and "quit" in help_text and "asks" in help_text


def parsed(parser_class, data: str) -> list[str]:
    parser = parser_class()
    tokens = list(parser.feed(data))
    if not tokens or data.endswith("\x1b"):
        time.sleep(0.15)  # past the escape delay (100 ms), which a lone or unread ESC waits for
        tokens += list(parser.tick())
    return [t.key for t in tokens if isinstance(t, events.Key)]


def test_esc_then_a_key_is_read_as_both_keys_never_as_alt():
    from textual._xterm_parser import XTermParser

    assert parsed(XTermParser, "\x1bn") == ["alt+n"]  # Textual's reading: Esc and `n` both lost
    assert parsed(XTermParser, "\x1bf") == ["ctrl+right"]
    for data, expected in [
        ("\x1bn", ["escape", "n"]),
        ("\x1bf", ["escape", "f"]),
        ("\x1b1", ["escape", "1"]),
        ("\x1b-", ["escape", "minus"]),
        ("\x1b\r", ["escape", "enter"]),
        ("\x1bo12", ["escape", "o", "1", "2"]),
        ("\x1b", ["escape"]),
        ("\x1b[A", ["up"]),  # the terminal's own sequences are untouched
        ("\x1bOP", ["f1"]),
    ]:
        assert parsed(EscapeFirstParser, data) == expected, data


async def test_a_key_right_after_esc_goes_to_the_screen_below_not_into_the_closing_box(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "n", "half a no")
        # As the terminal driver delivers them: both keys queued before either is handled.
        app.post_message(events.Key("escape", "\x1b"))  # Esc closes the note...
        app.post_message(events.Key("r", "r"))  # ...and `r` opens the rhythm picker
        await pilot.pause()
        assert isinstance(app.screen, ChoicePicker) and app.screen.title_text == "Rhythm"
        await keys(pilot, "1")
        assert [r.kind for r in store.events(1)] == ["code_started", "rhythm"]  # and no note


async def test_the_patient_line_is_said_back_and_a_line_that_cannot_be_read_stays_open(store, clock):
    app = build_app(store, clock, mode="new", new_fields={"arrest": True})
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "p", "2")
        prompt = app.screen
        assert isinstance(prompt, PatientPrompt)
        await keys(pilot, "enter")
        assert app.screen is prompt  # refused, in the form itself, with the reason
        assert "Not logged — '2' alone" in prompt.query_one("#refusal").render().plain
        await keys(pilot, "y", " 12kg tape")  # the keys that follow still go to it
        assert prompt.query_one("#read").render().plain == "→ age 2 years · 12 kg (tape)"
        await keys(pilot, "enter")
        assert isinstance(app.screen, LiveScreen)
        patient = store.events(1)[-1].event.patient
        assert (patient.age_years, patient.weight_kg, patient.weight_source) == (2, 12, "length_tape")
        assert "2 y" in live(app).query_one("#banner").render().plain


async def test_keys_typed_in_one_burst_each_land_where_the_one_before_left_off(store, clock):
    app = build_app(store, clock, mode="new", new_fields={"arrest": True})
    async with app.run_test(size=SIZE) as pilot:
        # As the terminal driver delivers a burst: every key queued before the first is handled.
        burst = ["p", *"2y12t", "enter", "n", *"hi", "enter", "i", "1", "l", "enter", "x", "v", "x"]
        for key in burst:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        for _ in range(50):  # until the queue has drained (a bounded wait, not a timed one)
            await pilot.pause()
            if len(store.events(1)) == 6:
                break
        stored = [(r.kind, getattr(r.event, "text", None)) for r in store.events(1)]
        assert stored == [
            ("code_started", None),
            ("patient_updated", None),
            ("note", "hi"),
            ("io_attempt", None),
            ("io_result", None),
            ("iv_attempt", None),
        ]
        assert store.events(1)[1].event.patient.weight_kg == 12


async def test_the_live_screen_takes_its_keys_first_and_no_widget_on_it_binds_one(tmp_path, clock):
    """LIVE_KEYS are priority bindings (taken as they arrive, recorder/tui/live_keys.py): that is only the
    same as Textual's usual order while no widget of the live screen, in either layout, binds one of them."""
    from recorder.store import Store
    from recorder.tui.live_keys import WIDGET_KEYS

    taken_first = {b.key for b in LiveScreen.BINDINGS if b.priority}
    assert taken_first and not taken_first & WIDGET_KEYS
    for touch in (False, True):
        store = Store(tmp_path / f"touch-{touch}.db")
        try:
            app = build_app(store, clock, mode="new", new_fields=CHILD, touch=touch)
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                screen = live(app)
                for widget in screen.query("*"):
                    bound = set(widget._bindings.key_to_bindings)
                    assert not bound & taken_first, (touch, widget, bound & taken_first)
        finally:
            store.close()


async def test_a_key_typed_with_the_flags_list_focused_is_still_the_screens(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        screen = live(app)
        screen.query_one(FlagsPanel).focus()
        await keys(pilot, "c", "enter", "c")  # Enter is the list's: the code was started by the first key
        assert [r.kind for r in store.events(1)] == ["code_started", "cpr_started", "cpr_stopped"]
        assert app.focused is screen.query_one(FlagsPanel)


async def test_text_pasted_right_after_the_key_that_opens_a_box_lands_in_it(store, clock):
    """A paste is text typed at once: pasted right after `n` and the letters typed into the box it opens, it
    lands in the box after them, and the Enter after it saves the note."""
    app = build_app(store, clock, mode="new", new_fields={"arrest": True})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # As the terminal driver delivers them: the keys, the paste and the Enter queued before any is handled.
        for key in ("n", *"par"):
            app.post_message(events.Key(key, key))
        app.post_message(events.Paste("ents here [/] 2 min"))
        app.post_message(events.Key("enter", None))
        for _ in range(50):  # until the queue has drained (a bounded wait, not a timed one)
            await pilot.pause()
            if len(store.events(1)) == 2:
                break
        assert isinstance(app.screen, LiveScreen)
        stored = [(r.kind, getattr(r.event, "text", None)) for r in store.events(1)]
        assert stored == [("code_started", None), ("note", "parents here [/] 2 min")]


async def test_keys_typed_at_once_after_the_adrenaline_key_go_to_the_dose_box(store, clock):
    """`e t Enter` in one burst is ET adrenaline, as typed one by one. The drug picker puts the focus in the dose
    box as it mounts, a moment after Textual focused its first box (the filter): `t` landed in the filter, and
    Enter logged the dose for the line, a tenth of the ET dose, through the IO."""
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y")  # an IO in: the line the dose would otherwise go through
        for key in ("e", "t", "enter", "e", "5", "enter"):  # as the terminal driver delivers a burst
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        for _ in range(50):  # until the queue has drained (a bounded wait, not a timed one)
            await pilot.pause()
            if len(store.events(1)) == 5:
                break
        drugs = [r.event for r in store.events(1) if r.kind == "drug"]
        assert [(d.route, d.line) for d in drugs] == [("et", None), (None, "io1")]
        assert drugs[1].dose == 5


async def test_a_key_typed_at_once_after_the_one_that_opens_a_screen_finds_the_focus_it_settles_on(store, clock):
    """Every screen a key opens: the key typed straight after it reaches the widget the screen leaves focused,
    never one focused for a moment while it mounts."""
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y", "e", "enter")  # a line in and a drug: every screen opens
        queue = app.keys_in_order
        handed: list[object] = []
        dispatch = queue.dispatch

        async def noted(key: events.Key) -> None:
            handed.append(app.focused)
            await dispatch(key)

        queue.dispatch = noted
        opening = [b.key for b in LiveScreen.BINDINGS if b.key not in ("question_mark", "enter", "0", "minus")]
        for key in opening:
            handed.clear()
            app.post_message(events.Key(key, key if len(key) == 1 else None))
            app.post_message(events.Key("f12", None))  # bound to nothing: it only shows where keys go
            for _ in range(50):
                await pilot.pause()
                if len(handed) == 2 and queue.at is None:
                    break
            await pilot.pause()
            if isinstance(app.screen, LiveScreen):
                continue  # nothing opened (no flag to acknowledge, the next line): nothing to check
            assert handed[1] is app.focused, (key, app.screen, handed[1], app.focused)
            await keys(pilot, "escape")
            assert isinstance(app.screen, LiveScreen), key
