"""Take docs/serve-live.png (the scribe's screen in a browser) and docs/serve-team.png (the team display in a
second tab), 1024x768, from `recorder serve` on a throwaway database, entered by keys in the page.

uv run python docs/screenshots.py      (needs Debian's chromium)
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.served import Served, Tab, browser_context  # noqa: E402

KEYS = [
    ("p", "2", "y", "1", "2", "t", "Enter"),  # patient: 2 years, 12 kg by length tape
    ("i", "1", "l", "Enter", "y"),  # IO attempt, proximal tibia, left; in
    ("a", "y"),  # aspiration: marrow
    ("f", "Enter"),  # flush, the minimum volume
    ("e", "Enter"),  # adrenaline, the proposed dose
    ("c",),  # CPR started
]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="recorder-shots-") as folder:
        served = Served(Path(folder) / "recorder.db")
        try:
            with browser_context((1024, 768)) as (context, guard):
                scribe = Tab(context.new_page()).open(served.url, wait_for="Timeline (newest first)", timeout=60)
                for keys in KEYS:
                    scribe.press(*keys, gap_ms=150)
                scribe.wait_for("CPR started")
                scribe.page.wait_for_timeout(500)
                scribe.page.screenshot(path=str(ROOT / "docs" / "serve-live.png"))
                team = Tab(context.new_page()).open(served.url, wait_for="following live", timeout=60)
                team.page.wait_for_timeout(500)
                team.page.screenshot(path=str(ROOT / "docs" / "serve-team.png"))
                assert not guard.outside, guard.outside
        finally:
            served.stop()


if __name__ == "__main__":
    main()
