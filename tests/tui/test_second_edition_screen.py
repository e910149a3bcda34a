"""The screen's share of the second edition: routes in the drug picker, the shock's proposed energy and
synchronized toggle, carrier infusions, flags shown before Enter, and the new drugs."""

from textual.widgets import Input, OptionList, Select, Static

from recorder.tui.app import build_app
from recorder.tui.pickers import DrugPicker, FormScreen
from tests.tui.helpers import keys, palette

SIZE = (120, 40)
TODDLER = {"arrest": True, "setting": "ed", "patient": {"weight_kg": 12, "weight_source": "length_tape"}}
NO_WEIGHT = {"arrest": True, "setting": "ed", "patient": {"age_years": 4}}


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_the_tried_as_a_new_user_sequence_shows_each_critical_before_enter(store, clock):
    """Issue 13: a toddler of unknown age weighed by tape; ET adrenaline at the proposed dose is quiet;
    IO adrenaline typed as 1.2 mg shows the tenfold critical before Enter; a shock into asystole too."""
    app = build_app(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "enter", "p", "12t", "enter", clock=clock, advance=10)
        patient = store.events(1)[-1].event.patient
        assert (patient.age_years, patient.weight_kg, patient.weight_source) == (None, 12, "length_tape")
        # ET adrenaline: `t` in the dose box turns the route, and the dose proposed follows it.
        await keys(pilot, "e", "t")
        picker = app.screen
        assert isinstance(picker, DrugPicker)
        assert picker.query_one("#dose", Input).value == "1.2"
        assert picker.query_one("#via", Select).value == "et"
        assert "proposed 1.2 mg" in text(picker, "#proposal")
        assert text(picker, "#preview").strip() == ""  # quiet: the guideline ET dose
        await keys(pilot, "enter", clock=clock, advance=10)
        given = store.events(1)[-1].event
        assert (given.kind, given.drug, given.dose, given.route, given.line) == ("drug", "epinephrine", 1.2, "et", None)
        assert not [f for f in app.screen.session.flags() if f.seq == store.events(1)[-1].seq]
        # An IO goes in; adrenaline through it typed as 1.2 mg: the critical is in the picker before Enter.
        await keys(pilot, "i", "1", "l", "enter", "y", "f", "enter", clock=clock, advance=10)
        await keys(pilot, "e")
        assert app.screen.query_one("#dose", Input).value == "0.12"  # through the line: the IV/IO dose
        await keys(pilot, "1.2")
        assert "DOSE_OUT_OF_RANGE" in text(app.screen, "#preview")
        shown = app.screen.ctx.preview(app.screen.data())  # what the preview line was drawn from
        assert any(f.rule == "DOSE_OUT_OF_RANGE" and f.severity == "critical" for f in shown)
        await keys(pilot, "escape")
        # Asystole, then `s`: the shock form proposes 2 J/kg and shows SHOCK_NON_SHOCKABLE before Enter.
        await keys(pilot, "r", "1", clock=clock, advance=10)
        await keys(pilot, "s")
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.query_one("#f_joules", Input).value == "24"
        assert "SHOCK_NON_SHOCKABLE" in text(form, "#preview")
        await keys(pilot, "escape")
        assert [r.kind for r in store.events(1)][-1] == "rhythm"  # nothing logged by looking


async def test_the_route_keys_propose_each_routes_dose_and_l_goes_back_to_the_line(store, clock):
    app = build_app(store, clock, mode="new", new_fields={**TODDLER, "patient": {"age_years": 2, "weight_kg": 12}})
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "v", "y", "e")
        picker = app.screen
        dose, via = picker.query_one("#dose", Input), picker.query_one("#via", Select)
        assert (dose.value, via.value) == ("0.12", "iv1")  # the line route stays the default
        await keys(pilot, "m")
        assert (dose.value, via.value) == ("0.12", "im")  # IM adrenaline 0.01 mg/kg
        await keys(pilot, "n")
        assert (dose.value, via.value) == ("", "in")  # no IN row: nothing proposed, and said
        assert "not dose-checked" in text(picker, "#proposal")
        await keys(pilot, "l")
        assert (dose.value, via.value) == ("0.12", "iv1")
        # A dose the scribe typed is theirs: a route change does not replace it.
        await keys(pilot, "backspace", "0.1", "t")
        assert (dose.value, via.value) == ("0.1", "et")
        assert "proposed 1.2 mg" in text(picker, "#proposal")
        await keys(pilot, "enter")
        given = store.events(1)[-1].event
        assert (given.dose, given.route, given.line) == (0.1, "et", None)


async def test_a_route_the_protocol_forbids_is_flagged_before_enter(store, clock):
    app = build_app(store, clock, mode="new", new_fields={**TODDLER, "patient": {"age_years": 2, "weight_kg": 12}})
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "d", "bicarb", "enter")
        assert "ROUTE_NOT_ALLOWED" not in text(app.screen, "#preview")
        await keys(pilot, "t", "5")
        assert "ROUTE_NOT_ALLOWED" in text(app.screen, "#preview")


async def test_weight_unknown_the_picker_says_what_it_still_checks(store, clock):
    app = build_app(store, clock, mode="new", new_fields=NO_WEIGHT)
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "e")
        assert app.screen.query_one("#dose", Input).value == ""
        assert "ceiling only: weight unknown (above 1 mg is flagged)" in text(app.screen, "#proposal")
        await keys(pilot, "escape", "s")
        form = app.screen
        assert form.query_one("#f_joules", Input).value == ""
        assert "weight unknown: no energy proposed" in text(form, "#note")


async def test_the_shock_proposes_first_then_later_energy_and_is_synchronized_only_when_said(store, clock):
    app = build_app(store, clock, mode="new", new_fields={**TODDLER, "patient": {"age_years": 2, "weight_kg": 12}})
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "s")
        assert "2–4 J/kg × 12 kg = 24–48 J" in text(app.screen, "#note")
        assert str(app.screen.query_one("#f_synchronized").render()).startswith(" yes   no ")
        await keys(pilot, "enter", clock=clock, advance=10)
        first = store.events(1)[-1].event
        assert (first.kind, first.joules, first.synchronized) == ("shock", 24, False)  # stored as shown
        await keys(pilot, "s")
        assert app.screen.query_one("#f_joules", Input).value == "48"  # later shocks: 4 J/kg
        await keys(pilot, "200")
        assert "SHOCK_ENERGY" in text(app.screen, "#preview")  # off range: said before Enter
        await keys(pilot, "backspace", "backspace", "backspace", "12", "tab", "y", "enter")
        cardioversion = store.events(1)[-1].event
        assert (cardioversion.joules, cardioversion.synchronized) == (12, True)  # typed: kept through the toggle
        # Left as proposed, the energy follows the toggle: y proposes the later cardioversion's 0.5 J/kg, n goes back.
        await keys(pilot, "s", "tab", "y")
        assert app.screen.query_one("#f_joules", Input).value == "6"
        assert "later synchronized 0.5–2 J/kg" in text(app.screen, "#note")
        await keys(pilot, "n")
        assert app.screen.query_one("#f_joules", Input).value == "48"


async def test_a_carrier_infusion_starts_from_the_palette(store, clock):
    app = build_app(store, clock, mode="new", new_fields={**TODDLER, "patient": {"age_years": 2, "weight_kg": 12}})
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "i", "1", "l", "enter", "y")
        await palette(pilot, "carrier")
        form = app.screen
        assert isinstance(form, FormScreen) and form.form.title.startswith("Start a carrier")
        form.query_one("#f_rate", Input).value = "100"
        await keys(pilot, "ctrl+s")
        started = store.events(1)[-1].event
        assert (started.kind, started.fluid, started.drug, started.method) == (
            "infusion_started",
            "saline",
            None,
            "pressure_bag",
        )
        assert (started.rate, started.rate_unit, started.line) == (100, "mL/h", "io1")
        # A drug infusion in mL/h, with its strength: a rate off range shows in the form before Enter.
        await palette(pilot, "Start an infusion (a drug)")
        form = app.screen
        form.query_one("#f_drug", Select).value = "epinephrine"
        form.query_one("#f_rate_unit", Select).value = "mL/h"
        form.query_one("#f_rate", Input).value = "10"
        form.query_one("#f_concentration", Input).value = "0.1 mg/mL"  # 10 mL/h for 12 kg: 1.4 mcg/kg/min
        await pilot.pause()
        assert "INFUSION_RATE_OUT_OF_RANGE" in text(form, "#preview")
        await keys(pilot, "ctrl+s")
        assert store.events(1)[-1].event.concentration == "0.1 mg/mL"


async def test_the_filter_finds_the_new_drugs_by_name(store, clock):
    app = build_app(store, clock, mode="new", new_fields={**TODDLER, "patient": {"age_years": 2, "weight_kg": 12}})
    async with app.run_test(size=SIZE) as pilot:
        await keys(pilot, "d")
        box = app.screen.query_one("#filter", Input)
        drugs = app.screen.query_one("#drugs", OptionList)
        for typed, drug in (
            ("levet", "levetiracetam"),
            ("tranex", "tranexamic_acid"),
            ("hypertonic", "hypertonic_saline"),
            ("potassium", "potassium_chloride"),
            ("milri", "milrinone"),
            ("ketam", "ketamine"),
        ):
            box.value = typed
            await pilot.pause()
            assert drugs.highlighted_option.id == drug, typed
        await keys(pilot, "enter")
        assert app.screen.drug == "ketamine"
