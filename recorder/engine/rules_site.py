"""Site rules: checked at each `io_attempt` against earlier lines, findings, the patient and the device."""

from recorder.engine.registry import Ctx, Hit, rule_group, worst
from recorder.engine.state import FindingNote, bone_key
from schemas.events import IoAttempt
from schemas.formatting import age_long, bone_words, num, words
from schemas.records import EventRecord

rule = rule_group("site")

ON_ATTEMPT = ("io_attempt",)
SKIN = frozenset({"burn", "skin_infection", "open_wound"})
FRACTURE = frozenset({"fracture"})
VASCULAR = frozenset({"vascular_injury"})
PROSTHESIS = frozenset({"prosthesis"})
OSTEOMYELITIS = frozenset({"osteomyelitis"})
RECENT_IO = frozenset({"recent_io"})
BONE_DISEASE_CRITICAL = frozenset({"osteogenesis_imperfecta", "osteopetrosis"})
BONE_DISEASE_WARNING = frozenset({"osteoporosis", "coagulopathy"})
# Anatomy (vocabulary, not thresholds): the iliac crest is part of the pelvis; the fibula lies beside the tibia.
PELVIS = ("pelvis", "ilium")
TIBIA, FIBULA = "tibia", "fibula"


def _age(ctx: Ctx) -> tuple[float | None, str]:
    """The age the age clauses read, and how a message says it.

    Age unknown: the neonate band counts as a neonate (age 0); the other bands leave the age clauses
    silent (rules.md v2 settled reading).
    """
    age = ctx.state.age
    if age is not None:
        return age, f" at {age_long(age)}"
    if ctx.state.band == "neonate":
        return 0.0, " in a newborn-sized patient (age unknown)"
    return None, ""


def _site(ctx: Ctx, ev: IoAttempt) -> tuple[str, str | None]:
    """(bone, side) of the attempt: the bone from the protocol's site table."""
    return ctx.protocol.anatomy.site_bone[ev.site], ev.side


def _at(ctx: Ctx, ev: IoAttempt, kinds: frozenset[str]) -> list[FindingNote]:
    bone, side = _site(ctx, ev)
    return ctx.state.findings_at(bone, side, kinds)


@rule("REPEAT_SAME_BONE", "critical", "warning", on=ON_ATTEMPT)
def repeat_same_bone(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO attempt in a bone (bone + side) that already had an IO line in this code.

    Why: fluid pushed through the new needle leaks out of the earlier hole into the tissues
    (extravasation, compartment syndrome); a failed or completed IO in the same bone is an absolute
    contraindication (S1, oscepass, remotephc, seekhealthz; clinical.md §2–3). Critical when the
    earlier line failed or was removed; warning when it is still attempting, in or confirmed
    (a second needle in the same bone). The proximal and distal tibia are one bone.

    Example: io1 at the left proximal tibia fails, then io2 at the left distal tibia → critical
    on io2: "io2: left tibia already failed (io1) — use another bone".
    """
    ev = rec.typed(IoAttempt)
    bone, side = _site(ctx, ev)
    earlier = [ctx.state.lines[i] for i in ctx.state.bones.get(bone_key(bone, side), ())]
    where = bone_words(bone, side)
    for line in earlier:
        if line.status in ("failed", "removed"):
            return Hit("critical", f"{ev.line}: {where} already {line.status} ({line.id}) — use another bone", ev.line)
    for line in earlier:
        if line.status in ("attempting", "in", "confirmed"):
            return Hit(
                "warning", f"{ev.line}: {where} already has {line.id} in it — a second needle in one bone", ev.line
            )
    return None


@rule("RECENT_IO_SAME_BONE", "critical", on=ON_ATTEMPT)
def recent_io_same_bone(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO attempt in a bone with a `recent_io` finding within `site.recent_io_hours`, or of unknown age.

    Why: the cortical hole of an earlier IO takes weeks to heal; infusing into that bone leaks
    through it. gcems protocol: not within 48 h (another EMS protocol says 24 h [C]); clinical.md §2.
    A finding without a side counts for both sides.

    Example: finding recent_io, tibia, left, hours_ago 12, then io1 at the left proximal tibia →
    critical "io1: IO in the left tibia 12 h ago — use another bone".
    """
    ev = rec.typed(IoAttempt)
    limit = ctx.protocol.site.recent_io_hours
    for f in _at(ctx, ev, RECENT_IO):
        if f.hours_ago is None or f.hours_ago <= limit:
            ago = "recently" if f.hours_ago is None else f"{num(f.hours_ago)} h ago"
            where = bone_words(*_site(ctx, ev))
            return Hit("critical", f"{ev.line}: IO in the {where} {ago} — use another bone", ev.line)
    return None


@rule("FRACTURED_BONE", "critical", "warning", on=ON_ATTEMPT)
def fractured_bone(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO attempt in a fractured bone (same bone and side), or at a tibial site with the fibula fractured.

    Why: infused fluid leaks out at the fracture into the tissues (compartment syndrome); an absolute
    contraindication (S0, S1, TFX, AccessPeds; clinical.md §2): critical. The pelvis and the ilium count
    as one bone here (the iliac crest is part of the pelvis). A fibula fracture on the same side at a
    tibial site: warning (rules.md v2: the leg's compartments are shared, and a fibula fracture may hide
    a tibial one). A finding without a side counts for both sides. One flag, the higher severity.

    Example: finding fracture, femur, right; io1 at the right distal femur → critical; finding fracture,
    fibula, left; io1 at the left proximal tibia → warning.
    """
    ev = rec.typed(IoAttempt)
    bone, side = _site(ctx, ev)
    same = PELVIS if bone in PELVIS else (bone,)
    if any(ctx.state.findings_at(b, side, FRACTURE) for b in same):
        return Hit("critical", f"{ev.line}: the {bone_words(bone, side)} is fractured — use another limb", ev.line)
    if bone == TIBIA and ctx.state.findings_at(FIBULA, side, FRACTURE):
        where = bone_words(FIBULA, side)
        return Hit("warning", f"{ev.line}: the {where} is fractured — a tibial IO shares its compartments", ev.line)
    return None


@rule("PROXIMAL_FRACTURE", "critical", on=ON_ATTEMPT)
def proximal_fracture(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO attempt below a `fracture` of a bone proximal to the site in the same limb and side.

    Why: "do not place an IO below a fracture — use the other limb": what goes in leaks out at the
    fracture (S0 "proximal ipsilateral fracture", PCH; clinical.md §2). The limb chains are the
    protocol's `anatomy.limbs`; bones level with the site's bone (tibia and fibula, pelvis and ilium)
    are not proximal to it. A finding without a side counts for both sides.

    Example: finding fracture, femur, left; io1 at the left proximal tibia → critical
    "io1: fracture of the left femur above the site — use another limb".
    """
    ev = rec.typed(IoAttempt)
    bone, side = _site(ctx, ev)
    anatomy = ctx.protocol.anatomy
    place = anatomy.place(bone)
    if place is None:
        return None
    limb, tier = place
    for upper in anatomy.limbs[limb][:tier]:
        for other in upper:
            if ctx.state.findings_at(other, side, FRACTURE):
                where = bone_words(other, side)
                return Hit("critical", f"{ev.line}: fracture of the {where} above the site — use another limb", ev.line)
    return None


@rule("VASCULAR_INJURY_LIMB", "critical", on=ON_ATTEMPT)
def vascular_injury_limb(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO attempt in a limb with a `vascular_injury` finding on any of its bones, same side.

    Why: what is infused cannot get back to the heart past an injured vessel and leaks into the limb
    (S0: ipsilateral vascular injury is an absolute contraindication; clinical.md §2). A finding
    without a side counts for both sides.

    Example: finding vascular_injury, femur, right; io1 at the right proximal tibia → critical.
    """
    ev = rec.typed(IoAttempt)
    bone, side = _site(ctx, ev)
    anatomy = ctx.protocol.anatomy
    place = anatomy.place(bone)
    if place is None:
        return None
    for tier in anatomy.limbs[place[0]]:
        for other in tier:
            if ctx.state.findings_at(other, side, VASCULAR):
                limb = f"{side} {place[0]}" if side else place[0]
                return Hit(
                    "critical", f"{ev.line}: vascular injury in the {limb} ({other}) — use another limb", ev.line
                )
    return None


@rule("SKIN_COMPROMISED_SITE", "warning", on=ON_ATTEMPT)
def skin_compromised_site(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO attempt through a `burn`, `skin_infection` or `open_wound` on the same bone and side.

    Why: the needle carries skin organisms into the marrow (osteomyelitis); S1 calls it a
    contraindication, S0 "if possible avoid" [C] (clinical.md §2). A finding without a side counts
    for both sides.

    Example: finding burn, tibia, left; io1 at the left proximal tibia → warning.
    """
    ev = rec.typed(IoAttempt)
    found = _at(ctx, ev, SKIN)
    if found:
        what = words(found[0].finding)
        return Hit(
            "warning",
            f"{ev.line}: {what} over the {bone_words(*_site(ctx, ev))} — pick another site if you can",
            ev.line,
        )
    return None


@rule("PROSTHESIS_AT_SITE", "critical", on=ON_ATTEMPT)
def prosthesis_at_site(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO attempt into a bone with a `prosthesis` finding on the same bone and side.

    Why: a joint replacement or orthopaedic hardware blocks the marrow cavity and risks infecting
    the implant; an absolute contraindication (TFX training, gcems; clinical.md §2). A finding
    without a side counts for both sides.

    Example: finding prosthesis, humerus, right; io1 at the right proximal humerus → critical.
    """
    ev = rec.typed(IoAttempt)
    if _at(ctx, ev, PROSTHESIS):
        return Hit(
            "critical", f"{ev.line}: prosthesis in the {bone_words(*_site(ctx, ev))} — use another bone", ev.line
        )
    return None


@rule("BONE_DISEASE", "critical", "warning", on=ON_ATTEMPT)
def bone_disease(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO attempt in a patient with bone disease, or into a bone with osteomyelitis.

    Why: brittle or dense bone fractures or will not take the needle (osteogenesis imperfecta,
    osteopetrosis: absolute, S1, AccessPeds); infected bone spreads infection (osteomyelitis at the
    site: absolute, S1); osteoporosis (AccessPeds relative, S0 [C]) and coagulopathy (S1 only) are
    relative (clinical.md §2). Critical for the first three, warning for the last two; one flag.
    An osteomyelitis finding without a side counts for both sides.

    Example: code_started with conditions [osteogenesis_imperfecta]; io1 anywhere → critical.
    """
    ev = rec.typed(IoAttempt)
    conditions = set(ctx.state.patient.conditions or ())
    hits: list[Hit | None] = []
    if conditions & BONE_DISEASE_CRITICAL:
        named = ", ".join(sorted(words(c) for c in conditions & BONE_DISEASE_CRITICAL))
        hits.append(Hit("critical", f"{ev.line}: patient has {named} — IO likely to fracture or fail", ev.line))
    if _at(ctx, ev, OSTEOMYELITIS):
        where = bone_words(*_site(ctx, ev))
        hits.append(Hit("critical", f"{ev.line}: osteomyelitis in the {where} — use another bone", ev.line))
    if conditions & BONE_DISEASE_WARNING:
        named = ", ".join(sorted(words(c) for c in conditions & BONE_DISEASE_WARNING))
        hits.append(Hit("warning", f"{ev.line}: patient has {named} — IO is a relative contraindication", ev.line))
    return worst(hits)


@rule("SITE_NOT_FOR_AGE", "critical", "warning", "info", on=ON_ATTEMPT)
def site_not_for_age(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO site outside its age range (the protocol's `site_age` table).

    Why: sternum only from 12 years (FAST1, WestJEM), distal femur a paediatric site (FDA K180395),
    humerus not in infants (S1), iliac crest and calcaneus not resuscitation sites at any age
    (BMA sources; Resuscitation 2004), distal tibia under 1 year disputed (S1 [C]); clinical.md §1.
    Age unknown: the neonate age band (delivery room, NICU, under 5 kg) counts as a neonate; in the
    other bands the age bounds are silent, and entries without one (iliac crest, calcaneus) fire
    whatever the age. The highest severity of the matching entries, one flag.

    Example: a 5-year-old, io1 at the sternum → critical "io1: sternum at 5 years — sternal IO is for
    12 years and over".
    """
    ev = rec.typed(IoAttempt)
    age, at_age = _age(ctx)
    hits = []
    for entry in ctx.protocol.site_age:
        if entry.site != ev.site:
            continue
        if entry.under_years is not None or entry.from_years is not None:
            if age is None:
                continue
            if entry.under_years is not None and not age < entry.under_years:
                continue
            if entry.from_years is not None and not age >= entry.from_years:
                continue
        at = at_age if entry.under_years is not None or entry.from_years is not None else ""
        hits.append(Hit(entry.severity, f"{ev.line}: {words(ev.site)}{at} — {entry.why}", ev.line))
    return worst(hits)


@rule("DEVICE_NOT_FOR_SITE", "critical", "warning", on=ON_ATTEMPT)
def device_not_for_site(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An IO device used at a site or an age it is not made for (`device_site`, `device_age`).

    Why: the powered EZ-IO is not intended for the sternum (TFX) and FAST1 is a sternum-only device
    (FAST1): critical; the paediatric BIG is for newborns to 12 years and the adult BIG from 12 years
    (BIG, medicalplanet): warning; clinical.md §1, §5. Age unknown: the neonate age band counts as a
    neonate; in the other bands the age bounds are silent (rules.md v2). One flag, the highest.

    Example: io1 at the proximal tibia with device fast1 → critical "io1: fast1 at the proximal
    tibia — FAST1 is for the sternum only".
    """
    ev = rec.typed(IoAttempt)
    if ev.device is None:
        return None
    age, at_age = _age(ctx)
    hits = [
        Hit(entry.severity, f"{ev.line}: {ev.device} at the {words(ev.site)} — {entry.why}", ev.line)
        for entry in ctx.protocol.device_site
        if entry.device == ev.device and entry.fires_at(ev.site)
    ]
    if age is not None:
        for entry in ctx.protocol.device_age:
            if entry.device != ev.device:
                continue
            if entry.over_years is not None and age > entry.over_years:
                bound = f"over {num(entry.over_years)} years"
            elif entry.under_years is not None and age < entry.under_years:
                bound = f"under {num(entry.under_years)} years"
            else:
                continue
            text = f"{ev.line}: {words(ev.device)}{at_age} — not made for patients {bound}"
            hits.append(Hit(entry.severity, text, ev.line))
    return worst(hits)


@rule("NEEDLE_SIZE_FOR_WEIGHT", "warning", on=ON_ATTEMPT)
def needle_size_for_weight(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """An EZ-IO needle length that does not suit the weight (the protocol's `needle` table).

    Why: the FDA label (K180395) gives 15 mm for 3–39 kg and 45 mm for 40 kg and over; under 3 kg is
    off-label. Too long a needle goes through the far cortex, too short never reaches the marrow
    (Capobianco 2020; clinical.md §3, §5). Needs the weight; unknown weight is not checked.

    Example: 45 kg, io1 ez_io needle_mm 15 → warning "io1: 15 mm needle at 45 kg — 15 mm is for
    under 40 kg".
    """
    ev = rec.typed(IoAttempt)
    needle, weight = ctx.protocol.needle, ctx.state.weight
    if ev.device != needle.device or weight is None:
        return None
    if weight < needle.min_weight_kg:
        return Hit(
            "warning",
            f"{ev.line}: {words(ev.device)} at {num(weight)} kg — off-label under {num(needle.min_weight_kg)} kg",
            ev.line,
        )
    for size in needle.lengths:
        if ev.needle_mm is None or size.needle_mm != ev.needle_mm:
            continue
        mm = f"{num(size.needle_mm)} mm"
        if size.for_under_kg is not None and weight >= size.for_under_kg:
            return Hit(
                "warning",
                f"{ev.line}: {mm} needle at {num(weight)} kg — {mm} is for under {num(size.for_under_kg)} kg",
                ev.line,
            )
        if size.for_from_kg is not None and weight < size.for_from_kg:
            return Hit(
                "warning",
                f"{ev.line}: {mm} needle at {num(weight)} kg — {mm} is for {num(size.for_from_kg)} kg and over",
                ev.line,
            )
    return None
