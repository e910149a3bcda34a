"""A damaged database file is reported in one line (or FAULT lines from verify), never repaired.

Real databases written by `recorder replay`, then damaged as disks and copies damage files:
bytes overwritten in the middle, a page of garbage, a truncated file, a clobbered header, a file
that is not a database at all, a payload whose bytes rotted. reliability/corrupt.py runs many
random damages and prints the figures.
"""

import random
import sqlite3

import pytest

from tests.factory import jsonl, make_database, random_scenario
from tests.reliability.helpers import run, run_process

COMMANDS = [["verify"], ["list"], ["events", "last"]]


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """The bytes of a real database of 300 events, closed cleanly (no -wal left)."""
    home = tmp_path_factory.mktemp("orig")
    db = home / "recorder.db"
    make_database(db, jsonl(random_scenario(300, seed=5)))
    assert not (home / "recorder.db-wal").exists()
    return db.read_bytes()


def _damaged(tmp_path, data):
    home = tmp_path / "damaged"
    home.mkdir()
    db = home / "recorder.db"
    db.write_bytes(data)
    return db


def _reported_cleanly(db, args, process=False):
    before = db.read_bytes()
    done = run_process(db, *args) if process else run(db, *args)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr
    code = done.returncode if process else done.exit_code
    assert code in (1, 2), (code, done.stderr)
    assert lines and all(line.startswith(("recorder: ", "FAULT ")) for line in lines), done.stderr
    assert not any("unexpected error" in line for line in lines), done.stderr
    if code == 2:
        assert len(lines) == 1, done.stderr
    assert db.read_bytes() == before, "the damaged file was changed"
    return lines


def _page(data, n):
    size = int.from_bytes(data[16:18], "big") or 65536
    return size * n, size


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    "damage",
    ["truncated to half", "truncated to 90%", "truncated inside page 3", "header clobbered", "not a database"],
)
def test_damage_found_on_open_is_one_line_and_the_file_is_left_alone(tmp_path, original, damage, args):
    data = bytearray(original)
    if damage == "truncated to half":
        data = data[: len(data) // 2]
    elif damage == "truncated to 90%":
        data = data[: len(data) * 9 // 10]
    elif damage == "truncated inside page 3":
        start, _ = _page(data, 2)
        data = data[: start + 17]
    elif damage == "header clobbered":
        data[0:16] = b"NOT SQLITE AT AL"
    else:
        data = bytearray(b"these are the minutes of the resuscitation committee\n" * 200)
    db = _damaged(tmp_path, bytes(data))
    (line,) = _reported_cleanly(db, args)
    assert "not a readable recorder database" in line or "cannot open" in line, line


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_rotten_payload_byte_is_named_by_verify_and_the_rest_still_reads(tmp_path, original, args):
    data = bytearray(original)
    at = data.find(b"Parents arrived")
    assert at > 0
    data[at] = ord("p")  # one byte: "parents arrived"
    db = _damaged(tmp_path, bytes(data))
    if args == ["verify"]:
        lines = _reported_cleanly(db, args)
        assert len(lines) == 1 and lines[0].startswith("FAULT code 1 event ") and "was changed" in lines[0]
    else:
        done = run(db, *args)  # reading is not refused: verify is where damage is named
        assert done.exit_code == 0, done.stderr


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_page_of_garbage_in_the_middle_is_reported_not_a_crash(tmp_path, original, args):
    data = bytearray(original)
    # The middle page of the events (the file's middle page may hold a table `list` does not read).
    probe = tmp_path / "probe.db"
    probe.write_bytes(original)
    conn = sqlite3.connect(probe)
    events = [n for (n,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'events' ORDER BY pageno")]
    conn.close()
    start, size = _page(data, events[len(events) // 2] - 1)
    data[start : start + size] = random.Random(1).randbytes(size)
    db = _damaged(tmp_path, bytes(data))
    _reported_cleanly(db, args)


@pytest.mark.parametrize("args", [["list"], ["events", "last"]], ids=" ".join)
def test_a_payload_that_is_no_longer_json_is_a_clear_error_when_read(tmp_path, original, args):
    data = bytearray(original)
    at = data.find(b'{"text":"Parents arrived')
    assert at > 0
    data[at] = ord("[")
    db = _damaged(tmp_path, bytes(data))
    assert run(db, "verify").exit_code == 1  # verify does name it
    _reported_cleanly(db, args)


def test_observed_a_database_truncated_to_nothing_reads_as_a_new_empty_one(tmp_path):
    """For the report: a 0-byte file is an empty database to SQLite; verify says ok with 0 codes."""
    db = _damaged(tmp_path, b"")
    done = run(db, "verify")
    assert done.exit_code == 0 and "0 codes" in done.stdout


@pytest.mark.parametrize("damage", ["truncated to half", "page of garbage"])
def test_the_real_process_on_a_damaged_file(tmp_path, original, damage):
    """The same, through the installed `recorder` program: no traceback, a non-zero status."""
    data = bytearray(original)
    if damage == "truncated to half":
        data = data[: len(data) // 2]
    else:
        pages = len(data) // _page(data, 1)[1]
        start, size = _page(data, pages // 2)
        data[start : start + size] = random.Random(1).randbytes(size)
    db = _damaged(tmp_path, bytes(data))
    done = run_process(db, "verify")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
