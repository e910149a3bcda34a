"""The shock energy the screen proposes: the protocol's J/kg for the weight, first or later, as SHOCK_ENERGY reads."""

from collections.abc import Sequence
from dataclasses import dataclass

from recorder.engine.protocol import Protocol
from schemas.formatting import num


@dataclass(frozen=True)
class EnergyAdvice:
    """The joules to propose (None: none can be, and `note` says why) and the ranges it comes from."""

    joules: float | None
    note: str


def shock_advice(
    protocol: Protocol,
    *,
    age: float | None,
    weight: float | None,
    shocks: int,
    cardioversions: int,
    synchronized: bool = False,
) -> EnergyAdvice:
    """The low end of the protocol's J/kg for this weight, clamped to `max_j`, with both kinds' ranges said.

    Same reading as SHOCK_ENERGY: a child (age < 18 y, or age unknown and under the adult-sized weight)
    with a known weight; "first" is the first shock of its kind in the code. 12 kg, no shock yet →
    24 J ("first shock 2–4 J/kg = 24–48 J · synchronized 6–12 J"); synchronized (a cardioversion) →
    its own table, 6 J; weight unknown → none, said.
    """
    table = protocol.shock_energy
    if weight is None:
        return EnergyAdvice(None, "weight unknown: no energy proposed (type the joules; p gives the weight)")
    child = protocol.is_child(age) if age is not None else weight < protocol.age_bands.adult_sized_kg
    if not child:
        return EnergyAdvice(None, "adult: the device's adult energy (not checked against J/kg)")

    def span(per_kg: Sequence[float]) -> tuple[float, float]:
        return per_kg[0] * weight, min(per_kg[1] * weight, table.max_j)

    if synchronized:
        first = cardioversions == 0
        per_kg = table.synchronized_first_j_per_kg if first else table.synchronized_later_j_per_kg
        other = table.first_j_per_kg if shocks == 0 else table.later_j_per_kg
        which, other_words = ("first " if first else "later ") + "synchronized", "unsynchronized"
    else:
        first = shocks == 0
        per_kg = table.first_j_per_kg if first else table.later_j_per_kg
        other = table.synchronized_first_j_per_kg if cardioversions == 0 else table.synchronized_later_j_per_kg
        which, other_words = ("first shock" if first else "later shocks"), "synchronized"
    low, high = span(per_kg)
    other_low, other_high = span(other)
    joules = float(max(1, round(low)))
    note = (
        f"{which} {num(per_kg[0])}–{num(per_kg[1])} J/kg × {num(weight)} kg = {num(low)}–{num(high)} J:"
        f" proposed {num(joules)} J · {other_words} {num(other_low)}–{num(other_high)} J"
    )
    return EnergyAdvice(joules, note)
