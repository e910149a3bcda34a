"""Shock rules: a shock into a rhythm that is not shockable, its energy, VF left unshocked, and late arrest drugs."""

from recorder.engine.care import VF_NO_SHOCK
from recorder.engine.doses import above
from recorder.engine.protocol import Protocol
from recorder.engine.registry import Ctx, Hit, rule_group
from recorder.engine.state import Due
from schemas.events import Shock
from schemas.formatting import num, t_plus
from schemas.records import EventRecord
from schemas.vocabulary import NON_SHOCKABLE, Severity

rule = rule_group("drugs")

RHYTHM_WORDS = {"pea": "PEA", "vf": "VF", "pvt": "pulseless VT", "svt": "SVT"}


def rhythm_words(rhythm: str) -> str:
    return RHYTHM_WORDS.get(rhythm, rhythm)


@rule("SHOCK_NON_SHOCKABLE", "critical", on=("shock",), after="EPI_FIRST_DOSE_DELAYED")
def shock_non_shockable(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An unsynchronized shock in an arrest whose latest rhythm documented in it is non-shockable or sinus.

    Why: only VF and pulseless VT are shockable (rules.md; AHA 2020 PALS, ERC 2021 PLS [M], clinical.md
    §6a): a shock into asystole, PEA, bradycardia in an arrest, or a sinus rhythm treats nothing and
    pauses compressions. Only rhythms documented within this arrest count; no rhythm documented yet:
    not checked. A synchronized shock (cardioversion) is not this rule.

    Example: arrest, rhythm asystole at T+00:20, shock 40 J at T+01:00 → critical on the shock.
    """
    ev = rec.typed(Shock)
    arrest = ctx.state.arrest
    if ev.cardioversion or arrest is None:
        return None
    rhythm = arrest.rhythm
    if rhythm is None or rhythm not in NON_SHOCKABLE | {"sinus"}:
        return None
    return Hit("critical", f"shock into {rhythm_words(rhythm)} (documented in this arrest) — not a shockable rhythm")


@rule("SHOCK_ENERGY", "warning", "critical", on=("shock",), after="SHOCK_NON_SHOCKABLE")
def shock_energy(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A child's shock whose joules are off the protocol's J/kg for its kind and order (weight known).

    Why: AHA 2020 PALS gives 2 J/kg, then 4, then up to 10 J/kg or the adult dose; ERC 2021 4 J/kg
    [C]; synchronized cardioversion 0.5–1 J/kg, then 2 J/kg (clinical.md §6a). Checked when the
    patient is not adult-sized (age < 18 y, or age unknown and weight < 40 kg) and the weight is
    known. "First" is the first shock of its kind (unsynchronized or synchronized) in the code. Each
    end × weight, the high end clamped to `max_j`; below `low_tolerance` × low or above high: warning
    (device steps make the tolerance); above `critical_factor` × high: critical.

    Example: 10 kg, first shock 200 J (expected 20–40 J) → critical; 15 J → warning; 16 J → none.
    """
    ev = rec.typed(Shock)
    state, p = ctx.state, ctx.protocol
    weight, age = state.weight, state.age
    if ev.joules is None or weight is None:
        return None
    child = p.is_child(age) if age is not None else weight < p.age_bands.adult_sized_kg
    if not child:
        return None
    table = p.shock_energy
    cardioversion = ev.cardioversion
    first = state.shocks[cardioversion] == 0
    if cardioversion:
        per_kg = table.synchronized_first_j_per_kg if first else table.synchronized_later_j_per_kg
    else:
        per_kg = table.first_j_per_kg if first else table.later_j_per_kg
    low, high = per_kg[0] * weight, min(per_kg[1] * weight, table.max_j)
    joules = ev.joules
    severity: Severity
    if above(joules, high * table.critical_factor):
        severity = "critical"
    elif above(joules, high) or above(low * table.low_tolerance, joules):
        severity = "warning"
    else:
        return None
    what = ("first " if first else "") + ("synchronized shock" if cardioversion else "shock")
    return Hit(
        severity,
        f"{what} {num(joules)} J for {num(weight)} kg = {num(joules / weight)} J/kg:"
        f" expected {num(low)}–{num(high)} J — check the energy",
    )


@rule(VF_NO_SHOCK, "warning", due=True, after="SHOCK_ENERGY")
def vf_no_shock(ctx: Ctx, due: Due) -> Hit | None:
    """In an arrest, a shockable rhythm (VF, pulseless VT) not followed by a shock within the protocol's time.

    Why: in VF and pulseless VT the shock is the treatment (AHA 2020 PALS, ERC 2021 PLS [M]; clinical.md
    §6a); the 120 s default is rules.md's project parameter. A deadline `arrest_care.shock_within_s`
    after the rhythm, pointing at it; only an unsynchronized shock answers it; a later non-shockable
    rhythm or the end of the arrest (`rosc`, `code_ended`) cancels it.

    Example: arrest, rhythm vf at T+01:00, first shock at T+03:30 → warning on the rhythm, t = T+03:00.
    """
    return Hit(
        "warning", f"{rhythm_words(due.what)} at {t_plus(due.since)}: no shock within {num(due.at - due.since)} s"
    )


@rule.deadline(VF_NO_SHOCK)
def shock_due(p: Protocol, seq: int, t: float, rhythm: str) -> Due:
    """`arrest_care.shock_within_s` after a shockable rhythm in an arrest."""
    return Due(VF_NO_SHOCK, t + p.arrest_care.shock_within_s, seq, t, what=rhythm)


@rule("SHOCKABLE_DRUGS_DELAYED", "warning", on=("shock",), after=VF_NO_SHOCK)
def shockable_drugs_delayed(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """The arrest's Nth unsynchronized shock with no epinephrine bolus, or no amiodarone or lidocaine, in it.

    Why: AHA 2020 gives adrenaline after the 2nd shock and the antiarrhythmic after the 3rd; ERC 2021
    both after the 3rd [C]; by the 4th (`arrest_care.drugs_by_shock`) both agree it is late (clinical.md
    §6a). Counts the unsynchronized shocks of this arrest; an epinephrine bolus, or amiodarone or
    lidocaine (not IO analgesia; a bolus or an infusion), given in this arrest answers it. One flag
    per shock, its message naming what is missing.

    Example: VF arrest, shocks 1–4, epinephrine after the 2nd, no amiodarone → warning on the 4th
    shock "no amiodarone or lidocaine".
    """
    ev = rec.typed(Shock)
    arrest, p = ctx.state.arrest, ctx.protocol
    if ev.cardioversion or arrest is None:
        return None
    count = arrest.shocks + 1
    if count != p.arrest_care.drugs_by_shock:
        return None
    missing = []
    if arrest.epinephrine_doses == 0:
        missing.append("no epinephrine")
    if not arrest.antiarrhythmic:
        missing.append("no " + " or ".join(p.drug_classes.antiarrhythmics))
    if not missing:
        return None
    return Hit("warning", f"shock {count} of this arrest and {', '.join(missing)} yet — give the arrest drugs")
