"""A screen with one line on it: why a browser tab served by `recorder serve` has no code to show."""

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static


class NoticeApp(App[None]):
    """Shows `message` as it is (it may name a file: never read as markup) until the tab is closed or q."""

    TITLE = "Resuscitation recorder"
    CSS = "Static { padding: 2 4; }"
    BINDINGS = [Binding("q,ctrl+q", "quit", "Quit", priority=True)]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        yield Static(Text(f"recorder: {self.message}"), id="notice")
