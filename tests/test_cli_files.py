"""The files a user names on the command line: read-only commands write nothing; -o never harms what it replaces."""

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from recorder.store import Store
from tests.factory import make_database
from tests.reliability.helpers import (
    can_mount,
    fill,
    one_clear_line,
    run,
    run_process,
    small_disk_fixture,
)

SCENARIO = (
    '{"kind": "code_started", "t": 0, "arrest": true, "patient": {"age_years": 4, "weight_kg": 16}}\n'
    '{"kind": "rhythm", "t": 10, "rhythm": "asystole"}\n'
    '{"kind": "note", "t": 20, "text": "a note"}\n'
)
READERS = [["list"], ["list", "--json"], ["events", "1"], ["summary", "1"], ["verify"]]


def _tree(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under `root` with (mode, size, inode): equal before and after means nothing was touched."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_mode, st.st_size, st.st_ino)
    return out


@pytest.fixture
def db(tmp_path) -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    path = home / "recorder.db"
    make_database(path, SCENARIO)
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ── item 12: read-only commands create nothing and change nothing ──


@pytest.mark.parametrize("args", [*READERS, ["audit", "-o", "AUDIT"]], ids=lambda a: " ".join(a))
def test_a_reader_on_a_mistyped_path_says_so_and_creates_nothing(tmp_path, args):
    missing = tmp_path / "no" / "such" / "recorder.db"
    args = [str(tmp_path / "audit") if a == "AUDIT" else a for a in args]
    done = run(missing, *args)
    assert done.exit_code == 2, done.output
    assert f"no database at {missing}" in one_clear_line(done.stderr)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a))
def test_a_reader_leaves_every_file_as_it_was(db, args):
    before = _tree(db.parent)
    done = run(db, *args)
    assert done.exit_code == 0, done.output
    assert _tree(db.parent) == before


def test_the_audit_reads_without_writing_to_the_database(db, tmp_path):
    before = _tree(db.parent)
    done = run(db, "audit", "-o", str(tmp_path / "audit"))
    assert done.exit_code == 0, done.output
    assert _tree(db.parent) == before


def test_the_audit_keeps_an_ended_codes_rows_and_leaves_no_companions_behind(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    db = home / "recorder.db"
    make_database(db, SCENARIO + '{"kind": "code_ended", "t": 60, "outcome": "rosc"}\n')
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM audit_rows")  # as in a database older than kept rows
    conn.commit()
    conn.close()
    done = run(db, "audit", "-o", str(tmp_path / "audit"))
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in home.iterdir()) == ["recorder.db"]
    store = Store(db, readonly=True)
    assert list(store.kept_audit_rows(next(iter(_keys(db))))) == [1]  # kept for the next audit
    store.close()


def _keys(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {key for (key,) in conn.execute("SELECT key FROM audit_rows")}
    finally:
        conn.close()


def test_rules_and_schema_open_no_database(tmp_path):
    missing = tmp_path / "no" / "recorder.db"
    assert run(missing, "rules").exit_code == 0
    assert run(missing, "schema", "-o", str(tmp_path / "json")).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["json"]


@pytest.mark.parametrize("args", [["list"], ["verify"], ["replay", "SCENARIO"]], ids=lambda a: a[0])
def test_a_file_that_is_not_a_recorder_database_keeps_its_mode(tmp_path, args):
    scenario = tmp_path / "s.jsonl"
    scenario.write_text(SCENARIO, encoding="utf-8")
    args = [str(scenario) if a == "SCENARIO" else a for a in args]
    notes = tmp_path / "notes.txt"
    notes.write_text("my shopping list\n")
    notes.chmod(0o644)
    done = run(notes, *args)
    assert done.exit_code == 2, done.output
    assert "not a " in one_clear_line(done.stderr)
    assert mode(notes) == 0o644 and notes.read_text() == "my shopping list\n"


@pytest.mark.skipif(not can_mount(), reason="making a device node needs root")
@pytest.mark.parametrize("args", [["list"], ["verify"], ["replay", "SCENARIO"]], ids=lambda a: a[0])
def test_a_device_given_as_db_keeps_its_mode(tmp_path, args):
    scenario = tmp_path / "s.jsonl"
    scenario.write_text(SCENARIO, encoding="utf-8")
    args = [str(scenario) if a == "SCENARIO" else a for a in args]
    device = tmp_path / "null"  # our own null device, never the system's
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    device.chmod(0o666)
    done = run_process(device, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "character device" in one_clear_line(done.stderr)
    assert mode(device) == 0o666


def test_the_screen_commands_still_create_a_new_database(tmp_path):
    scenario = tmp_path / "s.jsonl"
    scenario.write_text(SCENARIO, encoding="utf-8")
    new = tmp_path / "new" / "recorder.db"
    assert run(new, "replay", str(scenario)).exit_code == 0
    assert mode(new) == 0o600 and mode(new.parent) == 0o700


# ── items 4 and 13: -o replaces, atomically, and never the database ──


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal", ".journal"])
def test_summary_refuses_to_overwrite_the_database_or_its_companions(db, suffix):
    target = db.with_name(db.name + suffix)
    before = _tree(db.parent)
    done = run(db, "summary", "1", "-o", str(target))
    assert done.exit_code == 2, done.output
    assert "database" in one_clear_line(done.stderr)
    assert _tree(db.parent) == before
    store = Store(db, readonly=True)
    assert store.verify() == [] and len(store.events(1)) == 3
    store.close()


def test_summary_refuses_the_database_by_another_name(db, tmp_path):
    link = tmp_path / "link.md"
    link.symlink_to(db)
    done = run(db, "summary", "1", "-o", str(link))
    assert done.exit_code == 2 and "database" in one_clear_line(done.stderr)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "sub").mkdir()
    done = run(db, "summary", "1", "-o", str(elsewhere / "sub" / ".." / ".." / "home" / "recorder.db-wal"))
    assert done.exit_code == 2 and "database" in one_clear_line(done.stderr)


def test_summary_replaces_a_planted_symlink_and_never_writes_through_it(db, tmp_path):
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    victim.chmod(0o644)
    out = tmp_path / "summary.md"
    out.symlink_to(victim)
    done = run(db, "summary", "1", "-o", str(out))
    assert done.exit_code == 0, done.output
    assert victim.read_text() == "precious\n" and mode(victim) == 0o644
    assert not out.is_symlink() and out.read_text().startswith("# Resuscitation record")
    assert mode(out) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "summary.md", "victim.conf"]  # no temp left


@pytest.mark.skipif(not can_mount(), reason="giving a file to another user needs root")
def test_summary_onto_another_users_file_makes_a_new_file_of_our_own(db, tmp_path):
    out = tmp_path / "summary.md"
    out.write_text("theirs\n")
    os.chown(out, 65534, 65534)
    out.chmod(0o644)
    old_inode = out.stat().st_ino
    done = run(db, "summary", "1", "-o", str(out))
    assert done.exit_code == 0, done.output
    st = out.stat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (os.geteuid(), 0o600)
    assert st.st_ino != old_inode  # replaced, not written through (their open descriptor sees the old text)


def test_summary_refuses_to_replace_a_device(db, tmp_path):
    out = tmp_path / "out"
    os.mkfifo(out, 0o644)
    done = run(db, "summary", "1", "-o", str(out))
    assert done.exit_code == 2 and "not a regular file" in one_clear_line(done.stderr)
    assert stat.S_ISFIFO(out.lstat().st_mode)


small_disk = small_disk_fixture("2m")


def test_a_summary_onto_a_full_disk_leaves_the_old_file_whole(db, small_disk):
    out = small_disk / "summary.html"
    old = b"<p>the summary written before</p>\n" * 100
    out.write_bytes(old)
    out.chmod(0o600)
    filler = fill(small_disk)
    # In another process, as a user runs it.
    done = run_process(db, "summary", "1", "--format", "html", "-o", str(out))
    assert done.returncode == 2, done.stdout[-200:] + done.stderr
    assert "cannot write" in one_clear_line(done.stderr)
    assert out.read_bytes() == old
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "summary.html"]  # the temp file is gone
    filler.unlink()
    done = run_process(db, "summary", "1", "--format", "html", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"<!DOCTYPE html>")


def test_an_audit_onto_a_full_disk_keeps_the_old_files(db, small_disk):
    folder = small_disk / "audit"
    assert run(db, "audit", "-o", str(folder)).exit_code == 0
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    filler = fill(small_disk)
    done = run_process(db, "audit", "-o", str(folder), "--rederive")
    assert done.returncode == 2, done.stderr
    # The progress label, then one line (the audit's progress goes to stderr).
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("recorder: cannot write"), done.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    filler.unlink()


def test_the_audit_refuses_a_symlinked_folder(db, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "audit"
    link.symlink_to(real)
    done = run(db, "audit", "-o", str(link))
    assert done.exit_code == 2 and "symbolic link" in one_clear_line(done.stderr)
    assert list(real.iterdir()) == []


def test_the_audit_creates_its_folder_0700_and_files_0600(db, tmp_path):
    folder = tmp_path / "new" / "audit"
    # The CLI sets umask 077 itself; a library caller may not: the modes are set, not left to the umask.
    script = "import os, sys; os.umask(0o022); from recorder.cli import cli; cli(sys.argv[1:])"
    done = subprocess.run(
        [sys.executable, "-c", script, "--db", str(db), "audit", "-o", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert mode(folder) == 0o700
    assert {p.name: mode(p) for p in folder.iterdir()} == dict.fromkeys(
        [p.name for p in folder.iterdir()], 0o600
    ) and len(list(folder.iterdir())) >= 4


def test_the_audit_refuses_to_write_over_the_database(tmp_path):
    folder = tmp_path / "audit"
    folder.mkdir()
    db = folder / "codes.csv"  # the database happens to have the name of an audit file
    make_database(db, SCENARIO)
    before = db.read_bytes()
    done = run(db, "audit", "-o", str(folder))
    assert done.exit_code == 2, done.output
    last = done.stderr.splitlines()[-1]  # after the progress label
    assert last.startswith("recorder: cannot write") and "database" in last, done.stderr
    assert db.read_bytes() == before


def test_schema_refuses_to_write_over_the_database(tmp_path):
    folder = tmp_path / "json"
    folder.mkdir()
    db = folder / "event.schema.json"
    make_database(db, SCENARIO)
    before = db.read_bytes()
    done = run(db, "schema", "-o", str(folder))
    assert done.exit_code == 2 and "database" in one_clear_line(done.stderr)
    assert db.read_bytes() == before


def test_schema_replaces_a_planted_symlink(tmp_path):
    folder = tmp_path / "json"
    folder.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (folder / "event.schema.json").symlink_to(victim)
    done = run(tmp_path / "recorder.db", "schema", "-o", str(folder))
    assert done.exit_code == 0, done.output
    assert victim.read_text() == "precious" and not (folder / "event.schema.json").is_symlink()


@pytest.mark.parametrize("args", [["list"], ["replay", "SCENARIO"]], ids=lambda a: a[0])
def test_a_folder_given_as_db_is_one_line(tmp_path, args):
    scenario = tmp_path / "s.jsonl"
    scenario.write_text(SCENARIO, encoding="utf-8")
    args = [str(scenario) if a == "SCENARIO" else a for a in args]
    done = run(tmp_path, *args)
    assert done.exit_code == 2
    assert "it is a folder" in one_clear_line(done.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.jsonl"]
