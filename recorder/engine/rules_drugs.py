"""Drug rules: adrenaline timing in arrest, doses against the dosing table, totals, vasopressors."""

from recorder.engine.doses import above, convert, dose_route, expected_dose, rate_mcg_kg_min
from recorder.engine.protocol import Protocol
from recorder.engine.registry import Ctx, Hit, rule_group
from recorder.engine.state import Arrest, ArrestDue, Due, Infusion, is_epinephrine_bolus
from schemas.events import DrugGiven, InfusionChanged, InfusionStarted
from schemas.formatting import num, t_plus, words
from schemas.records import EventRecord
from schemas.vocabulary import NON_SHOCKABLE, Severity

rule = rule_group("drugs")


@rule("EPI_INTERVAL_EXCEEDED", "warning", due=True)
def epi_interval_exceeded(ctx: Ctx, due: ArrestDue) -> Hit | None:
    """During an arrest, `epinephrine.interval_s` pass after an epinephrine bolus with no further one.

    Why: adrenaline is repeated every 3–5 minutes while the arrest lasts (AHA-T, ANZ12.4; clinical.md
    §6). A deadline per dose, pointing at it; the next bolus, `rosc` or `code_ended` ends it. An
    epinephrine bolus is a `drug` epinephrine whose purpose is not `other`, through a line or by `route`
    et (an ET dose counts as the dose given; IM adrenaline does not).

    Example: arrest, epinephrine at T+05:30, the next at T+11:40 → warning on the first, t = T+10:30.
    """
    return Hit("warning", f"no epinephrine for {num(due.at - due.since)} s since the dose at {t_plus(due.since)}")


@rule.deadline("EPI_INTERVAL_EXCEEDED")
def next_dose_due(p: Protocol, seq: int, t: float, arrest: Arrest) -> ArrestDue:
    """`epinephrine.interval_s` after an epinephrine bolus in an arrest."""
    return ArrestDue(
        "EPI_INTERVAL_EXCEEDED", t + p.epinephrine.interval_s, seq, t, what="next epinephrine", arrest=arrest
    )


@rule("EPI_TOO_SOON", "warning", on=("drug",))
def epi_too_soon(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """In an arrest, an epinephrine bolus through a line too soon after the previous one through a line.

    Why: adrenaline every 3–5 minutes, not faster: more often adds harm (tachyarrhythmia,
    myocardial oxygen demand) without benefit (AHA-T; clinical.md §6). Less than
    `epinephrine.too_soon_s` apart; only doses in the same arrest count. Endotracheal doses are
    neither the dose checked nor the previous one: a vascular dose is due as soon as access is in
    (rules.md v2).

    Example: arrest, epinephrine via io1 at T+11:40 and again at T+13:20 (100 s) → warning on the
    second; ET epinephrine at T+01:00 and IO epinephrine at T+02:00 → quiet.
    """
    ev = rec.typed(DrugGiven)
    arrest = ctx.state.arrest
    if not is_epinephrine_bolus(ev) or ev.line is None or arrest is None or arrest.last_line_epinephrine_t is None:
        return None
    gap = ev.t - arrest.last_line_epinephrine_t
    if gap < ctx.protocol.epinephrine.too_soon_s:
        return Hit(
            "warning",
            f"epinephrine {num(gap)} s after the last dose ({t_plus(arrest.last_line_epinephrine_t)})",
            ev.line,
        )
    return None


@rule("EPI_FIRST_DOSE_DELAYED", "warning", due=True)
def epi_first_dose_delayed(ctx: Ctx, due: ArrestDue) -> Hit | None:
    """A non-shockable arrest, or one with no rhythm documented, with no epinephrine bolus in time.

    Why: in asystole, PEA or a bradycardic arrest the first adrenaline should be given within 5 minutes
    (AHA 2020 PALS [M]; clinical.md §6): by `epinephrine.first_dose_s`. Applies when the first rhythm
    documented within the arrest is `asystole`, `pea` or `bradycardia`, or when no rhythm is
    documented and no shock given by the deadline (the message says "no rhythm documented"); silent
    when the first rhythm is shockable, `sinus`, `svt` or `other`. Cancelled if the arrest ends
    first. Points at the event that began the arrest (`code_started` or `arrest`), t = the deadline.
    Each arrest of the code is checked on its own.

    Example: code_started with arrest, rhythm pea at T+00:20, first epinephrine at T+05:30 → warning
    on seq 1 at T+05:00; no rhythm noted and no epinephrine by T+05:00 → the same warning.
    """
    arrest = due.arrest
    if arrest is None:
        return None
    limit = num(ctx.protocol.epinephrine.first_dose_s)
    if arrest.first_rhythm is None:
        if arrest.shocks:
            return None
        return Hit("warning", f"arrest since {t_plus(arrest.t)}, no rhythm documented: no epinephrine within {limit} s")
    if arrest.first_rhythm not in NON_SHOCKABLE:
        return None
    rhythm = "PEA" if arrest.first_rhythm == "pea" else arrest.first_rhythm
    return Hit("warning", f"{rhythm} arrest since {t_plus(arrest.t)}: no epinephrine within {limit} s")


@rule.deadline("EPI_FIRST_DOSE_DELAYED")
def first_dose_due(p: Protocol, seq: int, t: float, arrest: Arrest) -> ArrestDue:
    """`epinephrine.first_dose_s` after an arrest begins."""
    return ArrestDue(
        "EPI_FIRST_DOSE_DELAYED", t + p.epinephrine.first_dose_s, seq, t, what="first epinephrine", arrest=arrest
    )


@rule("DOSE_OUT_OF_RANGE", "warning", "critical", on=("drug",))
def dose_out_of_range(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A drug dose outside what the protocol's dosing table expects for this route and patient.

    Why: dosing errors (10-fold above all) are the commonest serious medication error in
    resuscitation; the table is AHA-T/MERCK/ANZ12.4/APLS (clinical.md §6, §6a). Rows by route (ET
    adrenaline 0.1 mg/kg is right, not a tenfold error); a route with no row is not dose-checked.
    Expected range = [low, high] per kg × weight, clamped to [min_single, max_single]; adults of
    `adult_sized_kg` or more, or of unknown weight, use the adult column; an adult under it is dosed
    per kg. Unknown is not safe (rules.md v2): age unknown, weight known, the union of the rows its age
    band allows (neonate row too in the neonate band, adult column too when adult-sized), flagged only
    outside all of them, at the lowest severity; weight unknown and not a known adult, the ceiling only
    (above `warning_high` × the max single: warning, above `critical_high` ×: critical; low doses are
    not judged); push-dose (`purpose` other) adrenaline through a line, its max single only. Below
    `critical_low` × low or above `critical_high` × high: critical; beyond the warning factors: warning.
    Units convert (mcg/mg/g; mL via the concentration, ratios too; bicarbonate and dextrose mL by %;
    mmol); a dose that cannot be converted, or a drug with no row, is not checked. The patient as known
    at the dose.

    Example: 12 kg, epinephrine 1.2 mg → critical (10 × the expected 0.12 mg); 0.2 mg → warning;
    weight unknown, 4 years, 10 mg → critical (10 × the max single); age unknown, 12 kg, 1.2 mg →
    critical; ET 1.2 mg in 12 kg → in range.
    """
    ev = rec.typed(DrugGiven)
    p, state = ctx.protocol, ctx.state
    expected = expected_dose(
        p,
        ev.drug,
        route=dose_route(ev.line, ev.route),
        purpose=ev.purpose,
        age=state.age,
        weight=state.weight,
        setting=state.setting,
        earlier_doses=state.doses[ev.drug],
        concentration=ev.concentration,
    )
    if expected is None:
        return None
    amount = convert(ev.dose, ev.unit, expected.unit, drug=ev.drug, concentration=ev.concentration, protocol=p)
    if amount is None:
        return None
    severity = expected.judge(amount, p.dose_range)
    if severity is None:
        return None
    unit = expected.unit
    given = f"{num(ev.dose)} {ev.unit}" + (f" ({num(amount)} {unit})" if ev.unit != unit else "")
    by = f" by {ev.route.upper()}" if ev.route else ""
    if expected.ceiling is not None:
        text = (
            f"{words(ev.drug)} {given}{by} ({expected.basis}): above the max single of {num(expected.ceiling)} {unit}"
            f" ({num(amount / expected.ceiling)}×) — check the dose"
        )
        return Hit(severity, text, ev.line)
    low, high = min(lo for lo, _ in expected.spans), max(hi for _, hi in expected.spans)
    span = " or ".join(f"{num(lo)} {unit}" if lo == hi else f"{num(lo)}–{num(hi)} {unit}" for lo, hi in expected.spans)
    times = amount / high if amount > high else amount / low
    return Hit(
        severity,
        f"{words(ev.drug)} {given}{by} for {expected.basis}: expected {span} ({num(times)}×) — check the dose",
        ev.line,
    )


@rule("CUMULATIVE_DOSE_EXCEEDED", "warning", "critical", on=("drug",), per_severity=True)
def cumulative_dose_exceeded(ctx: Ctx, rec: EventRecord) -> list[Hit]:
    """The running total of a drug in this code passes its per-kg limit (the `cumulative` table).

    Why: lidocaine is toxic above ~3 mg/kg in total, and IO-analgesia lidocaine counts toward it
    (AHA-T; TFX priming note; 4.5 mg/kg: project parameter); amiodarone up to 3 doses, 15 mg/kg
    (AHA-T); clinical.md §6. All doses of the drug in the code count, whatever the purpose or route;
    doses that cannot be converted to the table's unit are left out. Weight as known at the dose;
    unknown weight: not checked. Fires once per drug and severity, at the first dose at which the
    total is above the line (one dose crossing both lines raises both).

    Example: 10 kg, lidocaine 10 mg, 10 mg, 15 mg → warning on the third (35 mg = 3.5 mg/kg).
    """
    ev = rec.typed(DrugGiven)
    p, state = ctx.protocol, ctx.state
    weight, unit = state.weight, p.drug_unit(ev.drug)
    entry = next((c for c in p.cumulative if c.drug == ev.drug), None)
    if entry is None or weight is None or unit is None:
        return []
    amount = convert(ev.dose, ev.unit, unit, drug=ev.drug, concentration=ev.concentration, protocol=p)
    if amount is None:
        return []
    total = state.totals.get(ev.drug, 0.0) + amount
    hits = []
    for severity, limit in entry.lines():
        if above(total / weight, limit) and ctx.once("CUMULATIVE_DOSE_EXCEEDED", (ev.drug, severity)):
            text = (
                f"{words(ev.drug)} total {num(total)} {unit} = {num(total / weight)} {unit}/kg in this code"
                f" — above {num(limit)} {unit}/kg"
            )
            hits.append(Hit(severity, text, ev.line))
    return hits


@rule("NOREPI_HIGH_DOSE_VIA_IO", "warning", "critical", on=("infusion_started", "infusion_changed"))
def norepi_high_dose_via_io(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A norepinephrine infusion via an IO line started or changed above the protocol's rates.

    Why: noradrenaline is a vesicant; via IO or a peripheral line it is a bridge to central access,
    at modest rates (S2 [L]: < 0.5 mcg/kg/min up to 24 h; MERCK, AAP: max 2 mcg/kg/min;
    Lampin 2012; clinical.md §6). Above `warning_mcg_kg_min`: warning; above `critical_mcg_kg_min`:
    critical. Rates convert to mcg/kg/min as INFUSION_RATE_OUT_OF_RANGE's do (mcg/min needs the
    weight; mL/h the infusion's concentration and the weight); what cannot be converted is not checked.

    Example: norepinephrine 1 mcg/kg/min via io1 → warning; 30 mL/h of 0.1 mg/mL in 10 kg (5 mcg/kg/min)
    → critical.
    """
    ev = rec.typed(InfusionStarted, InfusionChanged)
    inf = ctx.state.infusions.get(ev.infusion) if ev.kind == "infusion_changed" else ev
    if inf is None or inf.drug != "norepinephrine" or not inf.line.startswith("io"):
        return None
    rate = rate_mcg_kg_min(ev.rate, inf.rate_unit, ctx.state.weight, inf.concentration)
    if rate is None:
        return None
    limits = ctx.protocol.norepinephrine_io
    checks: tuple[tuple[Severity, float], ...] = (
        ("critical", limits.critical_mcg_kg_min),
        ("warning", limits.warning_mcg_kg_min),
    )
    for severity, limit in checks:
        if above(rate, limit):
            text = f"norepinephrine {num(rate)} mcg/kg/min via {inf.line} — above {num(limit)} mcg/kg/min via IO"
            return Hit(severity, text, inf.line)
    return None


@rule("VASOPRESSOR_NO_BP", "warning", due=True)
def vasopressor_no_bp(ctx: Ctx, due: Due) -> Hit | None:
    """An epinephrine or norepinephrine infusion started or changed with no blood pressure after it.

    Why: vasopressor infusions are titrated to blood pressure, measured every 5–15 minutes (S2 [L];
    clinical.md §6; the drugs are the protocol's `drug_classes.vasopressors`). A deadline
    `vasopressor.bp_within_s` after the start or change, pointing at it;
    any `vitals` with `sbp` or `map` by then meets it (and every other open one).

    Example: norepinephrine infusion started at T+10:00, no vitals with sbp or map by T+25:00 →
    warning on the start, t = T+25:00.
    """
    return Hit(
        "warning",
        f"no blood pressure within {num(due.at - due.since)} s of {due.what} at {t_plus(due.since)}",
        due.line,
    )


@rule.deadline("VASOPRESSOR_NO_BP")
def bp_due(p: Protocol, seq: int, t: float, infusion: Infusion) -> Due:
    """`vasopressor.bp_within_s` after a vasopressor infusion starts or changes."""
    return Due(
        "VASOPRESSOR_NO_BP", t + p.vasopressor.bp_within_s, seq, t, infusion.line, f"{infusion.drug} ({infusion.id})"
    )
