"""The patient in one line: what each way of saying it is read as, and what is refused with its reason."""

import pytest

from recorder.core.patient_line import PatientLineError, parse_patient_line

READ = [
    ("2y 12kg tape", {"age_years": 2, "weight_kg": 12, "weight_source": "length_tape"}, "age 2 years · 12 kg (tape)"),
    ("2y12t", {"age_years": 2, "weight_kg": 12, "weight_source": "length_tape"}, "age 2 years · 12 kg (tape)"),
    ("7mo", {"age_months": 7}, "age 7 months"),
    ("1 mo", {"age_months": 1}, "age 1 month"),
    ("10d", {"age_days": 10}, "age 10 days"),
    ("3w", {"age_days": 21}, "age 21 days"),
    (
        "45y 80kg est",
        {"age_years": 45, "weight_kg": 80, "weight_source": "estimated"},
        "age 45 years · 80 kg (estimated)",
    ),
    ("12kg broselow", {"weight_kg": 12, "weight_source": "length_tape"}, "12 kg (tape)"),
    ("12 tape", {"weight_kg": 12, "weight_source": "length_tape"}, "12 kg (tape)"),
    ("3,5kg scale", {"weight_kg": 3.5, "weight_source": "measured"}, "3.5 kg (measured)"),
    ("12kg", {"weight_kg": 12}, "12 kg (source not said)"),
    ("unknown age 12t", {"weight_kg": 12, "weight_source": "length_tape"}, "age unknown · 12 kg (tape)"),
    ("? 70kg stated", {"weight_kg": 70, "weight_source": "stated"}, "age unknown · 70 kg (stated)"),
    ("2Y 12KG TAPE", {"age_years": 2, "weight_kg": 12, "weight_source": "length_tape"}, "age 2 years · 12 kg (tape)"),
]


@pytest.mark.parametrize(("line", "fields", "said"), READ, ids=[r[0] for r in READ])
def test_a_line_is_read_into_the_vocabularys_fields_and_said_back(line, fields, said):
    read = parse_patient_line(line)
    assert read.fields == fields
    assert read.words() == said


REFUSED = [
    ("2", "'2' alone: write 2y, 2mo or 2d for an age, 2kg for a weight"),
    ("2 12kg", "'2' alone"),
    ("2y 3y", "the age is given twice"),
    ("12kg 13kg", "the weight is given twice"),
    ("2y unknown", "an age is given and said unknown"),
    ("tape", "a source goes after its weight"),
    ("12kg tape est", "a source goes after its weight, once"),
    ("12x", "'x' is not a unit"),
    ("two years", "'two' is not an age, a weight or its source"),
    ("unknown age", "nothing to record yet"),
    ("", "nothing to record"),
    ("131y", "age years: Input should be less than or equal to 130"),
    ("0.1kg", "0.1 kg is not a plausible weight; give 0.3 to 350 kg"),
]


@pytest.mark.parametrize(("line", "why"), REFUSED, ids=[r[0] or "empty" for r in REFUSED])
def test_a_line_that_cannot_be_read_is_refused_with_the_reason(line, why):
    with pytest.raises(PatientLineError, match=None) as caught:
        parse_patient_line(line)
    assert why in str(caught.value)
