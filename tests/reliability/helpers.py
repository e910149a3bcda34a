"""Shared tools of the reliability tests: fault injection, small filesystems, CLI runs."""

import contextlib
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from recorder.cli import cli

ROOT = Path(__file__).resolve().parents[2]


class FaultyConnection:
    """A sqlite3 connection that fails chosen statements, as a full or read-only disk would.

    It stands in for `store.conn`; everything else passes through to the real connection.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._when: Callable[[str], bool] | None = None
        self._message = ""
        self._times = 0
        self._after = 0
        self.failed = 0

    def arm(self, when: Callable[[str], bool], message: str, times: int = 1_000_000, after: int = 0) -> None:
        """Fail statements for which `when(sql)` holds, `times` times, once `after` of them passed."""
        self._when, self._message, self._times, self._after = when, message, times, after

    def disarm(self) -> None:
        self._when = None

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._maybe_fail(sql)
        return self._conn.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._maybe_fail(sql)
        return self._conn.executemany(sql, *args)

    def cursor(self) -> "FaultyCursor":
        """A cursor whose statements fail as this connection's do (the store appends through one)."""
        return FaultyCursor(self, self._conn.cursor())

    def _maybe_fail(self, sql: str) -> None:
        if self._when is not None and self._times > 0 and self._when(sql):
            if self._after > 0:
                self._after -= 1
            else:
                self._times -= 1
                self.failed += 1
                raise sqlite3.OperationalError(self._message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class FaultyCursor:
    """A cursor of a FaultyConnection: its statements fail when the connection's would."""

    def __init__(self, faulty: FaultyConnection, cur: sqlite3.Cursor) -> None:
        self._faulty = faulty
        self._cur = cur

    def execute(self, sql: str, *args: Any) -> "FaultyCursor":
        self._faulty._maybe_fail(sql)
        self._cur.execute(sql, *args)
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


def starts(prefix: str) -> Callable[[str], bool]:
    return lambda sql: sql.lstrip().upper().startswith(prefix.upper())


def faulty(store: Any) -> FaultyConnection:
    """Put a FaultyConnection under `store` and return it."""
    conn = FaultyConnection(store.conn)
    store.conn = conn
    return conn


def run(db: Path, *args: str) -> Result:
    """The CLI in-process, as a user would type it (with --db); an exception escaping it fails the test."""
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"the CLI raised {result.exception!r}") from result.exception
    return result


def run_process(db: Path, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """The installed console script as a separate process."""
    script = Path(sys.executable).parent / "recorder"
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from recorder.cli import main; main()"]
    env = dict(os.environ, RECORDER_DB=str(db), TZ="UTC")
    return subprocess.run([*cmd, "--db", str(db), *args], capture_output=True, text=True, env=env, timeout=120, **kw)


def one_clear_line(stderr: str) -> str:
    """The error a user sees: exactly one line, from the recorder, no traceback."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert lines[0].startswith("recorder: "), lines[0]
    assert "Traceback" not in stderr
    assert "unexpected error" not in stderr, lines[0]
    return lines[0]


def can_mount() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and sys.platform.startswith("linux")


@contextlib.contextmanager
def tmpfs(parent: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted under `parent` (root only); raises OSError when it cannot be mounted."""
    point = parent / f"tmpfs-{uuid.uuid4().hex[:8]}"
    point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(point)], capture_output=True, text=True
    )
    if done.returncode != 0:
        point.rmdir()
        raise OSError(f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)
        with contextlib.suppress(OSError):
            point.rmdir()


def small_disk_fixture(size: str) -> Any:
    """A fixture giving a real small disk (a tmpfs of `size`) that fills up; skipped where it cannot be mounted."""

    @pytest.fixture
    def small_disk(tmp_path: Path) -> Iterator[Path]:
        if not can_mount():
            pytest.skip("mounting a small tmpfs needs root on Linux; the injected faults cover the logic")
        try:
            with tmpfs(tmp_path, size) as point:
                yield point
        except OSError as exc:
            pytest.skip(str(exc))

    return small_disk


def remount(point: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(point)], check=True, capture_output=True)


@contextlib.contextmanager
def readonly_view(directory: Path) -> Iterator[Path]:
    """`directory` as a user who may not write to it sees it.

    As root, permissions do not stop writes, so a read-only bind mount stands in (a write-protected
    medium); otherwise the files and the directory are chmod'ed read-only.
    """
    if can_mount():
        view = directory.parent / f"{directory.name}-ro"
        view.mkdir()
        ok = subprocess.run(["mount", "--bind", str(directory), str(view)], capture_output=True).returncode == 0
        ok = ok and subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], capture_output=True).returncode == 0
        if not ok:
            subprocess.run(["umount", "-l", str(view)], capture_output=True)
            view.rmdir()
            raise OSError("cannot make a read-only bind mount")
        try:
            yield view
        finally:
            subprocess.run(["umount", "-l", str(view)], capture_output=True)
            view.rmdir()
        return
    modes = {p: p.stat().st_mode & 0o777 for p in directory.iterdir()}
    for p in modes:
        p.chmod(0o400)
    directory.chmod(0o500)
    try:
        yield directory
    finally:
        directory.chmod(0o700)
        for p, mode in modes.items():
            p.chmod(mode)


def fill(directory: Path) -> Path:
    """Fill the filesystem of `directory` to the last byte; returns the filler file to delete."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        for size in (1 << 16, 4096, 512, 1):
            chunk = b"\0" * size
            while True:
                try:
                    os.write(fd, chunk)
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


def cli_with_fault() -> None:
    """Entry point of `run_process_with_fault`: the real CLI, with sqlite3 connections that fail."""
    real_connect = sqlite3.connect
    prefix, message, after = os.environ["FAULT_SQL"], os.environ["FAULT_MESSAGE"], int(os.environ["FAULT_AFTER"])

    def connect(*args: Any, **kw: Any) -> FaultyConnection:
        conn = FaultyConnection(real_connect(*args, **kw))
        conn.arm(starts(prefix), message, times=1, after=after)
        return conn

    sqlite3.connect = connect  # type: ignore[assignment]
    from recorder.cli import main

    main()


def run_process_with_fault(
    db: Path, sql: str, message: str, after: int, *args: str
) -> subprocess.CompletedProcess[str]:
    """`recorder --db DB ARGS` in its own process, where statement `after`+1 starting with `sql` fails."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
        "from tests.reliability.helpers import cli_with_fault; cli_with_fault()"
    )
    env = dict(os.environ, RECORDER_DB=str(db), TZ="UTC", FAULT_SQL=sql, FAULT_MESSAGE=message, FAULT_AFTER=str(after))
    return subprocess.run(
        [sys.executable, "-c", code, "--db", str(db), *args], capture_output=True, text=True, env=env, timeout=120
    )
