"""The touch layout: large buttons that run the very actions the keys run, for a tablet in a browser."""

from math import ceil
from typing import ClassVar
from weakref import ReferenceType, ref

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.widgets import Button
from textual.widgets.button import ButtonVariant

from recorder.tui.widgets import TimelineView

# A browser window at most this many cells wide is taken for a tablet: a 1024×768 crash-cart tablet is
# about 110–128 columns (depending on its font); a desktop browser window is wider than 160.
TOUCH_MAX_COLUMNS = 160
BUTTON_CELLS = 12  # a button's width on the bar: "Adrenaline" (10) and a cell either side
BUTTON_ROWS = 3  # a button's height: about 55 px in a browser, above the 44 px a finger needs

# The live screen's buttons, most frequent first: each names the action its key runs (LiveScreen.BINDINGS;
# `app.` ones are the app's own: the palette, help and quit), so a tap does exactly what the key does.
LIVE_BUTTONS: dict[str, str] = {
    "io": "IO",
    "line_result('in')": "Line in",
    "line_result('failed')": "Line fail",
    "aspiration": "Aspirate",
    "flush": "Flush",
    "drug('epinephrine')": "Adrenaline",
    "drug": "Drug",
    "form('shock')": "Shock",
    "rhythm": "Rhythm",
    "cpr": "CPR",
    "note": "Note",
    "patient": "Patient",
    "iv": "IV",
    "form('fluid')": "Fluid",
    "circulation": "ROSC/end",
    "next_line": "Next line",
    "late": "Earlier",
    "acknowledge": "Ack flag",
    "void": "Void",
    "amend": "Amend",
    "app.command_palette": "More…",
    "app.help": "Help",
    "app.quit": "Quit",
}
# Coloured like the key they stand for would be if it had a colour: the ones that take back or leave.
VARIANTS: dict[str, ButtonVariant] = {
    "void": "error",
    "amend": "warning",
    "app.quit": "error",
    "drug('epinephrine')": "primary",
}


def wants_touch(asked: bool | None, is_web: bool, width: int) -> bool:
    """The touch layout: when asked for (`--touch` / `--no-touch`), else on a browser no wider than a tablet."""
    if asked is not None:
        return asked
    return is_web and width <= TOUCH_MAX_COLUMNS


def is_touch(app: App) -> bool:
    """Whether the app runs the touch layout (the recorder's app says so; any other app does not)."""
    return getattr(app, "touch", False) is True


class TouchButton(Button, can_focus=False):
    """A large button that runs a screen's action. It never takes the focus, so the keys (and the text box
    an on-screen keyboard types into) keep working beside it."""

    DEFAULT_CSS = """
    TouchButton { width: 1fr; min-width: 0; height: 3; margin: 0; padding: 0; text-style: bold; }
    """

    # The button the last tap pressed. Only read for a tap chained to the one before it (Textual's same spot within
    # its double-click time, counted per app), so a button of another app is never taken for this one.
    tapped: ClassVar[ReferenceType["TouchButton"] | None] = None

    def on_click(self, event: events.Click) -> None:
        last = TouchButton.tapped() if TouchButton.tapped is not None else None
        if event.chain > 1 and last is not self:
            # The second tap of a double tap, on a button that was not under the finger for the first: it came up
            # there when the first closed a dialog, before the scribe could see it go (Log tapped twice logged the
            # drug, then the IO failed). A button tapped again (Next line, CPR) is pressed again, as Textual's
            # own button is once its 0.2 s press effect is over.
            event.prevent_default()
            event.stop()
            return
        TouchButton.tapped = ref(self)


def screen_action(action: str) -> str:
    """A binding's action as a button runs it: on the screen, unless the binding names the app."""
    return action if action.startswith("app.") else f"screen.{action}"


class TouchGrid(Grid):
    """Buttons in as many columns as fit, each BUTTON_CELLS wide at least, every one in sight."""

    DEFAULT_CSS = """
    TouchGrid { height: auto; grid-gutter: 0 1; grid-rows: 3; }
    """

    def __init__(self, buttons: list[tuple[str, str]], *, columns: int = 0, **kw) -> None:
        """`buttons`: (label, action as a button runs it); `columns`: fixed, or 0 to fit the width."""
        variants = {screen_action(k): v for k, v in VARIANTS.items()}
        super().__init__(
            *[TouchButton(label, action=action, variant=variants.get(action, "default")) for label, action in buttons],
            **kw,
        )
        self.count = len(buttons)
        self.columns = columns
        if columns:
            self._lay_out(columns)

    def _lay_out(self, columns: int) -> None:
        self.styles.grid_size_columns = columns
        self.styles.height = ceil(self.count / columns) * BUTTON_ROWS

    def _fit(self, width: int) -> None:
        if not self.columns:
            self._lay_out(max(2, min(self.count, width // BUTTON_CELLS)))

    def on_mount(self) -> None:
        # Laid out for the screen's width before the first frame (a bar is as wide as the screen; one in a
        # dialog is laid out again as it is sized): a bar of one column would run off the top.
        self._fit(self.screen.size.width or self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)


def choice_row(buttons: list[tuple[str, str]], columns: int = 4, **kw) -> TouchGrid:
    """A dialog's buttons: its choices (each runs the action its key runs), OK and Cancel."""
    return TouchGrid([(label, f"screen.{action}") for label, action in buttons], columns=columns, **kw)


class TouchBar(TouchGrid):
    """The foot of the live screen in the touch layout: every key of the key bar as a button, all in sight."""

    DEFAULT_CSS = """
    TouchBar { dock: bottom; background: $panel; }
    """

    def __init__(self, bindings: list[BindingType], **kw) -> None:
        known = {b.action for b in bindings if isinstance(b, Binding)}
        missing = [a for a in LIVE_BUTTONS if not a.startswith("app.") and a not in known]
        if missing:
            raise ValueError(f"touch buttons for actions no key runs: {missing}")  # a renamed action: said here
        super().__init__([(label, screen_action(action)) for action, label in LIVE_BUTTONS.items()], **kw)


def binding_bar(bindings: list[BindingType], **kw) -> TouchGrid:
    """A screen's shown keys as buttons at its foot, labelled as the key bar labels them, and Quit."""
    shown = [(b.description, screen_action(b.action)) for b in bindings if isinstance(b, Binding) and b.show]
    return TouchGrid([*shown, ("Quit", "app.quit")], classes="foot", **kw)


def start_row() -> TouchGrid:
    """Before the first entry: in arrest or not, as Enter and 0 say it (any event button counts as in arrest)."""
    return TouchGrid(
        [("In arrest", "screen.start(True)"), ("Not in arrest", "screen.start(False)")],
        columns=2,
        id="touch-start",
        classes="prompt",
    )


class TouchTimeline(TimelineView):
    """The timeline whose rows are selected by tapping them: Void and Amend act on the row tapped."""

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not self.rows:
            return
        index = offset.y + int(self.scroll_y)
        if index < len(self.rows):
            self.action_cursor(index - self.cursor)
