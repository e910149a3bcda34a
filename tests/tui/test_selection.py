"""Selections are events: the timeline's is a seq, the flags panel's a (rule, seq); what Del, m and k act on."""

import pytest

from recorder.store import StoreError
from recorder.tui.app import build_app
from recorder.tui.pickers import TextPrompt
from recorder.tui.widgets import FlagsPanel, TimelineView
from tests.tui.helpers import CHILD, keys, live

SIZE = (120, 40)


def selected(app) -> int | None:
    """The seq of the timeline row shown selected (the one under the cursor)."""
    row = app.screen.query_one(TimelineView).selected
    return row.record.seq if row else None


def asked(app) -> str:
    """The title of the prompt on top: what it says it will act on."""
    screen = app.screen
    return screen.title_text if isinstance(screen, TextPrompt) else screen.form.title


@pytest.mark.slow
async def test_the_timeline_selection_stays_on_its_event_whatever_is_entered(store, clock, monkeypatch):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        clock.advance(200)
        await keys(pilot, "n", "first", "enter", clock=clock, advance=10)  # #2
        await keys(pilot, "r", "1", clock=clock, advance=10)  # #3 asystole
        await keys(pilot, "n", "third", "enter", clock=clock, advance=10)  # #4
        await keys(pilot, "down")  # the scribe selects the rhythm
        assert selected(app) == 3
        # An insert after it (the newest), one back-dated below it (2 min ago: before #2)...
        await keys(pilot, "n", "newer", "enter", clock=clock, advance=5)  # #5
        assert selected(app) == 3
        await keys(pilot, "minus", "minus", "minus", "n", "back-dated", "enter", clock=clock, advance=5)  # #6
        assert selected(app) == 3
        # ... one back-dated to between the newest and the selected row: the row index moves, the event does not.
        await keys(pilot, "minus", "n", "thirty s ago", "enter", clock=clock, advance=5)  # #7
        assert selected(app) == 3
        # A void of another event adds a row (the void) and strikes one through.
        await keys(pilot, "up", "up")  # the scribe moves up past #7 to #4 "third"
        assert selected(app) == 4
        await keys(pilot, "delete")
        assert asked(app).startswith("Void #4 ") and "T+03:40" in asked(app) and "third" in asked(app)
        await keys(pilot, "wrong code", "enter")  # #8
        assert store.events(1)[-1].event.target == 4
        assert selected(app) == 4
        await keys(pilot, "down", "down")
        assert selected(app) == 3
        # An amend of the selected event, then an amend (through the session) that moves it in time.
        await keys(pilot, "m")
        assert asked(app).startswith("Amend #3 ") and "asystole" in asked(app).lower()
        app.screen.query_one("#f_rhythm").value = "pea"
        app.screen.query_one("#f_reason").value = "it was PEA"
        await keys(pilot, "ctrl+s")  # #9
        assert store.events(1)[-1].event.changes == {"rhythm": "pea"}
        assert selected(app) == 3
        live(app).session.amend(3, {"t": 10.0}, "it was at the start")  # #10, now the oldest event but one
        live(app).rebuild()
        await pilot.pause()
        assert selected(app) == 3
        # Entries queued behind a storage fault, then written when it clears.
        real = store.write

        def full(*args, **kw):
            raise StoreError("cannot write to the database: the disk is full; free space (nothing was saved)")

        monkeypatch.setattr(store, "write", full)
        await keys(pilot, "n", "queued", "enter", clock=clock, advance=2)
        assert selected(app) == 3
        monkeypatch.setattr(store, "write", real)
        live(app).tick()
        await pilot.pause()
        assert store.events(1)[-1].kind == "note" and selected(app) == 3
        # Del acts on exactly that event, and says what it is.
        await keys(pilot, "delete")
        assert asked(app).startswith("Void #3 ") and "T+00:10" in asked(app) and "PEA" in asked(app)
        await keys(pilot, "not a rhythm check", "enter")
        void = store.events(1)[-1]
        assert (void.kind, void.event.target) == ("void", 3)
        assert selected(app) == 3  # the voided event stays selected, struck through
        before = len(store.events(1))
        await keys(pilot, "delete")
        assert not isinstance(app.screen, TextPrompt) and len(store.events(1)) == before
        assert any("#3 is already voided" in n.message for n in app._notifications)
        # Home: the selection follows the newest entry again.
        await keys(pilot, "home", "n", "latest", "enter")
        assert selected(app) == store.events(1)[-1].seq


async def test_k_acknowledges_the_flag_shown_selected(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.screen.query_one(FlagsPanel)
        await keys(pilot, "i", "1", "l", "enter", "x", clock=clock, advance=10)  # #2, #3
        await keys(pilot, "i", "2", "l", "enter", clock=clock, advance=10)  # #4: REPEAT_SAME_BONE
        assert panel.selected_flag_key == ("REPEAT_SAME_BONE", 4)
        await keys(pilot, "k")
        assert "REPEAT_SAME_BONE" in asked(app) and "#4" in asked(app)
        await keys(pilot, "both humeri fractured", "enter")  # #5
        assert panel.selected_flag_key is None  # nothing left to acknowledge: nothing shown selected
        await keys(pilot, "k")  # says so, rather than offer the flag just acknowledged
        assert not isinstance(app.screen, TextPrompt)
        assert "every flag is acknowledged" in list(app._notifications)[-1].message
        # A new critical arrives: k offers it, not the flag it just acknowledged.
        await keys(pilot, "x", clock=clock, advance=10)  # #6
        await keys(pilot, "i", "1", "l", "enter", clock=clock, advance=10)  # #7: REPEAT_SAME_BONE again
        assert panel.selected_flag_key == ("REPEAT_SAME_BONE", 7)
        await keys(pilot, "k")
        assert "#7" in asked(app) and "#4" not in asked(app)
        assert "critical REPEAT_SAME_BONE" in asked(app) and "the newest unacknowledged critical" in asked(app)
        await keys(pilot, "escape")
        # The scribe chooses a flag themselves (Tab to the flags, ↓): k offers that one, and says so.
        await keys(pilot, "tab", "down")
        assert panel.selected_flag_key == ("REPEAT_SAME_BONE", 4) and panel.chosen == ("REPEAT_SAME_BONE", 4)
        view = app.screen.query_one(TimelineView)  # its selection stays drawn (Del acts on it from here too)
        assert any(seg.style and seg.style.underline for seg in view.render_line(view.cursor - int(view.scroll_y)))
        # Entries, and a new critical raised meanwhile, do not move it.
        await keys(pilot, "n", "a note in between", "enter", clock=clock, advance=10)  # #8
        await keys(pilot, "x", "i", "2", "l", "enter", clock=clock, advance=10)  # #9, #10: REPEAT_SAME_BONE
        assert ("REPEAT_SAME_BONE", 10) in [(f.rule, f.seq) for f in live(app).session.flags()]
        assert panel.selected_flag_key == ("REPEAT_SAME_BONE", 4)
        await keys(pilot, "k")
        assert "#4" in asked(app) and "(selected)" in asked(app)
        await keys(pilot, "the second reason", "enter")  # #11
        ack = store.events(1)[-1].event
        assert (ack.kind, ack.rule, ack.target, ack.reason) == (
            "acknowledge",
            "REPEAT_SAME_BONE",
            4,
            "the second reason",
        )
        # The choice is spent on its acknowledgement: the newest unacknowledged critical is next.
        assert panel.chosen is None and panel.selected_flag_key == ("REPEAT_SAME_BONE", 10)
        # A chosen flag withdrawn by a void: the choice goes with it, and the highlight shows what k does now.
        panel.focus()
        await keys(pilot, "home")
        assert panel.chosen == ("REPEAT_SAME_BONE", 10)
        live(app).session.void(10, "wrong patient")
        live(app).rebuild()
        await pilot.pause()
        assert panel.chosen is None and panel.selected_flag_key == ("REPEAT_SAME_BONE", 7)
        await keys(pilot, "k")
        assert "#7" in asked(app) and "the newest unacknowledged critical" in asked(app)


async def test_void_and_amend_after_the_end_of_the_code_in_review(store, clock):
    from click.testing import CliRunner

    from recorder.cli import cli
    from recorder.core.session import Session
    from recorder.tui.review import ReviewScreen
    from tests.tui.helpers import shown

    session = Session.start(store, clock, **CHILD)
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=30)  # #2
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=40)  # #3
    session.log({"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1"}, t=60)  # #4
    session.log({"kind": "flush", "line": "io1", "volume_ml": 5}, t=65)  # #5
    session.log({"kind": "note", "text": "another child's note"}, t=70)  # #6
    session.end("rosc", t=120)  # #7
    clock.advance(3600)  # the debrief, an hour later
    app = build_app(store, clock, mode="review", code_id=session.code_id)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ReviewScreen)
        await keys(pilot, "down")  # the note
        await keys(pilot, "delete")
        assert asked(app).startswith("Void #6 ") and "another child's note" in asked(app)
        await keys(pilot, "entered on the wrong chart", "enter")
        void = store.events(1)[-1]
        assert (void.seq, void.kind, void.event.target, void.event.reason) == (
            8,
            "void",
            6,
            "entered on the wrong chart",
        )
        assert isinstance(app.screen, ReviewScreen)
        assert "VOIDED Note: another child's note" in shown(app) and selected(app) == 6
        await keys(pilot, "down", "down")  # the adrenaline
        assert selected(app) == 4
        await keys(pilot, "m")
        assert asked(app).startswith("Amend #4 ") and "0.12 mg" in asked(app)
        app.screen.query_one("#f_dose").value = "0.1"
        app.screen.query_one("#f_reason").value = "the syringe said 0.1 mg"
        await keys(pilot, "ctrl+s")
        amend = store.events(1)[-1]
        assert (amend.seq, amend.kind, amend.event.target, amend.event.changes) == (9, "amend", 4, {"dose": 0.1})
        assert "Epinephrine 0.1 mg via io1" in shown(app) and selected(app) == 4
    assert store.verify() == []
    runner = CliRunner()
    assert runner.invoke(cli, ["verify"]).exit_code == 0
    summary = runner.invoke(cli, ["summary", "1", "--format", "md"])
    assert summary.exit_code == 0
    assert "| Epinephrine | 0.1 mg |" in summary.output  # the corrected record, with the correction's history:
    assert "| amend | #4 Epinephrine 0.12 mg via io1 | dose: 0.12 → 0.1 | the syringe said 0.1 mg |" in summary.output
    assert "| void | #6 Note: another child's note | voided | entered on the wrong chart |" in summary.output
