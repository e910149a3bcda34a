"""The help screen: the key map, generated from the live screen's own bindings."""

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from recorder.tui.key_bar import key_shown
from recorder.tui.live import LiveScreen
from recorder.tui.touch import LIVE_BUTTONS, choice_row, is_touch

PICKER_KEYS = [
    ("IO picker", "1–7 site (1 proximal tibia … 7 calcaneus) · l/r side · d device · n needle · Enter log"),
    (
        "Drug picker",
        "type to filter · ↑↓ · Enter picks · proposed dose shown · Enter logs via the current line · "
        "in the dose box t ET · m IM · n IN · l back to the line (the dose proposed follows the route)",
    ),
    ("Shock (s)", "the protocol's J/kg for the weight proposed · Tab, y: synchronized · flags shown before Enter"),
    ("Forms", "Tab next field · Enter logs · Esc cancels"),
    ("Patient (p)", "one line: 2y 12kg tape · 7mo · 10d · 45y 80kg est · unknown age 12t — said back before Enter"),
]
# The app's own keys: the palette, and how to leave (the key bar shows them as ^p and ^q).
APP_KEYS = [
    ("ctrl+p", "more: every other event by name — ROSC, findings, infusions, samples, vitals, end code, review"),
    (
        "ctrl+q",
        "quit: the code stays open (`recorder` resumes it); with entries not saved yet it says where they are "
        "kept and asks (y quit · n stay); ctrl+q twice quits",
    ),
]


def key_table() -> Table:
    table = Table(title="Keys", show_header=True, header_style="bold", expand=True)
    table.add_column("key", style="bold cyan", width=10)
    table.add_column("does")
    for binding in LiveScreen.BINDINGS:
        assert isinstance(binding, Binding)
        label = binding.description + (f" — {binding.tooltip}" if binding.tooltip else "")
        key = binding.key_display or key_shown(binding.key)
        table.add_row(Text(key), Text(label))  # Text, not markup: a key like `[` is shown as it is
    for key, label in APP_KEYS:
        table.add_row(Text(key), Text(label))
    for where, keys in PICKER_KEYS:
        table.add_row(Text(where), Text(keys))
    return table


def touch_table() -> Table:
    """The touch layout's buttons, each with the key it stands for and what it does."""
    bindings = {b.action: b for b in LiveScreen.BINDINGS if isinstance(b, Binding)}
    app_keys = {"app.command_palette": APP_KEYS[0], "app.quit": APP_KEYS[1]}
    table = Table(title="Buttons (the touch layout): each does what its key does", expand=True)
    table.add_column("button", style="bold cyan", width=12)
    table.add_column("key", width=6)
    table.add_column("does")
    for action, label in LIVE_BUTTONS.items():
        if action in bindings:
            b = bindings[action]
            key, does = b.key_display or key_shown(b.key), b.description + (f" — {b.tooltip}" if b.tooltip else "")
        elif action in app_keys:
            key, does = app_keys[action]
        else:  # app.help: this screen
            key, does = "?", "this help"
        table.add_row(Text(label), Text(key), Text(does))
    return table


class HelpScreen(ModalScreen[None]):
    """`?` — every key; Esc or ? closes."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", priority=True)]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100; height: 90%; border: thick $accent; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            if is_touch(self.app):
                yield choice_row([("Close", "dismiss")], columns=1)
                yield Static(touch_table())
            yield Static(key_table())
