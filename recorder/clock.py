"""The only reader of time: wall and monotonic clocks, the code clock, and a fake for tests."""

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def wall(self) -> datetime:
        """Now, as an aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps; only differences mean anything."""
        ...


class SystemClock:
    """The machine's clocks."""

    def wall(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock the tests move by hand: `advance` moves both; `jump_wall` moves only the wall."""

    def __init__(self, start: datetime | None = None) -> None:
        self._wall = start or datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
        self._mono = 1000.0

    def wall(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._wall += timedelta(seconds=seconds)
        self._mono += seconds

    def jump_wall(self, seconds: float) -> None:
        """An NTP correction or a scribe changing the time zone: the wall clock alone moves."""
        self._wall += timedelta(seconds=seconds)


class CodeClock:
    """Time within one code: its start on the wall clock plus monotonic time elapsed since.

    A wall-clock jump during a code therefore neither reorders nor shifts its events.
    """

    def __init__(self, clock: Clock, start: datetime, elapsed: float = 0.0) -> None:
        self.clock = clock
        self.start = start
        # The monotonic reading that corresponds to the code's start.
        self._mono0 = clock.monotonic() - elapsed

    @classmethod
    def resumed(cls, clock: Clock, start: datetime) -> "CodeClock":
        """After a restart the monotonic origin is lost; the wall clock is the best we have."""
        return cls(clock, start, elapsed=max(0.0, (clock.wall() - start).total_seconds()))

    def elapsed(self) -> float:
        """Seconds since the code started: the `t` of an event happening now."""
        return self.clock.monotonic() - self._mono0

    def at(self, t: float) -> datetime:
        """The wall time of code time `t`."""
        return self.start + timedelta(seconds=t)

    def recorded_at(self) -> datetime:
        """When an event is written: the machine's wall clock, never edited."""
        return self.clock.wall()


def utc(dt: datetime) -> datetime:
    """`dt` in UTC (aware)."""
    return dt.astimezone(UTC)


def parse_date(text: str) -> datetime:
    """A date or date-time given on the command line, as aware UTC (naive = local time)."""
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return dt.astimezone(UTC)
