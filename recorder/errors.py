"""RecorderError: the one base of every error a user can act on, carrying its one-line message and exit status."""


class RecorderError(Exception):
    """A problem the user can act on; the message says what to do. The CLI prints `message` and exits `exit_code`."""

    # 2: the status of every user error (README: "one line on stderr ... with exit status 2").
    exit_code = 2

    @property
    def message(self) -> str:
        """The error as one line (one_line)."""
        return one_line(str(self))


def one_line(text: str) -> str:
    """`text` as one printable line: a file name or SQLite's own text cannot break it or drive the terminal."""
    # schemas.events loads pydantic: imported when a message is shown, not when an error class is defined
    # (the engine and the store define theirs at import time).
    from schemas.events import printable

    return printable(" ".join(text.splitlines()))
