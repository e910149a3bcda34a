"""Infusion rules: a bolus into a vasoactive infusion's line, and infusion rates against the infusion table."""

from typing import Any

from recorder.engine.doses import out_of_range, rate_mcg_kg_min
from recorder.engine.registry import Ctx, Hit, rule_group
from schemas.events import DrugGiven, FluidGiven, Flush, InfusionChanged, InfusionStarted
from schemas.formatting import num, words
from schemas.records import EventRecord

rule = rule_group("line")
drugs_rule = rule_group("drugs")


def bolus_words(ev: Any) -> str:
    if ev.kind == "drug":
        return ev.name if ev.drug == "other" and ev.name else words(ev.drug)
    if ev.kind == "fluid":
        return f"{words(ev.fluid)} {num(ev.volume_ml)} mL"
    return f"a {num(ev.volume_ml)} mL flush"


@rule("BOLUS_VIA_VASOACTIVE_LINE", "warning", on=("drug", "fluid", "flush"), after="BICARB_CATECHOLAMINE_NO_FLUSH")
def bolus_via_vasoactive_line(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A drug, fluid or flush pushed into a line with a running vasoactive infusion.

    Why: the bolus pushes the infusion's dead space (the drug already in the line) into the patient
    at once (rules.md; the vasoactive drugs of the infusion table, MERCK and AHA-T, clinical.md §6a).
    The drugs are the protocol's `drug_classes.vasoactives`; an infusion runs from its start until
    `infusion_stopped`.

    Example: norepinephrine infusion inf1 via io1 since T+10:00, a 5 mL flush via io1 at T+12:00 →
    warning on the flush.
    """
    ev = rec.typed(DrugGiven, FluidGiven, Flush)
    state = ctx.state
    line = state.lines.get(ev.line) if ev.line else None
    if line is None:
        return None
    running = sorted(
        (inf for inf in (state.infusions.get(i) for i in line.infusions) if inf is not None and inf.running),
        key=lambda inf: inf.seq,
    )
    vasoactive = [inf for inf in running if inf.drug in ctx.protocol.drug_classes.vasoactives]
    if not vasoactive:
        return None
    names = ", ".join(f"{words(inf.drug or '')} ({inf.id})" for inf in vasoactive)
    return Hit(
        "warning",
        f"{bolus_words(ev)} into {line.id}, which runs {names}: the bolus pushes the infusion in at once"
        " — use another line",
        line.id,
    )


@drugs_rule(
    "INFUSION_RATE_OUT_OF_RANGE",
    "warning",
    "critical",
    on=("infusion_started", "infusion_changed"),
    after="DOSE_OUT_OF_RANGE",
)
def infusion_rate_out_of_range(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An infusion started or changed at a rate, in mcg/kg/min, outside the protocol's infusion table.

    Why: the rate of a vasoactive or antiarrhythmic infusion has a known range per kg (MERCK,
    AHA-T: adrenaline 0.05–1, noradrenaline 0.05–2, dopamine and dobutamine 2–20, milrinone
    0.25–0.75, lidocaine 20–50, amiodarone 5–15 mcg/kg/min; clinical.md §6a). With the dose factors
    (`dose_range`): below 0.8 × low or above 1.2 × high a warning, below 0.5 × low or above 2 × high
    critical. mcg/kg/min is checked as it is (weight unknown too); mcg/min and mg/kg/h convert (with
    the weight where needed); mL/h only with the infusion's `concentration` and the weight; what
    cannot be converted is not checked. Carriers and drugs with no row are not checked.

    Example: 10 kg, epinephrine infusion at 10 mcg/kg/min (10 × the high end) → critical; 1.5 → warning.
    """
    ev = rec.typed(InfusionStarted, InfusionChanged)
    state, p = ctx.state, ctx.protocol
    inf: Any = state.infusions.get(ev.infusion) if ev.kind == "infusion_changed" else ev
    if inf is None:
        return None
    row = p.infusion_rate(inf.drug)
    if row is None:
        return None
    # One conversion for this rule and NOREPI_HIGH_DOSE_VIA_IO (rules.md's settled reading).
    rate = rate_mcg_kg_min(ev.rate, inf.rate_unit, state.weight, inf.concentration)
    if rate is None:
        return None
    low, high = row.mcg_kg_min
    severity = out_of_range(rate, low, high, p.dose_range)
    if severity is None:
        return None
    given = f"{num(ev.rate)} {inf.rate_unit}" + (f" = {num(rate)} mcg/kg/min" if inf.rate_unit != "mcg/kg/min" else "")
    return Hit(
        severity,
        f"{words(inf.drug)} infusion ({ev.infusion}) at {given}:"
        f" expected {num(low)}–{num(high)} mcg/kg/min — check the rate",
        inf.line,
    )
