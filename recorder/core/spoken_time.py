"""Times as people say them (`1:30`, `T+01:30`, `10:42`, `30 s ago`, `90`) read into seconds from the code's start."""

import re
from datetime import datetime, time, timedelta

from schemas.formatting import t_plus

__all__ = ["SpokenTimeError", "parse_spoken_time", "understood"]

HINT = "type mm:ss, T+mm:ss, a clock time HH:MM[:SS], 30 s ago / 1 min ago, or seconds"

_NUMBER = r"(\d+(?:\.\d+)?)"
_SECONDS = re.compile(rf"^{_NUMBER}\s*(?:s|sec|secs|seconds?)?$")
_T_PLUS = re.compile(r"^t\s*\+\s*(?:(\d+):)?(\d+):(\d{2}(?:\.\d+)?)$")
_TWO = re.compile(r"^(\d{1,3}):(\d{2}(?:\.\d+)?)$")
_THREE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})$")
_AGO_PART = re.compile(rf"{_NUMBER}\s*(h|hours?|hrs?|m|mins?|minutes?|s|secs?|seconds?)\b")
_AGO = re.compile(rf"^(?:{_AGO_PART.pattern}\s*)+ago$")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0}


class SpokenTimeError(ValueError):
    """A time that cannot be read, or that lies in the future or before the code's start; one line."""


def parse_spoken_time(text: str, *, now: float, start: datetime) -> float:
    """`text` as seconds from the code's start (`start`, aware), given the code clock's `now`.

    `mm:ss` and `T+mm:ss` (or `T+h:mm:ss`) count from the start; `HH:MM:SS` and `HH:MM` are the clock
    on the wall, in the local time zone, on the day that puts them inside the code; `N s ago`,
    `N min ago` (`1 min 30 s ago`) count back from now; a bare number is seconds from the start.
    A two-part `a:b` that reads both as T+a:b and as the clock time a:b inside the code is refused
    (say which), never guessed. A time in the future or before the start is refused, never clamped.
    """
    said = " ".join(text.strip().lower().split())
    if not said:
        raise SpokenTimeError(f"no time given: {HINT}")
    if said == "now":
        return now
    if match := _SECONDS.match(said):
        return _inside(float(match.group(1)), now, start, text)
    if match := _T_PLUS.match(said):
        hours, minutes, seconds = match.groups()
        return _inside(int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds), now, start, text)
    if _AGO.match(said):
        back = sum(float(n) * _UNIT_S[unit[0]] for n, unit in _AGO_PART.findall(said))
        return _inside(now - back, now, start, text)
    if match := _THREE.match(said):
        return _inside(_wall(int(match[1]), int(match[2]), int(match[3]), now, start, text), now, start, text)
    if match := _TWO.match(said):
        a, b = match.groups()
        as_code = int(a) * 60 + float(b)
        as_wall = None
        if int(a) < 24 and float(b) < 60 and "." not in b:
            try:
                as_wall = _inside(_wall(int(a), int(b), 0, now, start, text), now, start, text)
            except SpokenTimeError:
                as_wall = None
        code_fits = 0 <= as_code <= now and float(b) < 60
        if as_wall is not None and code_fits and as_wall != as_code:
            raise SpokenTimeError(
                f"{text.strip()!r} could be {t_plus(as_code)} or the clock time {int(a):02d}:{int(b):02d}: "
                f"type T+{text.strip()} or {int(a):02d}:{int(b):02d}:00"
            )
        if as_wall is not None:
            return as_wall
        if float(b) >= 60:
            raise SpokenTimeError(f"{text.strip()!r}: seconds go up to 59; {HINT}")
        return _inside(as_code, now, start, text)
    raise SpokenTimeError(f"{text.strip()!r} is not a time: {HINT}")


def understood(t: float, start: datetime) -> str:
    """What a time was read as, both ways the team might say it: `T+01:30, 10:42:13`."""
    return f"{t_plus(t)}, {(start + timedelta(seconds=t)).astimezone().strftime('%H:%M:%S')}"


def _inside(t: float, now: float, start: datetime, text: str) -> float:
    if t < 0:
        raise SpokenTimeError(
            f"{text.strip()!r} is before the code's start ({_clock(start)}): a time from T+00:00 to now"
        )
    if t > now:
        raise SpokenTimeError(
            f"{text.strip()!r} ({t_plus(t)}) is in the future: it is {t_plus(now)} now; give a time up to now"
        )
    return t


def _wall(hour: int, minute: int, second: int, now: float, start: datetime, text: str) -> float:
    """A local clock time as seconds from the start: on the day that puts it inside the code, if any."""
    if hour > 23 or minute > 59 or second > 59:
        raise SpokenTimeError(f"{text.strip()!r} is not a clock time: {HINT}")
    start_local = start.astimezone()
    end_local = (start + timedelta(seconds=now)).astimezone()
    candidates = []
    for day in {start_local.date(), end_local.date()}:
        at = datetime.combine(day, time(hour, minute, second)).astimezone()
        candidates.append((at - start).total_seconds())
    inside = [t for t in candidates if 0 <= t <= now]
    if inside:
        return max(inside)
    # Outside the code either way: the nearest reading, for the refusal to name.
    return min(candidates, key=lambda t: min(abs(t), abs(t - now)))


def _clock(start: datetime) -> str:
    return start.astimezone().strftime("%H:%M:%S")
