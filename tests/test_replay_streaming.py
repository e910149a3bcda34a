"""`recorder replay` reads its file a line at a time, never whole: bounded lines, pipes, /dev/zero."""

import os
import resource
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from recorder.cli import cli
from recorder.core import scenario as scenario_module
from recorder.core.scenario import MAX_LINE, ScenarioError, ScenarioFile
from recorder.store import Store
from tests.factory import iter_scenario, jsonl, scenario
from tests.reliability.helpers import one_clear_line

GOOD = jsonl(scenario(30))


def run_process(db: Path, *args: str, stdin: str | None = None, memory_mb: int = 0) -> subprocess.CompletedProcess:
    """The recorder as its own process; with `memory_mb`, its address space is capped there."""

    def cap() -> None:
        if memory_mb:
            limit = memory_mb << 20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, RECORDER_DB=str(db), TZ="UTC")
    return subprocess.run(
        [sys.executable, "-c", "from recorder.cli import main; main()", "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=cap,
    )


def stored(db: Path) -> list[int]:
    if not db.exists():
        return []
    store = Store(db)
    try:
        return [c.events for c in store.codes()]
    finally:
        store.close()


def test_replay_of_dev_zero_stops_at_once_with_one_line(tmp_path):
    """It read the whole "file" into memory first: /dev/zero until memory ran out."""
    db = tmp_path / "r.db"
    done = run_process(db, "replay", "/dev/zero", memory_mb=1024)
    assert done.returncode == 2, done.stderr
    line = one_clear_line(done.stderr)
    assert "/dev/zero:1: line is longer than" in line
    assert stored(db) == []


def test_an_over_long_line_is_named_and_nothing_is_stored(tmp_path, db_path):
    path = tmp_path / "long.jsonl"
    long_note = '{"t": 5, "kind": "note", "text": "' + "x" * MAX_LINE + '"}\n'
    path.write_text(GOOD.splitlines(keepends=True)[0] + long_note + GOOD, encoding="utf-8")
    result = CliRunner().invoke(cli, ["replay", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2: line is longer than {MAX_LINE} bytes" in result.stderr
    assert stored(db_path) == []


def test_a_line_of_exactly_the_limit_is_read(tmp_path):
    text = '{"t": 5, "kind": "note", "text": "ok"}'
    raw = (text + " " * (MAX_LINE - len(text)) + "\n").encode()
    assert len(raw) == MAX_LINE + 1  # the newline is not part of the line
    path = tmp_path / "edge.jsonl"
    path.write_bytes(GOOD.splitlines(keepends=True)[0].encode() + raw)
    with ScenarioFile.open(path) as source:
        assert source.check() == 2
        assert [line.lineno for line in source.lines()] == [1, 2]


def test_replay_from_a_pipe(tmp_path):
    """A pipe cannot be read twice: it is kept in a private temporary file while it is checked."""
    db = tmp_path / "r.db"
    done = run_process(db, "replay", "/dev/stdin", stdin=GOOD)
    assert done.returncode == 0, done.stderr
    assert stored(db) == [30]
    bad = GOOD + '{"t": 99, "kind": "drug", "drug": "epinephrine", "dose": 1, "unit": "mg", "line": "io9"}\n'
    done = run_process(db, "replay", "/dev/stdin", stdin=bad)
    assert done.returncode == 2
    assert "/dev/stdin:31: line: io9" in one_clear_line(done.stderr)
    assert stored(db) == [30]  # the whole stream was checked before anything was stored


def test_a_stream_longer_than_the_spool_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(scenario_module, "MAX_SPOOL", 4096)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    data = jsonl(scenario(500)).encode()

    def feed() -> None:
        try:
            with open(fifo, "wb") as out:
                out.write(data)
        except BrokenPipeError:
            pass  # the reader gave up, as it should

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        with pytest.raises(ScenarioError, match="more than 0 MB from a stream; save the scenario to a file"):
            with ScenarioFile.open(fifo) as source:
                source.check()
    finally:
        writer.join(timeout=30)


def test_a_file_changed_between_check_and_store_is_refused(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(GOOD, encoding="utf-8")
    with ScenarioFile.open(path) as source:
        source.check()
        with path.open("a", encoding="utf-8") as more:
            more.write('{"t": 999, "kind": "note", "text": "added behind the replay\'s back"}\n')
        with pytest.raises(ScenarioError, match="changed while it was being replayed"):
            next(source.lines())


def test_until_must_be_a_finite_number(tmp_path, db_path):
    """`--until nan` compared false with every t and stored everything."""
    path = tmp_path / "s.jsonl"
    path.write_text(GOOD, encoding="utf-8")
    for value in ("nan", "inf", "-inf", "NaN"):
        result = CliRunner().invoke(cli, ["replay", str(path), "--until", value])
        assert result.exit_code == 2, (value, result.output)
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("recorder: --until") and "seconds" in line
    assert stored(db_path) == []
    result = CliRunner().invoke(cli, ["replay", str(path), "--until", "30"])
    assert result.exit_code == 0
    assert stored(db_path) == [sum(1 for e in scenario(30) if e["t"] <= 30)]


def _peak_reading(path: Path) -> int:
    """Peak memory traced while the file's events are read once, as replay's store pass reads them."""
    with ScenarioFile.open(path) as source:
        tracemalloc.start()
        try:
            count = sum(1 for _ in source.lines())
            return tracemalloc.get_traced_memory()[1], count
        finally:
            tracemalloc.stop()


def test_the_events_are_read_a_line_at_a_time(tmp_path):
    """Ten times the events, the same memory to read them: nothing holds the file or its events.

    pydantic keeps a bounded cache of strings it has seen (about 1.5 MB, whatever the file's
    length): reading the long file once first fills it with every string both files hold.
    """
    paths = {}
    for n in (2_000, 20_000):
        paths[n] = tmp_path / f"s{n}.jsonl"
        with paths[n].open("w", encoding="utf-8") as out:
            for event in iter_scenario(n):  # the short file is the start of the long one
                out.write(jsonl([event]))
    _peak_reading(paths[20_000])
    peaks = {}
    for n, path in paths.items():
        peak, count = _peak_reading(path)
        assert count == n
        peaks[n] = peak
    # Holding them would grow tenfold; holding the file alone would take its whole size.
    assert peaks[20_000] < 5 * peaks[2_000], peaks
    assert peaks[20_000] < paths[20_000].stat().st_size / 4, peaks
