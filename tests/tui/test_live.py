"""Pilot flows on the live screen against a real database: what is stored and what is shown."""

import pytest

from recorder.core.session import Session
from recorder.store import StoreError
from recorder.tui.app import build_app
from recorder.tui.pickers import DrugPicker, IoPicker
from recorder.tui.review import ReviewScreen
from recorder.tui.widgets import FlagsPanel
from tests.tui.helpers import CHILD, keys, live, palette, shown

SIZE = (120, 40)


def kinds(store, code_id=1):
    return [r.kind for r in store.events(code_id)]


async def test_i_1_l_enter_logs_an_io_attempt_at_the_first_key(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        clock.advance(35)
        await keys(pilot, "i", clock=clock, advance=4)  # 4 s in the picker
        await keys(pilot, "1", "l", "enter")
        (attempt,) = [r for r in store.events(1) if r.kind == "io_attempt"]
        event = attempt.event
        assert (event.line, event.site, event.side, event.device, event.needle_mm) == (
            "io1",
            "proximal_tibia",
            "left",
            "ez_io",
            15,
        )
        assert attempt.t == 35  # the first key, not Enter
        assert shown(app)[0] == "IO attempt io1: left proximal tibia, EZ-IO 15 mm"
        assert live(app).current == "io1"


async def test_n_cycles_the_needle_lengths_the_protocol_lists(store, clock):
    """The IO form's needle lengths are the protocol's (a table of data, not the widget's): `n` moves along them
    and wraps, and the first is the one proposed."""
    from recorder.engine import load_protocol

    shipped = load_protocol()
    protocol = shipped.model_copy(update={"needle": shipped.needle.model_copy(update={"stock_mm": (25.0, 45.0)})})
    app = build_app(store, clock, protocol, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter")  # proposed: the first length
        await keys(pilot, "i", "2", "r", "n", "enter")  # n: the next
        await keys(pilot, "i", "3", "l", "n", "enter")  # n from 45: back to the first
        sizes = [r.event.needle_mm for r in store.events(1) if r.kind == "io_attempt"]
        assert sizes == [25, 45, 25]


async def test_plain_recorder_starts_at_launch_and_asks_about_arrest(store, clock):
    app = build_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        clock.advance(3)
        await keys(pilot, "0")  # not in arrest
        started = store.events(1)[0]
        assert started.event.arrest is False and started.t == 0
        assert started.occurred_at == clock.wall().replace() - __import__("datetime").timedelta(seconds=3)


async def test_an_event_key_starts_the_code_in_arrest(store, clock):
    app = build_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "2", "r", "enter")
        assert kinds(store) == ["code_started", "io_attempt"]
        assert store.events(1)[0].event.arrest is True


async def test_breached_bone_is_marked_and_flagged_before_enter(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", clock=clock, advance=10)
        await keys(pilot, "x", clock=clock, advance=10)  # io1 failed
        await keys(pilot, "i")
        picker = app.screen
        assert isinstance(picker, IoPicker)
        assert "io1 failed" in str(picker.query_one("#sites").render())
        await keys(pilot, "2", "l")
        assert "REPEAT_SAME_BONE" in str(picker.query_one("#preview").render())
        assert kinds(store).count("io_attempt") == 1  # nothing logged yet
        await keys(pilot, "enter")
        flags = live(app).session.flags()
        assert [(f.rule, f.severity) for f in flags] == [("REPEAT_SAME_BONE", "critical")]
        assert "REPEAT_SAME_BONE" in str(app.screen.query_one(FlagsPanel).get_option_at_index(0).prompt)


async def test_result_aspiration_flush_take_one_or_two_keys(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", clock=clock, advance=10)
        await keys(pilot, "y", clock=clock, advance=3)
        await keys(pilot, "a", "y", clock=clock, advance=3)
        await keys(pilot, "f", "enter")
        events = store.events(1)
        assert [r.kind for r in events][-3:] == ["io_result", "aspiration", "flush"]
        flush = events[-1].event
        assert (flush.line, flush.volume_ml, flush.easy) == ("io1", 2, True)  # 2 mL: a child under 40 kg
        assert live(app).session.state.lines["io1"].status == "confirmed"


async def test_drug_picker_filters_proposes_the_dose_and_routes_through_the_line(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y", "f", "enter", clock=clock, advance=20)
        await keys(pilot, "d", "amio")
        picker = app.screen
        assert isinstance(picker, DrugPicker)
        options = picker.query_one("#drugs")
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == ["amiodarone"]
        await keys(pilot, "enter")
        assert picker.query_one("#dose").value == "60"  # 5 mg/kg × 12 kg
        assert "proposed 60 mg" in str(picker.query_one("#proposal").render())
        await keys(pilot, "enter")
        drug = store.events(1)[-1].event
        assert (drug.drug, drug.dose, drug.unit, drug.line) == ("amiodarone", 60, "mg", "io1")


async def test_adrenaline_in_two_keys_and_a_tenfold_dose_shows_before_enter(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y", "f", "enter", clock=clock, advance=20)
        await keys(pilot, "e", "enter", clock=clock, advance=60)
        assert store.events(1)[-1].event.dose == 0.12
        await keys(pilot, "e", "backspace", "backspace", "backspace", "backspace", "1.2")
        assert "DOSE_OUT_OF_RANGE" in str(app.screen.query_one("#preview").render())
        await keys(pilot, "escape")
        assert [r.event.dose for r in store.events(1) if r.kind == "drug"] == [0.12]


async def test_unknown_weight_says_what_can_still_be_checked(store, clock):
    """Second edition: unknown is not safe. No dose is proposed, and the picker says the ceiling is checked."""
    app = build_app(store, clock, mode="new", new_fields={"arrest": True})
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y", "e")
        said = str(app.screen.query_one("#proposal").render())
        assert "ceiling only: weight unknown (above 1 mg is flagged)" in said
        assert app.screen.query_one("#dose").value == ""
        await keys(pilot, "1", "enter")
        assert store.events(1)[-1].event.dose == 1


async def test_earlier_key_records_a_late_entry_with_both_times(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        clock.advance(120)
        await keys(pilot, "minus", "minus")  # 1 min ago
        await keys(pilot, "n", "adrenaline given by the paramedic", "enter")
        note = store.events(1)[-1]
        assert note.t == 60
        assert (note.recorded_at - note.occurred_at).total_seconds() == 60
        assert live(app).ago == 0


async def test_void_and_amend_from_the_timeline_keep_everything_visible(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "n", "wrong patient's note", "enter", clock=clock, advance=5)
        await keys(pilot, "r", "1", clock=clock, advance=5)  # asystole
        await keys(pilot, "down")  # the note
        await keys(pilot, "delete", "entered on the wrong code", "enter")
        assert kinds(store)[-1] == "void" and store.events(1)[-1].event.target == 2
        assert "VOIDED Note: wrong patient's note" in shown(app)
        await keys(pilot, "home")
        rows = shown(app)
        index = rows.index("Rhythm: asystole")
        await keys(pilot, *["down"] * index)
        await keys(pilot, "m")
        await keys(pilot, "tab", "backspace" * 0)
        form = app.screen
        form.query_one("#f_rhythm").value = "pea"
        form.query_one("#f_reason").value = "it was PEA"
        await keys(pilot, "ctrl+s")
        amend = store.events(1)[-1].event
        assert (amend.kind, amend.target, amend.changes) == ("amend", 3, {"rhythm": "pea"})
        assert "Rhythm: PEA" in shown(app)
        assert any(row.startswith("Amend #3") for row in shown(app))


async def test_acknowledge_the_critical_flag_with_a_reason(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "x", clock=clock, advance=10)
        await keys(pilot, "i", "2", "l", "enter", clock=clock, advance=10)
        await keys(pilot, "k", "no other site: both humeri fractured", "enter")
        (flag,) = live(app).session.flags()
        assert flag.acknowledged and flag.reason == "no other site: both humeri fractured"
        assert kinds(store)[-1] == "acknowledge"


PALETTE_FLOWS = [
    ("Finding", {"#f_finding": "fracture", "#f_bone": "femur", "#f_side": "left"}, "finding"),
    ("Vitals", {"#f_sbp": "80", "#f_hr": "150"}, "vitals"),
    ("Patient details", {"#f_patient__weight_kg": "13"}, "patient_updated"),
    ("UVC attempt", {"#f_result": "failed"}, "uvc_attempt"),
    ("IV attempt with site", {"#f_result": "in", "#f_site": "left hand"}, "iv_attempt"),
    ("Line complication", {"#f_complication": "swelling"}, "complication"),
    ("Sample", {"#f_labelled_io": True}, "sample"),
    ("Start an infusion", {"#f_drug": "epinephrine", "#f_rate": "0.1"}, "infusion_started"),
    ("Remove a line", {"#f_pressure_held": True}, "line_removed"),
]


@pytest.mark.slow
async def test_every_event_kind_can_be_entered_from_the_screen(store, clock):
    from schemas.events import KINDS

    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y", "a", "y", "f", "enter", clock=clock, advance=5)
        await keys(pilot, "v", "x", "e", "enter", "b", clock=clock, advance=5)
        app.screen.query_one("#f_volume_ml").value = "120"
        await keys(pilot, "ctrl+s", "r", "3", "c", "s", "enter", "n", "hi", "enter", clock=clock, advance=5)
        await keys(pilot, "p", "27mo", "enter", clock=clock, advance=5)
        for title, values, kind in PALETTE_FLOWS:
            await palette(pilot, title)
            form = app.screen
            for selector, value in values.items():
                form.query_one(selector).value = value
            if kind == "sample":
                form.query_one("#f_tests").select("glucose")
            await keys(pilot, "ctrl+s", clock=clock, advance=5)
            assert kinds(store)[-1] == kind, (title, [n.message for n in app._notifications])
        await palette(pilot, "Change an infusion rate")
        app.screen.query_one("#f_rate").value = "0.2"
        await keys(pilot, "ctrl+s")
        for query in ("Responds to pain", "ROSC", "Arrest again", "CPR stopped", "Stop an infusion"):
            await palette(pilot, query)
            if query.startswith("Stop"):
                await keys(pilot, "ctrl+s")
        await keys(pilot, "home", "delete", "typo", "enter")
        index = next(i for i, row in enumerate(shown(app)) if row.startswith("Rhythm"))
        await keys(pilot, "home", *["down"] * index, "m")
        app.screen.query_one("#f_reason").value = "time"
        app.screen.query_one("#f_t").value = "1"
        await keys(pilot, "ctrl+s")
        await keys(pilot, "i", "2", "l", "enter", "k", "seen", "enter")
        await palette(pilot, "End the code")
        await keys(pilot, "r")
        assert set(kinds(store)) == set(KINDS), set(KINDS) - set(kinds(store))
        assert isinstance(app.screen, ReviewScreen)


async def test_a_storage_fault_queues_entries_in_red_and_retries(store, clock, monkeypatch):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        real = store.write

        def full(*args, **kw):
            raise StoreError("cannot write to the database: the disk is full; free space (nothing was saved)")

        monkeypatch.setattr(store, "write", full)
        await keys(pilot, "n", "first", "enter", clock=clock, advance=2)
        await keys(pilot, "i", "1", "l", "enter", clock=clock, advance=2)
        fault = str(app.screen.query_one("#fault").render())
        assert "NOT SAVED" in fault and "disk is full" in fault and "queued" in fault
        assert app.screen.query_one("#fault").has_class("shown")
        assert kinds(store) == ["code_started"]
        assert "Note: first" not in shown(app)  # never shown as if saved
        monkeypatch.setattr(store, "write", real)
        live(app).tick()
        await pilot.pause()
        assert kinds(store) == ["code_started", "note", "io_attempt"]
        assert [r.t for r in store.events(1)] == [0, 0, 2]  # their own times, not the retry's
        assert shown(app)[:2] == ["IO attempt io1: left proximal tibia, EZ-IO 15 mm", "Note: first"]
        assert not app.screen.query_one("#fault").has_class("shown")


async def test_bad_input_is_one_line_and_nothing_is_stored(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "b")
        app.screen.query_one("#f_volume_ml").value = "-5"
        await keys(pilot, "ctrl+s")
        assert kinds(store) == ["code_started", "io_attempt"]
        # Said in the form, which stays open on the field it names.
        assert "Volume (mL): Input should be greater than 0" in str(app.screen.query_one("#refusal").render())
        assert app.focused.id == "f_volume_ml"


async def test_resume_shows_every_entry_and_continues(store, clock, db_path):
    first = Session.start(store, clock, **CHILD)
    first.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=30)
    first.log({"kind": "note", "text": "before the crash"}, t=40)
    store.close()
    from recorder.store import Store

    again = Store(db_path)
    clock.advance(50)
    app = build_app(again, clock)
    async with app.run_test(size=SIZE) as pilot:
        assert shown(app)[:2] == ["Note: before the crash", "IO attempt io1: left proximal tibia"]
        await keys(pilot, "y")
        assert kinds(again)[-1] == "io_result"


async def test_review_mode_logs_no_bedside_event(store, clock):
    session = Session.start(store, clock, **CHILD)
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=30)
    session.end("rosc", t=60)
    app = build_app(store, clock, mode="review", code_id=session.code_id)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ReviewScreen)
        before = kinds(store)
        await keys(pilot, "i", "1", "l", "enter", "n", "x")  # corrections only (Del, m): tests/tui/test_selection.py
        assert kinds(store) == before
        assert "REVIEW" in str(app.screen.query_one("#banner").render())


async def test_help_lists_the_keys(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "question_mark")
        from recorder.tui.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        await keys(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


@pytest.mark.parametrize("mode", ["resume"])
async def test_a_code_open_elsewhere_is_refused_before_the_screen(store, clock, db_path, mode):
    from recorder.core.session import Session as S
    from recorder.store import Store

    S.start(store, clock, arrest=True)
    with pytest.raises(StoreError, match="open in another recorder"):
        build_app(Store(db_path), clock, mode=mode)


def test_readme_key_map_covers_every_shown_key():
    from pathlib import Path

    from recorder.tui.live import LiveScreen

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    names = {"minus": "-", "delete": "Del", "question_mark": "?"}
    for binding in LiveScreen.BINDINGS:
        if binding.show:
            key = names.get(binding.key, binding.key)
            assert f"`{key}`" in readme, f"key {key} ({binding.description}) is missing from the README key map"
    assert (Path(__file__).resolve().parents[2] / "docs" / "live-screen.svg").exists()


async def test_drug_goes_through_the_usable_line_not_a_new_attempt(store, clock):
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y", "f", "enter", clock=clock, advance=20)
        await keys(pilot, "i", "4", "r", "enter", clock=clock, advance=5)  # io2 attempting: the current line
        assert live(app).current == "io2"
        await keys(pilot, "e", "enter")
        assert store.events(1)[-1].event.line == "io1"


async def test_review_h_writes_the_html_summary_next_to_the_database(store, clock, db_path):
    import os
    import stat

    session = Session.start(store, clock, **CHILD)
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=30)
    session.end("rosc", t=60)
    app = build_app(store, clock, mode="review", code_id=session.code_id)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "h")
        path = db_path.with_name("code-1-summary.html")
        assert path.read_text().startswith("<!DOCTYPE html>")
        assert "<svg" in path.read_text()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert any(str(path) in n.message for n in app._notifications)


async def test_flag_notices_of_a_burst_of_entries_never_stack(store, clock):
    """At 80x24 a burst of flagged entries stacked a notice each over the banner; one takes the last one's place."""
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "x", "i", "2", "l", "enter", "x", "i", "1", "l", "enter")
        await keys(pilot, "x", "i", "2", "l", "enter")
        flagged = [n for n in app._notifications if "REPEAT_SAME_BONE" in n.title or "NEW FLAGS" in n.title]
        assert len(flagged) == 1, [n.title for n in app._notifications]
        assert len([f for f in live(app).session.flags() if f.rule == "REPEAT_SAME_BONE"]) >= 2  # the panel keeps all
        assert "T+" in live(app).query_one("#banner").render().plain  # the banner stays in sight


async def test_an_entry_raising_two_flags_shows_them_a_line_each_in_one_notice(store, clock):
    """The notice of an entry's flags listed them joined by line breaks that were then shown as `↵` marks (the mark
    of a break in a person's words), so the second flag ran on after the first mid-line; each is a line of its own."""
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        # io1 in, never aspirated nor flushed: adrenaline through it raises a critical and a warning
        await keys(pilot, "i", "1", "l", "enter", "y", "e", "enter", "enter")
        raised = sorted(f.rule for f in live(app).session.flags() if f.seq == 4)
        assert raised == ["DRUG_VIA_UNCONFIRMED_IO", "NO_INITIAL_FLUSH"]
        (notice,) = [n for n in app._notifications if n.title == "2 NEW FLAGS"]
        heads = [line.split(":")[0] for line in notice.message.split("\n")]
        assert heads == ["CRITICAL DRUG_VIA_UNCONFIRMED_IO", "WARNING NO_INITIAL_FLUSH"]
        assert "↵" not in notice.message


async def test_a_line_break_in_a_flags_words_stays_a_mark_in_its_notice(store, clock):
    """The notice's lines are its own; within one, a break in the words (a name typed or read from a file) is
    shown as on the timeline, `↵`, and a control character as its escape, as every notice shows them."""
    from schemas.records import Flag

    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        flags = [
            Flag(rule="A_RULE", severity="warning", seq=2, t=1.0, message="drug 'line\none' \x1b[2J via io1"),
            Flag(rule="B_RULE", severity="critical", seq=2, t=1.0, message="[b]not bold[/b]"),
        ]
        live(app).alert(flags)
        await pilot.pause()
        (notice,) = [n for n in app._notifications if n.title == "2 NEW FLAGS"]
        assert notice.message.split("\n") == [
            "CRITICAL B_RULE: [b]not bold[/b]",
            "WARNING A_RULE: drug 'line↵one' \\x1b[2J via io1",
        ]
        assert not notice.markup
        # As drawn: the brackets as typed, each flag on a line of its own.
        from textual.widgets._toast import Toast

        (toast,) = app.screen.query(Toast)
        drawn = toast.render().plain
        assert "CRITICAL B_RULE: [b]not bold[/b]\nWARNING A_RULE: drug 'line↵one'" in drawn


async def test_the_clocks_shown_move_together_at_the_tick_and_a_key_starts_a_new_one_at_0_00(store, clock):
    """Between ticks a key leaves the clocks as the tick drew them (each line's and timer's clock turned over at its
    own fraction of a second, so most keys redrew the top of the screen); a timer the key starts reads 0:00."""
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        screen = live(app)
        await keys(pilot, "i", "1", "l", "enter", "y")  # io1 in at T+00:00
        screen.tick()
        await pilot.pause()

        def drawn() -> tuple[str, str, str]:
            return tuple(screen.query_one(f"#{name}").render().plain for name in ("banner", "lines", "timers"))

        before = drawn()
        assert before[0].startswith("T+00:00") and "0:00" in before[1]
        clock.advance(75.4)
        # An entry between ticks (made as a key makes it, with no wait in which the second's timer could run):
        # the clocks stay where the tick left them.
        screen.record({"kind": "note", "text": "between ticks"}, screen.entry_time())
        assert drawn() == before
        assert store.events(1)[-1].t == pytest.approx(75.4)  # the entry has its own time, not the clock shown
        screen.tick()
        await pilot.pause()
        banner, lines, timers = drawn()
        assert banner.startswith("T+01:15") and "1:15" in lines and "1:15" in timers  # all at once
        clock.advance(0.5)
        epinephrine = {
            "kind": "drug",
            "drug": "epinephrine",
            "dose": 0.12,
            "unit": "mg",
            "line": "io1",
            "purpose": "arrest",
        }
        screen.record(epinephrine, screen.entry_time())
        assert store.events(1)[-1].kind == "drug"
        banner, lines, timers = drawn()
        assert "Since adrenaline" in timers and "0:00" in timers, timers  # its own clock, from the key, at 0:00
        assert banner.startswith("T+01:15") and "1:15" in lines  # the others where the tick left them


async def test_between_ticks_the_banner_follows_what_a_key_changes_in_it(store, clock):
    """The banner's text is made again only when what it shows changed: between ticks (its clock standing) a key
    that changes the patient, the arrest, or sets "earlier" still shows at once, and the clock stays put."""
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        screen = live(app)
        # Only the test ticks: on a loaded machine the second's timer ran between the keys below and moved the
        # banner's clock to the fake clock's T+00:20, which is not what this test is about.
        screen.ticker.pause()
        await keys(pilot, "i", "1", "l", "enter", "y")  # the code exists, in arrest, 12 kg
        screen.tick()
        await pilot.pause()

        def banner() -> str:
            return screen.query_one("#banner").render().plain

        assert "12 kg" in banner() and "IN ARREST" in banner(), banner()
        clock.advance(20.4)
        screen.record({"kind": "patient_updated", "patient": {"weight_kg": 14, "weight_source": "measured"}}, 20.4)
        assert "14 kg" in banner() and "12 kg" not in banner() and banner().startswith("T+00:00"), banner()
        screen.record({"kind": "rosc"}, 20.4)
        assert "not in arrest" in banner() and banner().startswith("T+00:00"), banner()
        await keys(pilot, "minus")  # 30 s earlier, at T+00:20: before the code's start
        assert "next entry: 30 s ago" in banner() and "before the code's start" in banner(), banner()
        clock.advance(15)  # T+00:35: the same 30 s no longer reaches before the start
        screen.refresh_panels()  # as any key does, between ticks
        assert "next entry: 30 s ago" in banner() and "before the code's start" not in banner(), banner()
        screen.record({"kind": "note", "text": "earlier"}, screen.entry_time())  # "earlier" is used up by the entry
        assert store.events(1)[-1].t == pytest.approx(5.4)
        assert "next entry" not in banner() and "before the code's start" not in banner(), banner()
        await keys(pilot, "minus")
        assert "next entry: 30 s ago" in banner() and "before the code's start" not in banner(), banner()
        assert banner().startswith("T+00:00")  # the clock where the tick left it
