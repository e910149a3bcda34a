"""Forms and pickers: a refused entry stays open, defaults are shown as stored, times as people say them."""

from recorder.tui.app import build_app
from recorder.tui.pickers import DrugPicker, FormScreen, TextPrompt
from tests.tui.helpers import CHILD, keys, live

SIZE = (120, 40)


def kinds(store, code_id=1):
    return [r.kind for r in store.events(code_id)]


def refusal(app) -> str:
    return str(app.screen.query_one("#refusal").render())


async def test_a_refused_entry_keeps_its_form_open_and_the_keys_after_it(store, clock):
    """Issue 12 defect 1: `f Enter` with no weight closed the form; `e Enter n text Enter` went to the dose box."""
    app = build_app(store, clock)  # `recorder`: no patient known
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "enter", "i", "4", "r", "enter", "y", clock=clock, advance=5)
        await keys(pilot, "f")
        # Second edition: unknown is not safe, so the volume is the protocol's minimum for a patient of
        # unknown age and weight, shown and stored as shown. Cleared, the entry is refused.
        volume = app.screen.query_one("#f_volume_ml")
        assert volume.value == "2"
        volume.value = ""
        await keys(pilot, "enter")
        assert isinstance(app.screen, FormScreen)  # still open, said in the form, on the field
        assert "Volume (mL): not answered" in refusal(app)
        assert app.focused.id == "f_volume_ml"
        await keys(pilot, "e", "enter", "n", "text", "enter")
        # Typed ahead into the form, nowhere else: no drug picker, nothing logged behind it.
        assert isinstance(app.screen, FormScreen) and not any(isinstance(s, DrugPicker) for s in app.screen_stack)
        assert kinds(store) == ["code_started", "io_attempt", "io_result"]
        app.focused.value = ""
        await keys(pilot, "2", "enter")
        flush = store.events(1)[-1].event
        assert (flush.kind, flush.volume_ml, flush.line, flush.easy, flush.extravasation) == (
            "flush",
            2,
            "io1",
            True,
            False,
        )
        # A refusal from the ledger or the schema keeps a picker open too, with the field it names focused.
        await keys(pilot, "d", "amio", "enter", "0", "enter")
        assert isinstance(app.screen, DrugPicker)
        assert "dose" in refusal(app) and app.focused.id == "dose"
        await keys(pilot, "backspace", "50", "enter")
        assert kinds(store)[-1] == "drug" and store.events(1)[-1].event.dose == 50
        await keys(pilot, "n", "text", "enter")
        assert store.events(1)[-1].event.text == "text"
        assert not live(app).query_one("#refused").has_class("shown")


async def test_defaults_are_shown_as_stored_and_unanswered_choices_block(store, clock):
    """Issue 12 defect 4: the flush form showed "Select" and stored easy; pressure held was never asked."""
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y", clock=clock, advance=5)
        # Every form shows each default as the chosen answer: what is stored when left alone.
        screen = live(app)
        for name, form in screen.forms().items():
            await app.push_screen(FormScreen(form))
            await pilot.pause()
            for f in form.fields:
                widget = app.screen.query_one(f"#{f.name.replace('.', '__').join(('f_', ''))}")
                if f.default is not None:
                    assert widget.value == f.default, (name, f.name, widget.value)
            app.pop_screen()
            await pilot.pause()
        await keys(pilot, "f")
        assert type(app.screen.query_one("#f_easy")).__name__ == "YesNo"  # answered with y / n
        assert app.screen.query_one("#f_easy").value is True  # shown "yes" before Enter
        await keys(pilot, "tab", "tab", "n", "enter")  # one key changes it
        flush = store.events(1)[-1].event
        assert (flush.easy, flush.extravasation) == (False, False)
        # Removing an IO line asks whether pressure was held; unanswered, the entry is blocked there.
        screen.action_form("line_removed")
        await pilot.pause()
        app.screen.query_one("#f_line").value = "io1"  # failed now: no longer the current line
        await keys(pilot, "ctrl+s")
        assert "Pressure held: not answered" in refusal(app) and app.focused.id == "f_pressure_held"
        assert kinds(store)[-1] == "flush"
        await keys(pilot, "n", "enter")
        removed = store.events(1)[-1]
        assert removed.kind == "line_removed" and removed.event.pressure_held is False
        assert "IO_REMOVED_NO_PRESSURE" in [f.rule for f in screen.session.flags()]


async def test_amend_time_reads_a_time_as_said_and_refuses_the_future(store, clock):
    """Issue 12 defect 3: "Time (s from start)" read `1:30` as 130 s and took a time in the future."""
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        clock.advance(120)
        await keys(pilot, "n", "rhythm check", "enter", clock=clock, advance=60)  # at T+02:00; now T+03:00
        await keys(pilot, "home", "m")
        form = app.screen
        assert form.query_one("#f_t").value == "T+02:00"
        form.query_one("#f_t").value = "1:30"
        await pilot.pause()
        assert "= T+01:30, 14:06:30" in str(form.query_one("#f_t_read").render())  # shown before Enter
        form.query_one("#f_t").value = "9:00"
        form.query_one("#f_reason").value = "time was earlier"
        await keys(pilot, "ctrl+s")
        assert isinstance(app.screen, FormScreen) and app.focused.id == "f_t"
        assert "in the future" in refusal(app)
        assert kinds(store)[-1] == "note"
        form.query_one("#f_t").value = "1:30"
        await keys(pilot, "ctrl+s")
        amend = store.events(1)[-1].event
        assert (amend.kind, amend.changes) == ("amend", {"t": 90})


async def test_earlier_before_the_start_is_refused_not_clamped(store, clock):
    """Issue 12 defect 8: `- c` at T+00:23 was stored at T+00:00 and not marked late."""
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        clock.advance(23)
        await keys(pilot, "minus")
        assert "before the code's start" in live(app).query_one("#banner").render().plain  # said at once
        await keys(pilot, "c")
        assert kinds(store) == ["code_started"]  # nothing at T+00:00
        said = str(live(app).query_one("#refused").render())
        assert "before the code's start" in said and live(app).query_one("#refused").has_class("shown")
        await keys(pilot, "minus", "n", "given before we started", "enter")
        assert isinstance(app.screen, TextPrompt) and "before the code's start" in refusal(app)
        await keys(pilot, "escape", clock=clock, advance=22)  # T+00:45
        await keys(pilot, "minus", "c")
        cpr = store.events(1)[-1]
        assert (cpr.kind, cpr.t, (cpr.recorded_at - cpr.occurred_at).total_seconds()) == ("cpr_started", 15, 30)
        assert not live(app).query_one("#refused").has_class("shown")


async def test_the_drug_picker_proposes_the_strength_by_age_and_shows_the_volume(store, clock):
    """Issue 12: the hypertonic check needed an optional box filled in; no volume in mL was shown."""
    infant = {"arrest": True, "patient": {"age_months": 11, "weight_kg": 9, "weight_source": "length_tape"}}
    app = build_app(store, clock, mode="new", new_fields=infant)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y", "f", "enter", clock=clock, advance=20)
        await keys(pilot, "d", "bicarb", "enter")
        picker = app.screen
        assert picker.query_one("#strength").value == "4.2%"  # under 2 years: proposed, shown
        dose = float(picker.query_one("#dose").value)
        assert f"{dose * 2:.3g} mL of 4.2%" in str(picker.query_one("#volume").render())  # 0.5 mEq/mL
        await keys(pilot, "enter")
        drug = store.events(1)[-1].event
        assert (drug.drug, drug.concentration) == ("sodium_bicarbonate", "4.2%")  # stored as shown
        # Adrenaline has no strength table: its volume waits for a concentration, and says so.
        await keys(pilot, "e")
        assert "concentration unknown" in str(app.screen.query_one("#volume").render())
        app.screen.query_one("#concentration").value = "0.1 mg/mL"
        await pilot.pause()
        assert "0.9 mL of 0.1 mg/mL" in str(app.screen.query_one("#volume").render())
        await keys(pilot, "escape")
    # No age known: no strength is proposed, and the entry waits for one.
    app = build_app(store, clock, mode="new", new_fields={"arrest": True})
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y", "d", "dextrose", "enter", "5", "enter")
        assert isinstance(app.screen, DrugPicker) and app.focused.id == "strength"
        assert "concentration: not answered" in refusal(app)
