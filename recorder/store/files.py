"""The database's files on disk: what may be opened, by which identity, and the one-writer locks on it."""

import contextlib
import ctypes
import errno
import fcntl
import os
import queue
import select
import sqlite3
import stat
import struct
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

# SQLite keeps these beside the database's real name (a symlink resolved) while it is open in WAL mode.
COMPANIONS = ("-wal", "-shm")

Identity = tuple[int, int]  # (st_dev, st_ino): the file itself, whatever name it was reached by


class OpenRefused(Exception):
    """The path cannot be opened as a recorder database; the message says why and what to do."""


def identity(path: Path | str | bytes) -> Identity | None:
    """The identity of the file at `path` (a symlink followed), or None when there is none."""
    if _statx is not None:
        return _statx(path if type(path) is bytes else os.fsencode(path))
    return _stat_identity(path)


def _stat_identity(path: Path | str | bytes) -> Identity | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


# Why not os.stat: a stat asks for the file's times, and since Linux 6.13 (multigrain timestamps) a file
# whose times were asked for takes a fine-grained time at its next write, which dirties its inode: the
# store looks at its -wal before every append, and each look cost the next commit's fdatasync an extra
# wait on the journal (a context switch and ~50 µs an event on ext4, BENCHMARKS.md, issue 17). statx asked
# for the inode number alone (the device is always given) reads no time.
_AT_FDCWD = -100
_STATX_INO = 0x100


class _StatxBuf(ctypes.Structure):
    """struct statx (linux/stat.h), 256 bytes; only the inode number and the device are read."""

    _fields_ = [
        ("mask", ctypes.c_uint32),
        ("blksize", ctypes.c_uint32),
        ("attributes", ctypes.c_uint64),
        ("nlink", ctypes.c_uint32),
        ("uid", ctypes.c_uint32),
        ("gid", ctypes.c_uint32),
        ("mode", ctypes.c_uint16),
        ("spare0", ctypes.c_uint16),
        ("ino", ctypes.c_uint64),
        ("size", ctypes.c_uint64),
        ("blocks", ctypes.c_uint64),
        ("attributes_mask", ctypes.c_uint64),
        ("times", ctypes.c_uint8 * 64),  # atime, btime, ctime, mtime: 16 bytes each
        ("rdev_major", ctypes.c_uint32),
        ("rdev_minor", ctypes.c_uint32),
        ("dev_major", ctypes.c_uint32),
        ("dev_minor", ctypes.c_uint32),
        ("spare", ctypes.c_uint64 * 14),
    ]


def _statx_identity() -> Callable[[bytes], Identity | None] | None:
    """identity() by statx(STATX_INO) where libc has it and the kernel answers; None elsewhere (os.stat then)."""
    try:
        call = ctypes.CDLL(None, use_errno=True).statx
    except (AttributeError, OSError):
        return None
    call.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p)
    call.restype = ctypes.c_int
    makedev, byref = os.makedev, ctypes.byref

    def statx_identity(path: bytes) -> Identity | None:
        buf = _StatxBuf()  # one per call: a Store may be written from another thread
        if call(_AT_FDCWD, path, 0, _STATX_INO, byref(buf)) != 0:
            if ctypes.get_errno() in (errno.ENOSYS, errno.EPERM):  # no statx here (an old kernel, a sandbox)
                return _stat_identity(path)
            return None
        if not buf.mask & _STATX_INO:  # a filesystem without inode numbers: as os.stat gives it
            return _stat_identity(path)
        return (makedev(buf.dev_major, buf.dev_minor), buf.ino)

    # Checked once against os.stat here: any disagreement and os.stat is used throughout.
    here = os.fsencode(os.path.dirname(os.path.abspath(__file__)))
    return statx_identity if statx_identity(here) == _stat_identity(here) else None


_statx = _statx_identity()


def companion(path: Path, suffix: str) -> Path:
    """Where SQLite keeps the database's -wal or -shm: beside its real name."""
    real = Path(os.path.realpath(path))
    return real.with_name(real.name + suffix)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def existing(path: Path) -> os.stat_result | None:
    """The stat of an existing database file, None when there is none; OpenRefused for anything else.

    Nothing is opened, created or changed here: a device or a folder given as --db is left as it was.
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        if os.path.islink(path):
            raise OpenRefused(f"{path} is a symbolic link to nothing; check --db") from None
        return None
    except OSError as exc:
        raise OpenRefused(f"cannot open {path}: {exc.strerror}; check --db and its permissions") from None
    if not stat.S_ISREG(st.st_mode):
        raise OpenRefused(f"{path} is not a recorder database (it is {_kind(st.st_mode)}); check --db")
    if st.st_nlink > 1:
        # SQLite names its -wal after the name it was given: two names of one file would write two
        # WALs, and one of them would be lost (sqlite.org/howtocorrupt.html §2.5).
        raise OpenRefused(
            f"{path} has {st.st_nlink} names (hard links), and SQLite would keep a separate -wal for each: "
            "remove the other links (`find / -samefile PATH`) or open a copy"
        )
    return st


def uri(path: Path, **params: str) -> str:
    """An SQLite URI for `path` (so mode=rw never creates it, mode=ro never writes it)."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"file:{quote(str(path))}?{query}"


def check_ours(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse another program's SQLite database before anything of ours is written into it."""
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    # A new file has no tables; a recorder killed while it first opened the file may have left only
    # the migrations table (each migration is its own transaction).
    if names and not names & {"meta", "_sqlite_migrations"}:
        raise OpenRefused(f"{path} is an SQLite database but not a recorder database; check --db")


def on_read_only_media(path: Path) -> bool:
    try:
        return bool(os.statvfs(Path(path).parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def tighten(path: Path) -> None:
    """The database and its companions owner-only, once the database is known to be ours (or new)."""
    for each in (path, *(companion(path, suffix) for suffix in COMPANIONS)):
        try:
            st = os.lstat(os.path.realpath(each))
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
            os.chmod(os.path.realpath(each), 0o600)


# ── one writer per code ──────────────────────────────────────────────
#
# The lock is an open-file-description (OFD) lock on one byte of the database file itself, far past
# SQLite's own lock bytes (at 1 GiB): it belongs to the file, so a symlink, another spelling of the
# path or another process all meet the same lock, and the OS drops it when the process dies.
#
# Closing *any* descriptor of a file drops every POSIX lock the process holds on it, SQLite's own
# included; so a lock descriptor is closed only once no Store of this process has the file open.

_LOCK_BASE = 1 << 40
_HAS_OFD = hasattr(fcntl, "F_OFD_SETLK")
_open_count: dict[Identity, int] = {}
_parked: dict[Identity, list[int]] = {}


# struct flock on Linux: l_type, l_whence (short), l_start, l_len (off_t, 64-bit), l_pid (int), padded.
_FLOCK = "hhqqi4x"


def _ofd(fd: int, kind: int, code_id: int) -> None:
    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack(_FLOCK, kind, os.SEEK_SET, _LOCK_BASE + code_id, 1, 0))


def opened(key: Identity) -> None:
    """A Store of this process opened the file `key`."""
    _open_count[key] = _open_count.get(key, 0) + 1


def closed(key: Identity) -> None:
    """A Store of this process closed the file `key` (after its connection): close parked lock descriptors."""
    left = _open_count.get(key, 1) - 1
    if left > 0:
        _open_count[key] = left
        return
    _open_count.pop(key, None)
    for fd in _parked.pop(key, []):
        with contextlib.suppress(OSError):
            os.close(fd)


def lock(path: Path, key: Identity, code_id: int) -> int | None:
    """Take the one-writer lock of a code on the file `key` (reached by `path`).

    Returns the descriptor that holds it, None when another holds it; OSError when it cannot be tried.
    """
    if not _HAS_OFD:  # elsewhere than Linux: a lock file beside the real name (covers symlinks only)
        real = Path(os.path.realpath(path))
        fd = os.open(real.with_name(f"{real.name}.code{code_id}.lock"), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        return fd
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != key:
        os.close(fd)  # another file: closing it drops none of our locks
        raise FileNotFoundError(2, "the database file was replaced")
    try:
        _ofd(fd, fcntl.F_WRLCK, code_id)
    except OSError as exc:
        _parked.setdefault(key, []).append(fd)
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return None  # held by another
        raise  # a filesystem without such locks: said as it is, not as "open in another recorder"
    return fd


def unlock(key: Identity, code_id: int, fd: int) -> None:
    """Give up a code's lock; the descriptor waits until the file is closed by every Store of this process."""
    if not _HAS_OFD:
        os.close(fd)
        return
    with contextlib.suppress(OSError):
        _ofd(fd, fcntl.F_UNLCK, code_id)
    _parked.setdefault(key, []).append(fd)


def create(path: Path) -> None:
    """Create a new, empty database file readable by its owner only (it will hold patient data)."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return  # made in the meantime: it is checked like any existing file
    os.close(fd)


def is_open_here(key: Identity) -> bool:
    """Whether another Store of this process has the file open (this one not counted)."""
    return _open_count.get(key, 0) > 1


# ── one look at the folder instead of three at its files ──────────────
#
# The store looks at the database, its -wal and its -shm before every append (Store._still_there): three
# system calls an event, each ~1-4 µs here. The kernel can say instead whether any name in the folder
# changed: an inotify watch on the folder (a file created, removed or renamed there) and on every folder
# above it (one of them renamed or removed), asked with one poll. The events are queued by the very call
# that removes or renames, so nothing done before the poll is missed; only when the poll finds one are the
# files looked at. A mount or unmount anywhere (a folder on the way mounted over) is said by the same
# poll, on /proc/self/mountinfo. Where no watch can be made (no inotify, its limits reached, a symlink on
# the way) the files are looked at every time, as before.

_IN_NONBLOCK_CLOEXEC = os.O_NONBLOCK | os.O_CLOEXEC
_IN_MOVED_FROM, _IN_MOVED_TO, _IN_CREATE, _IN_DELETE = 0x40, 0x80, 0x100, 0x200
_IN_DELETE_SELF, _IN_MOVE_SELF, _IN_ONLYDIR, _IN_DONT_FOLLOW = 0x400, 0x800, 0x01000000, 0x02000000
_IN_UNMOUNT, _IN_Q_OVERFLOW, _IN_IGNORED = 0x2000, 0x4000, 0x8000
_FOLDER = _IN_CREATE | _IN_DELETE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_DELETE_SELF | _IN_MOVE_SELF
_ABOVE = _IN_DELETE_SELF | _IN_MOVE_SELF
_LOST = _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_UNMOUNT | _IN_Q_OVERFLOW | _IN_IGNORED  # the watch no longer holds
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then len bytes of name)


def _inotify() -> tuple[Callable[[int], int], Callable[[int, bytes, int], int]] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        init, add = libc.inotify_init1, libc.inotify_add_watch
    except (AttributeError, OSError):
        return None
    init.argtypes, init.restype = (ctypes.c_int,), ctypes.c_int
    add.argtypes, add.restype = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32), ctypes.c_int
    return init, add


_INOTIFY = _inotify()

# Closing an inotify instance waits in the kernel for a grace period (fsnotify_destroy_group: 7-15 ms here,
# measured, against 20 µs for any other file), and every store close would wait it. The instance is handed to
# one closer thread instead (the wait holds no lock of ours and the GIL is released in close): a store closes
# at once, and a process that exits first has its files closed by the kernel all the same.
_TO_CLOSE: "queue.SimpleQueue[int]" = queue.SimpleQueue()
_closer: threading.Thread | None = None
_closer_lock = threading.Lock()
_CLOSE_BEHIND = 16  # instances waiting to be closed at most


def _close_in_turn() -> None:
    while True:
        with contextlib.suppress(OSError):
            os.close(_TO_CLOSE.get())


def _forget_closer() -> None:
    """In a forked child: no closer thread (threads are not inherited), and no lock held by one of the parent's."""
    global _TO_CLOSE, _closer, _closer_lock
    _TO_CLOSE, _closer, _closer_lock = queue.SimpleQueue(), None, threading.Lock()


os.register_at_fork(after_in_child=_forget_closer)


def _close_later(fd: int) -> None:
    """Close an inotify instance on the closer thread (started the first time)."""
    global _closer
    if _TO_CLOSE.qsize() >= _CLOSE_BEHIND:
        # Closing faster than the kernel lets go (a loop of stores): wait here rather than hold instances,
        # which are few (128 a user by default).
        with contextlib.suppress(OSError):
            os.close(fd)
        return
    with _closer_lock:
        if _closer is None:  # the first close (a forked child starts again from None: _forget_closer)
            _closer = threading.Thread(target=_close_in_turn, name="inotify-closer", daemon=True)
            _closer.start()
    _TO_CLOSE.put(fd)


class FolderWatch:
    """Whether anything changed among a folder's names, or on the way to it, since the last settle()."""

    def __init__(self, fd: int) -> None:
        self._fd, self._mounts = fd, -1
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN)

    @classmethod
    def of(cls, path: Path) -> "FolderWatch | None":
        """A watch on the folder holding `path` and every folder above it; None where none can be made."""
        whole = os.path.abspath(path)
        if _INOTIFY is None or os.path.realpath(whole) != whole:
            # A symlink on the way (or the database's name one): its target could change, and the -wal and -shm
            # are beside the real name, unseen by a watch on these folders.
            return None
        folder = Path(whole).parent
        init, add = _INOTIFY
        fd = init(_IN_NONBLOCK_CLOEXEC)
        if fd < 0:
            return None  # inotify's limits reached, or none here
        watch = cls(fd)
        for each, mask in ((folder, _FOLDER), *((above, _ABOVE) for above in folder.parents)):
            if add(fd, os.fsencode(each), mask | _IN_ONLYDIR | _IN_DONT_FOLLOW) < 0:
                watch.close()
                return None
        try:
            # Polled for a priority event: set once by each change to the mount table (proc(5)), taken by the poll.
            watch._mounts = os.open("/proc/self/mountinfo", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            watch.close()
            return None
        watch._poll.register(watch._mounts, select.POLLPRI)
        return watch

    def quiet(self) -> bool:
        """Nothing happened since the last settle(): one poll, no wait."""
        return not self._poll.poll(0)

    def settle(self) -> bool:
        """Take what happened (before the files are looked at); False when the watch no longer holds (a folder
        moved or removed, the kernel's queue overflowed): it is then closed, and the files looked at each time."""
        lost = False
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                lost = True
                break
            at = 0
            while at + _EVENT.size <= len(data):
                _, mask, _, length = _EVENT.unpack_from(data, at)
                lost = lost or bool(mask & _LOST)
                at += _EVENT.size + length
        if lost:
            self.close()
        return not lost

    def close(self, wait: bool = False) -> None:
        """Close the watch; its inotify instance on the closer thread unless `wait`."""
        with contextlib.suppress(KeyError, ValueError):
            self._poll.unregister(self._fd)  # the numbers may be reused once closed: never polled again
        with contextlib.suppress(KeyError, ValueError):
            self._poll.unregister(self._mounts)
        if self._fd >= 0:
            if wait or sys.is_finalizing():
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            else:
                _close_later(self._fd)
        if self._mounts >= 0:
            with contextlib.suppress(OSError):
                os.close(self._mounts)
        self._fd = self._mounts = -1

    def __del__(self) -> None:
        # A Store dropped unclosed: inotify instances are few (128 a user by default). Never a message at exit.
        # Closed here and now: a thread started from a finalizer, or at exit, may never run (and start() waits).
        with contextlib.suppress(Exception):
            self.close(wait=True)
