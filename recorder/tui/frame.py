"""A compositor that draws, for a frame, only the widgets that show in the part of the screen that changed."""

from collections.abc import Iterable

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip


class ChangedAreaCompositor(Compositor):
    """Textual's compositor, except that a partial frame asks only the widgets seen in its changed area to draw.

    Textual's own asks every widget whose clip overlaps the changed area: every child of the screen has the
    whole screen as its clip, so a new timeline row made the banner, the key bar and the top panels draw
    all their lines again, only for the frame to drop them (a third of a key's frame, benchmarks/bench_keys.py).
    A widget whose visible part (its region within its clip) is outside the changed area has no line and no
    cell in it, so leaving it out changes nothing on screen; nor does leaving out the widgets behind one that
    covers the whole changed area (tests/tui/test_frame.py compares the two).
    """

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if crop is None:
            yield from super()._get_renders(crop)
            return
        overlaps, contains, intersection = crop.overlaps, Region.contains_region, Region.intersection
        top, bottom = crop.y, crop.bottom
        for widget, (region, clip) in self.visible_widgets.items():  # front to back
            seen = intersection(region, clip)
            if not (seen.width and seen.height and overlaps(seen)):
                continue  # nothing of it is in the changed area
            # Only its lines in the changed area's rows: the frame uses no other (the screen has forty,
            # the timeline's new row one). The clip given back is cut to those rows, so the lines drawn
            # are placed where Textual's own would have put them.
            y1, y2 = max(seen.y, top), min(seen.bottom, bottom)
            rows = Region(seen.x, y1, seen.width, y2 - y1)
            yield (
                region,
                intersection(clip, rows),
                widget.render_lines(Region(seen.x - region.x, y1 - region.y, seen.width, y2 - y1)),
            )
            if contains(seen, crop):
                # It covers the whole changed area, and the frame keeps the frontmost cell: the widgets
                # behind it (the timeline's box, the screen) would be drawn only to be dropped.
                return
