"""The `recorder` command as a user runs it: replay, events, list, verify, errors, options."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from recorder.cli import cli, default_db
from recorder.store import Store
from tests.conftest import SCENARIOS_V1

SCENARIOS = sorted(SCENARIOS_V1.glob("*.jsonl"))
GOOD = """\
# a small code
{"t": 0, "kind": "code_started", "at": "2026-03-02T14:05:00+00:00", "arrest": true, "patient": {"age_years": 2}}
{"t": 20, "kind": "rhythm", "rhythm": "asystole"}

{"t": 35, "kind": "io_attempt", "line": "io1", "site": "proximal_tibia", "side": "left", "device": "ez_io"}
{"t": 50, "kind": "io_result", "line": "io1", "result": "failed", "reason": "through and through"}
"""


def run(*args: str, db: Path | None = None):
    argv = (["--db", str(db)] if db else []) + list(args)
    return CliRunner().invoke(cli, argv)


def write(tmp_path: Path, text: str, name: str = "s.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_replay_echo_prints_each_committed_seq(tmp_path, db_path):
    result = run("replay", "--echo", str(write(tmp_path, GOOD)))
    assert result.exit_code == 0, result.output
    assert result.output.split("\n")[:4] == ["seq 1", "seq 2", "seq 3", "seq 4"]
    assert len(Store(db_path).events(1)) == 4


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ('{"t": 60, "kind": "flush", "line": "io1", "volume_ml": 0}', "volume_ml: Input should be greater than 0"),
        ('{"t": 60, "kind": "flush", "line": "io9", "volume_ml": 3}', "line: io9 was never started"),
        ('{"t": 60, "kind": "flush", "line": "io1", "volume_ml": 3', "not valid JSON"),
        ('{"t": 60, "kind": "flush", "line": "io1", "volume_ml": NaN}', "not valid JSON"),
        ('{"t": 60, "kind": "teleport"}', "kind: unknown kind 'teleport'"),
        ("[1, 2]", "an event is a JSON object"),
    ],
)
def test_bad_line_names_file_and_line_and_stores_nothing(tmp_path, db_path, bad_line, reason):
    path = write(tmp_path, GOOD + bad_line + "\n")
    Store(db_path).close()
    before = db_path.read_bytes()
    result = run("replay", str(path))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"recorder: {path}:7: {reason}" or result.stderr.startswith(
        f"recorder: {path}:7: {reason}"
    ), result.stderr
    assert "Traceback" not in result.output
    assert Store(db_path).codes() == []
    assert db_path.read_bytes() == before


def test_missing_file_and_not_utf8(tmp_path):
    result = run("replay", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 2 and "cannot read the file" in result.stderr
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"t": 0, "kind": "note", "text": "caf\xe9"}\n')
    result = run("replay", str(path))
    assert result.exit_code == 2 and "latin1.jsonl:1: not UTF-8" in result.stderr


def test_first_line_must_start_the_code(tmp_path):
    result = run("replay", str(write(tmp_path, '{"t": 0, "kind": "rhythm", "rhythm": "vf"}\n')))
    assert result.exit_code == 2
    assert "s.jsonl:1: kind: a code begins with code_started" in result.stderr


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_events_then_replay_round_trips(tmp_path, scenario):
    first_db, second_db = tmp_path / "a.db", tmp_path / "b.db"
    assert run("replay", str(scenario), db=first_db).exit_code == 0
    dumped = run("events", "last", db=first_db)
    assert dumped.exit_code == 0
    path = write(tmp_path, dumped.output, "dump.jsonl")
    assert run("replay", str(path), db=second_db).exit_code == 0
    again = run("events", "1", db=second_db)
    assert again.output == dumped.output
    a, b = Store(first_db).events(1), Store(second_db).events(1)
    assert [(r.seq, r.event, r.occurred_at) for r in a] == [(r.seq, r.event, r.occurred_at) for r in b]


def test_until_stops_before_later_events(tmp_path, db_path):
    result = run("replay", "--until", "35", str(write(tmp_path, GOOD)))
    assert result.exit_code == 0
    assert [r.kind for r in Store(db_path).events(1)] == ["code_started", "rhythm", "io_attempt"]


def test_list(tmp_path):
    db = tmp_path / "l.db"
    for scenario in SCENARIOS[:2]:
        run("replay", str(scenario), db=db)
    result = run("list", "--json", db=db)
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["code"] for r in rows] == [1, 2]
    assert rows[0]["duration_s"] == 420 and rows[0]["status"] == "ended (rosc)" and rows[0]["age_band"] == "1-4y"
    table = run("list", db=db).output
    assert "7:00" in table and "ended (rosc)" in table


def test_unknown_code_is_one_line(tmp_path):
    Store(tmp_path / "e.db").close()  # an empty database (a missing one is refused: tests/test_cli_files.py)
    result = run("events", "42", db=tmp_path / "e.db")
    assert result.exit_code == 2
    # Each "no code" names the database it searched: a wrong --db or RECORDER_DB shows at once.
    assert result.stderr == f"recorder: there is no code '42' in {tmp_path / 'e.db'}; `recorder list` shows the codes\n"
    assert f"no codes in {tmp_path / 'e.db'} yet" in run("events", "last", db=tmp_path / "e.db").stderr


def test_newer_database_is_one_line(tmp_path):
    import sqlite3

    db = tmp_path / "new.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    result = run("list", db=db)
    assert result.exit_code == 2
    assert "newer recorder" in result.stderr and "Traceback" not in result.output


def test_db_option_and_environment(tmp_path, monkeypatch, db_path):
    assert os.environ["RECORDER_DB"] == str(db_path)
    run("replay", str(write(tmp_path, GOOD)))
    assert len(Store(db_path).codes()) == 1
    other = tmp_path / "other.db"
    run("replay", str(write(tmp_path, GOOD)), db=other)
    assert len(Store(other).codes()) == 1
    monkeypatch.delenv("RECORDER_DB")
    assert default_db().name == "recorder.db"


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and "recorder, version" in result.output


def test_every_command_has_help_and_is_in_the_readme():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name, command in cli.every_command().items():
        assert command.help and len(command.help.strip()) > 20, name
        if command.hidden:  # run by another command (serve-seat: a tab of `recorder serve`), never by a person
            continue
        assert f"recorder {name}" in readme, f"`recorder {name}` is not documented in the README"
        assert run(name, "--help").exit_code == 0


def test_bare_recorder_opens_the_screen(monkeypatch, db_path):
    """`recorder` opens the screen on the default database; the other commands never load textual."""
    opened = []
    from recorder.tui import app as tui_app

    monkeypatch.setattr(tui_app.RecorderApp, "run", lambda self: opened.append(self))
    result = run()
    assert result.exit_code == 0, result.output
    (app,) = opened
    assert app.store.path == db_path and app.session is None  # a new code starts at the first key
    result = run("new", "--age-years", "2", "--weight-kg", "12", "--weight-source", "length_tape")
    assert result.exit_code == 0, result.output
    started = opened[-1].session.records[0].event
    assert (started.arrest, started.patient.weight_kg, started.patient.weight_source) == (True, 12, "length_tape")
    opened[-1].store.close()
    result = run("resume")
    assert result.exit_code == 0, result.output
    assert opened[-1].session.code_id == 1
    assert run("resume", "7").stderr.startswith("recorder: there is no code '7'")


def test_console_script_without_traceback(tmp_path):
    """The installed `recorder` command, as a user runs it."""
    env = {**os.environ, "RECORDER_DB": str(tmp_path / "cs.db")}
    bin_dir = Path(sys.executable).parent
    proc = subprocess.run(
        [str(bin_dir / "recorder"), "replay", str(tmp_path / "missing.jsonl")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_hospital_protocol_changes_the_flags_and_a_broken_one_is_refused(tmp_path):
    from recorder.engine.protocol import load_protocol  # noqa: F401 - the shipped file is the template

    shipped = (Path(__file__).resolve().parents[1] / "recorder" / "engine" / "protocol.toml").read_text()
    scenario = SCENARIOS_V1 / "e03_flush_errors.jsonl"
    default = run("replay", "--json", str(scenario), db=tmp_path / "a.db")
    assert sum('"DRUG_NOT_FLUSHED"' in line for line in default.output.splitlines()) == 2
    lenient = tmp_path / "lenient.toml"
    lenient.write_text(shipped.replace("window_s = 30 ", "window_s = 90 ", 1))
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "b.db"), "--protocol", str(lenient), "replay", "--json", str(scenario)]
    )
    assert result.exit_code == 0, result.output
    assert sum('"DRUG_NOT_FLUSHED"' in line for line in result.output.splitlines()) == 1
    broken = tmp_path / "broken.toml"
    broken.write_text(shipped.replace("window_s = 30 ", "window_s = -30 ", 1))
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "c.db"), "--protocol", str(broken), "replay", str(scenario)]
    )
    assert result.exit_code == 2
    assert "flush.window_s" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "c.db").exists() or Store(tmp_path / "c.db").codes() == []
