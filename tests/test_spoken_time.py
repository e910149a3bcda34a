"""Times as people say them: every form, the two readings of `a:b`, and the refusals (no clamp)."""

from datetime import UTC, datetime

import pytest

from recorder.core.spoken_time import SpokenTimeError, parse_spoken_time, understood

START = datetime(2026, 3, 2, 10, 40, 43, tzinfo=UTC)  # the tests' TZ is UTC (conftest)


@pytest.mark.parametrize(
    ("said", "t"),
    [
        ("1:30", 90),
        ("01:30", 90),
        ("T+01:30", 90),
        ("t+1:30", 90),
        ("T+0:01:30", 90),
        ("90", 90),
        ("90 s", 90),
        ("12.5", 12.5),
        ("30 s ago", 570),
        ("1 min ago", 540),
        ("2 min ago", 480),
        ("1 min 30 s ago", 510),
        ("10:42:13", 90),  # the wall clock, local time
        ("10:50", 557),  # a clock time only: T+10:50 is in the future
        ("now", 600),
        ("T+10:00", 600),
    ],
)
def test_each_way_of_saying_a_time(said: str, t: float) -> None:
    assert parse_spoken_time(said, now=600, start=START) == t


@pytest.mark.parametrize(
    ("said", "words"),
    [
        ("11:00", "in the future"),  # neither T+11:00 (now is T+10:00) nor 11:00 on the clock
        ("T+10:01", "in the future"),
        ("700", "in the future"),
        ("10:30:00", "before the code's start"),
        ("11 min ago", "before the code's start"),
        ("1:75", "seconds go up to 59"),
        ("half past", "is not a time"),
        ("", "no time given"),
        ("25:00:00", "not a clock time"),
    ],
)
def test_a_time_outside_the_code_or_unreadable_is_refused_not_clamped(said: str, words: str) -> None:
    with pytest.raises(SpokenTimeError, match=words):
        parse_spoken_time(said, now=600, start=START)


def test_a_time_that_reads_both_ways_is_refused_with_both_readings() -> None:
    # An hour in: 10:45 is T+10:45 and also the clock's 10:45 (T+04:17); the parser does not guess.
    with pytest.raises(SpokenTimeError, match=r"T\+10:45 or the clock time 10:45"):
        parse_spoken_time("10:45", now=3600, start=START)
    assert parse_spoken_time("T+10:45", now=3600, start=START) == 645
    assert parse_spoken_time("10:45:00", now=3600, start=START) == 257


def test_a_clock_time_after_midnight_is_on_the_day_inside_the_code() -> None:
    late = datetime(2026, 3, 2, 23, 50, tzinfo=UTC)
    assert parse_spoken_time("00:05:00", now=1800, start=late) == 900


def test_understood_says_both_times() -> None:
    assert understood(90, START) == "T+01:30, 10:42:13"
