"""The key bar: every key of the screen's key map with a short label, on as many rows as the width needs."""

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Static

# How a binding's key is written on the bar and in the help.
KEY_SHOWN = {"question_mark": "?", "minus": "-", "delete": "Del", "enter": "Enter", "escape": "Esc"}


def key_shown(key: str) -> str:
    """`ctrl+p` → `^p`, `question_mark` → `?`: as short as the bar needs, as the keyboard says it."""
    first = key.split(",")[0]
    return KEY_SHOWN.get(first, first.replace("ctrl+", "^"))


def bar_items(bindings: list[BindingType], extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(key, label) for every binding shown on the bar, then the app's own keys (more, quit)."""
    items = [(b.key_display or key_shown(b.key), b.description) for b in bindings if isinstance(b, Binding) and b.show]
    return items + extra


def bar_rows(items: list[tuple[str, str]], width: int) -> list[list[tuple[str, str]]]:
    """Items packed onto rows no wider than `width` (a row takes at least one item)."""
    rows: list[list[tuple[str, str]]] = [[]]
    used = 0
    for key, label in items:
        size = len(key) + len(label) + 1  # "keylabel" (the key in reverse) and one space after
        if rows[-1] and used + size - 1 > width:
            rows.append([])
            used = 0
        rows[-1].append((key, label))
        used += size
    return rows


class KeyBar(Static):
    """At the foot of the screen; as many rows as the width needs (two at 80 columns)."""

    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 2; background: $panel; color: $text; }
    """

    def __init__(self, items: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.items = items

    def on_resize(self) -> None:
        self.draw()

    def draw(self) -> None:
        text = Text(no_wrap=True, overflow="crop")
        rows = bar_rows(self.items, max(self.size.width, 1))
        self.styles.height = len(rows)  # set, not left to `auto`: the screen lays itself out again at once
        for n, row in enumerate(rows):
            if n:
                text.append("\n")
            for i, (key, label) in enumerate(row):
                if i:
                    text.append(" ")
                # htop's way: the key in reverse, its label straight after; a space between items.
                text.append(key, style="bold reverse")
                text.append(label)
        self.update(text)
