"""Entries from the screen into the session, so that none is lost when the disk fails."""

from collections import deque
from dataclasses import dataclass
from typing import Any

from recorder.session import Logged, Session, SessionError
from recorder.store import StoreError


@dataclass(frozen=True)
class Pending:
    """An entry the scribe made that is not on disk yet."""

    data: dict[str, Any]
    t: float


class Scribe:
    """The screen's way into the session.

    An entry is shown only once it is committed. When the database cannot be written, the entry is
    queued, in order, with every entry after it (they may depend on it: a flush of a line whose
    attempt is queued), and `retry` writes them as soon as the fault clears. Nothing is dropped:
    an entry that turns out invalid on retry stays visible in `rejected` with the reason.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pending: deque[Pending] = deque()
        self.rejected: list[tuple[Pending, str]] = []
        self.fault: str | None = None

    def enter(self, data: dict[str, Any], t: float) -> Logged | None:
        """Log an entry; None when it was queued behind a storage fault. SessionError for bad input."""
        if self.pending:
            self.pending.append(Pending(dict(data), t))
            self.retry()
            return None
        try:
            logged = self.session.log(data, t=t)
        except StoreError as exc:
            self.fault = str(exc)
            self.pending.append(Pending(dict(data), t))
            return None
        self.fault = None
        return logged

    def retry(self) -> list[Logged]:
        """Write queued entries in order until one fails; returns those written."""
        written = []
        while self.pending:
            entry = self.pending[0]
            try:
                written.append(self.session.log(entry.data, t=entry.t))
            except StoreError as exc:
                self.fault = str(exc)
                return written
            except SessionError as exc:
                self.rejected.append((entry, str(exc)))
            self.pending.popleft()
        self.fault = None
        return written
