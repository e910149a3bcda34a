"""The database's files: one writer per code by the file's identity, companions watched, readers that write nothing."""

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from recorder.core.clock import SystemClock
from recorder.core.session import Session
from recorder.store import Store, StoreError, files
from tests.reliability.helpers import can_mount, one_clear_line, readonly_view, run_process

HOLDER = textwrap.dedent(
    """
    import sys
    from recorder.core.clock import SystemClock
    from recorder.core.session import Session
    from recorder.store import Store
    session = Session.start(Store(sys.argv[1]), SystemClock(), arrest=True)
    session.log({"kind": "note", "text": "from the holder"})
    print("holding", session.code_id, flush=True)
    sys.stdin.readline()
    session.log({"kind": "note", "text": "holder still writes"})
    print("wrote", flush=True)
    """
)


def _holder(db: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    assert line.startswith("holding"), line + proc.stderr.read()
    return proc, int(line.split()[1])


def _release(proc: subprocess.Popen) -> None:
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "wrote"
    proc.wait(timeout=60)


def _files(directory: Path) -> dict[str, tuple[int, int, int]]:
    """Name → (mode, size, inode) of everything in a folder, to show nothing was made or changed."""
    return {p.name: (p.lstat().st_mode, p.lstat().st_size, p.lstat().st_ino) for p in directory.iterdir()}


# ── item 5: one writer per code, whatever name the database is opened by ──


def test_a_symlink_to_a_held_database_cannot_take_the_same_code(tmp_path):
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    db = home / "recorder.db"
    alias = elsewhere / "alias.db"
    holder, code_id = _holder(db)
    try:
        alias.symlink_to(db)
        store = Store(alias)
        with pytest.raises(StoreError, match="open in another recorder"):
            Session.resume(store, SystemClock(), code_id)
        # The same, as a user types it, in a third process: one line, exit 2.
        done = run_process(alias, "resume", str(code_id))
        assert done.returncode == 2, done.stdout + done.stderr
        assert "open in another recorder" in one_clear_line(done.stderr)
        _release(holder)
        # Once the holder has gone, the code can be taken over through the link.
        session = Session.resume(store, SystemClock(), code_id)
        assert session.log({"kind": "note", "text": "taken over"}).record.seq == 4
        assert store.verify() == []
        store.close()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_two_stores_in_one_process_by_two_spellings_of_the_path(tmp_path, clock):
    db = tmp_path / "recorder.db"
    first = Session.start(Store(db), clock, arrest=True)
    (tmp_path / "sub").mkdir()
    other = Store(tmp_path / "sub" / ".." / "recorder.db")
    with pytest.raises(StoreError, match="open in another recorder"):
        Session.resume(other, clock, first.code_id)
    other.close()
    first.store.close()
    again = Store(db)
    assert Session.resume(again, clock, first.code_id).log({"kind": "note", "text": "x"}, t=3).record.seq == 2
    again.close()


def test_a_hard_link_to_a_database_is_refused_in_one_line(tmp_path):
    """SQLite keeps -wal beside the name it was given: two names of one file would write two WALs."""
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    db = home / "recorder.db"
    holder, code_id = _holder(db)
    try:
        link = elsewhere / "link.db"
        os.link(db, link)
        with pytest.raises(StoreError, match="hard link") as refused:
            Store(link)
        assert "\n" not in str(refused.value)
        before = _files(elsewhere)
        for args in (["resume", str(code_id)], ["list"]):
            done = run_process(link, *args)
            assert done.returncode == 2, done.stdout + done.stderr
            assert "hard link" in one_clear_line(done.stderr)
        assert _files(elsewhere) == before  # no second -wal was made beside the other name
        _release(holder)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    link.unlink()
    store = Store(db)
    assert [r.seq for r in store.events(code_id)] == [1, 2, 3]
    assert store.verify() == []
    store.close()


def test_a_files_identity_is_read_without_asking_for_its_times(tmp_path, monkeypatch):
    """The look before every append asks for the inode alone (statx): a stat asks for the times, and on Linux
    6.13+ that makes the -wal's next write dirty its inode and the commit's fdatasync wait longer (issue 17)."""
    if sys.platform == "linux":
        assert files._statx is not None
    db = tmp_path / "recorder.db"
    db.write_bytes(b"")
    link = tmp_path / "link.db"
    link.symlink_to(db)
    expected = {p: (os.stat(p).st_dev, os.stat(p).st_ino) for p in (db, link, tmp_path)}

    def no_stat(*args, **kwargs):
        raise AssertionError("os.stat was called")

    if files._statx is not None:
        monkeypatch.setattr(files.os, "stat", no_stat)
    for path, found in expected.items():
        assert files.identity(path) == files.identity(str(path)) == files.identity(os.fsencode(path)) == found
    assert files.identity(tmp_path / "missing") is None
    assert files.identity(tmp_path / "recorder.db" / "under a file") is None
    monkeypatch.undo()
    db.rename(tmp_path / "aside")
    db.write_bytes(b"")  # another file now has the name
    assert files.identity(db) == (os.stat(db).st_dev, os.stat(db).st_ino) != expected[db]


# ── item 3: the -wal and -shm are watched like the main file ──

KILLED_AFTER_WAL_REMOVED = textwrap.dedent(
    """
    import os, signal, sys
    from recorder.core.clock import FakeClock
    from recorder.core.session import Session
    from recorder.store import Store, StoreError, files
    db, companion = sys.argv[1], sys.argv[2]
    store = Store(db)
    session = Session.start(store, FakeClock(), arrest=True)
    for i in range(20):
        session.log({"kind": "note", "text": f"before {i}"}, t=1 + i)
    os.unlink(db + companion)
    try:
        session.log({"kind": "note", "text": "after the removal"}, t=30)
        print("written", flush=True)
    except StoreError as exc:
        print("refused:", exc, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.parametrize("companion", ["-wal", "-shm"])
def test_a_removed_companion_is_a_fault_and_nothing_recorded_is_lost_at_a_kill(tmp_path, companion):
    db = tmp_path / "recorder.db"
    done = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_WAL_REMOVED, str(db), companion],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    # The next write is refused: it would have gone into a file no one can find again.
    assert done.stdout.startswith("refused:"), done.stdout
    assert companion in done.stdout and "\n" not in done.stdout.strip()
    # Everything committed before the removal survived the kill (it was put back into the main file).
    store = Store(db)
    assert [r.seq for r in store.events(1)] == list(range(1, 22))
    assert store.verify() == []
    store.close()


def test_a_replaced_wal_is_a_fault(tmp_path, clock):
    db = tmp_path / "recorder.db"
    store = Store(db)
    session = Session.start(store, clock, arrest=True)
    session.log({"kind": "note", "text": "one"}, t=1)
    wal = tmp_path / "recorder.db-wal"
    wal.rename(tmp_path / "aside")
    wal.write_bytes(b"")  # another file now has its name
    with pytest.raises(StoreError, match="-wal"):
        session.log({"kind": "note", "text": "two"}, t=2)
    store.close()


def test_after_a_removed_wal_the_store_takes_up_writing_again(tmp_path, clock):
    """The fault clears: once what was written is safe in the main file, a retry writes to a new -wal."""
    db = tmp_path / "recorder.db"
    store = Store(db)
    session = Session.start(store, clock, arrest=True)
    session.log({"kind": "note", "text": "one"}, t=1)
    (tmp_path / "recorder.db-wal").unlink()
    with pytest.raises(StoreError, match="-wal"):
        session.log({"kind": "note", "text": "two"}, t=2)
    assert session.log({"kind": "note", "text": "two"}, t=2).record.seq == 3
    assert (tmp_path / "recorder.db-wal").exists()
    store.close()
    again = Store(db)
    assert [r.seq for r in again.events(1)] == [1, 2, 3]
    again.close()


# ── item 12: readers never create or change anything ──


def test_a_reader_of_a_missing_database_creates_nothing(tmp_path):
    missing = tmp_path / "no" / "such" / "recorder.db"
    with pytest.raises(StoreError, match=r"no database at .*recorder\.db"):
        Store(missing, readonly=True)
    assert list(tmp_path.iterdir()) == []


def test_a_reader_leaves_the_folder_as_it_found_it(tmp_path, clock):
    db = tmp_path / "recorder.db"
    Session.start(store := Store(db), clock, arrest=True).log({"kind": "note", "text": "x"}, t=1)
    store.close()
    before = _files(tmp_path)
    assert set(before) == {"recorder.db"}
    reader = Store(db, readonly=True)
    assert [r.seq for r in reader.events(1)] == [1, 2]
    assert reader.verify() == []
    with pytest.raises(StoreError, match="read-only"):
        reader.lock_code(1)
    reader.close()
    assert _files(tmp_path) == before


def test_a_reader_sees_what_an_open_writer_committed(tmp_path, clock):
    db = tmp_path / "recorder.db"
    writer = Session.start(Store(db), clock, arrest=True)
    writer.log({"kind": "note", "text": "x"}, t=1)
    reader = Store(db, readonly=True)
    assert [r.seq for r in reader.events(1)] == [1, 2]
    reader.close()
    assert writer.log({"kind": "note", "text": "y"}, t=2).record.seq == 3
    writer.store.close()


def test_a_reader_of_an_older_schema_migrates_a_copy_in_memory(tmp_path):
    db = tmp_path / "recorder.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    reader = Store(db, readonly=True)
    assert reader.codes() == []
    reader.close()
    assert db.read_bytes() == before


@pytest.mark.parametrize("readonly", [False, True], ids=["writer", "reader"])
@pytest.mark.parametrize(
    "content",
    [b"just some text, not a database\n" * 10, b"SQLite format 3\x00" + b"\xff" * 200],
    ids=["text", "damaged header"],
)
def test_a_file_that_is_not_a_database_is_refused_with_its_mode_untouched(tmp_path, readonly, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    path.chmod(0o644)
    with pytest.raises(StoreError, match=r"not a .*recorder database") as refused:
        Store(path, readonly=readonly)
    assert "\n" not in str(refused.value)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644 and path.read_bytes() == content
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("readonly", [False, True], ids=["writer", "reader"])
def test_another_programs_sqlite_database_is_refused_and_left_alone(tmp_path, readonly):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    path.chmod(0o644)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a recorder database"):
        Store(path, readonly=readonly)
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["other.sqlite"]


@pytest.mark.parametrize("readonly", [False, True], ids=["writer", "reader"])
def test_a_device_or_a_folder_is_refused_with_its_mode_untouched(tmp_path, readonly):
    folder = tmp_path / "folder"
    folder.mkdir(mode=0o755)
    targets = [folder]
    if can_mount():  # root: a private null device of our own, never the system's
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        device.chmod(0o666)
        targets.append(device)
    for target in targets:
        mode = stat.S_IMODE(target.stat().st_mode)
        with pytest.raises(StoreError, match="not a recorder database") as refused:
            Store(target, readonly=readonly)
        assert "\n" not in str(refused.value)
        assert stat.S_IMODE(target.stat().st_mode) == mode
    assert list(folder.iterdir()) == []


def test_a_reader_opens_a_database_on_read_only_media(tmp_path, clock):
    home = tmp_path / "home"
    home.mkdir()
    store = Store(home / "recorder.db")
    Session.start(store, clock, arrest=True).log({"kind": "note", "text": "x"}, t=1)
    store.close()
    try:
        view_cm = readonly_view(home)
        view = view_cm.__enter__()
    except OSError as exc:
        pytest.skip(str(exc))
    try:
        reader = Store(view / "recorder.db", readonly=True)
        assert [r.seq for r in reader.events(1)] == [1, 2]
        assert reader.verify() == []
        reader.close()
    finally:
        view_cm.__exit__(None, None, None)
    assert sorted(p.name for p in home.iterdir()) == ["recorder.db"]


def test_a_reader_on_read_only_media_reads_what_a_killed_recorder_left_in_its_wal(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    db = home / "recorder.db"
    script = (
        "import os, signal, sys\n"
        "from recorder.core.clock import FakeClock\n"
        "from recorder.core.session import Session\n"
        "from recorder.store import Store\n"
        "s = Session.start(Store(sys.argv[1]), FakeClock(), arrest=True)\n"
        "for i in range(5): s.log({'kind': 'note', 'text': str(i)}, t=i + 1)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    assert subprocess.run([sys.executable, "-c", script, str(db)]).returncode == -signal.SIGKILL
    assert (home / "recorder.db-wal").stat().st_size > 0
    before = _files(home)
    try:
        view_cm = readonly_view(home)
        view = view_cm.__enter__()
    except OSError as exc:
        pytest.skip(str(exc))
    try:
        reader = Store(view / "recorder.db", readonly=True)
        assert [r.seq for r in reader.events(1)] == [1, 2, 3, 4, 5, 6]
        reader.close()
    finally:
        view_cm.__exit__(None, None, None)
    assert _files(home) == before


def test_a_reader_rolls_back_the_hot_journal_a_killed_first_open_left(tmp_path):
    """Killed while it first made the file, a recorder leaves a hot -journal; a reader still reads."""
    db = tmp_path / "recorder.db"
    conn = sqlite3.connect(db, isolation_level=None)
    # Committed: what the migrations make first, their own table, empty.
    conn.execute("CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set, name, applied_at)")
    conn.execute("PRAGMA cache_size=1")  # the transaction below spills into the file before its commit
    conn.execute("BEGIN")
    for _ in range(200):
        conn.execute("INSERT INTO _sqlite_migrations (name) VALUES (?)", ("x" * 1000,))
    # What a kill -9 at this moment leaves on disk: the file half-written and its journal.
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for name in ("recorder.db", "recorder.db-journal"):
        (crashed / name).write_bytes((tmp_path / name).read_bytes())
    conn.execute("ROLLBACK")
    conn.close()
    reader = Store(crashed / "recorder.db", readonly=True)
    assert reader.codes() == []  # the last committed state, migrated in memory
    reader.close()
    assert sorted(p.name for p in crashed.iterdir()) == ["recorder.db"]


def test_a_writer_tightens_a_recorder_database_made_readable_by_others(tmp_path):
    """The chmod still happens, but only once the file is known to be a recorder database (or new)."""
    db = tmp_path / "recorder.db"
    Store(db).close()
    db.chmod(0o644)
    empty = tmp_path / "empty.db"
    empty.touch(mode=0o644)
    for path in (db, empty):
        Store(path).close()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


# ── the look before each append: one poll of a folder watch, the files only when something changed ──


def _logging(tmp_path: Path) -> tuple[Store, Session]:
    home = tmp_path / "above" / "home"
    home.mkdir(parents=True, exist_ok=True)
    store = Store(home / "recorder.db")
    session = Session.start(store, SystemClock(), arrest=True)
    session.log({"kind": "note", "text": "before"})
    return store, session


def _refused_twice(session: Session) -> None:
    """The next entry is refused, and so is the one after it (the fault stays a fault until it is mended)."""
    for text in ("after", "again"):
        with pytest.raises(StoreError, match=r"removed or replaced|-wal|-shm"):
            session.log({"kind": "note", "text": text})


def test_the_files_are_looked_at_only_when_the_folder_changed(tmp_path, monkeypatch):
    store, session = _logging(tmp_path)
    try:
        if sys.platform == "linux":
            assert store._folder is not None  # the watch is made here: the quiet path is what runs
        looks = []
        real = files.identity
        monkeypatch.setattr(files, "identity", lambda path: looks.append(path) or real(path))
        for i in range(5):
            session.log({"kind": "note", "text": f"quiet {i}"})
        assert looks == []  # nothing changed in the folder: no file was looked at
        (tmp_path / "above" / "home" / "an export.md").write_text("another file in the folder")
        session.log({"kind": "note", "text": "after a file was made beside it"})  # looked at, and still there
        assert len(looks) == 3
        session.log({"kind": "note", "text": "quiet again"})
        assert len(looks) == 3
    finally:
        store.close()


@pytest.mark.parametrize(
    "how", ["replaced", "renamed away", "folder renamed", "folder above renamed", "folder above replaced", "removed"]
)
def test_a_database_removed_or_replaced_between_two_entries_is_refused(tmp_path, how):
    store, session = _logging(tmp_path)
    home = tmp_path / "above" / "home"
    db = home / "recorder.db"
    try:
        if how == "replaced":
            (home / "other.db").write_bytes(db.read_bytes())
            os.replace(home / "other.db", db)
        elif how == "renamed away":
            db.rename(home / "aside.db")
        elif how == "folder renamed":
            home.rename(home.with_name("moved"))
        elif how == "folder above renamed":
            (tmp_path / "above").rename(tmp_path / "moved")
        elif how == "folder above replaced":  # the path leads to another folder, with another database
            (tmp_path / "above").rename(tmp_path / "moved")
            (tmp_path / "above" / "home").mkdir(parents=True)
            db.write_bytes((tmp_path / "moved" / "home" / "recorder.db").read_bytes())
        else:
            for each in home.iterdir():
                each.unlink()
            home.rmdir()
        _refused_twice(session)
    finally:
        store.close()


@pytest.mark.parametrize("why", ["no inotify", "opened by a symlink"])
def test_without_a_folder_watch_the_files_are_looked_at_every_time(tmp_path, monkeypatch, why):
    if why == "no inotify":
        monkeypatch.setattr(files, "_INOTIFY", None)  # not Linux, or inotify's limits reached
        store, session = _logging(tmp_path)
    else:  # the -wal and -shm are beside the real name, in another folder than the link's
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        (elsewhere / "recorder.db").symlink_to(tmp_path / "above" / "home" / "recorder.db")
        _logging(tmp_path)[0].close()
        store = Store(elsewhere / "recorder.db")
        session = Session.resume(store, SystemClock())
    try:
        assert store._folder is None
        (tmp_path / "above" / "home" / "recorder.db-wal").unlink()
        with pytest.raises(StoreError, match="-wal"):
            session.log({"kind": "note", "text": "after"})
        assert session.log({"kind": "note", "text": "again"}).record.seq == 3  # reopened, as with the watch
    finally:
        store.close()


def test_a_folder_mounted_over_is_seen_by_the_same_poll(tmp_path):
    if not can_mount():
        pytest.skip("mounting over the folder needs root on Linux")
    store, session = _logging(tmp_path)
    home = tmp_path / "above" / "home"
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(home)], check=True, capture_output=True)
    try:
        _refused_twice(session)  # the name now leads to an empty folder on another filesystem
    finally:
        subprocess.run(["umount", "-l", str(home)], capture_output=True)
        store.close()
