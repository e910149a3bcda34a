"""`recorder void` and `recorder amend`: correcting a code's record from the command line, after the end."""

import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import recorder.engine
from recorder.cli import cli
from recorder.core.clock import FakeClock, SystemClock
from recorder.core.session import Session
from recorder.store import Store
from tests.tui.helpers import CHILD


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def ended(db_path) -> None:
    """A finished code 1 on the test database, begun an hour ago: an IO, adrenaline, a flush, a stray note,
    a rhythm; then ROSC. (The command reads the machine's clock: an hour after the start is now.)"""
    clock = FakeClock(SystemClock().wall() - timedelta(hours=1))
    store = Store(db_path)
    session = Session.start(store, clock, **CHILD)
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}, t=30)  # 2
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=40)  # 3
    session.log({"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1"}, t=60)  # 4
    session.log({"kind": "flush", "line": "io1", "volume_ml": 5}, t=65)  # 5
    session.log({"kind": "note", "text": "another child's note"}, t=70)  # 6
    session.log({"kind": "rhythm", "rhythm": "asystole"}, t=80)  # 7
    session.end("rosc", t=120)  # 8
    store.close()


def test_void_records_the_correction_with_its_reason(ended, db_path):
    result = run("void", "1", "6", "--reason", "entered on the wrong chart")
    assert result.exit_code == 0, result.output + result.stderr
    assert result.output.startswith("code 1: #9 voids #6 (T+01:10 Note: another child's note)")
    assert "entered on the wrong chart" in result.output
    event = Store(db_path, readonly=True).events(1)[-1]
    assert (event.seq, event.kind, event.event.target, event.event.reason) == (
        9,
        "void",
        6,
        "entered on the wrong chart",
    )
    reopened = run("void", "1", "8", "--reason", "ROSC was not sustained; the code went on")
    assert reopened.exit_code == 0 and "open again: `recorder resume 1`" in reopened.output
    assert run("list", "--json").output.count('"status": "open"') == 1
    again = run("void", "1", "6", "--reason", "twice")
    assert again.exit_code == 2 and again.stderr == "recorder: target: event 6 is already voided\n"
    assert run("verify").exit_code == 0
    summary = run("summary", "last", "--format", "md").output
    assert "| void | #6 Note: another child's note | voided | entered on the wrong chart |" in summary
    assert "| #6 | Note" not in summary  # gone from the timeline of the final record


@pytest.fixture
def local_noon(monkeypatch):
    """The local time zone set so that it is about noon now: a time said as 0:55 is then never also a clock time
    within a code begun an hour ago, whenever the suite runs (at 01:30 UTC it was, and was rightly refused)."""
    hours_ahead_of_utc = (12 - SystemClock().wall().hour) % 24
    monkeypatch.setenv("TZ", f"REC{-hours_ahead_of_utc if hours_ahead_of_utc <= 12 else 24 - hours_ahead_of_utc}")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_amend_types_the_values_and_takes_times_as_people_say_them(local_noon, ended, db_path, tmp_path, monkeypatch):
    # --db and --protocol are honoured like every other command (RECORDER_DB names another file here).
    other = tmp_path / "elsewhere.db"
    monkeypatch.setenv("RECORDER_DB", str(other))
    protocol = Path(recorder.engine.__file__).parent / "protocol.toml"
    correction = ["amend", "1", "4", "dose=0.1", "t=0:55", "--reason", "the syringe said 0.1 mg, given at 0:55"]
    result = CliRunner().invoke(cli, ["--db", str(db_path), "--protocol", str(protocol), *correction])
    assert result.exit_code == 0, result.output + result.stderr
    assert "code 1: #9 amends #4" in result.output and "dose 0.12 → 0.1" in result.output
    assert "T+00:55 Epinephrine 0.1 mg via io1" in result.output
    event = Store(db_path, readonly=True).events(1)[-1]
    assert event.event.changes == {"dose": 0.1, "t": 55.0}
    monkeypatch.setenv("RECORDER_DB", str(db_path))
    assert run("amend", "1", "7", "rhythm=pea", "t=75", "--reason", "it was PEA").exit_code == 0
    assert Store(db_path, readonly=True).events(1)[-1].event.changes == {"rhythm": "pea", "t": 75.0}
    assert run("amend", "last", "5", "easy=no", "--reason", "pushed hard").exit_code == 0
    assert Store(db_path, readonly=True).events(1)[-1].event.changes == {"easy": False}
    assert run("verify").exit_code == 0
    summary = run("summary", "1", "--format", "md").output
    assert "| Epinephrine | 0.1 mg |" in summary and "| T+00:55 (" in summary
    assert "| amend | #4 Epinephrine 0.12 mg via io1 | dose: 0.12 → 0.1; t:" in summary
    assert not other.exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["void", "9", "6", "--reason", "x"], "there is no code '9'"),
        (["void", "1", "42", "--reason", "x"], "code 1 has no event 42"),
        (["void", "1", "six", "--reason", "x"], "SEQ six"),
        (["void", "1", "6"], "--reason"),
        (["void", "1", "6", "--reason", "  "], "--reason"),
        (["void", "1", "1", "--reason", "x"], "the start of the code cannot be voided"),
        (["amend", "1", "6", "dose=3", "--reason", "x"], "kind note, which has no field dose"),
        (["amend", "1", "4", "dose=lots", "--reason", "x"], "dose"),
        (["amend", "1", "4", "dose=-1", "--reason", "x"], "dose"),
        (["amend", "1", "4", "dose", "--reason", "x"], "field=value"),
        (["amend", "1", "4", "--reason", "x"], "field=value"),
        (["amend", "1", "4", "dose=0.1"], "--reason"),
        (["amend", "1", "4", "line=io2", "--reason", "x"], "line cannot be amended"),
        # T+: between about 8 and 10 o'clock a bare 9:00 could be the clock time too, and is refused as ambiguous
        (["amend", "1", "4", "t=T+9:00", "--reason", "x"], "after the end of the code"),
        (["amend", "1", "4", "t=soon", "--reason", "x"], "t=soon"),
        (["amend", "1", "4", "t=900:00", "--reason", "x"], "in the future"),
    ],
)
def test_a_refused_correction_is_one_line_and_records_nothing(ended, db_path, args, says):
    before = Store(db_path, readonly=True).events(1)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("recorder: "), result.stderr
    assert says in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert Store(db_path, readonly=True).events(1) == before


def test_void_and_amend_are_in_the_help():
    listing = run("--help").output
    assert "void" in listing and "amend" in listing
    assert "--reason" in run("void", "--help").output and "field=value" in run("amend", "--help").output.lower()


def test_a_code_open_in_another_recorder_is_not_corrected(ended, db_path):
    """A second process holds the code (as a running screen would): the correction is refused, not interleaved."""
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from recorder.store import Store; s = Store(sys.argv[1]); s.lock_code(1); "
            "print('held', flush=True); sys.stdin.read()",
            str(db_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        before = Store(db_path, readonly=True).events(1)
        result = run("void", "1", "6", "--reason", "wrong chart")
        assert result.exit_code == 2 and "open in another recorder" in result.stderr
        assert result.stderr.count("\n") == 1
        assert Store(db_path, readonly=True).events(1) == before
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
