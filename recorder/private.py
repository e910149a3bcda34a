"""Files that hold patient data: written readable and writable by their owner only."""

import os
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600, whatever was there before; OSError when it cannot."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), 0o600)  # an existing file keeps its old mode through O_CREAT
        out.write(data)


def private_dir(path: Path) -> None:
    """A folder for exports, created owner-only (0700) when it is new; OSError when it cannot."""
    if path.is_dir():
        return
    path.mkdir(parents=True, mode=0o700)
    path.chmod(0o700)  # mkdir's mode passes through the umask
