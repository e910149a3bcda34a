"""The shock energy the screen proposes agrees with SHOCK_ENERGY: proposed, it raises no energy flag."""

import pytest

from recorder.engine import load_protocol
from recorder.engine.energy import shock_advice

PROTOCOL = load_protocol()


@pytest.mark.parametrize(
    ("age", "weight", "shocks", "joules", "said"),
    [
        (None, 12.0, 0, 24, "first shock 2–4 J/kg × 12 kg = 24–48 J: proposed 24 J · synchronized 6–12 J"),
        (2.0, 12.0, 1, 48, "later shocks 4–10 J/kg × 12 kg = 48–120 J"),
        (15.0, 50.0, 3, 200, "= 200–360 J"),  # the high end clamped to max_j
        (None, 3.2, 0, 6, "proposed 6 J"),  # device steps: whole joules
    ],
)
def test_a_child_of_known_weight_gets_the_low_end_of_the_protocols_j_per_kg(age, weight, shocks, joules, said):
    advice = shock_advice(PROTOCOL, age=age, weight=weight, shocks=shocks, cardioversions=0)
    assert advice.joules == joules
    assert said in advice.note


def test_the_proposal_sits_inside_the_range_shock_energy_checks():
    table = PROTOCOL.shock_energy
    for weight in (3.0, 7.5, 12.0, 19.0, 33.0):
        for shocks, per_kg in ((0, table.first_j_per_kg), (2, table.later_j_per_kg)):
            joules = shock_advice(PROTOCOL, age=None, weight=weight, shocks=shocks, cardioversions=0).joules
            assert per_kg[0] * weight * table.low_tolerance <= joules <= min(per_kg[1] * weight, table.max_j)


def test_weight_unknown_or_an_adult_proposes_nothing_and_says_why():
    unknown = shock_advice(PROTOCOL, age=4.0, weight=None, shocks=0, cardioversions=0)
    assert unknown.joules is None and unknown.note.startswith("weight unknown: no energy proposed")
    adult = shock_advice(PROTOCOL, age=30.0, weight=80.0, shocks=0, cardioversions=0)
    assert adult.joules is None and adult.note.startswith("adult")
    heavy = shock_advice(PROTOCOL, age=None, weight=60.0, shocks=0, cardioversions=0)  # adult-sized, age unknown
    assert heavy.joules is None


def test_a_synchronized_shock_takes_the_cardioversion_table():
    first = shock_advice(PROTOCOL, age=2.0, weight=12.0, shocks=1, cardioversions=0, synchronized=True)
    assert first.joules == 6
    assert first.note == ("first synchronized 0.5–1 J/kg × 12 kg = 6–12 J: proposed 6 J · unsynchronized 48–120 J")
    later = shock_advice(PROTOCOL, age=2.0, weight=12.0, shocks=0, cardioversions=1, synchronized=True)
    assert later.joules == 6 and "later synchronized 0.5–2 J/kg × 12 kg = 6–24 J" in later.note
