"""Take docs/serve-live.png (the scribe's screen in a browser) and docs/serve-team.png (the team display in a
second tab), 1024x768, from `recorder serve` on a throwaway database, entered by keys in the page; and
docs/serve-touch.png, the touch layout on a 1024x768 touch screen mid-arrest, entered by taps alone.

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

# The touch screen's arrest: each entry's buttons tapped in turn (and the patient typed, as on an on-screen
# keyboard), then what the screen shows once it is logged.
TAPS: list[tuple[list[str], str, str]] = [
    (["In arrest"], "", "Code started"),
    (["Patient"], "2y 12kg tape", "Patient: age 2 y"),
    (["Rhythm", "asystole"], "", "Rhythm: asystole"),
    (["CPR"], "", "CPR started"),
    (["IO", "proximal tibia", "Left", "Log attempt"], "", "IO attempt io1"),
    (["Line in"], "", "io1 in"),
    (["Aspirate", "marrow aspirated"], "", "Aspiration io1"),
    (["Flush", "Log"], "", "Flush io1"),
    (["Adrenaline", "Log"], "", "Epinephrine"),
]


def touch() -> None:
    with tempfile.TemporaryDirectory(prefix="recorder-shots-") as folder:
        served = Served(Path(folder) / "recorder.db")
        try:
            with browser_context((1024, 768), has_touch=True) as (context, guard):
                scribe = Tab(context.new_page()).open(served.url, wait_for="In arrest", timeout=60)
                for buttons, typed, logged in TAPS:
                    for label in buttons:
                        scribe.tap_button(label)
                        if label == "Patient":
                            scribe.wait_for("▊")
                            scribe.page.wait_for_timeout(200)
                            scribe.page.keyboard.type(typed, delay=20)
                            scribe.tap_button("Save")
                    scribe.wait_for(logged)
                    scribe.page.wait_for_timeout(300)  # past the 0.2 s a button ignores a second tap in
                scribe.page.wait_for_timeout(1500)  # the flag's notice gone, the timers ticking
                scribe.page.screenshot(path=str(ROOT / "docs" / "serve-touch.png"))
                assert not guard.outside, guard.outside
        finally:
            served.stop()


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
    touch()
