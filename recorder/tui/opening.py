"""The first frame: the live screen's layout, drawn from textual alone while the code is being opened."""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from recorder.tui.key_bar import KeyBar, bar_items
from recorder.tui.literal import visible
from recorder.tui.live_keys import APP_KEYS, LIVE_KEYS

# Every module here imports textual, rich and the stdlib only: the models, the engine and the store load
# after this screen is drawn (benchmarks/bench_startup.py; tests/test_launch_imports.py holds it).


class OpeningScreen(Screen):
    """What the scribe sees until the code is open: the live screen's panels and keys, and only what is
    known without the database (the file being opened; a new code has no lines yet). Keys typed meanwhile
    wait in order for the live screen (recorder/tui/key_order.py)."""

    def __init__(self, db_path: str, new: bool) -> None:
        super().__init__()
        self.db_path = db_path
        self.new = new

    def compose(self) -> ComposeResult:
        what = "new code · opening" if self.new else "opening"
        yield Static(Text(f"{what} {visible(self.db_path)} …"), id="banner")  # a path is shown as it is
        with Horizontal(id="top"):
            with Vertical(id="left"):
                # A new code has no lines: the same words the live screen's lines panel gives it.
                lines = "No lines yet — i IO · v IV" if self.new else "opening the code…"
                yield Static(Text(lines, style="dim"), id="lines")
                yield Static(Text("opening the code…", style="dim"), id="timers")
            yield Static(id="flags")
        with Vertical(id="timeline-box"):
            yield Static(id="timeline")
        yield KeyBar(bar_items(LIVE_KEYS, APP_KEYS), id="keys")

    def on_mount(self) -> None:
        self.query_one("#lines").border_title = "Lines"
        self.query_one("#timers").border_title = "Timers"
        self.query_one("#timeline-box").border_title = "Timeline (newest first) · ↑↓ select · Del void · m amend"
        self.query_one("#flags").border_title = "Flags · k acknowledge"
