"""Where a command's output goes: `-o PATH` or `-` for standard output; files written whole, owner-only."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from recorder.core import private
from recorder.errors import RecorderError


class OutputError(RecorderError):
    """`-o` names a place that cannot be written: one line on stderr, exit status 2, nothing half-written."""


class Output(click.Path):
    """`-o PATH`, where `-` means standard output: given to the command as None, as when -o is left out.

    A file really named `-` is written as `./-`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(path_type=Path, **kwargs)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value == "-":
            return None
        return super().convert(value, param, ctx)


def write_private(path: Path, data: bytes | Iterable[bytes], databases: list[Path], mode: int = 0o600) -> None:
    """recorder.core.private.write_private, its failure as one line: never onto a database, never through a link."""
    try:
        private.write_private(path, data, protect=databases, mode=mode)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}; choose another -o") from None


def private_dir(path: Path) -> None:
    """recorder.core.private.private_dir (a new folder 0700; a link or a file refused), its failure as one line."""
    try:
        private.private_dir(path)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {path}: {exc.strerror}; choose another -o") from None
