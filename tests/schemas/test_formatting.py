"""One formatter module (issue 14): one spelling per thing and per context length, whoever prints it."""

from exports.describe import describe
from recorder.tui import board
from schemas.events import parse_event
from schemas.formatting import age_long, age_short, duration, mmss, num, number, t_plus
from schemas.patient import Patient


def test_times() -> None:
    assert [t_plus(t) for t in (0, 65.9, 3599, 3725)] == ["T+00:00", "T+01:05", "T+59:59", "T+1:02:05"]
    assert t_plus(None) == "-"
    assert [mmss(s) for s in (0, 75, 4500, -3)] == ["0:00", "1:15", "75:00", "0:00"]
    assert [duration(s) for s in (750, 3900)] == ["12:30", "1 h 05 min"]


def test_numbers() -> None:
    assert [num(x) for x in (0.125, 1.5, 300, 1200)] == ["0.125", "1.5", "300", "1,200"]
    assert [number(x) for x in (0.125, 5.0, 12.5, -0.001)] == ["0.12", "5", "12.5", "0"]


def test_ages_one_spelling_per_context_length() -> None:
    ten_days, seven_months, two_and_a_half = 10 / 365.25, 7 / 12, 2.5
    assert [age_long(a) for a in (ten_days, seven_months, two_and_a_half)] == ["10 days", "7 months", "2.5 years"]
    assert [age_short(a) for a in (ten_days, seven_months, two_and_a_half)] == ["10 d", "7 mo", "2.5 y"]


def test_the_screen_and_the_exports_spell_an_age_alike() -> None:
    """The screen's patient band and the summary's timeline once said "7 m" and "7 mo"."""
    patient = Patient(age_months=7)
    started = parse_event({"kind": "code_started", "t": 0, "arrest": True, "patient": {"age_months": 7}})
    assert board.patient_band(patient).startswith("7 mo · ")
    assert "age 7 mo" in describe(started)
