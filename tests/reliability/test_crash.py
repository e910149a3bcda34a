"""kill -9 at random moments during `recorder replay --echo`: nothing echoed is lost, the code goes on.

The quick version of reliability/crash.py (which runs ≥ 500 kills and prints the figures).
"""

import json
import os
import random

import pytest
from click.testing import CliRunner

from recorder.cli import cli
from recorder.core.clock import SystemClock
from recorder.core.session import Session, SessionError
from recorder.store import Store
from reliability.crash import run_trials
from tests.factory import jsonl, random_scenario

KILLS = 20
# RELIABILITY_CRASH_SEED=N replays a run's kill plan (timing still varies from run to run).
SEED = int(os.environ.get("RELIABILITY_CRASH_SEED", random.randrange(2**32)))


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_nothing_and_the_code_can_be_finished():
    jobs = max(2, min(4, os.cpu_count() or 2))
    figures = run_trials(kills=KILLS, n_events=100, seed=SEED, jobs=jobs, full_cli=False)
    assert figures["trials_failed"] == 0, f"seed {SEED}: " + json.dumps(figures["failures"], indent=1)
    assert figures["kills_attempted"] == KILLS
    # The kills really landed inside the replay, most of them with events already stored.
    assert figures["killed_mid_run"] >= KILLS * 3 // 4, figures
    assert figures["killed_with_1_or_more_events"] >= KILLS // 3, figures


def test_the_generated_scenario_is_long_valid_and_varied(tmp_path):
    from recorder.core.scenario import read_scenario

    events = random_scenario(3000, seed=7, record_keeping=0.06)
    path = tmp_path / "long.jsonl"
    path.write_text(jsonl(events), encoding="utf-8")
    lines = read_scenario(path)
    assert len(lines) == 3000
    kinds = {line.event.kind for line in lines}
    assert {"note", "rhythm", "vitals", "io_attempt", "flush", "drug", "void", "amend", "code_ended"} <= kinds
    ios = [line.event.line for line in lines if line.event.kind == "io_attempt"]
    assert len(ios) == len(set(ios)) > 100  # every attempt on a new line id


def _code_with_no_events(db_path):
    """What a kill between the code row's commit and seq 1's commit leaves behind."""
    store = Store(db_path)
    code_id, _ = store.create_code(SystemClock().wall())
    store.close()
    return code_id


def test_a_code_left_with_no_events_is_ignored_and_verify_passes(db_path, tmp_path):
    code_id = _code_with_no_events(db_path)
    runner = CliRunner()
    listed = runner.invoke(cli, ["--db", str(db_path), "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.strip() == ""  # list ignores it
    verified = runner.invoke(cli, ["--db", str(db_path), "verify"])
    assert verified.exit_code == 0, verified.output
    store = Store(db_path)
    assert store.open_code_id() is None  # `recorder resume` would not pick it
    with pytest.raises(SessionError, match=f"no code {code_id}"):
        Session.resume(store, SystemClock(), code_id)
    with pytest.raises(SessionError, match="no open code"):
        Session.resume(store, SystemClock())
    store.close()
    # A scribe starts again: the new code is whole and verify still passes.
    path = tmp_path / "s.jsonl"
    path.write_text(jsonl(random_scenario(30, seed=1)), encoding="utf-8")
    replayed = runner.invoke(cli, ["--db", str(db_path), "replay", str(path)])
    assert replayed.exit_code == 0, replayed.output
    listed = runner.invoke(cli, ["--db", str(db_path), "list", "--json"])
    assert [json.loads(line)["code"] for line in listed.output.splitlines()] == [code_id + 1]
    assert runner.invoke(cli, ["--db", str(db_path), "verify"]).exit_code == 0


def test_a_code_with_no_events_is_not_the_last_code(db_path):
    """A kill between creating a code and committing its start leaves an empty code: `last` skips it."""
    _code_with_no_events(db_path)
    result = CliRunner().invoke(cli, ["--db", str(db_path), "events", "last"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"recorder: there are no codes in {db_path} yet")
