"""Stored events rebuilt without validation (recorder/store/trusted.py) are the very events validation gives."""

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from recorder.store import Store, StoreError, trusted
from recorder.store.database import EXACT_SECONDS
from schemas.events import KIND_MODEL
from tests.factory import jsonl, make_database, random_scenario, scenario

DATA = Path(__file__).parents[1] / "data"
CASES = Path(__file__).parents[1] / "engine" / "rule_cases"
SCENARIOS = sorted([*DATA.glob("scenarios_v*/*.jsonl"), *CASES.glob("*/*.jsonl")])


def _rows(store: Store, code_id: int) -> list[tuple]:
    return store.conn.execute(store._SELECT_EVENTS + "ORDER BY e.seq", [code_id]).fetchall()


def _same(store: Store, code_id: int) -> set[str]:
    """Every stored event of the code, rebuilt and validated: equal in every respect; the kinds rebuilt."""
    start = store._start(code_id)
    rebuilt = set()
    rows = _rows(store, code_id)
    # The page's way (trusted.stored_page, by shape), the row's (trusted.event) and full validation.
    for row, fast in zip(rows, store._records(code_id, start, rows), strict=True):
        full = store._record(code_id, start, row, trust=False)
        assert fast == full == store._record(code_id, start, row)
        assert fast.event == full.event and type(fast.event) is type(full.event)
        # What equality does not look at: the fields given, their order and types, the dumps every export reads.
        assert fast.event.model_fields_set == full.event.model_fields_set
        assert fast.model_fields_set == full.model_fields_set
        assert [(k, type(v)) for k, v in fast.event.__dict__.items()] == [
            (k, type(v)) for k, v in full.event.__dict__.items()
        ]
        assert list(fast.__dict__) == list(full.__dict__)
        assert fast.model_dump_json() == full.model_dump_json()
        assert fast.event.model_dump(exclude_unset=True) == full.event.model_dump(exclude_unset=True)
        assert repr(fast) == repr(full)
        rebuilt.add(fast.kind)
    return rebuilt


@pytest.mark.slow
def test_every_scenario_reads_back_as_validated(tmp_path: Path) -> None:
    assert SCENARIOS, "tests/data scenarios are missing"
    kinds: set[str] = set()
    for i, path in enumerate(SCENARIOS):
        db = tmp_path / f"{i}.db"
        make_database(db, path.read_text(encoding="utf-8"))
        store = Store(db)
        try:
            kinds |= _same(store, 1)
        finally:
            store.close()
    for i, events in enumerate([random_scenario(600, seed=3, record_keeping=0.06), scenario(400, seed=2)]):
        db = tmp_path / f"long{i}.db"
        make_database(db, jsonl(events))
        store = Store(db)
        try:
            kinds |= _same(store, 1)
        finally:
            store.close()
    # Every kind but those whose fields are models or datetimes is rebuilt, and the scenarios hold each one.
    assert set(trusted.KINDS) == set(KIND_MODEL) - {"code_started", "patient_updated"}
    assert set(trusted.KINDS) - kinds == set(), f"no scenario stores {set(trusted.KINDS) - kinds}"


@pytest.mark.parametrize(
    "change",
    [
        {"hr": "120"},  # a field of another JSON type
        {"hr": True},  # a bool is not a number
        {"pulse": 3},  # a field the kind does not have
        {"hr": 900.0},  # out of range: the shape is right, so it is rebuilt; verify validates it in full
    ],
)
def test_a_changed_payload_is_validated_or_caught_by_verify(tmp_path: Path, change: dict) -> None:
    """Rewritten with its hash chain made good again (as someone who knows the scheme would): a reader
    refuses a payload of the wrong shape as ever, and `verify`, which validates every payload, names it."""
    from recorder.store.chain import canonical
    from tests.reliability.test_tamper import _rechain

    db = tmp_path / "c.db"
    make_database(db, jsonl(random_scenario(40, seed=1)))
    conn = sqlite3.connect(db)
    seq = conn.execute("SELECT seq FROM events WHERE kind = 'vitals' ORDER BY seq LIMIT 1").fetchone()[0]
    conn.close()

    def changed(row: dict) -> None:
        row["payload"] = canonical({**json.loads(row["payload"]), **change})

    _rechain(db, 1, seq, changed)
    store = Store(db, readonly=True)
    try:
        start = store._start(1)
        row = next(r for r in _rows(store, 1) if r[0] == seq)
        if change != {"hr": 900.0}:
            with pytest.raises(StoreError, match=f"event {seq} cannot be read"):
                store._record(1, start, row)
            with pytest.raises(StoreError, match=f"event {seq} cannot be read"):
                store._records(1, start, [row])
        else:
            assert store._record(1, start, row).event.hr == 900.0  # type: ignore[attr-defined]
            assert store._records(1, start, [row])[0].event.hr == 900.0  # type: ignore[attr-defined]
        with pytest.raises(StoreError):
            store._record(1, start, row, trust=False)
        assert [str(p) for p in store.verify()] == [f"code 1: event {seq} cannot be read (it was changed or damaged)"]
    finally:
        store.close()


def test_past_the_bound_of_shapes_each_is_worked_out_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store of more shapes than trusted keeps (hand-made payloads) reads back the same, one shape at a time."""
    monkeypatch.setattr(trusted, "_SHAPES", {})
    monkeypatch.setattr(trusted, "_SHAPES_MAX", 0)
    db = tmp_path / "s.db"
    make_database(db, jsonl(random_scenario(300, seed=5, record_keeping=0.06)))
    store = Store(db)
    try:
        assert _same(store, 1)
    finally:
        store.close()
    assert trusted._SHAPES == {}


def test_the_fields_given_shared_by_a_shape_never_change(tmp_path: Path) -> None:
    """Events of one shape share their set of fields given (and records theirs): safe only because nothing can
    change it: the models are frozen, and a model_copy copies the set before adding to it."""
    db = tmp_path / "g.db"
    make_database(db, jsonl(scenario(60, seed=1)))
    store = Store(db, readonly=True)
    try:
        notes = [r for r in store.iter_events(1) if r.kind == "note"]
    finally:
        store.close()
    a, b = notes[0], notes[1]
    assert a.event.model_fields_set is b.event.model_fields_set
    before, record_before = set(b.event.model_fields_set), set(b.model_fields_set)
    copied = a.event.model_copy(update={"t": 1.5})
    copied_record = a.model_copy(update={"amended_by": (9,)})
    with pytest.raises(ValidationError):
        a.event.t = 2.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        a.seq = 3  # type: ignore[misc]
    assert "amended_by" in copied_record.model_fields_set and copied.t == 1.5
    assert b.event.model_fields_set == before and b.model_fields_set == record_before
    assert all(trusted.KINDS[k].cls.model_config.get("frozen") for k in trusted.KINDS)
    assert type(a).model_config.get("frozen")  # the records share one set too (trusted.record)


@given(st.integers(min_value=-(2**32) * 10**6 + 1, max_value=2**32 * 10**6 - 1))
def test_a_stored_time_s_offset_needs_no_rounding(microseconds: int) -> None:
    """Below EXACT_SECONDS, the seconds between two stored times (whole microseconds) are what round(…, 6)
    gives: the reading skips the round (a decimal conversion) there."""
    start = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    try:
        later = start + timedelta(microseconds=microseconds)
    except OverflowError:
        return
    seconds = (later - start).total_seconds()
    assert -EXACT_SECONDS < seconds < EXACT_SECONDS
    assert seconds == round(seconds, 6)
    assert str(seconds) == str(round(seconds, 6))


def test_the_offsets_near_the_bound_need_no_rounding() -> None:
    """The largest offsets below the bound, where a double's spacing is coarsest, as well as random ones."""
    bound = int(EXACT_SECONDS) * 10**6
    for n in [*range(bound - 2000, bound), *range(-bound + 1, -bound + 2000), *range(0, 2000)]:
        seconds = timedelta(microseconds=n).total_seconds()
        assert seconds == round(seconds, 6), n


@pytest.mark.parametrize(
    "change",
    [
        {2: '{"text":"a","t":5}'},  # a payload holding its own t: validated, as ever
        {2: '{"text":"a","kind":"vitals"}'},  # … or its own kind
        {2: '["text"]'},  # not an object
        {2: '{"text":'},  # not JSON
        {2: ' {"text":"a"} '},  # not the store's canonical JSON
        {3: "not a time"},
        {4: "2026-13-02T14:00:00.000000+00:00"},
        {3: "2300-01-01T00:00:00.000000+00:00"},  # past EXACT_SECONDS from the start: rounded as it always was
        {5: "1"},  # a schema version of another type than the store writes
        {6: 5},  # … an entered time
        {1: "no_such_kind"},
    ],
)
def test_a_page_s_rows_read_as_one_row_at_a_time(tmp_path: Path, change: dict[int, object]) -> None:
    """_records (a page, the fast way) gives what _record gives for any row, or the same StoreError."""
    db = tmp_path / "p.db"
    make_database(db, jsonl(scenario(30, seed=1)))
    store = Store(db, readonly=True)
    try:
        start = store._start(1)
        row = list(next(r for r in _rows(store, 1) if r[1] == "note"))
        for i, value in change.items():
            row[i] = value
        try:
            one = store._record(1, start, tuple(row))
        except StoreError as exc:
            with pytest.raises(StoreError, match=re.escape(str(exc))):
                store._records(1, start, [tuple(row)])
        else:
            (fast,) = store._records(1, start, [tuple(row)])
            assert fast == one and fast.model_fields_set == one.model_fields_set
            assert fast.event.model_fields_set == one.event.model_fields_set
    finally:
        store.close()


@pytest.mark.parametrize("marked", [True, False], ids=["clock-mark", "no-clock-mark"])
def test_a_recorded_time_without_its_offset_is_a_row_that_cannot_be_read(tmp_path: Path, marked: bool) -> None:
    """recorded_at rewritten without the offset its occurred_at keeps: how late the entry was cannot be worked out
    (the one cannot be taken from the other), so the row is refused as damaged by the page's way, the row's and
    validation's alike, and a command says so in one line. Without a clock mark it was an `unexpected error` from
    deep in an export (the lateness subtracted one from the other); with one it read, and an export that
    compared the two times would have met it."""
    from click.testing import CliRunner

    from recorder.cli import cli

    db = tmp_path / "c.db"
    make_database(db, jsonl(random_scenario(40, seed=1)))
    conn = sqlite3.connect(db)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    seq = conn.execute("SELECT max(seq) FROM events WHERE code_id = 1 AND recorded_at <> occurred_at").fetchone()[0]
    conn.execute("UPDATE events SET recorded_at = substr(recorded_at, 1, 26) WHERE code_id = 1 AND seq = ?", [seq])
    if not marked:
        conn.execute("DELETE FROM event_clock WHERE code_id = 1 AND seq = ?", [seq])
    assert conn.execute("SELECT count(*) FROM event_clock WHERE code_id = 1 AND seq = ?", [seq]).fetchone()[0] == (
        1 if marked else 0
    )
    conn.commit()
    conn.close()
    store = Store(db, readonly=True)
    try:
        start = store._start(1)
        row = next(r for r in _rows(store, 1) if r[0] == seq)
        assert "+" not in row[4]  # the time as written, without its offset
        for read in (
            lambda: store._records(1, start, [row]),
            lambda: store._record(1, start, row),
            lambda: store._record(1, start, row, trust=False),
            lambda: store.events(1),
        ):
            with pytest.raises(StoreError, match=f"code 1 event {seq} cannot be read"):
                read()
    finally:
        store.close()
    for args in (["audit", "--rederive", "-o", str(tmp_path / "out")], ["summary", "1"]):
        done = CliRunner().invoke(cli, ["--db", str(db), *args])
        assert done.exit_code != 0, args
        assert f"code 1 event {seq} cannot be read" in done.output, done.output
        assert "unexpected" not in done.output and "Traceback" not in done.output
