"""Fluid rules: bolus volumes per kg, the hour's total, and glucose-containing boluses."""

from recorder.engine.care import age_band, care_of
from recorder.engine.doses import above
from recorder.engine.registry import Ctx, Hit, rule_group
from recorder.engine.state import SECONDS_PER_HOUR
from schemas.events import FluidGiven
from schemas.formatting import num, words
from schemas.records import EventRecord
from schemas.vocabulary import RuleId

rule = rule_group("drugs")

FLUID_VOLUME: RuleId = "FLUID_VOLUME"


@rule(FLUID_VOLUME, "warning", on=("fluid",), after="INFUSION_RATE_OUT_OF_RANGE")
def fluid_volume(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A fluid bolus too large for the weight, one that takes the hour's total too high, or a glucose bolus.

    Why: boluses are 10–20 mL/kg (10 mL/kg in a newborn) and reassessed after 40–60 mL/kg in the
    first hour for overload (PALS, SSC 2020, NLS; clinical.md §6, §6a); glucose-containing fluid is not
    a bolus fluid: hypoglycaemia needs 2 mL/kg of 10 % (RCUK PLS FAQ). Weight known (as known at the
    fluid): one `fluid` above `bolus_ml_per_kg` (`neonate_bolus_ml_per_kg` for the neonate age band);
    the fluid that takes the total of the window t − `total_window_s` < t′ ≤ t above `total_ml_per_kg`
    (once per code); a `glucose_fluids` fluid above `glucose_ml_per_kg`. One flag per fluid, naming
    every reason.

    Example: 10 kg, saline 250 mL (25 mL/kg) → warning; dextrose 10 % 100 mL (10 mL/kg) → warning.
    """
    ev = rec.typed(FluidGiven)
    state, limits = ctx.state, ctx.protocol.fluid_volume
    weight = state.weight
    if weight is None:
        return None
    reasons = []
    per_kg = ev.volume_ml / weight
    neonate = age_band(state) == "neonate"
    bolus_limit = limits.neonate_bolus_ml_per_kg if neonate else limits.bolus_ml_per_kg
    if above(per_kg, bolus_limit):
        reasons.append(f"{num(per_kg)} mL/kg in one bolus (above {num(bolus_limit)} mL/kg)")
    total = care_of(state).fluid_total_since(ev.t - limits.total_window_s) + ev.volume_ml
    if above(total / weight, limits.total_ml_per_kg) and ctx.once(FLUID_VOLUME, "total"):
        hours = num(limits.total_window_s / SECONDS_PER_HOUR)
        reasons.append(
            f"{num(total / weight)} mL/kg in {hours} h (above {num(limits.total_ml_per_kg)} mL/kg):"
            " reassess for overload"
        )
    if ev.fluid in limits.glucose_fluids and above(per_kg, limits.glucose_ml_per_kg):
        reasons.append(
            f"a glucose-containing bolus of {num(per_kg)} mL/kg (above {num(limits.glucose_ml_per_kg)} mL/kg)"
        )
    if not reasons:
        return None
    return Hit(
        "warning", f"{words(ev.fluid)} {num(ev.volume_ml)} mL for {num(weight)} kg: {'; '.join(reasons)}", ev.line
    )
