"""Each table has one home (issue 14): choice lists come from the vocabulary, the late-entry threshold is one number."""

from datetime import UTC, datetime, timedelta
from typing import get_args

import click

from recorder.cli import cli
from schemas.code_record import LineFacts
from schemas.events import parse_event
from schemas.records import LATE_ENTRY_S, EventRecord
from schemas.summary import AccessLine
from schemas.vocabulary import LineKind, LineStatus, Setting, WeightSource


def _choices(command: str, option: str) -> tuple[str, ...]:
    param = next(p for p in cli.every_command()[command].params if p.name == option)
    assert isinstance(param.type, click.Choice)
    return tuple(param.type.choices)


def test_the_cli_offers_the_vocabulary_choices() -> None:
    assert _choices("new", "setting") == get_args(Setting)
    assert _choices("new", "weight_source") == get_args(WeightSource)


def test_line_kinds_and_statuses_are_the_vocabulary_s() -> None:
    for model in (LineFacts, AccessLine):
        assert model.model_fields["kind"].annotation is LineKind
        assert model.model_fields["status"].annotation is LineStatus


def _entered(after: float) -> EventRecord:
    start = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    event = parse_event({"kind": "note", "t": 10, "text": "x"})
    return EventRecord(
        code_id=1,
        seq=2,
        event=event,
        occurred_at=start + timedelta(seconds=10),
        recorded_at=start + timedelta(seconds=10 + after),
        entered_t=10 + after,
    )


def test_late_means_more_than_the_one_threshold() -> None:
    """The screen's mark (widgets) and the summary's list (derive) both read EventRecord.late."""
    assert LATE_ENTRY_S == 60
    assert not _entered(LATE_ENTRY_S).late
    assert _entered(LATE_ENTRY_S + 1).late


def test_labels_sit_beside_the_vocabulary_and_name_every_id() -> None:
    from schemas import labels, vocabulary

    complete = {
        "FLUID_NAMES": vocabulary.Fluid,
        "DEVICE_NAMES": vocabulary.Device,
        "SETTING_NAMES": vocabulary.Setting,
        "RHYTHM_NAMES": vocabulary.Rhythm,
        "OUTCOME_NAMES": vocabulary.Outcome,
    }
    for name, literal in complete.items():
        assert tuple(getattr(labels, name)) == get_args(literal), name
    assert set(labels.ROUTE_NAMES) == set(get_args(vocabulary.LineKind)) | set(get_args(vocabulary.Route))
    assert (
        set(labels.DRUG_NAMES) <= set(get_args(vocabulary.Drug))
        and labels.DRUG_SHORT.keys() <= labels.DRUG_NAMES.keys()
    )
