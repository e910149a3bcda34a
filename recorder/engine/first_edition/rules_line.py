"""Line rules: what goes through an access line, in what state, and how it is flushed."""

from typing import Any

from recorder.engine.first_edition.doses import percent, same_percent
from recorder.engine.first_edition.registry import Ctx, Hit, age_words, clock, num, rule_group, words, worst
from recorder.engine.first_edition.state import SECONDS_PER_HOUR, DwellDue, FlushDue, LineState, is_io_analgesia
from schemas.events import DrugGiven, FluidGiven, InfusionStarted, LineRemoved
from schemas.records import EventRecord

rule = rule_group("line")

CALCIUM_SALTS = frozenset({"calcium_chloride", "calcium_gluconate"})
BICARBONATE = "sodium_bicarbonate"
CATECHOLAMINES = frozenset({"epinephrine", "norepinephrine"})


def what(ev: Any) -> str:
    """How a message names what went through a line."""
    if ev.kind == "drug":
        return ev.name if ev.drug == "other" and ev.name else words(ev.drug)
    if ev.kind == "infusion_started":
        return f"{words(ev.drug)} infusion ({ev.infusion})"
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
    the cavity and the drug goes into the tissues (TFX, S0, AccessPeds; clinical.md §3). Only a
    `flush` or an `aspiration` confirms a line (a fluid does not); flushes never fire this;
    IO-analgesia lidocaine via a line that is in does not fire it (it goes in before the first flush).

    Example: io1 in at T+00:37, epinephrine via io1 at T+00:40 with no flush or aspiration →
    critical "epinephrine via io1 before it was confirmed — aspirate or flush first".
    """
    ev = rec.event
    line = known_io(ctx, ev.line)
    if line is None or line.status not in ("attempting", "in"):
        return None
    if isinstance(ev, DrugGiven) and is_io_analgesia(ev) and line.status == "in":
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
    line = ctx.state.lines.get(ev.line) if ev.line else None
    if line is None:
        return None
    if line.status == "removed":
        return Hit(
            "critical", f"{what(ev)} via {line.id}, removed at {clock(line.removed_t or 0)} — use another line", line.id
        )
    if line.status == "failed":
        why = f" ({line.failed_why})" if line.failed_why else ""
        text = f"{what(ev)} via {line.id}, which failed at {clock(line.failed_t or 0)}{why} — use another line"
        return Hit("critical", text, line.id)
    return None


@rule("NO_INITIAL_FLUSH", "warning", on=("drug", "infusion_started"))
def no_initial_flush(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """The first drug or infusion via an IO line, with no flush (or fluid) of that line before it.

    Why: a rapid syringe flush after placement clears the marrow and opens the channel; without it
    flow is poor and the first drug may stay in the bone (TFX FAQ, pocket guide; clinical.md §4).
    IO-analgesia lidocaine does not count as the first drug (it goes in before the flush).

    Example: io1 in, aspiration of marrow (confirmed), epinephrine via io1 with no flush yet →
    warning "first drug via io1 with no flush before it — flush the line first".
    """
    ev = rec.event
    line = known_io(ctx, ev.line)
    if line is None or line.first_use_seq is not None or line.flushes:
        return None
    if isinstance(ev, DrugGiven) and is_io_analgesia(ev):
        return None
    return Hit("warning", f"{what(ev)}: first use of {line.id} with no flush before it — flush the line first", line.id)


@rule("DRUG_NOT_FLUSHED", "warning", on=("drug",))
def drug_not_flushed(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A drug via an IO line not flushed in time, with enough volume, before the next drug.

    Why: a drug left in the marrow cavity reaches the heart late or not at all; flush after every
    drug (S0, ERC10, ANZ12.4; clinical.md §4). Within `flush.window_s` (project parameter; IO-analgesia
    lidocaine `flush.analgesia_window_s`, left to act first) and before the next drug via the line,
    by a flush or fluid on the line of at least: `neonate_min_ml` for a neonate; `child_min_ml` under
    `adult_from_kg`, or a child of unknown weight; `adult_min_ml` from `adult_from_kg`, or an adult of
    unknown weight; any volume when age and weight are both unknown (the patient as known at the drug).
    A deadline at drug t + window, or the next drug via the line if it comes first (then the flag has
    that drug's t). The wait ends, with no flag, if the line fails or is removed, or the code ends.
    No obligation starts for a drug via a line already failed or removed (LINE_USED_AFTER_FAILURE).

    Example: 25 kg, sodium bicarbonate via io1 at T+01:40, calcium gluconate via io1 at T+01:52 with
    no flush between → warning on the bicarbonate, t = 112.
    """
    ev: DrugGiven = rec.event
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


@rule("CA_BICARB_NO_FLUSH_BETWEEN", "critical", on=("drug",))
def ca_bicarb_no_flush_between(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A calcium salt right after sodium bicarbonate via the same line, or the other way round, unflushed.

    Why: calcium and bicarbonate precipitate as calcium carbonate in the line and the marrow; flush
    between them, ideally use separate lines (ANZ12.4, pedmed, droracle; in vitro ≥ 2 mL barrier
    prevented it; clinical.md §6). "Right after" = the previous drug via that line; any flush or
    fluid on the line in between (any volume) prevents the flag. Points at the second drug.

    Example: sodium bicarbonate via io1 at T+01:40, calcium gluconate via io1 at T+01:52, no flush
    → critical on the calcium.
    """
    ev: DrugGiven = rec.event
    line = ctx.state.lines.get(ev.line) if ev.line else None
    if line is None or line.flushed_since_drug or line.last_drug is None:
        return None
    pair = {line.last_drug, ev.drug}
    if BICARBONATE in pair and pair & CALCIUM_SALTS:
        text = f"{words(ev.drug)} right after {words(line.last_drug)} via {line.id} with no flush — they precipitate"
        return Hit("critical", text, line.id)
    return None


@rule("BICARB_CATECHOLAMINE_NO_FLUSH", "warning", on=("drug",))
def bicarb_catecholamine_no_flush(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """Bicarbonate and epinephrine/norepinephrine one right after the other via a line, unflushed.

    Why: bicarbonate inactivates catecholamines (ANZ12.4, pedmed, droracle; clinical.md §6). Fires on
    the second of the two `drug` events via the same line (the previous drug via that line) with no
    flush or fluid between, or on a bicarbonate bolus via a line carrying a running epinephrine or
    norepinephrine infusion. Any `drug` of epinephrine counts here, whatever its purpose.

    Example: epinephrine via iv1 at T+05:00, sodium bicarbonate via iv1 at T+05:10, no flush →
    warning on the bicarbonate.
    """
    ev: DrugGiven = rec.event
    line = ctx.state.lines.get(ev.line) if ev.line else None
    if line is None:
        return None
    prev = line.last_drug
    if not line.flushed_since_drug and prev is not None:
        if (prev == BICARBONATE and ev.drug in CATECHOLAMINES) or (ev.drug == BICARBONATE and prev in CATECHOLAMINES):
            text = (
                f"{words(ev.drug)} right after {words(prev)} via {line.id} with no flush — bicarbonate inactivates it"
            )
            return Hit("warning", text, line.id)
    if ev.drug == BICARBONATE:
        for inf_id in sorted(line.infusions):
            inf = ctx.state.infusions[inf_id]
            if inf.drug in CATECHOLAMINES:
                text = (
                    f"sodium bicarbonate via {line.id}, which carries {words(inf.drug)} ({inf.id}) — it inactivates it"
                )
                return Hit("warning", text, line.id)
    return None


@rule("HYPERTONIC_UNDILUTED", "critical", "warning", on=("drug",))
def hypertonic_undiluted(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A hypertonic concentration given to a patient too young for it (the protocol's `hypertonic` table).

    Why: 8.4 % bicarbonate (~2000 mOsm/L) under 2 years is diluted 1:1 to 4.2 %, and neonates get
    4.2 % only (droracle/AAP, neodose, KEMH); D50 is the adolescent glucose, D25 the child's, D10 the
    newborn's (AHA-T, MERCK): hypertonic solutions damage marrow and vessels (S0; clinical.md §6).
    Bicarbonate at "8.4%" not `diluted`: neonate critical, under 2 years warning. Dextrose at "50%":
    neonate critical, under 12 years warning; "25%": neonate warning — for dextrose the concentration
    given is what went in (`diluted` does not apply). No concentration, or no age: not checked.

    Example: 10-day-old, sodium bicarbonate 3 mEq, concentration "8.4%", not diluted → critical.
    """
    ev: DrugGiven = rec.event
    strength, age = percent(ev.concentration), ctx.state.age
    if strength is None or age is None:
        return None
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
                    f"{num(strength)} %{plain} {words(ev.drug)} at {age_words(age)} — too concentrated for this age",
                    ev.line,
                )
            )
    return worst(hits)


@rule("GRAVITY_INFUSION_VIA_IO", "warning", on=("fluid", "infusion_started"))
def gravity_infusion_via_io(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A fluid or infusion via an IO line with `method` gravity.

    Why: marrow pressure is ~20–30 mmHg and fluid will not run adequately by gravity: use a syringe
    push, a pressure bag or a pump (PCH, S0, TFX, S2; clinical.md §4).

    Example: saline 200 mL via io1, method gravity → warning "saline 200 mL via io1 by gravity —
    marrow needs pressure (push, bag or pump)".
    """
    ev: FluidGiven | InfusionStarted = rec.event
    if not ev.line.startswith("io") or ev.method != "gravity":
        return None
    return Hit("warning", f"{what(ev)} via {ev.line} by gravity — marrow needs pressure (push, bag or pump)", ev.line)


@rule("CONSCIOUS_NO_LIDOCAINE", "warning", on=("flush", "fluid", "infusion_started"))
def conscious_no_lidocaine(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A responsive patient's IO line first flushed or infused with no lidocaine via it before.

    Why: infusing into the marrow is very painful in a patient who responds to pain; give 2 %
    lidocaine via the needle first (TFX, JEMS via dailyem, emupdates; clinical.md §4). Checked once
    per line, at its first flush, fluid or infusion, while the latest `responsiveness` is true
    (no responsiveness recorded: not checked).

    Example: responsiveness true, io1 in, flush 5 mL via io1 with no lidocaine before → warning.
    """
    ev = rec.event
    line = known_io(ctx, ev.line)
    if line is None or line.first_access_seq is not None or ctx.state.responsive is not True or line.lidocaine:
        return None
    return Hit("warning", f"{what(ev)} via {line.id} while the patient responds to pain, no lidocaine first", line.id)


@rule("IO_DWELL_EXCEEDED", "warning", "critical", due=True, per_severity=True)
def io_dwell_exceeded(ctx: Ctx, due: DwellDue) -> Hit | None:
    """An IO line left in (since its `io_result in`, without `line_removed`) too long.

    Why: the EZ-IO is cleared for 24 h, extendable to 48 h only from 12 years and only without an
    alternative (FDA K180395); replace it with an IV as soon as possible (PCH, nursekey, AccessPeds);
    infection risk grows with dwell (clinical.md §5). Warning at `dwell.warning_h` and critical at
    `dwell.critical_h`; under `dwell.child_under_years` (age as known when the deadline passes) a
    critical at `dwell.child_critical_h` in place of the warning, and no second critical. Deadlines;
    they point at the `io_result`. Which schedule applies needs the age: unknown, it does not fire.

    Example: a 30-year-old, io1 in at T+00:30 and never removed: warning at 24 h, critical at 48 h.
    """
    age = ctx.state.age
    if age is None:
        return None
    child = age < ctx.protocol.dwell.child_under_years
    if (due.stage == "child") != child:
        return None
    severity = "warning" if due.stage == "warning" else "critical"
    hours = (due.at - due.since) / SECONDS_PER_HOUR
    return Hit(
        severity, f"{due.line} in for {num(hours)} h (since {clock(due.since)}) — remove it or replace it", due.line
    )


@rule("IO_REMOVED_NO_PRESSURE", "info", on=("line_removed",))
def io_removed_no_pressure(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO line removed with `pressure_held` false.

    Why: after removal press the site for several minutes, to stop bleeding and leaking from the
    cortical hole (S3, PCH; clinical.md §1). Not recorded (no `pressure_held`): not flagged.

    Example: line_removed io1, pressure_held false → info.
    """
    ev: LineRemoved = rec.event
    if ev.line.startswith("io") and ev.pressure_held is False:
        return Hit("info", f"{ev.line} removed without pressure held on the site", ev.line)
    return None
