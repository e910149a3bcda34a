"""The dose model: units, the expected dose for a route and a patient (age band, union, ceiling), infusion rates."""

import re
from dataclasses import dataclass

from recorder.engine.protocol import DoseRange, DoseRow, Protocol
from schemas.formatting import num
from schemas.vocabulary import Severity

# Unit definitions, not clinical numbers: how many mg one of each mass unit is.
MG_PER = {"mcg": 1e-3, "mg": 1.0, "g": 1e3}
MG_PER_G_PER_100_ML = 10.0  # "N%" is N g per 100 mL = 10·N mg per mL
MCG_PER_MG = 1e3
MIN_PER_H = 60.0
# Equal within float noise: 0.12 × 1.2 must not read as above 0.144.
_EPS = 1e-9

_CONCENTRATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(%|(mg|mcg|g|mEq|mmol|units)/mL)\s*$")
# "1:1000" = 1 g in 1000 mL = 1 mg/mL; "1:10,000" = 0.1 mg/mL (a unit definition, not a clinical number).
_RATIO = re.compile(r"^\s*1\s*:\s*([0-9][0-9,]*)\s*$")
MG_PER_G = 1e3


def percent(concentration: str | None) -> float | None:
    """The N of an "N%" concentration; None for any other form."""
    match = _CONCENTRATION.match(concentration or "")
    if not match or match.group(2) != "%":
        return None
    return float(match.group(1))


def per_ml(concentration: str | None) -> tuple[float, str] | None:
    """(amount, unit) in one mL: "0.1 mg/mL" → (0.1, "mg"); "8.4%" → (84.0, "mg"); "1:10000" → (0.1, "mg")."""
    ratio = _RATIO.match(concentration or "")
    if ratio:
        parts = int(ratio.group(1).replace(",", "") or 0)
        return (MG_PER_G / parts, "mg") if parts else None
    match = _CONCENTRATION.match(concentration or "")
    if not match:
        return None
    value = float(match.group(1))
    if match.group(2) == "%":
        return value * MG_PER_G_PER_100_ML, "mg"
    return value, match.group(3)


def convert(
    dose: float, unit: str, to: str, *, drug: str, concentration: str | None, protocol: Protocol
) -> float | None:
    """`dose` `unit` in `to` units, or None when it cannot be converted (rules.md "Units convert").

    mcg/mg/g by factor; mL through the concentration ("X mg/mL", "N%" = N g per 100 mL, "1:10000" =
    0.1 mg/mL); sodium bicarbonate mL by its % at `bicarbonate_mg_per_meq` (8.4 % = 1 mEq/mL); mmol by
    the protocol's `conversions.mmol` (one mmol in the drug's dosing-table unit).
    """
    if unit == to:
        return dose
    if unit == "mL":
        strength = per_ml(concentration)
        if strength is None:
            return None
        dose, unit = dose * strength[0], strength[1]
        if drug == "sodium_bicarbonate" and unit in MG_PER and to == "mEq":
            return dose * MG_PER[unit] / protocol.conversions.bicarbonate_mg_per_meq
        if unit == to:
            return dose
    if unit == "mmol":
        factor, table_unit = protocol.conversions.mmol.get(drug), protocol.drug_unit(drug)  # type: ignore[call-overload]
        if factor is None or table_unit is None:
            return None
        dose, unit = dose * factor, table_unit
        if unit == to:
            return dose
    if unit in MG_PER and to in MG_PER:
        return dose * MG_PER[unit] / MG_PER[to]
    return None


Span = tuple[float, float]


@dataclass(frozen=True)
class Expected:
    """What a dose is checked against: the union of `spans`, or (weight unknown) only a `ceiling`.

    `basis` says for whom, in a message's words ("12 kg", "an adult", "age unknown, 12 kg"); `note` is
    what the screen shows beside a proposed dose ("ceiling only: weight unknown").
    """

    unit: str
    spans: tuple[Span, ...] = ()
    ceiling: float | None = None
    basis: str = ""
    note: str = ""

    @property
    def ceiling_only(self) -> bool:
        return self.ceiling is not None

    def judge(self, amount: float, factors: DoseRange) -> Severity | None:
        """The severity of `amount` (in `unit`): inside any span is in range; outside all, the lowest severity."""
        if self.ceiling is not None:
            return out_of_range(amount, 0.0, self.ceiling, factors)
        severities = [out_of_range(amount, low, high, factors) for low, high in self.spans]
        if not severities or None in severities:
            return None
        return "warning" if "warning" in severities else "critical"


def dose_route(line: str | None, route: str | None) -> str | None:
    """The dosing table's route of a drug event: None through a line (IV, IO, UVC)."""
    return None if line is not None else route


def _rows(
    protocol: Protocol, drug: str, *, route: str | None, purpose: str | None, concentration: str | None, earlier: int
) -> tuple[DoseRow | None, DoseRow | None]:
    """(child row, neonate row) for this dose: the rows of its route whose condition holds, first of each."""
    child = neonate = None
    for row in protocol.dose_rows(drug):
        if row.route != route:
            continue
        if (
            row.concentration is not None
            and concentration is not None
            and not _same_strength(row.concentration, concentration)
        ):
            continue  # the 3 % saline row: at "3%" or with no concentration given
        if row.when == "io_analgesia" and purpose != "io_analgesia":
            continue
        if row.when == "first_dose" and earlier > 0:
            continue
        if row.when == "later_dose" and earlier == 0:
            continue
        if row.when == "neonate":
            neonate = neonate or row
        else:
            child = child or row
    return child, neonate


def _same_strength(a: str, b: str) -> bool:
    pa, pb = per_ml(a), per_ml(b)
    return pa is not None and pb is not None and pa[1] == pb[1] and same_percent(pa[0], pb[0])


def _per_kg(row: DoseRow, weight: float) -> Span:
    floor = row.min_single if row.min_single is not None else 0.0
    ceiling = row.max_single if row.max_single is not None else float("inf")
    return min(max(row.per_kg[0] * weight, floor), ceiling), min(max(row.per_kg[1] * weight, floor), ceiling)


def _adult(row: DoseRow, weight: float | None) -> Span | None:
    """The adult column: absolute, or per kg clamped by the max single; None when it needs a weight we lack."""
    if row.adult is not None:
        return row.adult
    if row.adult_per_kg is not None and weight is not None:
        ceiling = row.max_single if row.max_single is not None else float("inf")
        return min(row.adult_per_kg[0] * weight, ceiling), min(row.adult_per_kg[1] * weight, ceiling)
    return None


# What expected_dose gave, by its arguments, for one protocol (the last one asked about; a protocol is frozen):
# a code's doses are mostly the same drug for the same patient (adrenaline every few minutes), and working one
# out was a third of checking a dose. Bounded, as a store of odd doses must not grow it without end.
# One pair, the protocol and its answers, swapped whole: a dict only ever holds its own protocol's answers, whichever
# thread asks.
_MEMO_MAX = 4096
_memo: tuple[Protocol | None, dict[tuple[object, ...], "Expected | None"]] = (None, {})
_UNSEEN = object()


def expected_dose(
    protocol: Protocol,
    drug: str,
    *,
    route: str | None = None,
    purpose: str | None = None,
    age: float | None,
    weight: float | None,
    setting: str | None = None,
    earlier_doses: int = 0,
    concentration: str | None = None,
) -> Expected | None:
    """What rules.md's dosing table expects of this dose for this patient, or None when it is not dose-checked.

    Rows by route; the age band (a patient of unknown age takes the band the setting or weight implies,
    and the union of the rows it allows); adults under `adult_sized_kg` per kg; weight unknown and not a
    known adult: the ceiling only; push-dose (`purpose` other) epinephrine through a line: the ceiling only.
    """
    global _memo
    owner, memo = _memo
    if owner is not protocol:
        memo = {}
        _memo = (protocol, memo)
    # Of the earlier doses only whether there were any decides (a first-dose or a later-dose row: 1 stands for any
    # number above 0); the types of the age and the weight are part of the key, as 12 and 12.0 are one key but
    # need not read alike.
    earlier = earlier_doses if earlier_doses < 1 else 1
    key = (drug, route, purpose, age, type(age), weight, type(weight), setting, earlier, concentration)
    found = memo.get(key, _UNSEEN)
    if found is _UNSEEN:
        found = _expected_dose(protocol, drug, route, purpose, age, weight, setting, earlier_doses, concentration)
        if len(memo) < _MEMO_MAX:
            memo[key] = found
    return found  # type: ignore[return-value]


def _expected_dose(
    protocol: Protocol,
    drug: str,
    route: str | None,
    purpose: str | None,
    age: float | None,
    weight: float | None,
    setting: str | None,
    earlier_doses: int,
    concentration: str | None,
) -> Expected | None:
    child, neonate = _rows(
        protocol, drug, route=route, purpose=purpose, concentration=concentration, earlier=earlier_doses
    )
    if child is None and neonate is None:
        return None
    unit = (child or neonate).unit  # type: ignore[union-attr]
    band = protocol.band(age, weight, setting)
    adult_sized = weight is not None and weight >= protocol.age_bands.adult_sized_kg
    # The rows this patient's band allows, and whether the adult column is among them.
    if band == "neonate":
        rows = [r for r in (neonate, child) if r is not None] if age is None else [neonate or child]
        adult_too = False
    elif band == "adult":
        rows, adult_too = [child or neonate], weight is None or adult_sized
    elif band == "unknown":
        rows, adult_too = [child or neonate], True
    else:
        rows, adult_too = [child or neonate], False
    rows = [r for r in rows if r is not None]
    who = _who(age, weight, band)
    if drug == "epinephrine" and purpose == "other" and route is None:
        top = max((t for t in (r.max_single for r in rows) if t is not None), default=None)
        note = "push-dose epinephrine: max single only"
        return Expected(unit, ceiling=top, basis=who, note=note) if top is not None else None
    if weight is None:
        if band == "adult":
            span = _adult(rows[0], None)
            if span is not None:
                return Expected(unit, (span,), basis="an adult", note="adult dose")
        # Not a known adult (or an adult row that needs a weight): the row's max single is the ceiling —
        # never the adult column's high for an unknown age, or removing the weight could silence a dose
        # above twice the max single (rules.md v2: "the ceiling-only check is for patients who are not
        # known adults").
        tops = [r.max_single for r in rows if r.max_single is not None]
        if not tops:
            return None
        return Expected(unit, ceiling=max(tops), basis=who, note="ceiling only: weight unknown")
    spans: list[Span] = []
    for row in rows:
        adult_span = _adult(row, weight) if adult_too else None
        if band == "adult" and adult_span is not None:
            spans.append(adult_span)  # a known adult of adult size: the adult column instead
            continue
        spans.append(_per_kg(row, weight))
        if adult_span is not None:
            spans.append(adult_span)  # age unknown, adult-sized: the adult column too
    basis = "an adult" if band == "adult" and adult_sized and any(_adult(r, weight) for r in rows) else who
    return Expected(unit, tuple(spans), basis=basis, note=_note(band, age, spans, unit))


def _who(age: float | None, weight: float | None, band: str) -> str:
    size = f"{num(weight)} kg" if weight is not None else "weight unknown"
    if age is None:
        return f"age unknown ({band} band), {size}" if band != "unknown" else f"age unknown, {size}"
    return size


def _note(band: str, age: float | None, spans: list[Span], unit: str) -> str:
    text = " or ".join(f"{num(lo)} {unit}" if lo == hi else f"{num(lo)}–{num(hi)} {unit}" for lo, hi in spans)
    return f"expected {text}" + (f" (age unknown: {band} band)" if age is None else "")


def out_of_range(amount: float, low: float, high: float, factors: DoseRange) -> Severity | None:
    """critical beyond the critical factors, warning beyond the warning ones, else None."""
    if amount < low * factors.critical_low * (1 - _EPS) or amount > high * factors.critical_high * (1 + _EPS):
        return "critical"
    if amount < low * factors.warning_low * (1 - _EPS) or amount > high * factors.warning_high * (1 + _EPS):
        return "warning"
    return None


def above(value: float, limit: float) -> bool:
    """value > limit, not fooled by float noise at the limit itself."""
    return value > limit * (1 + _EPS)


def rate_mcg_kg_min(
    rate: float, rate_unit: str, weight: float | None, concentration: str | None = None
) -> float | None:
    """An infusion rate in mcg/kg/min, or None when it cannot be converted (rules.md INFUSION_RATE_OUT_OF_RANGE).

    mcg/kg/min as it is; mg/kg/h by factor; mcg/min with the weight; mL/h only with the infusion's
    concentration (a mass per mL) and the weight.
    """
    if rate_unit == "mcg/kg/min":
        return rate
    if rate_unit == "mg/kg/h":
        return rate * MCG_PER_MG / MIN_PER_H
    if weight is None:
        return None
    if rate_unit == "mcg/min":
        return rate / weight
    if rate_unit == "mL/h":
        strength = per_ml(concentration)
        if strength is None or strength[1] not in MG_PER:
            return None
        mcg_per_ml = strength[0] * MG_PER[strength[1]] * MCG_PER_MG
        return rate * mcg_per_ml / MIN_PER_H / weight
    return None


def same_percent(a: float, b: float) -> bool:
    return abs(a - b) <= _EPS * max(abs(a), abs(b), 1.0)


@dataclass(frozen=True)
class Advice:
    """What the drug picker shows: the proposed dose (None when none can be proposed) and what is checked."""

    dose: float | None
    unit: str | None
    check: str


def dose_advice(
    protocol: Protocol,
    drug: str,
    *,
    route: str | None = None,
    purpose: str | None = None,
    age: float | None,
    weight: float | None,
    setting: str | None = None,
    earlier_doses: int = 0,
) -> Advice:
    """The dose the screen proposes for this drug, route and patient, and what can still be checked.

    ET adrenaline for 12 kg proposes 1.2 mg; weight unknown proposes nothing and says "ceiling only:
    weight unknown"; a route with no row says "not dose-checked".
    """
    expected = expected_dose(
        protocol,
        drug,
        route=route,
        purpose=purpose,
        age=age,
        weight=weight,
        setting=setting,
        earlier_doses=earlier_doses,
    )
    if expected is None:
        by = f"by {route}" if route else "through a line"
        return Advice(None, None, f"not dose-checked: no dosing-table row for {drug.replace('_', ' ')} {by}")
    if expected.ceiling_only or not expected.spans:
        top = f" (above {num(expected.ceiling)} {expected.unit} is flagged)" if expected.ceiling else ""
        return Advice(None, expected.unit, expected.note + top)
    low = expected.spans[0][0]
    return Advice(float(f"{low:.2g}") if low < 10 else round(low), expected.unit, expected.note)


def volume_ml(dose: float, unit: str, *, drug: str, concentration: str | None, protocol: Protocol) -> float | None:
    """How many mL a dose is at `concentration` (dose ÷ strength): 24 mEq of 4.2 % bicarbonate → 48 mL.

    None when it cannot be worked out: no or an unreadable concentration, or units that do not meet.
    """
    if unit == "mL":
        return dose
    per_one_ml = convert(1.0, "mL", unit, drug=drug, concentration=concentration, protocol=protocol)
    if not per_one_ml:
        return None
    return dose / per_one_ml
