"""A panel drawn line by line: new text redraws only the lines that changed (the second's tick moves a clock)."""

from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget


class LinePanel(Widget):
    """Lines of text shown as a Static shows them (the same CSS, the same cells), each drawn on its own.

    A Static draws its whole text again for any change: the lines and timers panels change every second, by
    one clock a line, so each tick redrew both panels whole (benchmarks/bench_keys.py). Here a line is drawn
    when it changes, and only its cells are put on the screen again; the panel's height changes (a layout)
    only when its number of lines does.
    """

    DEFAULT_CSS = "LinePanel { height: auto; }"  # as a Static: as high as its lines
    # Its lines are made of plain text and fixed styles, never a link: Textual's styling of links under the mouse
    # has nothing to do here, and looking for them cost a fifth of each line drawn at the second's tick.
    auto_links = False

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[Text] = []
        self._whole: Text | None = None  # the lines as one text, for render() (sizes, selection, tests)
        self._strips: dict[int, Strip] = {}  # drawn lines by y, for `_drawn_for`
        self._drawn_for: tuple | None = None  # the width and style the strips were drawn with

    @property
    def lines(self) -> list[Text]:
        return self._lines

    def show_lines(self, lines: list[Text]) -> None:
        """Show `lines` (one Text each, no newline): only those that differ from the lines shown are drawn."""
        old = self._lines
        if lines == old:
            return
        self._lines = list(lines)
        self._whole = None
        if len(lines) != len(old) or not self.is_mounted:
            self._strips.clear()
            self.refresh(layout=True)  # as high as its lines: the screen is laid out again
            return
        width = self.size.width
        changed = [y for y, (was, now) in enumerate(zip(old, lines, strict=True)) if was != now]
        for y in changed:
            self._strips.pop(y, None)
        self.refresh(*(Region(0, y, width, 1) for y in changed))

    def render(self) -> Text:
        if self._whole is None:
            self._whole = Text("\n").join(self._lines)
        return self._whole

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.visual_style
        if self.text_selection is not None:
            # A selection is placed by its lines in the whole text: drawn whole, as a Static draws it.
            return self._whole_strips(width, style)[y]
        drawn_for = (width, style)
        if drawn_for != self._drawn_for:
            self._drawn_for = drawn_for
            self._strips.clear()
        strip = self._strips.get(y)
        if strip is None:
            if y < len(self._lines):
                # Drawn at its own row (empty rows above it cost next to nothing): Textual marks each cell with
                # its offset in the text, which a mouse selection reads.
                line = Text("\n" * y).append_text(self._lines[y]) if y else self._lines[y]
                strip = Visual.to_strips(self, visualize(self, line), width, y + 1, style)[y]
            else:
                strip = Strip.blank(width, style.rich_style)
            self._strips[y] = strip
        return strip

    def _whole_strips(self, width: int, style) -> list[Strip]:
        strips = Visual.to_strips(self, visualize(self, self.render()), width, self.size.height, style)
        return strips + [Strip.blank(width, style.rich_style)] * (self.size.height - len(strips))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn_for = None  # a style changed (a theme, a class): every line is drawn again
