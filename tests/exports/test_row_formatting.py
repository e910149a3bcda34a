"""The summary's fast row formatting writes what the general functions write."""

import random
from datetime import UTC, datetime, timedelta, timezone

from exports.sections import clock_at
from schemas.formatting import clock


def test_clock_at_is_clock_for_every_start_and_time() -> None:
    rng = random.Random(17)
    starts = [
        datetime(2026, 3, 2, 14, 5, tzinfo=UTC),
        datetime(2026, 3, 2, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
        datetime(2026, 10, 25, 1, 30, 0, 500_000, tzinfo=timezone(timedelta(hours=2))),
        datetime(2030, 1, 1, 0, 0, 0, 1).astimezone(),
    ]
    times = [0.0, 0.5, 0.9999995, 0.0000005, 59.9999999, 86_399.9999995, 86_400.0, 1e6 + 0.25, 3 * 86_400 - 1e-7]
    times += [round(rng.uniform(0, 200_000), rng.choice([0, 1, 3, 6, 7])) for _ in range(20_000)]
    for start in starts:
        at = clock_at(start)
        for t in times:
            assert at(t) == clock(start, t), (start, t)
