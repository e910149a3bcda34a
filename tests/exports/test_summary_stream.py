"""The summary of a long code is read back from the store and written as it is made: the same bytes as
a summary of the code held whole, and a write that fails part way leaves the old file whole."""

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pytest

from exports.derive import summarise
from exports.formats import SUMMARY_FORMATS
from recorder.core.clock import FakeClock
from recorder.core.code_record import build_code_record
from recorder.core.private import write_private
from recorder.core.record_log import RecordLog
from recorder.core.session import Session
from recorder.store import Store
from schemas.events import event_payload, parse_event
from tests.factory import iter_scenario

START = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
EVENTS = 1_300  # back-dated entries, voids, amends and acknowledgements among them (iter_scenario)


@pytest.fixture(scope="module")
def long_code(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(tmp_path_factory.mktemp("long") / "recorder.db")
    store.conn.execute("PRAGMA synchronous=OFF")  # setup only
    code_id, _ = store.create_code(START)
    for seq, data in enumerate(iter_scenario(EVENTS, at=START), start=1):
        event = parse_event(data)
        at = START + timedelta(seconds=event.t)
        # Some entered late, on the wall clock (the summary lists them).
        recorded = at + timedelta(seconds=90 if seq % 97 == 0 else 0)
        store.append(code_id, seq, event.kind, event_payload(event), at, recorded)
    yield store
    store.close()


def test_a_code_read_back_a_page_at_a_time_summarises_as_the_code_held_whole(long_code: Store) -> None:
    """With 64 records held (RecordLog.KEEP) and the engine folded once at the end, every section that lists
    events reads them back from the store on its own pass: md, html and json come out byte for byte as from
    a session that held every record and folded event by event; json is Summary.model_dump_json's bytes."""
    whole = build_code_record(Session.read(long_code, FakeClock(START), 1, whole=True))
    with patch.object(RecordLog, "KEEP", 64):
        session = Session.read(long_code, FakeClock(START), 1, fold_once=True)
        assert len(session.records._recent) == 64  # the rest is in the store
        paged = build_code_record(session)
        for fmt in ("md", "html", "json"):
            streamed = b"".join(SUMMARY_FORMATS[fmt].chunks(paged))
            assert streamed == SUMMARY_FORMATS[fmt].render(whole), fmt
    summary = summarise(whole)
    assert streamed == (summary.model_dump_json(indent=2) + "\n").encode()
    assert summary.late_entries and summary.record_keeping and len(summary.timeline) > 1_000
    assert session.flags() == Session.read(long_code, FakeClock(START), 1).flags()


def test_a_summary_that_fails_part_way_leaves_the_old_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "summary.md"
    out.write_bytes(b"the summary written before\n")

    def pieces() -> Iterator[bytes]:
        yield b"# Resuscitation record\n" * 10_000  # already on disk, in the temporary file
        raise RuntimeError("the renderer failed")

    with pytest.raises(RuntimeError):
        write_private(out, pieces())
    assert out.read_bytes() == b"the summary written before\n"
    assert os.listdir(tmp_path) == ["summary.md"]  # no temporary file left behind
    write_private(out, iter([b"one ", b"two\n"]))
    assert out.read_bytes() == b"one two\n" and out.stat().st_mode & 0o777 == 0o600
