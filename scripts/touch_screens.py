"""Draws docs/touch-layout.svg and docs/touch-io-picker.svg: the snapshots' busy code in the touch layout at 128x40.

Run from the repository root: `uv run python scripts/touch_screens.py`.
"""

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["TZ"] = "UTC"  # the clock times on screen, as the snapshots pin them
time.tzset()

from recorder.core.clock import FakeClock  # noqa: E402
from recorder.store import Store  # noqa: E402
from recorder.tui.app import build_app  # noqa: E402
from tests.tui.test_snapshots import busy_code  # noqa: E402
from tests.tui.test_touch import SIZE, tap  # noqa: E402


async def main() -> None:
    folder = Path(tempfile.mkdtemp())
    os.environ["XDG_STATE_HOME"] = str(folder)  # no journal of this code anywhere but here
    clock = FakeClock(datetime(2026, 3, 2, 14, 5, tzinfo=UTC))
    busy_code(Store(folder / "recorder.db"), clock)
    app = build_app(Store(folder / "recorder.db"), clock, touch=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.save_screenshot(str(ROOT / "docs" / "touch-layout.svg"))
        for label in ("IO", "distal femur", "Left"):
            await tap(label)(pilot)
        await pilot.pause(0.3)  # past the buttons' tap effect
        app.save_screenshot(str(ROOT / "docs" / "touch-io-picker.svg"))


if __name__ == "__main__":
    asyncio.run(main())
