"""The only reader of time: wall and monotonic clocks, the code clock, and a fake for tests."""

import time
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import NamedTuple, Protocol

# The kernel's id for this boot: the monotonic clock (CLOCK_MONOTONIC) counts from the boot, and goes on
# across processes, so a reading taken by one recorder means something to the next only in the same boot.
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


class Clock(Protocol):
    def wall(self) -> datetime:
        """Now, as an aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps; only differences within one boot mean anything."""
        ...

    def boot_id(self) -> str:
        """Which boot the monotonic clock counts from ("" when unknown: then no reading carries over)."""
        ...

    def since_stamp(self, stamp: float) -> float:
        """Seconds since `stamp`, a `time.monotonic()` reading taken by another part of the program (Textual
        stamps each key so, in the thread that read it from the terminal); never negative."""
        ...


class SystemClock:
    """The machine's clocks."""

    def wall(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        # CLOCK_BOOTTIME: like CLOCK_MONOTONIC (never stepped, counts from the boot, the same in every
        # process) but it goes on while the machine is suspended; a laptop closed for five minutes
        # mid-code is five minutes on the code clock, as at the bedside.
        return time.clock_gettime(_CODE_CLOCK_ID)

    def boot_id(self) -> str:
        return _boot_id()

    def since_stamp(self, stamp: float) -> float:
        return max(0.0, time.monotonic() - stamp)


_CODE_CLOCK_ID = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)


@cache
def _boot_id() -> str:
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""  # not Linux, or /proc not mounted: every resume goes by the wall clock


class FakeClock:
    """A clock the tests move by hand: `advance` moves both; `jump_wall` moves only the wall; `reboot`
    starts a new boot (a new boot id, the monotonic clock anew)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._wall = start or datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
        self._mono = 1000.0
        self._boot = 1

    def wall(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def boot_id(self) -> str:
        return f"fake-boot-{self._boot}"

    def since_stamp(self, stamp: float) -> float:
        # Real time is not this clock's: nothing stamped in it has aged on it (tests set a key's age by hand).
        return 0.0

    def advance(self, seconds: float) -> None:
        self._wall += timedelta(seconds=seconds)
        self._mono += seconds

    def jump_wall(self, seconds: float) -> None:
        """An NTP correction or a scribe changing the time zone: the wall clock alone moves."""
        self._wall += timedelta(seconds=seconds)

    def reboot(self, down: float) -> None:
        """The machine is off for `down` seconds and boots again: a new boot, the monotonic clock anew."""
        self._wall += timedelta(seconds=down)
        self._mono = 7.0
        self._boot += 1


class ClockMark(NamedTuple):
    """The code clock as an event was written: the boot, the monotonic reading, and the code's `t` then."""

    boot_id: str
    monotonic: float
    elapsed: float


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
    def resumed(cls, clock: Clock, start: datetime, last: ClockMark | None, floor: float = 0.0) -> "CodeClock":
        """The clock of a code reopened by another process: it goes on from where the code was left.

        `last` is the mark of the code's last written event; `floor` its latest recorded `t`.
        In the same boot the monotonic clock has run on across the restart, so the code goes on
        exactly: its time then plus the monotonic time since, whatever the wall clock did. After a
        reboot (or for a code written before marks were kept) nothing measured the gap but the wall
        clock, which may have been stepped: it is used, but never below what the code had already
        reached, so a new entry is never stored before an earlier one (a clock that came up behind
        makes the time the machine was down read as zero, not as negative).
        """
        reached = max(floor, last.elapsed if last else 0.0)
        if last is not None and last.boot_id and last.boot_id == clock.boot_id():
            elapsed = reached + max(0.0, clock.monotonic() - last.monotonic)
        else:
            elapsed = max(reached, (clock.wall() - start).total_seconds())
        return cls(clock, start, elapsed=elapsed)

    def elapsed(self) -> float:
        """Seconds since the code started: the `t` of an event happening now."""
        return self.clock.monotonic() - self._mono0

    def mark(self, entered: float | None = None) -> ClockMark:
        """Where the code clock stands now, to keep with an event written now.

        `entered`: the code time at which the scribe made an entry that waited (in a journal) to be
        written; the mark is then that moment's, on the same origin, so the entry is not late for the wait.
        """
        if entered is not None:
            return ClockMark(self.clock.boot_id(), self._mono0 + entered, entered)
        mono = self.clock.monotonic()
        return ClockMark(self.clock.boot_id(), mono, mono - self._mono0)

    def at(self, t: float) -> datetime:
        """The wall time of code time `t`."""
        return self.start + timedelta(seconds=t)

    def recorded_at(self) -> datetime:
        """When an event is written: the machine's wall clock, never edited."""
        return self.clock.wall()


def local(dt: datetime) -> datetime:
    """`dt` in the machine's local time zone, with its offset: how a code's start is stamped."""
    return dt.astimezone()
