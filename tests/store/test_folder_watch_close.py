"""A store's folder watch (an inotify instance) is closed on a closer thread, since the kernel makes its close
wait a grace period: every instance is closed all the same, never more than a few wait, and a forked child
(the audit's workers) closes its own."""

import os
import time
from pathlib import Path

from recorder.store import Store, files


def _inotify_instances() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:inotify"
        except OSError:
            pass  # the listing's own descriptor, gone
    return count


def _until_closed(before: int) -> int:
    deadline = time.monotonic() + 30  # a wait, not a budget
    while (now := _inotify_instances()) > before and time.monotonic() < deadline:
        time.sleep(0.01)
    return now


def test_closed_stores_leave_no_watch_open_and_few_wait(tmp_path: Path) -> None:
    db = tmp_path / "recorder.db"
    Store(db).close()
    before = _inotify_instances()
    for _ in range(3 * files._CLOSE_BEHIND):
        store = Store(db)
        assert store._folder is not None  # a watch was made: this test is about closing it
        store.close()
        assert _inotify_instances() <= before + files._CLOSE_BEHIND + 1
    assert files._closer is not None and files._closer.is_alive()  # closed on the closer thread, not here
    assert _until_closed(before) <= before  # (one counted in `before` may have been waiting to close)


def test_a_forked_child_closes_its_stores(tmp_path: Path) -> None:
    db = tmp_path / "recorder.db"
    Store(db).close()  # the closer thread started in the parent
    pid = os.fork()
    if pid == 0:  # the child: no closer thread inherited; its own starts and closes the watch
        code = 1
        try:
            base = _inotify_instances()
            store = Store(db)
            store.close()
            code = 0 if _until_closed(base) <= base else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
