"""A code read whole (Session.read) in full pages from the first, with the start it has just read: the very records
`iter_events` gives a page of 16 first and the start read again, for codes shorter and longer than a page."""

from pathlib import Path

import pytest

from recorder.store import Store
from tests.factory import jsonl, make_database, random_scenario, scenario


@pytest.mark.parametrize(
    "events", [scenario(40, seed=1), scenario(700, seed=2), random_scenario(530, seed=7, record_keeping=0.05)]
)
def test_a_code_read_in_full_pages_from_its_known_start_is_the_same_records(events: list, tmp_path: Path) -> None:
    db = tmp_path / "recorder.db"
    make_database(db, jsonl(events))
    store = Store(db, readonly=True)
    try:
        plain = list(store.iter_events(1))
        started = store.started(1)
        queries: list[str] = []
        store.conn.set_trace_callback(queries.append)
        queries.clear()
        whole = list(store.iter_events(1, started=started, full_first_page=True))
        assert whole == plain and len(whole) == len(events)
        assert [r.model_dump() for r in whole] == [r.model_dump() for r in plain]
        # No query for the start, and a page a query from the first.
        assert len(queries) == len(events) // store.PAGE + 1
        assert not any("seq = 1" in q for q in queries)
        assert list(store.iter_events(1, from_seq=17, started=started, full_first_page=True)) == plain[16:]
    finally:
        store.close()
