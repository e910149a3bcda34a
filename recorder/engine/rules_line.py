"""Line rules: what goes through an access line, in what state, and how it is flushed."""

from collections.abc import Collection
from typing import Any, Literal

from recorder.engine.doses import percent, same_percent
from recorder.engine.protocol import Protocol
from recorder.engine.registry import Ctx, Hit, rule_group, worst
from recorder.engine.state import SECONDS_PER_HOUR, DwellDue, FlushDue, LineState, is_io_analgesia
from schemas.events import DrugGiven, FluidGiven, Flush, InfusionStarted, LineRemoved
from schemas.formatting import age_long, num, t_plus, words
from schemas.records import EventRecord
from schemas.vocabulary import Severity

rule = rule_group("line")


def what(ev: Any) -> str:
    """How a message names what went through a line."""
    if ev.kind == "drug":
        return ev.name if ev.drug == "other" and ev.name else words(ev.drug)
    if ev.kind == "infusion_started":
        return f"{words(ev.agent)} {'carrier' if ev.carrier else 'infusion'} ({ev.infusion})"
    if ev.kind == "fluid":
        return f"{words(ev.fluid)} {num(ev.volume_ml)} mL"
    return ev.kind


def known_io(ctx: Ctx, line_id: str | None) -> LineState | None:
    """The IO line, if its attempt is on the timeline (rules that need its state skip the rest)."""
    line = ctx.state.lines.get(line_id) if line_id else None
    return line if line is not None and line.kind == "io" and line.known else None


@rule("DRUG_VIA_UNCONFIRMED_IO", "critical", on=("drug", "fluid", "infusion_started"))
def drug_via_unconfirmed_io(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A drug, fluid or infusion via an IO line that is attempting or in but not yet confirmed.

    Why: until marrow is aspirated or a flush runs easily with no swelling, the tip may be outside
    the cavity and the drug goes into the tissues (TFX, S0, AccessPeds; clinical.md §3). A `flush`, an
    `aspiration`, or a `fluid` with `method` push that went in easily without extravasation confirms a
    line; that confirming push does not fire this (it is the confirmation, as a flush is); any other
    fluid does. Flushes never fire this; IO-analgesia lidocaine via a line that is in does not fire it
    (it goes in before the first flush).

    Example: io1 in at T+00:37, epinephrine via io1 at T+00:40 with no flush or aspiration →
    critical "epinephrine via io1 before it was confirmed — aspirate or flush first"; a saline 5 mL
    syringe push via io1 that went in easily confirms it and raises nothing.
    """
    ev = rec.typed(DrugGiven, FluidGiven, InfusionStarted)
    line = known_io(ctx, ev.line)
    if line is None or line.status not in ("attempting", "in"):
        return None
    if isinstance(ev, DrugGiven) and is_io_analgesia(ev) and line.status == "in":
        return None
    if isinstance(ev, FluidGiven) and ev.method == "push" and ev.went_in_easily:
        return None
    state = "not yet in" if line.status == "attempting" else "in but not confirmed"
    return Hit("critical", f"{what(ev)} via {line.id}, {state} — aspirate or flush first", line.id)


@rule("LINE_USED_AFTER_FAILURE", "critical", on=("drug", "fluid", "infusion_started", "flush"))
def line_used_after_failure(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A drug, fluid, infusion or flush via a line (any type) that has failed or been removed.

    Why: a failed line does not reach the circulation: what goes in is lost to the tissues
    (extravasation, compartment syndrome; "stop infusion and remove needle", clinical.md §3).
    A line fails with `io_result failed`, a failed IV/UVC attempt, a `complication`, or a flush
    that was not easy or extravasated; it never becomes usable again.

    Example: complication extravasation on io1 at T+00:45, then a flush via io1 → critical
    "flush via io1, which failed at T+00:45 (extravasation) — use another line".
    """
    ev = rec.event
    ref = ev.line_ref
    line = ctx.state.lines.get(ref) if ref else None
    if line is None:
        return None
    if line.status == "removed":
        return Hit(
            "critical",
            f"{what(ev)} via {line.id}, removed at {t_plus(line.removed_t or 0)} — use another line",
            line.id,
        )
    if line.status == "failed":
        why = f" ({line.failed_why})" if line.failed_why else ""
        text = f"{what(ev)} via {line.id}, which failed at {t_plus(line.failed_t or 0)}{why} — use another line"
        return Hit("critical", text, line.id)
    return None


@rule("NO_INITIAL_FLUSH", "warning", on=("drug", "infusion_started"))
def no_initial_flush(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """The first drug or infusion via an IO line, with no flush (or fluid, or carrier) of that line before it.

    Why: a rapid syringe flush after placement clears the marrow and opens the channel; without it
    flow is poor and the first drug may stay in the bone (TFX FAQ, pocket guide; clinical.md §4).
    IO-analgesia lidocaine does not count as the first drug (it goes in before the flush). A carrier
    (a fluid infusion, events.md) is a flush here, not the first infusion; any flush volume counts.

    Example: io1 in, aspiration of marrow (confirmed), epinephrine via io1 with no flush yet →
    warning "first drug via io1 with no flush before it — flush the line first".
    """
    ev = rec.typed(DrugGiven, InfusionStarted)
    line = known_io(ctx, ev.line)
    if line is None or line.first_use_seq is not None or line.flushes:
        return None
    if isinstance(ev, DrugGiven) and is_io_analgesia(ev):
        return None
    if isinstance(ev, InfusionStarted) and ev.carrier:
        return None
    return Hit("warning", f"{what(ev)}: first use of {line.id} with no flush before it — flush the line first", line.id)


@rule("DRUG_NOT_FLUSHED", "warning", on=("drug",))
def drug_not_flushed(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A drug via an IO line not flushed in time, with enough volume, before the next drug.

    Why: a drug left in the marrow cavity reaches the heart late or not at all; flush after every
    drug (S0, ERC10, ANZ12.4; clinical.md §4). Within `flush.window_s` (project parameter), IO-analgesia
    lidocaine `flush.analgesia_window_s` (pushed over 2 min and left to act, TFX), adenosine
    `flush.adenosine_window_s` (a rapid push needs an immediate flush, AHA-T); and before the next drug
    via the line, by a flush or fluid on the line of at least the minimum flush volume: `neonate_min_ml`
    for the neonate age band (TFX dead space); `child_min_ml` under `adult_from_kg`, or a child of
    unknown weight; `adult_min_ml` from `adult_from_kg`, or an adult of unknown weight; `unknown_min_ml`
    when age and weight are both unknown (the patient as known at the drug; clinical.md §6a). Not while
    the line is carried: a running carrier flushes every drug, and one started within the window is its
    flush. A deadline at drug t + window, or the next drug via the line if it comes first (then the flag
    has that drug's t). The wait ends, with no flag, if the line fails or is removed, or the code ends.

    Example: 25 kg, sodium bicarbonate via io1 at T+01:40, calcium gluconate via io1 at T+01:52 with
    no flush between → warning on the bicarbonate, t = 112; a 3 kg newborn's 1 mL flush is enough.
    """
    ev = rec.typed(DrugGiven)
    line = ctx.state.lines.get(ev.line) if ev.line else None
    due = line.awaiting_flush if line is not None else None
    if due is None or not due.open:
        return None
    text = f"{words(due.drug)} via {due.line} not flushed before the next drug ({what(ev)})"
    return Hit("warning", text, due.line, seq=due.seq)


@rule("DRUG_NOT_FLUSHED", due=True)
def drug_not_flushed_in_time(ctx: Ctx, due: FlushDue) -> Hit | None:
    volume = f" with ≥ {num(due.min_ml)} mL" if due.min_ml else ""
    text = f"{words(due.drug)} via {due.line} not flushed{volume} within {num(due.at - due.since)} s"
    return Hit("warning", text, due.line)


@rule.deadline("DRUG_NOT_FLUSHED")
def flush_due(p: Protocol, seq: int, t: float, line: str, drug: str, analgesia: bool, min_ml: float) -> FlushDue:
    """The flush window after a drug via an IO line: IO analgesia's, adenosine's, or the usual one."""
    window = (
        p.flush.analgesia_window_s
        if analgesia
        else p.flush.adenosine_window_s
        if drug == "adenosine"
        else p.flush.window_s
    )
    return FlushDue("DRUG_NOT_FLUSHED", t + window, seq, t, line, f"{words(drug)} via {line}", drug=drug, min_ml=min_ml)


def _running(ctx: Ctx, line: LineState, drugs: Collection[str]) -> Any:
    """The first running drug infusion on the line whose drug is one of `drugs` (None if none)."""
    for inf_id in sorted(line.infusions):
        inf = ctx.state.infusions[inf_id]
        if inf.drug in drugs:
            return inf
    return None


def _incompatible(ctx: Ctx, ev: Any, mine: tuple[str, ...], theirs: tuple[str, ...]) -> str | None:
    """What on the line `ev` (of one of `mine`) meets of `theirs`: a bolus since the last adequate flush, or a
    running infusion (for a bolus); None when the line is carried, or nothing meets it."""
    agent = ev.drug if ev.kind == "drug" else ev.drug if ev.kind == "infusion_started" else None
    line = ctx.state.lines.get(ev.line) if ev.line else None
    if agent not in mine or line is None or line.carried:
        return None
    earlier = sorted(line.since_flush.intersection(theirs))
    if earlier:
        return f"{words(earlier[0])} since its last adequate flush"
    if ev.kind == "drug":
        inf = _running(ctx, line, theirs)
        if inf is not None:
            return f"a running {words(inf.drug)} infusion ({inf.id})"
    return None


@rule("CA_BICARB_NO_FLUSH_BETWEEN", "critical", on=("drug", "infusion_started"))
def ca_bicarb_no_flush_between(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """Calcium and sodium bicarbonate meet in a line with no adequate flush between them.

    Why: calcium and bicarbonate precipitate as calcium carbonate in the line and the marrow; flush
    between them, ideally use separate lines (ANZ12.4, pedmed, droracle; in vitro ≥ 2 mL barrier
    prevented it; clinical.md §6). A calcium salt via a line when bicarbonate went through it since its
    last adequate flush (at least the minimum flush volume, see DRUG_NOT_FLUSHED), or the other way
    round, whatever other drugs came between; a calcium bolus via a line with a running bicarbonate
    infusion, or the other way round; an infusion start is checked against earlier boluses. Not while
    the line is carried. Points at the second.

    Example: sodium bicarbonate via io1, adrenaline via io1, a 0.5 mL flush, calcium gluconate via io1 in
    a 25 kg child → critical on the calcium (0.5 mL is less than the 2 mL that flushes the line).
    """
    ev = rec.typed(DrugGiven, InfusionStarted)
    classes = ctx.protocol.drug_classes
    calcium = ev.drug in classes.calcium_salts
    met = _incompatible(
        ctx,
        ev,
        classes.calcium_salts if calcium else classes.bicarbonates,
        classes.bicarbonates if calcium else classes.calcium_salts,
    )
    if met is None:
        return None
    return Hit("critical", f"{what(ev)} via {ev.line} after {met} — they precipitate", ev.line)


@rule("BICARB_CATECHOLAMINE_NO_FLUSH", "warning", on=("drug", "infusion_started"))
def bicarb_catecholamine_no_flush(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """Bicarbonate and a catecholamine meet in a line with no adequate flush between them.

    Why: bicarbonate inactivates catecholamines (ANZ12.4, pedmed, droracle; clinical.md §6).
    `sodium_bicarbonate` via a line when an epinephrine, norepinephrine, dopamine or dobutamine bolus
    went through it since its last adequate flush, or the other way round; a bicarbonate bolus via a
    line with a running infusion of one of them, or a catecholamine bolus into a running bicarbonate
    infusion; an infusion start is checked against earlier boluses. Push-dose (`purpose` other)
    adrenaline is a bolus here. Not while the line is carried. Points at the second drug.

    Example: epinephrine via iv1 at T+05:00, sodium bicarbonate via iv1 at T+05:10, no flush →
    warning on the bicarbonate.
    """
    ev = rec.typed(DrugGiven, InfusionStarted)
    classes = ctx.protocol.drug_classes
    bicarbonate = ev.drug in classes.bicarbonates
    met = _incompatible(
        ctx,
        ev,
        classes.bicarbonates if bicarbonate else classes.catecholamines,
        classes.catecholamines if bicarbonate else classes.bicarbonates,
    )
    if met is None:
        return None
    return Hit("warning", f"{what(ev)} via {ev.line} after {met} — bicarbonate inactivates catecholamines", ev.line)


@rule("HYPERTONIC_UNDILUTED", "critical", "warning", on=("drug",))
def hypertonic_undiluted(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A hypertonic concentration given to a patient too young for it (the protocol's `hypertonic` table).

    Why: 8.4 % bicarbonate (~2000 mOsm/L) under 2 years is diluted 1:1 to 4.2 %, and neonates get
    4.2 % only (droracle/AAP, neodose, KEMH); D50 is the adolescent glucose, D25 the child's, D10 the
    newborn's (AHA-T, MERCK): hypertonic solutions damage marrow and vessels (S0; clinical.md §6).
    Bicarbonate at "8.4%" not `diluted`: neonate critical, under 2 years warning. Dextrose at "50%":
    neonate critical, under 12 years warning; "25%": neonate warning — for dextrose the concentration
    given is what went in (`diluted` does not apply). No concentration: not checked. Age unknown: the
    neonate age band (delivery room, NICU, under 5 kg) counts as a neonate; in the other bands the age
    clauses are silent (rules.md v2).

    Example: 10-day-old, sodium bicarbonate 3 mEq, concentration "8.4%", not diluted → critical; so
    is a delivery-room newborn whose age was not typed.
    """
    ev = rec.typed(DrugGiven)
    strength, age = percent(ev.concentration), ctx.state.age
    if strength is None:
        return None
    if age is None:
        if ctx.state.band != "neonate":
            return None
        age = 0.0  # the neonate band counts as a neonate
    hits = []
    for entry in ctx.protocol.hypertonic:
        if entry.drug != ev.drug or not same_percent(entry.percent, strength):
            continue
        if entry.diluted_exempts and ev.diluted:
            continue
        severity = None
        if entry.neonate is not None and ctx.protocol.is_neonate(age):
            severity = entry.neonate
        elif entry.under_years is not None and age < entry.under_years:
            severity = entry.under_years_severity
        if severity is not None:
            plain = " undiluted" if entry.diluted_exempts else ""
            hits.append(
                Hit(
                    severity,
                    f"{num(strength)} %{plain} {words(ev.drug)} {_aged(ctx)} — too concentrated for this age",
                    ev.line,
                )
            )
    return worst(hits)


def _aged(ctx: Ctx) -> str:
    age = ctx.state.age
    return f"at {age_long(age)}" if age is not None else "for a newborn-sized patient (age unknown)"


@rule("GRAVITY_INFUSION_VIA_IO", "warning", on=("fluid", "infusion_started"))
def gravity_infusion_via_io(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A fluid or infusion via an IO line with `method` gravity.

    Why: marrow pressure is ~20–30 mmHg and fluid will not run adequately by gravity: use a syringe
    push, a pressure bag or a pump (PCH, S0, TFX, S2; clinical.md §4).

    Example: saline 200 mL via io1, method gravity → warning "saline 200 mL via io1 by gravity —
    marrow needs pressure (push, bag or pump)".
    """
    ev = rec.typed(FluidGiven, InfusionStarted)
    if not ev.line.startswith("io") or ev.method != "gravity":
        return None
    return Hit("warning", f"{what(ev)} via {ev.line} by gravity — marrow needs pressure (push, bag or pump)", ev.line)


@rule("CONSCIOUS_NO_LIDOCAINE", "warning", on=("flush", "fluid", "infusion_started"))
def conscious_no_lidocaine(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A responsive patient's IO line first flushed or infused with no lidocaine via it before.

    Why: infusing into the marrow is very painful in a patient who responds to pain; give 2 %
    lidocaine via the needle first (TFX, JEMS via dailyem, emupdates; clinical.md §4). Checked once
    per line, at its first flush, fluid or infusion, while the patient is responsive: the latest
    `responsiveness` is true, or, with none recorded yet, the patient is not in an arrest and has not
    been in one in this code (rules.md v2: a seizing child is presumed to feel it).

    Example: responsiveness true, io1 in, flush 5 mL via io1 with no lidocaine before → warning; a
    child in status epilepticus with no responsiveness recorded and no arrest → warning too.
    """
    ev = rec.typed(Flush, FluidGiven, InfusionStarted)
    line = known_io(ctx, ev.line)
    if line is None or line.first_access_seq is not None or line.lidocaine or not ctx.state.presumed_responsive:
        return None
    presumed = "" if ctx.state.responsive is not None else " (presumed: no arrest, responsiveness not recorded)"
    return Hit(
        "warning", f"{what(ev)} via {line.id} while the patient responds to pain{presumed}, no lidocaine first", line.id
    )


@rule("IO_DWELL_EXCEEDED", "warning", "critical", due=True, per_severity=True)
def io_dwell_exceeded(ctx: Ctx, due: DwellDue) -> Hit | None:
    """An IO line left in (since its `io_result in`, without `line_removed`) too long.

    Why: the EZ-IO is cleared for 24 h, extendable to 48 h only from 12 years and only without an
    alternative (FDA K180395); replace it with an IV as soon as possible (PCH, nursekey, AccessPeds);
    infection risk grows with dwell (clinical.md §5). Warning at `dwell.warning_h` and critical at
    `dwell.critical_h`; under `dwell.child_under_years`, or of unknown age (the most conservative
    schedule), a critical at `dwell.child_critical_h` in place of the warning, and no second critical —
    the age as known when the line went in. Deadlines pointing at the `io_result`; `code_ended` does not
    cancel them (the needle is still in the patient), a `line_removed` does; a failed needle never
    removed still counts. As every deadline, they fire live or when a later event is applied.

    Example: a 30-year-old, io1 in at T+00:30 and never removed: warning at 24 h, critical at 48 h; a
    child of unknown age: critical at 24 h.
    """
    severity: Severity = "warning" if due.stage == "warning" else "critical"
    hours = (due.at - due.since) / SECONDS_PER_HOUR
    return Hit(
        severity, f"{due.line} in for {num(hours)} h (since {t_plus(due.since)}) — remove it or replace it", due.line
    )


@rule.deadline("IO_DWELL_EXCEEDED")
def dwell_dues(p: Protocol, seq: int, t: float, line: str, child: bool) -> list[DwellDue]:
    """An IO line in at `t`: warning and critical, or for a child the child's critical alone (the schedule of
    the age known when it went in)."""
    stages: list[tuple[Literal["warning", "critical", "child"], float]] = (
        [("child", p.dwell.child_critical_h)]
        if child
        else [("warning", p.dwell.warning_h), ("critical", p.dwell.critical_h)]
    )
    return [
        DwellDue(
            "IO_DWELL_EXCEEDED", t + hours * SECONDS_PER_HOUR, seq, t, line, f"{line} dwell", stage=stage, child=child
        )
        for stage, hours in stages
    ]


@rule("IO_REMOVED_NO_PRESSURE", "info", on=("line_removed",))
def io_removed_no_pressure(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO line removed with `pressure_held` false.

    Why: after removal press the site for several minutes, to stop bleeding and leaking from the
    cortical hole (S3, PCH; clinical.md §1). Not recorded (no `pressure_held`): not flagged.

    Example: line_removed io1, pressure_held false → info.
    """
    ev = rec.typed(LineRemoved)
    if ev.line.startswith("io") and ev.pressure_held is False:
        return Hit("info", f"{ev.line} removed without pressure held on the site", ev.line)
    return None
