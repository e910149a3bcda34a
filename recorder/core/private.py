"""Files that hold patient data: written whole or not at all, owner-only, never through a link nor onto the database."""

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

# What sits beside a database and must never be replaced by an export: SQLite's companions and the
# recorder's journal of entries waiting to be written.
DATABASE_FILES = ("", "-wal", "-shm", "-journal", ".journal")


class Refused(OSError):
    """A path the recorder will not write: `strerror` says why."""

    def __init__(self, why: str) -> None:
        super().__init__(errno.EPERM, why)


def _identity(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def refuse_database(path: Path, databases: Iterable[Path]) -> None:
    """Refused when `path` is one of these databases or their companions, by identity or by real path."""
    target_id = _identity(path)
    target_real = os.path.realpath(path)
    for db in databases:
        real_db = os.path.realpath(db)
        for suffix in DATABASE_FILES:
            for each in {f"{db}{suffix}", f"{real_db}{suffix}"}:
                same = os.path.realpath(each) == target_real
                if not same and target_id is not None:
                    same = _identity(each) == target_id
                if same:
                    what = "the recorder database" if not suffix else f"{db}{suffix}, a file of the recorder database"
                    raise Refused(f"it is {what} {db}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "something else"


def write_private(
    path: Path, data: bytes | Iterable[bytes], *, protect: Iterable[Path] = (), mode: int = 0o600
) -> None:
    """Write `data` (bytes, or pieces of bytes made as they are written) to `path` (mode 0600 unless told),
    replacing whatever file or link was there.

    Through a new temporary file in the same folder (O_EXCL|O_NOFOLLOW), fsync'd, then renamed over
    `path`: a link is replaced, never written through; another user's file is replaced by one of ours;
    a failed write (a full disk) leaves the old file whole and no temporary behind. Refused (an
    OSError) for the databases in `protect` and their companions, and for anything but a file or a link.
    OSError when it cannot. Pieces are written as they come, so a long document is never held whole; an
    exception while making them (or writing them) leaves the old file whole too.
    """
    path = Path(path)
    refuse_database(path, protect)
    with contextlib.suppress(FileNotFoundError):
        st = os.stat(path)  # through a link: a link to a device is no more replaced than the device
        if not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "it is a folder")
            raise Refused(f"it is not a regular file ({_kind(st.st_mode)})")
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        temp = f".{path.name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=folder)
        try:
            try:
                os.fchmod(fd, mode)  # the umask may have taken bits off
                for piece in (data,) if isinstance(data, bytes | bytearray | memoryview) else data:
                    view = memoryview(piece)
                    while view:
                        view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(temp, path.name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=folder)
            raise
        with contextlib.suppress(OSError):
            os.fsync(folder)  # the rename itself on disk
    finally:
        os.close(folder)


def private_dir(path: Path) -> None:
    """A folder for exports: created owner-only (0700) when new; refused when it is a symlink or a file.

    OSError when it cannot.
    """
    path = Path(path)
    made = False
    try:
        os.lstat(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)  # never follows a link in its last part
            made = True
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise Refused("it is a symbolic link (give the folder it points to)")
    if not stat.S_ISDIR(st.st_mode):
        raise Refused("it is a file, not a folder")
    if made:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.fchmod(fd, 0o700)  # mkdir's mode passes through the umask
        finally:
            os.close(fd)
