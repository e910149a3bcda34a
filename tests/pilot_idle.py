"""Pilot's waits for an idle app, judged on short slices and never shorter than a frame."""

import textual._wait
import textual.app
import textual.pilot
from textual.screen import UPDATE_PERIOD

# Pilot's press, click and pause each wait until a 20 ms slice passes with under 1 ms of CPU: at least 60 ms a
# key however little it does, and half the screen tests' time was spent asleep there. 5 ms slices with under
# 0.25 ms judge idleness by the same ratio and stop sooner after the work is done.
SLICE = 0.005

_wait_for_idle = textual._wait.wait_for_idle


async def wait_for_idle(min_sleep: float = UPDATE_PERIOD, max_sleep: float = 1) -> None:
    """Textual's wait, on short slices, lasting at least a frame: what runs after the next refresh
    (call_after_refresh) has run when a pause ends, as it had with 20 ms slices."""
    await _wait_for_idle(max(min_sleep, UPDATE_PERIOD), max_sleep)


def install() -> None:
    """Used by every Pilot of this process (Pilot and App import the function by name)."""
    textual._wait.SLEEP_GRANULARITY = SLICE
    textual._wait.SLEEP_IDLE = SLICE / 20
    textual.pilot.wait_for_idle = wait_for_idle
    textual.app.wait_for_idle = wait_for_idle
