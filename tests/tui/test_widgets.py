"""The timeline's scrollbar is left undrawn only when Textual would draw it exactly the same."""

from types import SimpleNamespace

import pytest
from textual.geometry import Size
from textual.scrollbar import ScrollBarRender

from recorder.tui.widgets import _thumb


def drawn(height: int, virtual: int, window: int, position: float) -> list:
    """The bar as Textual draws it (ScrollBar._render_bar's arguments)."""
    window = window if window < virtual else 0
    bar = ScrollBarRender.render_bar(size=height, virtual_size=virtual, window_size=window, position=position)
    return [(s.text, s.style) for s in bar.segments]


@pytest.mark.parametrize("height", [5, 31, 38])
@pytest.mark.parametrize("scrolled", [0.0, 0.5, 1.0])
def test_an_unmoved_thumb_means_an_unchanged_bar(height, scrolled):
    window = height
    skipped = redrawn = 0
    for virtual in range(height + 1, 6000, 7):
        position = scrolled * (virtual - window)
        bar = SimpleNamespace(size=Size(1, height), vertical=True, window_size=window, position=position)
        grown = virtual + 1
        same = _thumb(bar, grown) == _thumb(bar, virtual)
        changed = drawn(height, grown, window, position) != drawn(height, virtual, window, position)
        assert not (same and changed), (height, virtual, position)
        skipped += same
        redrawn += changed
    assert redrawn  # the bar does move as the code grows, and that was redrawn
    if scrolled == 0:
        assert skipped  # at the top (the newest rows, where the scribe is), the shortcut is taken
