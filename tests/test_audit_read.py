"""The audit's read that leaves out the events no row reads (recorder/core/audit_read.py) gives the rows of the
whole read (code_audit_rows of Session.read), byte for byte, on codes of every sort."""

import inspect
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from exports.audit import combine
from recorder.core import audit_read
from recorder.core.audit_rows import _derive_one, read_audit
from recorder.core.clock import FakeClock
from recorder.core.code_audit import code_audit_rows
from recorder.core.session import Session, SessionError
from recorder.engine import load_protocol
from recorder.engine import state as state_module
from recorder.engine.engine import Engine
from recorder.engine.state import _HANDLERS, BP_CHECK_OPENERS, INERT_WITHOUT
from recorder.store import Store, StoreError
from schemas.audit import AuditExport
from schemas.records import LATE_ENTRY_S
from tests.exports.scenarios import ADULT, CHILD, NEW_RULES
from tests.factory import codes, random_scenario, record, scenario
from tests.test_cli_exports import CODE_A, CODE_B, CODE_C

CLOCK = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
PROTOCOL = load_protocol()


def whole(store: Store, code_id: int) -> tuple[date, AuditExport, bool]:
    """The code's rows as every other reader reads the code: Session.read, folded once."""
    session = Session.read(store, CLOCK, code_id, PROTOCOL, fold_once=True)
    return session.started_at.date(), code_audit_rows(session), session.ended


def assert_same(path: Path, code_id: int, left_out: bool | None = True) -> None:
    """The read leaving events out gives the whole read's day, rows (models and JSON) and end; `left_out`: whether
    it must have left some out (None: either)."""
    store = Store(path)
    try:
        got = audit_read.derive(store, PROTOCOL, code_id)
        if left_out is not None:
            assert (got is not None) == left_out
        if got is not None:
            day, rows, ended, head = got
            assert head == store.head_hash(code_id)  # read in the same query as the code's start
            want_day, want, want_ended = whole(store, code_id)
            assert (day, ended) == (want_day, want_ended)
            assert rows == want
            assert rows.model_dump_json() == want.model_dump_json()
    finally:
        store.close()


def test_the_kinds_left_out_are_worked_out_from_the_engine():
    """A note is read by nothing; vitals only by their handler, which closes BP checks only an infusion opens."""
    assert audit_read.INERT == {"note": frozenset(), "vitals": BP_CHECK_OPENERS}
    assert audit_read.left_out_of(frozenset({"code_started", "note", "vitals"})) == {"note", "vitals"}
    assert audit_read.left_out_of(frozenset({"code_started", "note", "vitals", "infusion_started"})) == {"note"}
    assert audit_read.left_out_of(frozenset({"code_started", "note", "void"})) == frozenset()


def test_only_the_declared_kinds_open_a_blood_pressure_check():
    """INERT_WITHOUT's promise (state.py): no handler but those of BP_CHECK_OPENERS opens a BP check, and nothing
    but the state's own code touches the list (no rule, fold or handler elsewhere)."""
    assert set(INERT_WITHOUT) == {"vitals"}
    source = inspect.getsource(state_module)
    openers = {
        name
        for name, fn in vars(state_module).items()
        if callable(fn) and name != "_bp_check" and "_bp_check(" in _source(fn)
    }
    assert openers == {"_infusion_started", "_infusion_changed"}
    assert {kind for kind, fn in _HANDLERS.items() if fn.__name__ in openers} == BP_CHECK_OPENERS
    assert source.count("bp_checks.append(") == 1 and "bp_checks.append(" in _source(state_module._bp_check)
    import recorder.engine as engine_package

    for module in Path(engine_package.__file__).parent.glob("*.py"):
        if module.name != "state.py":
            assert "bp_checks" not in module.read_text(), module.name


def _source(fn: object) -> str:
    try:
        return inspect.getsource(fn)  # type: ignore[arg-type]
    except (TypeError, OSError):
        return ""


@given(codes(max_steps=40, record_keeping=False))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_without_an_opener_no_event_opens_a_blood_pressure_check(events):
    """The same promise, folded: in generated codes without an infusion, no event leaves a BP check open."""
    events = [e for e in events if e["kind"] not in BP_CHECK_OPENERS and e["kind"] != "infusion_stopped"]
    path_events = _stored(events)
    engine = Engine(PROTOCOL)
    for rec in path_events:
        engine.apply(rec)
        assert not engine.state.bp_checks


def _stored(events: list[dict]) -> list:
    """The events as records, in (t, seq) order (a timeline without record keeping)."""
    from schemas.events import parse_event
    from schemas.records import EventRecord

    at = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    out = []
    for seq, e in enumerate(events, start=1):
        event = parse_event({k: v for k, v in e.items() if k != "entered"})
        out.append(EventRecord(code_id=1, seq=seq, event=event, occurred_at=at, recorded_at=at))
    return sorted(out, key=lambda r: (r.t, r.seq))


def _typed(events: list[dict]) -> list[dict]:
    """Each entry typed 4 s after it happened, never before the one before it (back-dated ones are late)."""
    typed = 0.0
    for event in events[1:]:
        typed = event["entered"] = max(typed, event["t"] + (0 if event["kind"] in ("void", "amend") else 4))
    return events


# A drug through an IO line and notes around its flush deadline; vitals with and without an infusion.
FLUSHED: list[dict] = [
    {"t": 0, "kind": "code_started", "at": "2026-03-02T14:05:00+00:00", "arrest": True, "patient": {"age_years": 4}},
    {"t": 1, "kind": "note", "text": "first"},
    {"t": 5, "kind": "io_attempt", "line": "io1", "site": "proximal_tibia", "side": "left", "needle_mm": 15},
    {"t": 8, "kind": "io_result", "line": "io1", "result": "in"},
    {"t": 10, "kind": "vitals", "hr": 50},
    {"t": 20, "kind": "drug", "drug": "epinephrine", "dose": 0.16, "unit": "mg", "line": "io1"},
    {"t": 25, "kind": "note", "text": "between the drug and its flush deadline"},
    {"t": 40, "kind": "vitals", "sbp": 60, "map": 45},
    {"t": 44, "kind": "note", "text": "59.5 s late", "entered": 103.5},
    {"t": 45, "kind": "note", "text": "60.5 s late", "entered": 105.5},
    {"t": 30, "kind": "note", "text": "back-dated", "entered": 106},
    {"t": 200, "kind": "note", "text": "past the flush deadline and the next epinephrine's", "entered": 204},
]


@pytest.mark.parametrize(
    "events",
    [
        pytest.param(FLUSHED, id="open-trailing-note"),
        pytest.param([*FLUSHED, {"t": 400, "kind": "code_ended", "outcome": "rosc"}], id="ended"),
        pytest.param(FLUSHED[:2], id="a-note-only"),
        pytest.param(FLUSHED[:-1], id="open-no-trailing"),
        pytest.param(CHILD, id="child"),
        pytest.param(ADULT, id="adult"),
        pytest.param(NEW_RULES, id="new-rules"),
        pytest.param(CODE_A, id="a"),
        pytest.param(CODE_B, id="b"),
        pytest.param(CODE_C, id="c"),
        pytest.param(CODE_A[:-1], id="open"),
        pytest.param(_typed(random_scenario(400, seed=1, record_keeping=0.06)), id="random-record-keeping"),
        pytest.param(_typed(random_scenario(400, seed=3, record_keeping=0.0)), id="random"),
        pytest.param(_typed(scenario(300, at=datetime(2026, 3, 2, 14, 5, tzinfo=UTC))), id="scenario"),
    ],
)
def test_the_rows_of_a_recorded_code(tmp_path, events):
    path = tmp_path / "r.db"
    assert_same(path, record(path, events, "abcd000000000001"), left_out=None)


def test_a_trailing_note_fires_the_deadlines_it_passes(tmp_path):
    """The open code's last note is past the flush deadline: folding it fires DRUG_NOT_FLUSHED; leaving it out
    must too."""
    path = tmp_path / "r.db"
    code_id = record(path, FLUSHED, "abcd000000000002")
    assert_same(path, code_id)
    store = Store(path)
    try:
        _, rows, _, _ = audit_read.derive(store, PROTOCOL, code_id)  # type: ignore[misc]
    finally:
        store.close()
    assert "DRUG_NOT_FLUSHED" in {f.rule for f in rows.flags}
    assert rows.codes[0].late_entries == 2  # 60.5 s late and the back-dated one; not 59.5 s


@st.composite
def _with_notes_and_vitals(draw, record_keeping: bool) -> list[dict]:
    """A generated code with notes and vitals anywhere: first, last, between any two events, back-dated, typed
    just under and just over a minute late; each entry typed no earlier than the one before."""
    events = draw(codes(max_steps=30, record_keeping=record_keeping))
    ended = events[-1]["kind"] == "code_ended"
    body = events[1:-1] if ended else events[1:]
    for _ in range(draw(st.integers(0, 10))):
        at = draw(st.integers(0, len(body)))
        before = body[at - 1]["t"] if at else 0.0
        t = draw(st.sampled_from([before, before + 0.5, max(0.0, before - 40), before + 150, before + 1000]))
        if ended:
            t = min(t, events[-1]["t"])
        kind = draw(st.sampled_from(["note", "vitals", "vitals-bp"]))
        event = {"t": t, "kind": "note", "text": draw(st.sampled_from(["x", "<b>[red]</b>", "é\u2028"]))}
        if kind != "note":
            event = {"t": t, "kind": "vitals", **({"sbp": 80, "map": 55} if kind == "vitals-bp" else {"hr": 120})}
        body.insert(at, event)
    out = [events[0], *body, *(events[-1:] if ended else [])]
    typed = 0.0
    for event in out[1:]:
        late = draw(st.sampled_from([0.0, 4.0, 59.5, 60.5, 90.0]))
        typed = event["entered"] = max(typed, event["t"] + (0.0 if event["kind"] in ("void", "amend") else late))
    return out


def _recorded(path: Path, events: list[dict], audit_id: str) -> int:
    """The generated code stored; one the session refuses (an end before a back-dated entry) is rejected, not a
    code to compare."""
    try:
        return record(path, events, audit_id)
    except SessionError:
        assume(False)
        raise  # not reached: assume(False) rejects the example


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_with_notes_and_vitals(record_keeping=False))
def test_the_rows_of_generated_codes(tmp_path_factory, events):
    """Infusions or none, open or ended, notes and vitals anywhere: the rows of the whole read."""
    path = tmp_path_factory.mktemp("ar") / "r.db"
    code_id = _recorded(path, events, "abcd000000000003")
    has_inert = any(e["kind"] == "note" for e in events) or (
        any(e["kind"] == "vitals" for e in events) and not any(e["kind"] in BP_CHECK_OPENERS for e in events)
    )
    assert_same(path, code_id, left_out=has_inert)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_with_notes_and_vitals(record_keeping=True))
def test_the_rows_of_generated_codes_with_voids_amends_and_acknowledgements(tmp_path_factory, events):
    """A code with a void or an amend is read whole; acknowledgements alone are read as any other code."""
    path = tmp_path_factory.mktemp("ar") / "r.db"
    code_id = _recorded(path, events, "abcd000000000004")
    changed = any(e["kind"] in ("void", "amend") for e in events)
    assert_same(path, code_id, left_out=False if changed else None)


def _damage(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


# Event 9 of FLUSHED is a note entered 59.5 s late: read all the same (it may be late), so damage in it stops the
# audit as it stops the whole read. Event 2 is a note entered on time, neither late nor the latest: left out unread.
_DAMAGE = [
    "payload = '{\"text\": '",  # not JSON
    "payload = '{\"text\": 5}'",  # a value of another type: validated, refused
    'payload = \'{"text": "x", "colour": "red"}\'',  # a field the kind has not
    "payload = '[1]'",
]


@pytest.mark.parametrize(
    "change",
    [
        *_DAMAGE,
        "occurred_at = '2026-02-30T14:05:44.000000+00:00'",  # a day that does not exist
        "occurred_at = '2026-03-02T24:05:44.000000+00:00'",
        "occurred_at = 'yesterday'",
        "recorded_at = '2026-03-02T14:06:44.000000'",  # no offset: reads, but not as the store writes it
        "schema_version = '6'",
        "occurred_at = '2026-03-02T14:05:00.000000' WHERE seq = 1",  # event 1 without an offset
        # The trailing note's own time in another form: not the latest as text sorts, read all the same (its time
        # passes the flush deadline: left unread, the flag would be missing).
        "occurred_at = '2026-03-02T14:08:20+00:00' WHERE seq = 12",
        # The trailing note's time in the store's form, the latest as text sorts, but no day: the read of its time
        # (the only part of the latest that is read) fails, and the row is read as the whole read reads it.
        "occurred_at = '2026-03-32T14:08:20.000000+00:00' WHERE seq = 12",
        # Its length, T, point and offset, but slashes for the dashes: not in the store's form, read all the same.
        "occurred_at = '2026/03/02T14:05:44.000000+00:00'",
    ],
)
def test_a_damaged_row_that_is_read_stops_the_audit_as_the_whole_read(tmp_path, change):
    """A note read all the same (maybe late, the latest, a time not in the store's form; or every note, when the
    code is read whole): the audit's worker stops at it with the whole read's error, or reads it as it does."""
    path = tmp_path / "r.db"
    code_id = record(path, FLUSHED, "abcd000000000005")
    where = "" if " WHERE " in change else " WHERE seq = 9"
    _damage(path, f"UPDATE events SET {change}{where} AND code_id = {code_id}")
    left = _outcome(path, lambda s: _derive_one(s, CLOCK, PROTOCOL, code_id))
    want = _outcome(path, lambda s: whole(s, code_id))
    if isinstance(want, str):
        assert left == want
    else:
        assert (left[1], left[3], left[4]) == (want[0], want[1].model_dump_json(), want[2])


@pytest.mark.parametrize(
    ("change", "seq"),
    [
        *((damage, 2) for damage in _DAMAGE),
        ("occurred_at = '2026-02-30T14:05:44.000000+00:00'", 2),  # in the store's form, but no day: sorts, never read
        ("schema_version = '6'", 2),
        # The latest note: only its time is read (it passes the flush deadline), not its payload.
        *((damage, 12) for damage in _DAMAGE),
        ("schema_version = '6'", 12),
    ],
)
def test_a_damaged_row_left_out_unread_changes_no_row(tmp_path, change, seq):
    """A note left out is not read: damage in it (which stops the whole read: `recorder verify` finds it) leaves
    the audit's rows those of the undamaged code."""
    path = tmp_path / "r.db"
    code_id = record(path, FLUSHED, "abcd000000000005")
    undamaged = _outcome(path, lambda s: whole(s, code_id))
    _damage(path, f"UPDATE events SET {change} WHERE seq = {seq} AND code_id = {code_id}")
    left = _outcome(path, lambda s: _derive_one(s, CLOCK, PROTOCOL, code_id))
    assert not isinstance(undamaged, str) and not isinstance(left, str)
    assert (left[1], left[3], left[4]) == (undamaged[0], undamaged[1].model_dump_json(), undamaged[2])
    if change in _DAMAGE:
        assert isinstance(_outcome(path, lambda s: whole(s, code_id)), str)  # the whole read stops at it


def _outcome(path: Path, read):
    """What `read` of the store gives, or the StoreError's message."""
    store = Store(path)
    try:
        return read(store)
    except StoreError as exc:
        return str(exc)
    finally:
        store.close()


def test_the_audit_of_many_codes_is_the_same(tmp_path):
    """Through the audit's workers: every code's rows as the whole read gives them."""
    path = tmp_path / "r.db"
    start = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    ids = [record(path, _typed(scenario(120, seed=n, at=start)), f"abcd{n:012d}") for n in range(40)]
    store = Store(path)
    try:
        got = read_audit([store], CLOCK, PROTOCOL, rederive=True)
        want = combine([whole(store, i)[1] for i in ids])
    finally:
        store.close()
    assert got.model_dump_json() == want.model_dump_json()
    assert LATE_ENTRY_S == 60.0
