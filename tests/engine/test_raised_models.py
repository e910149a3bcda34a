"""The flags and facts the fold makes without validation (engine.raised_flag, live_fold.dose_total_fact,
patient_fact and flush_fact) are what validation makes: the same values of the same types, the same fields given,
the same JSON, on realistic, random and generated codes; values of other types are validated (coerced or refused) as
before."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from recorder.engine.engine import raised_flag
from recorder.engine.live_fold import LiveFold, dose_total_fact, flush_fact, patient_fact
from recorder.engine.protocol import load_protocol
from schemas.code_record import DoseTotal, DrugFlush, PatientAt
from schemas.records import EventRecord, Flag
from tests.engine.test_refold import START, Records, records_of, with_corrections
from tests.factory import codes, random_scenario, scenario


def _validated_flag(rule: Any, severity: Any, seq: Any, t: Any, line: Any, message: Any) -> Flag:
    return Flag(rule=rule, severity=severity, seq=seq, t=t, line=line, message=message)


def _validated_total(seq: Any, total: Any, unit: Any) -> DoseTotal:
    return DoseTotal(seq=seq, total=total, unit=unit)


def _validated_patient(seq: Any, t: Any, weight_kg: Any, band: Any) -> PatientAt:
    return PatientAt(seq=seq, t=t, weight_kg=weight_kg, band=band)


def _validated_flush(drug: Any, seq: Any, t: Any, volume_ml: Any) -> DrugFlush:
    return DrugFlush(drug=drug, seq=seq, t=t, volume_ml=volume_ml)


@contextmanager
def _validating() -> Iterator[None]:
    """The fold as it was: every flag and fact made by its model's constructor."""
    with (
        patch("recorder.engine.engine.raised_flag", _validated_flag),
        patch("recorder.engine.live_fold.dose_total_fact", _validated_total),
        patch("recorder.engine.live_fold.patient_fact", _validated_patient),
        patch("recorder.engine.live_fold.flush_fact", _validated_flush),
    ):
        yield


def _exact(model: BaseModel) -> tuple:
    """Everything of a model that tells two apart: its type, its values with their types in order, the fields
    given, its JSON."""
    values = [(k, type(v), v) for k, v in model.__dict__.items()]
    return (type(model), values, model.model_fields_set, model.model_dump_json())


def _folded(records: list[EventRecord], once: bool) -> list[tuple]:
    """What a fold of these records made: its flags and the facts the exports read, each exactly."""
    log = Records()
    fold = LiveFold(load_protocol(), log)
    for record in records:
        log.add(record)
        if once:
            fold.keep(record)
        else:
            fold.add(record)
    if once:
        fold.refold()
    made: list[BaseModel] = [*fold.flags, *fold.dose_totals, *fold.patient_at, *fold.flushes]
    for model in made:  # and each holds what validating its values again leaves
        assert _exact(model)[1] == _exact(type(model)(**model.__dict__))[1]
    return [_exact(model) for model in made]


def _same_as_validated(events: list[dict]) -> dict[type, int]:
    """The fold's flags and facts, live and folded once, against the fold that validates each: how many of each
    model it made."""
    records = records_of(events)
    made: list[tuple] = []
    for once in (False, True):
        made = _folded(records, once)
        with _validating():
            assert made == _folded(records, once)
    return {kind: sum(1 for m in made if m[0] is kind) for kind in (Flag, DoseTotal, PatientAt, DrugFlush)}


def test_a_realistic_codes_flags_and_facts_are_the_validated_ones() -> None:
    made = _same_as_validated(scenario(1_200, at=START, seed=4))
    assert made[Flag] > 10 and made[DoseTotal] > 10 and made[PatientAt] > 0 and made[DrugFlush] > 10, made


@pytest.mark.parametrize("seed", [3, 5, 11])
def test_a_random_codes_with_corrections_flags_and_facts_are_the_validated_ones(seed: int) -> None:
    _same_as_validated(with_corrections(random_scenario(400, seed=seed, record_keeping=0.04), seed))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codes())
def test_any_codes_flags_and_facts_are_the_validated_ones(events: list[dict]) -> None:
    _same_as_validated(events)


_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False),
    st.sampled_from([float("inf"), -0.0, 2.5]),
    st.sampled_from(["critical", "warning", "info", "child", "adult", "neonate", "unknown", "mg", "", "io1"]),
    st.text(max_size=4),
)


def _outcome(make: Any, *values: Any) -> tuple:
    try:
        return ("made", _exact(make(*values)))
    except ValidationError as exc:
        return ("refused", exc.errors(include_url=False))


@settings(max_examples=400, deadline=None)
@given(_ANY, _ANY, _ANY, _ANY, _ANY, _ANY)
def test_a_flag_of_any_values_is_the_validated_one(
    rule: Any, severity: Any, seq: Any, t: Any, line: Any, message: Any
) -> None:
    values = (rule, severity, seq, t, line, message)
    assert _outcome(raised_flag, *values) == _outcome(_validated_flag, *values)


@settings(max_examples=300, deadline=None)
@given(_ANY, _ANY, _ANY)
def test_a_dose_total_of_any_values_is_the_validated_one(seq: Any, total: Any, unit: Any) -> None:
    assert _outcome(dose_total_fact, seq, total, unit) == _outcome(_validated_total, seq, total, unit)


@settings(max_examples=300, deadline=None)
@given(_ANY, _ANY, _ANY, _ANY)
def test_a_patient_at_of_any_values_is_the_validated_one(seq: Any, t: Any, weight_kg: Any, band: Any) -> None:
    values = (seq, t, weight_kg, band)
    assert _outcome(patient_fact, *values) == _outcome(_validated_patient, *values)


@settings(max_examples=300, deadline=None)
@given(_ANY, _ANY, _ANY, _ANY)
def test_a_drug_flush_of_any_values_is_the_validated_one(drug: Any, seq: Any, t: Any, volume_ml: Any) -> None:
    values = (drug, seq, t, volume_ml)
    assert _outcome(flush_fact, *values) == _outcome(_validated_flush, *values)


def test_values_of_other_types_are_coerced_or_refused_as_validation_does() -> None:
    flag = raised_flag("DOSE_OUT_OF_RANGE", "warning", 3, 12, None, "too much")
    assert type(flag.t) is float and flag.t == 12.0
    with pytest.raises(ValidationError):
        raised_flag("DOSE_OUT_OF_RANGE", "grave", 3, 12.0, None, "too much")
    assert type(dose_total_fact(4, 2, "mg").total) is float
    with pytest.raises(ValidationError):
        patient_fact(1, 0.0, None, "elderly")
    assert type(flush_fact(3, 4, 5.0, 10).volume_ml) is float
