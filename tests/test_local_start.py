"""Every code is stamped in local time with its offset, however it was started: a Paris team's summary,
audit and list show the hour and date their screen showed, wherever and whenever they are read."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from recorder.cli import cli
from recorder.core.audit_rows import derive
from recorder.core.clock import FakeClock
from recorder.core.code_record import build_code_record
from recorder.core.scenario import parse_lines
from recorder.core.session import Session, replay
from recorder.tui.app import build_app
from tests.tui.helpers import CHILD, keys

# 23:30 UTC is already the next day in Paris: an hour and a date to get wrong.
NIGHT = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)


@pytest.fixture
def paris(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture
def night() -> FakeClock:
    return FakeClock(NIGHT)


def read_elsewhere(monkeypatch) -> None:
    """The summary or audit is made later on a machine in another zone (a server in UTC)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def check_paris_code(store, clock, code_id, monkeypatch, db_path) -> None:
    started = Session.read(store, clock, code_id).records[0].event.at
    assert started == NIGHT and started.utcoffset() == timedelta(hours=1)
    read_elsewhere(monkeypatch)
    session = Session.read(store, clock, code_id)
    assert build_code_record(session).start.isoformat() == "2026-03-03T00:30:00+01:00"
    assert derive(session)[0] == date(2026, 3, 3)  # the audit's local start date (--since/--until)
    summary = CliRunner().invoke(cli, ["--db", str(db_path), "summary", str(code_id), "--format", "md"])
    assert summary.exit_code == 0, summary.output
    assert "2026-03-03 00:30:00 +01:00" in summary.output
    listed = CliRunner().invoke(cli, ["--db", str(db_path), "list", "--json"])
    assert '"start": "2026-03-03T00:30:00+01:00"' in listed.output


async def test_a_code_started_from_the_screen_is_stamped_in_local_time(store, night, paris, monkeypatch, db_path):
    app = build_app(store, night)
    async with app.run_test(size=(120, 40)) as pilot:
        banner = str(app.screen.query_one("#banner").render())
        assert "00:30:00" in banner  # what the team sees on the screen: Paris time
        night.advance(4)  # the scribe answers "in arrest?"
        await keys(pilot, "enter")
        code_id = app.screen.session.code_id
    check_paris_code(store, night, code_id, monkeypatch, db_path)


def test_a_code_started_by_recorder_new_is_stamped_in_local_time(store, night, paris, monkeypatch, db_path):
    app = build_app(store, night, mode="new", new_fields=CHILD)
    check_paris_code(store, night, app.session.code_id, monkeypatch, db_path)


def test_a_replay_without_at_is_stamped_in_local_time(store, night, paris, monkeypatch, db_path):
    lines = parse_lines('{"t": 0, "kind": "code_started", "arrest": true}\n{"t": 5, "kind": "note", "text": "x"}', "f")
    session = replay(store, night, lines)
    check_paris_code(store, night, session.code_id, monkeypatch, db_path)


def test_a_pinned_start_keeps_its_own_offset(store, night, paris):
    session = Session.start(store, night, arrest=True, at="2026-05-10T23:30:00-05:00")
    assert session.records[0].event.at.isoformat() == "2026-05-10T23:30:00-05:00"
