"""Words from a person or a file as the screen shows them: literal text, never markup, nothing invisible.

Every panel, picker and notification builds its content as `rich.text.Text` (which Textual never parses
as markup) from strings passed through `visible`: a drug named `TXA [/]` is shown as typed, a note with
`[@click=app.quit]` is text, not an action, and a control, direction or zero-width character that an
older record still holds is shown as its escape (`\\u202e`) instead of driving the terminal.
"""

import unicodedata
from collections.abc import Iterable

from rich.text import Text

# Unicode categories that draw nothing or move the cursor: controls, format characters (direction
# overrides, zero-width joiners), line and paragraph separators, lone surrogates.
HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# A note may hold line breaks; on one screen line they are shown as a mark, a tab as a space.
SHOWN_AS = {"\n": "↵", "\t": " "}


def _show(ch: str) -> str:
    if ch in SHOWN_AS:
        return SHOWN_AS[ch]
    if unicodedata.category(ch) in HIDDEN:
        return ch.encode("unicode_escape").decode("ascii")
    return ch


def visible(text: str) -> str:
    """`text` on one line with every invisible character made visible; printable text unchanged."""
    if text.isprintable():  # almost every string: no work beyond one scan
        return text
    return "".join(_show(ch) for ch in text)


def visible_lines(lines: Iterable[str]) -> str:
    """Lines a caller set out one under another (a notice listing flags): each made `visible` on its own, so its
    words' breaks are marks as anywhere, and joined by real line breaks, the caller's own."""
    return "\n".join(map(visible, lines))


def pasted(text: str) -> str:
    """Pasted text as a box takes it: every line kept, its breaks shown as on the timeline (`↵`), and nothing
    invisible. A text box shows one line and draws what it holds as it is: it kept a paste's first line alone,
    and drew an escape in it raw, to the terminal. Terminals send a pasted break as CR; a copied line ends in one."""
    return visible(text.replace("\r\n", "\n").replace("\r", "\n").strip("\n"))


def literal(text: str, style: str = "") -> Text:
    """`text` as content a widget shows exactly as written (a `Label`, a `Static`, an option)."""
    return Text(visible(text), style=style)
