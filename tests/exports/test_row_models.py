"""The summary's rows made without validation (exports/row_models.py) are the rows validation makes: every value
of the same type and the same, the same fields given, the same JSON."""

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel, ValidationError

from exports.derive import SummaryParts
from exports.row_models import built
from schemas.summary import DrugRow, FlagRow, FluidRow, SampleRow
from tests.conftest import SCENARIOS_V2
from tests.factory import codes, jsonl, make_database, random_scenario, read, scenario


def _assert_validated(rows: list[BaseModel]) -> int:
    """Each row is what validating its values again leaves: the values (and their types), in the same order."""
    for made in rows:
        again = type(made)(**made.__dict__)
        assert [(k, type(v), v) for k, v in made.__dict__.items()] == [
            (k, type(v), v) for k, v in again.__dict__.items()
        ]
        assert made.model_fields_set == again.model_fields_set
        assert made.model_dump_json() == again.model_dump_json()
        assert made == again
    return len(rows)


def _rows(db: Path) -> dict[str, int]:
    parts = SummaryParts(read(db, 1))
    return {
        "drugs": _assert_validated(list(parts.drugs())),
        "fluids": _assert_validated(list(parts.fluids())),
        "samples": _assert_validated(list(parts.samples())),
        "flags": _assert_validated([*parts.flags, *parts.withdrawn_flags]),
    }


def test_a_realistic_codes_rows_are_the_validated_rows(tmp_path: Path) -> None:
    db = tmp_path / "recorder.db"
    make_database(db, jsonl(scenario(1_200, seed=4)))
    counts = _rows(db)
    assert min(counts.values()) > 10, counts  # every kind of row made, many times


@pytest.mark.parametrize("path", sorted(SCENARIOS_V2.glob("*.jsonl")), ids=lambda p: p.stem)
def test_the_scenarios_rows_are_the_validated_rows(path: Path, tmp_path: Path) -> None:
    db = tmp_path / "recorder.db"
    make_database(db, path.read_text(encoding="utf-8"))
    _rows(db)


def test_a_random_codes_rows_with_voids_and_amends_are_the_validated_rows(tmp_path: Path) -> None:
    db = tmp_path / "recorder.db"
    make_database(db, jsonl(random_scenario(600, seed=3, record_keeping=0.06)))
    _rows(db)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codes())
def test_any_codes_rows_are_the_validated_rows(events: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "recorder.db"
        make_database(db, jsonl(events))
        _rows(db)


def test_values_given_otherwise_are_validated() -> None:
    """Out of the model's order or short of a field, `built` is the model's own constructor: it coerces and
    refuses as validation does."""
    from datetime import UTC, datetime

    at = datetime(2026, 3, 2, tzinfo=UTC)
    sample = built(SampleRow, t=1, seq=2, at=at, line="io1", tests=["glucose"])  # out of order, labelled_io left
    assert (
        type(sample.t) is float
        and sample.labelled_io is None
        and sample.model_fields_set
        == {
            "seq",
            "t",
            "at",
            "line",
            "tests",
        }
    )
    with pytest.raises(ValidationError):
        built(FluidRow, t=1.0, seq=2, at=at)
    with pytest.raises(ValidationError):
        built(FlagRow, rule="R", n=1, severity="dire", seq=1, t=0.0, at=at, message="m", event="e")
    assert built(DrugRow, **DrugRow(seq=1, t=0.0, at=at, drug="x", label="X", dose=1, unit="mg", route="io").__dict__)
