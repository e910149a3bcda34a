"""A code's audit rows from its session's one pass (recorder/core/code_audit.py) equal the rows the summary's parts
give (exports.audit.audit_rows of the code's record), field by field and byte by byte, on codes of every sort."""

from datetime import UTC, datetime
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings

from exports.audit import audit_rows
from recorder.core.clock import FakeClock
from recorder.core.code_audit import code_audit_rows
from recorder.core.code_record import build_code_record
from recorder.core.record_log import RecordLog
from recorder.core.session import Session
from recorder.store import Store
from schemas.audit import AuditExport
from tests.exports.scenarios import ADULT, CHILD, NEW_RULES
from tests.factory import codes, random_scenario, record, scenario
from tests.test_cli_exports import CODE_A, CODE_B, CODE_C

START = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
CLOCK = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))


def assert_same(session: Session) -> None:
    """The one pass gives what the summary's parts give: the same models, the same JSON (what is kept and sent)."""
    lean, whole = code_audit_rows(session), audit_rows(build_code_record(session))
    assert lean == whole
    assert lean.model_dump_json() == whole.model_dump_json()


def assert_same_read(path: Path, code_id: int) -> None:
    """As an audit reads the code (folded once) and as a summary does (folded event by event)."""
    store = Store(path)
    try:
        for fold_once in (True, False):
            assert_same(Session.read(store, CLOCK, code_id, fold_once=fold_once))
    finally:
        store.close()


def audited(path: Path, code_id: int) -> AuditExport:
    """The code's rows as the audit's workers derive them (the session read folded once)."""
    store = Store(path)
    try:
        return code_audit_rows(Session.read(store, CLOCK, code_id, fold_once=True))
    finally:
        store.close()


def _late_and_back_dated(events: list[dict]) -> list[dict]:
    """Each event typed a few seconds after it happened, and every 37th vitals or note back-dated 90 s (late)."""
    typed = 0.0
    for n, event in enumerate(events[1:], start=1):
        typed = event["entered"] = max(typed, event["t"] + (0 if event["kind"] in ("void", "amend") else 4))
        if n % 37 == 0 and event["kind"] in ("vitals", "note") and event["t"] > 100:
            event["t"] = round(event["t"] - 90, 6)
    return events


@pytest.mark.parametrize(
    "events",
    [
        pytest.param(CHILD, id="child"),  # a voided dose, an amended ROSC, a line through and through, late entries
        pytest.param(ADULT, id="adult"),
        pytest.param(NEW_RULES, id="new-rules"),  # routes, infusions, carriers, synchronized shocks
        pytest.param(CODE_A, id="a"),
        pytest.param(CODE_B, id="b"),
        pytest.param(CODE_C, id="c"),  # an IV line only, ROSC
        pytest.param(CODE_A[:-1], id="open"),  # not ended: no outcome, no duration
        pytest.param(CODE_A[:1], id="started-only"),
        pytest.param(_late_and_back_dated(random_scenario(400, seed=1, record_keeping=0.06)), id="random-1"),
        pytest.param(_late_and_back_dated(random_scenario(400, seed=2, record_keeping=0.06)), id="random-2"),
    ],
)
def test_the_rows_of_a_recorded_code(tmp_path, events):
    path = tmp_path / "r.db"
    assert_same_read(path, record(path, events, "abcd000000000001"))


def test_the_rows_of_a_code_whose_flags_another_edition_of_the_rules_raised(tmp_path):
    """Such a code keeps the flags it showed then (Session._kept): the rows count and list those."""
    path = tmp_path / "r.db"
    code_id = record(path, CHILD, "abcd000000000002")
    store = Store(path)
    try:
        with patch("recorder.core.session.RULES_EDITION", "an edition before this one"):
            session = Session.read(store, CLOCK, code_id, fold_once=True)
        assert session._kept
        assert_same(session)
    finally:
        store.close()


def test_a_flush_that_extravasated_or_was_hard_and_an_acknowledged_flag(tmp_path):
    events = [
        *CODE_A[:-1],
        {"t": 70, "kind": "flush", "line": "io1", "volume_ml": 3, "easy": False},
        {"t": 80, "kind": "drug", "drug": "epinephrine", "dose": 0.14, "unit": "mg", "line": "io1"},
        {"t": 85, "kind": "flush", "line": "io1", "volume_ml": 3, "extravasation": True},
        {"t": 86, "kind": "complication", "line": "io1", "complication": "swelling"},
        {"t": 90, "kind": "drug", "drug": "epinephrine", "dose": 0.14, "unit": "mg", "line": "io1"},
        {"t": 95, "kind": "acknowledge", "rule": "EPI_TOO_SOON", "target": 11, "reason": "as ordered"},
        {"t": 100, "kind": "rhythm", "rhythm": "vf"},
        {"t": 110, "kind": "shock", "joules": 30},
        CODE_A[-1],
    ]
    path = tmp_path / "r.db"
    code_id = record(path, events, "abcd000000000003")
    assert_same_read(path, code_id)
    rows = audited(path, code_id)
    (attempt,) = rows.attempts
    assert attempt.complications == "flush_not_easy;extravasation_on_flush;swelling"


def logged(path: Path, events: list[dict]) -> Session:
    """The code logged through a session, each event at its own t (back-dated ones too), as replay logs it."""
    store = Store(path)
    first, rest = events[0], events[1:]
    session = Session.start(store, FakeClock(START), **{k: v for k, v in first.items() if k not in ("kind", "t")})
    for event in rest:
        session.log({k: v for k, v in event.items() if k != "t"}, t=event["t"])
    return session


@pytest.mark.parametrize("keep", [None, 100], ids=["held", "read-back"])
def test_the_rows_of_a_long_code(tmp_path, keep):
    """Back-dated entries, acknowledgements, voids and amends every so often; longer than a page of the store, and
    (`keep` 100) longer than the records a session holds: its timeline and records read back from the store."""
    with patch.object(RecordLog, "KEEP", keep or RecordLog.KEEP):
        session = logged(tmp_path / "r.db", scenario(1_300, at=START))
        try:
            assert session.fold.timeline_held == (keep is None)
            assert_same(session)
        finally:
            session.store.close()
        assert_same_read(tmp_path / "r.db", session.code_id)


# A neonate whose weight comes late: a dose before it and one at the very moment it is given (after it), a UVC,
# an IO whose first result is failed and second in, entries typed just under and just over a minute late.
EDGES: list[dict] = [
    {"t": 0, "kind": "code_started", "at": "2026-03-02T14:05:00+00:00", "arrest": True, "patient": {"age_years": 0.01}},
    {"t": 10, "kind": "drug", "drug": "epinephrine", "dose": 0.03, "unit": "mg", "route": "et"},
    {"t": 20, "kind": "patient_updated", "patient": {"weight_kg": 3.4}},
    {"t": 20, "kind": "drug", "drug": "epinephrine", "dose": 0.03, "unit": "mg", "route": "et"},
    {"t": 30, "kind": "uvc_attempt", "line": "uvc1", "result": "in"},
    {"t": 40, "kind": "io_attempt", "line": "io1", "site": "proximal_tibia", "side": "right", "needle_mm": 15},
    {"t": 45, "kind": "io_result", "line": "io1", "result": "failed", "reason": "dislodged"},
    {"t": 50, "kind": "io_result", "line": "io1", "result": "in"},
    {"t": 55, "kind": "drug", "drug": "epinephrine", "dose": 0.03, "unit": "mg", "line": "uvc1"},
    {"t": 56, "kind": "note", "text": "59.5 s late", "entered": 115.5},
    {"t": 57, "kind": "note", "text": "60.5 s late", "entered": 117.5},
    {"t": 200, "kind": "code_ended", "outcome": "rosc"},
]


def test_the_rows_at_their_edges(tmp_path):
    path = tmp_path / "r.db"
    code_id = record(path, EDGES, "abcd000000000004")
    assert_same_read(path, code_id)
    rows = audited(path, code_id)
    assert [d.weight_known for d in rows.drugs] == [False, True, True]
    assert [(a.type, a.result) for a in rows.attempts] == [("uvc", "in"), ("io", "failed")]
    assert rows.codes[0].late_entries == 1


def test_the_first_rhythm_of_a_code_without_an_arrest(tmp_path):
    """No arrest to take it from: the first rhythm noted on the timeline (a back-dated one before an earlier one)."""
    events = [
        {"t": 0, "kind": "code_started", "at": "2026-03-02T14:05:00+00:00", "arrest": False, "patient": {}},
        {"t": 10, "kind": "rhythm", "rhythm": "svt"},
        {"t": 20, "kind": "rhythm", "rhythm": "sinus"},
        {"t": 5, "kind": "rhythm", "rhythm": "bradycardia", "entered": 30},
        {"t": 100, "kind": "code_ended", "outcome": "rosc"},
    ]
    path = tmp_path / "r.db"
    code_id = record(path, events, "abcd000000000005")
    assert_same_read(path, code_id)
    assert audited(path, code_id).codes[0].first_rhythm == "bradycardia"


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codes(max_steps=50))
def test_the_rows_of_generated_codes_live_and_read(tmp_path_factory, events):
    """Voids and amends of attempts, results and drugs, moved times, late entries, open codes, lines without an
    attempt: the live session's rows (kept when a code ends) and the read one's (an audit's) equal audit_rows."""
    path = tmp_path_factory.mktemp("ca") / "r.db"
    session = logged(path, events)
    try:
        assert_same(session)
    finally:
        session.store.close()
    assert_same_read(path, session.code_id)
