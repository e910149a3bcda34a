"""The protocol's strengths by age, and a dose's volume at a strength (dose ÷ concentration)."""

import pytest

from recorder.engine import ProtocolError, load_protocol, parse_protocol
from recorder.engine.doses import volume_ml
from tests.engine.test_engine_protocol import edited

P = load_protocol()


@pytest.mark.parametrize(
    ("drug", "age", "proposed"),
    [
        ("sodium_bicarbonate", 10 / 365.25, "4.2%"),  # neonate
        ("sodium_bicarbonate", 1.5, "4.2%"),  # under 2 years
        ("sodium_bicarbonate", 2, "8.4%"),
        ("sodium_bicarbonate", None, None),  # no age: asked, not assumed
        ("dextrose", 10 / 365.25, "10%"),
        ("dextrose", 3, "25%"),
        ("dextrose", 12, "50%"),
        ("dextrose", None, None),
    ],
)
def test_the_strength_proposed_by_age(drug: str, age: float | None, proposed: str | None) -> None:
    choices, chosen = P.concentration_choices(drug, age)
    assert chosen == proposed and (chosen is None or chosen in choices)


def test_a_drug_without_a_strength_table_keeps_free_text() -> None:
    assert P.concentration_choices("epinephrine", 5) is None


@pytest.mark.parametrize(
    ("dose", "unit", "drug", "conc", "ml"),
    [
        (12, "mEq", "sodium_bicarbonate", "8.4%", 12),  # 1 mEq/mL
        (12, "mEq", "sodium_bicarbonate", "4.2%", 24),
        (5, "g", "dextrose", "25%", 20),
        (0.12, "mg", "epinephrine", "0.1 mg/mL", 1.2),
        (120, "mcg", "epinephrine", "0.1 mg/mL", 1.2),
        (3, "mL", "epinephrine", None, 3),
    ],
)
def test_volume_is_dose_over_concentration(dose, unit, drug, conc, ml) -> None:
    assert volume_ml(dose, unit, drug=drug, concentration=conc, protocol=P) == pytest.approx(ml)


@pytest.mark.parametrize("conc", [None, "strong", "1 units/mL"])
def test_no_volume_without_a_usable_concentration(conc) -> None:
    assert volume_ml(1, "mg", drug="epinephrine", concentration=conc, protocol=P) is None


def test_a_proposal_outside_the_choices_is_refused() -> None:
    with pytest.raises(ProtocolError, match=r"concentrations #1 \(sodium_bicarbonate\).young"):
        parse_protocol(edited(r'^young = "4.2%"', 'young = "5%"'))
