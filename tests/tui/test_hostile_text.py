"""Hostile text on the screen: every string from a person or a file is shown as written, nothing in it
is read as markup or run as an action, and invisible characters an older record holds are shown escaped.

Each test enters every string of tests/hostile.py in one place and reads what the screen drew.
"""

import pytest
from textual.widgets import Input, Label
from textual.widgets._toast import Toast

from recorder.core.session import Session
from recorder.tui.app import build_app
from recorder.tui.literal import visible
from recorder.tui.pickers import DrugPicker, FormScreen, TextPrompt
from recorder.tui.review import ReviewScreen
from recorder.tui.widgets import FlagsPanel, LinesPanel, TimelineView
from schemas.events import KIND_MODEL
from tests.hostile import ACCEPTED, REFUSED
from tests.tui.helpers import CHILD, keys, live

SIZE = (140, 40)
# What of a string must be on screen: its start (a long one is cut at the panel's edge).
SHOWN = 30


def screen_text(app) -> str:
    """Every cell the top screen drew, row by row, as the terminal receives it."""
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())


def toasts(app) -> list[str]:
    """The notifications showing now: title and message as drawn."""
    return [toast.render().plain for toast in app.screen.query(Toast)]


def title(app) -> str:
    """The title bar of the picker on top."""
    return app.screen.query_one(".title", Label).render().plain


def on_screen(app, text: str) -> bool:
    """`text` (its start) on a row the timeline drew."""
    view = app.screen.query_one(TimelineView)
    rows = ("".join(seg.text for seg in view.render_line(y)) for y in range(min(len(view.rows), view.size.height)))
    return any(visible(text)[:SHOWN] in row for row in rows)


def assert_drawn_cleanly(app) -> None:
    """Nothing reaches the terminal that could drive it: no escape, no direction override."""
    drawn = screen_text(app)
    for ch in "\x1b\x9b\u202e\u2066\u200b\u2028":
        assert ch not in drawn


async def enter_text(pilot, value: str) -> None:
    """Fill the focused prompt's input and press Enter, as typing the text would."""
    pilot.app.screen.query_one(Input).value = value
    await keys(pilot, "enter")


@pytest.mark.slow
async def test_notes_void_and_amend_prompts_show_hostile_text_as_written(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for text in ACCEPTED:
            await keys(pilot, "n")
            await enter_text(pilot, text)
            record = store.events(1)[-1]
            assert record.kind == "note" and record.event.text == text.strip()
            view = app.screen.query_one(TimelineView)
            assert on_screen(app, "Note: " + text.strip()), text
            # Del on it: the void prompt's title holds the note as written.
            await keys(pilot, "delete")  # the cursor is on the newest row
            assert isinstance(app.screen, TextPrompt)
            assert visible(text.strip())[:SHOWN] in title(app)
            await keys(pilot, "escape")
            # m on it: the amend form's title and its prefilled text field.
            await keys(pilot, "m")
            assert isinstance(app.screen, FormScreen)
            assert visible(text.strip())[:SHOWN] in title(app)
            assert app.screen.query_one("#f_text", Input).value == visible(text.strip())
            app.screen.query_one("#f_text", Input).value = "amended " + text[:150]
            app.screen.query_one("#f_reason", Input).value = text[:200]
            await keys(pilot, "ctrl+s")
            amend = store.events(1)[-1]
            assert amend.kind == "amend", toasts(app)
            assert amend.event.changes == {"text": ("amended " + text[:150]).strip()}
            assert amend.event.reason == text[:200].strip()
            note = next(row for row in view.rows if row.record.seq == record.seq)
            assert note.record.event.text == ("amended " + text[:150]).strip()
            assert on_screen(app, "Note: amended " + text.strip())
            assert app.is_running
        assert_drawn_cleanly(app)


async def test_a_click_action_in_a_note_is_text_not_an_action(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await keys(pilot, "n")
        await enter_text(pilot, "[@click=app.quit]quit[/]")
        await keys(pilot, "home", "delete")
        label = app.screen.query_one(".title", Label)
        assert label.render().plain.endswith("[@click=app.quit]quit[/] — why?")
        assert all(not span.style or "click" not in str(span.style) for span in label.render().spans)
        await pilot.click(".title", offset=(30, 0))  # on the would-be link
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, TextPrompt)
        await keys(pilot, "escape")
        await pilot.click(TimelineView, offset=(30, 0))
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, type(live(app)))


@pytest.mark.slow
async def test_drug_names_and_flag_messages_show_hostile_text_as_written(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y")  # io1 in, not confirmed: every drug through it is flagged
        for name in ACCEPTED:
            await keys(pilot, "d")
            picker = app.screen
            assert isinstance(picker, DrugPicker)
            picker.query_one("#filter", Input).value = name
            await keys(pilot, "enter")  # nothing matches: the drug is "other", named as typed
            picker.query_one("#dose", Input).value = "1"
            await keys(pilot, "enter")
            record = store.events(1)[-1]
            assert (record.kind, record.event.drug, record.event.name) == ("drug", "other", name.strip())
            # The critical flag's pop-up, the flags panel and the timeline all name the drug as typed.
            assert any(visible(name.strip()) in toast for toast in toasts(app)), name
            flags = app.screen.query_one(FlagsPanel)
            assert any(visible(name.strip()) in str(o.prompt) for o in flags.options)
            assert on_screen(app, name.strip())
            assert app.is_running
        assert_drawn_cleanly(app)


@pytest.mark.slow
async def test_a_hostile_concentration_is_named_in_the_picker_and_the_drug_is_kept(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y", "f", "enter")
        for text in ACCEPTED:
            count = len(store.events(1))
            await keys(pilot, "e")
            picker = app.screen
            picker.query_one("#concentration", Input).value = text
            await keys(pilot, "enter")
            assert app.screen is picker and len(store.events(1)) == count  # not a concentration: kept open
            said = picker.query_one("#refusal").render().plain  # said in the picker, beside the field
            assert said.startswith("Not logged — concentration ") and visible(repr(text.strip())) in said, said
            assert app.focused is picker.query_one("#concentration", Input)
            picker.query_one("#concentration", Input).value = "0.1 mg/mL"
            await keys(pilot, "enter")  # corrected: the same entry is logged
            drug = store.events(1)[-1]
            assert (drug.kind, drug.event.drug, drug.event.concentration) == ("drug", "epinephrine", "0.1 mg/mL")
            assert app.is_running


@pytest.mark.slow
async def test_free_text_form_fields_show_hostile_text_in_the_banner_lines_and_flags(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for text in ACCEPTED:
            live(app).action_form("patient")  # the full form (ctrl+p → Patient details): name, MRN, sex
            await pilot.pause()
            app.screen.query_one("#f_patient__name", Input).value = text
            await keys(pilot, "ctrl+s")
            assert store.events(1)[-1].event.patient.name == text.strip()
            banner = app.screen.query_one("#banner").render().plain
            assert visible(text.strip()) in banner, banner
            clock.advance(1)  # each line newer than the last: on the panel's first row (it writes the rows it shows)
            live(app).action_form("iv_attempt")
            await pilot.pause()
            app.screen.query_one("#f_site", Input).value = text
            app.screen.query_one("#f_result").value = "in"
            await keys(pilot, "ctrl+s")
            line = store.events(1)[-1]
            assert (line.kind, line.event.site) == ("iv_attempt", text.strip())
            lines = app.screen.query_one(LinesPanel).render().plain
            assert visible(text.strip())[:15] in lines  # the site column is 19 cells wide
        # A reason typed to acknowledge a flag.
        await keys(pilot, "i", "1", "l", "enter", "x", "i", "2", "l", "enter")
        await keys(pilot, "k")
        await enter_text(pilot, ACCEPTED[3])
        assert store.events(1)[-1].kind == "acknowledge"
        assert any(ACCEPTED[3] in str(o.prompt) for o in app.screen.query_one(FlagsPanel).options)
        assert app.is_running
        assert_drawn_cleanly(app)


async def test_refused_text_is_named_in_one_line_and_shown_escaped(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for text, code in REFUSED.items():
            count = len(store.events(1))
            await keys(pilot, "n")
            await enter_text(pilot, text)
            assert len(store.events(1)) == count
            # Said in the prompt, which stays open with the text: nothing typed next goes anywhere else.
            assert isinstance(app.screen, TextPrompt)
            shown = app.screen.query_one("#refusal").render().plain
            assert shown.startswith("Not logged — text: contains ") and code in shown, shown
            assert_drawn_cleanly(app)
            await keys(pilot, "escape")
        assert app.is_running
        assert_drawn_cleanly(app)


# Pasted as a scribe would (from a message, a monitor's export, a page): lines, and text with a control.
PASTED = {
    "parents here\nmother says fell 2 m\n": "parents here↵mother says fell 2 m",  # the copied line's break dropped
    "line one\r\nline two": "line one↵line two",
    **{text: visible(text) for text in REFUSED},
    **{text: text for text in ACCEPTED[:4]},
}


async def test_text_pasted_into_a_box_lands_in_it_as_written_every_line_kept(store, clock):
    """A paste is shown in the box as it will be stored, before Enter: every line kept (a break shown as on the
    timeline, ↵), a control character as its escape, never drawn raw (an escape pasted into the note box reached
    the terminal; a second line was dropped without a word)."""
    from textual import events

    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for text, shown in PASTED.items():
            await keys(pilot, "n")
            app.post_message(events.Paste(text))
            await pilot.pause()
            assert app.screen.query_one(Input).value == shown
            assert_drawn_cleanly(app)
            await keys(pilot, "enter")
            record = store.events(1)[-1]
            assert record.kind == "note" and record.event.text == shown.strip(), toasts(app)
            assert on_screen(app, "Note: " + shown.strip())
            assert_drawn_cleanly(app)


def _hostile_code(store, clock, *, end: bool = True) -> int:
    """A code that holds every hostile string in every free-text field, and older records' invisible
    characters stored as an older recorder would have stored them (without today's entry checks)."""
    session = Session.start(store, clock, **CHILD)
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"})
    session.log({"kind": "io_result", "line": "io1", "result": "in"})
    for text in ACCEPTED:
        clock.advance(5)
        session.log({"kind": "note", "text": text})
        session.log({"kind": "drug", "drug": "other", "name": text, "dose": 1, "unit": "mg", "line": "io1"})
    clock.advance(5)
    session.log({"kind": "patient_updated", "patient": {"name": ACCEPTED[0]}})
    for text in REFUSED:
        if "\x1b" in text:
            continue  # C0 controls were refused by every version: none is stored
        clock.advance(5)
        session.log_event(KIND_MODEL["note"].model_validate({"kind": "note", "t": session.now(), "text": text}))
    if end:
        session.log({"kind": "code_ended", "outcome": "died"})
    return session.code_id


async def test_the_review_after_the_code_shows_every_hostile_string(store, clock):
    code_id = _hostile_code(store, clock)
    app = build_app(store, clock, mode="review", code_id=code_id)
    async with app.run_test(size=(160, 220), notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        drawn = screen_text(app)
        for text in ACCEPTED:
            assert visible(text.strip())[:SHOWN] in drawn, text
        for text in REFUSED:
            if "\x1b" not in text:
                assert visible(text) in drawn  # shown escaped, e.g. file\u202eexe.txt
        assert_drawn_cleanly(app)
        await keys(pilot, "question_mark")
        assert "Keys" in screen_text(app)
        await keys(pilot, "escape")
        assert app.is_running


async def test_a_resumed_code_with_older_invisible_characters_loads_and_shows_them_escaped(store, clock):
    code_id = _hostile_code(store, clock, end=False)
    assert store.verify() == []
    app = build_app(store, clock, mode="resume", code_id=code_id)
    async with app.run_test(size=(160, 220), notifications=True) as pilot:
        drawn = screen_text(app)
        for text in REFUSED:
            if "\x1b" not in text:
                assert visible(text) in drawn
        assert_drawn_cleanly(app)
        await keys(pilot, "n")
        await enter_text(pilot, "still recording")
        assert store.events(code_id)[-1].event.text == "still recording"
