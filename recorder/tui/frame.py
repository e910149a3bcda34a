"""A compositor that draws, for a frame, only the widgets that show in the parts of the screen that changed."""

from collections.abc import Iterable

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip


class ChangedAreaCompositor(Compositor):
    """Textual's compositor, except that a partial frame asks only the widgets seen in its changed areas to draw,
    and only their rows in those areas.

    Textual's own asks every widget whose clip overlaps the box around every changed area: every child of the
    screen has the whole screen as its clip, so a new timeline row made the banner, the key bar and the top
    panels draw all their lines again, only for the frame to drop them (a third of a key's frame,
    benchmarks/bench_keys.py). And the box is one: the second's tick changes the banner's row and a row or two
    of the lines and timers panels, whose box takes in the flags panel and the panels' borders; a tick that
    lands on a key's new timeline row makes it the top half of the screen. Here each changed area is its own: a
    widget draws the rows in which it shows in one of them. A widget whose visible part (its region within its
    clip) is outside every changed area has no line and no cell in them, so leaving it out changes nothing on
    screen; nor does leaving out, for an area, the widgets behind one that covers it (tests/tui/test_frame.py
    compares the two).
    """

    _changed: list[Region] | None = None  # the partial frame's changed areas, while it is drawn

    def render_partial_update(self) -> ChopsUpdate | None:
        screen = self.size.region
        self._changed = [area for area in map(screen.intersection, self._dirty_regions) if area]
        try:
            return super().render_partial_update()
        finally:
            self._changed = None

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if crop is None:
            yield from super()._get_renders(crop)
            return
        overlaps, contains, intersection = Region.overlaps, Region.contains_region, Region.intersection
        # Drawn by Textual's whole box (a full frame, a screenshot) when no changed areas were kept.
        areas = self._changed if self._changed is not None else [crop]
        for widget, (region, clip) in self.visible_widgets.items():  # front to back
            seen = intersection(region, clip)
            if not (seen.width and seen.height):
                continue
            # Only its lines in the changed areas' rows: the frame uses no other (the screen has forty, the
            # timeline's new row one, a clock one). Rows of areas that overlap or touch are drawn in one go.
            spans = sorted(
                (max(seen.y, area.y), min(seen.bottom, area.bottom)) for area in areas if overlaps(seen, area)
            )
            if not spans:
                continue  # nothing of it is in a changed area
            runs = [list(spans[0])]
            for y1, y2 in spans[1:]:
                if y1 <= runs[-1][1]:
                    runs[-1][1] = max(runs[-1][1], y2)
                else:
                    runs.append([y1, y2])
            for y1, y2 in runs:
                # The clip given back is cut to those rows, so the lines drawn are placed where Textual's own
                # would have put them.
                yield (
                    region,
                    intersection(clip, Region(seen.x, y1, seen.width, y2 - y1)),
                    widget.render_lines(Region(seen.x - region.x, y1 - region.y, seen.width, y2 - y1)),
                )
            # An area it covers whole is done with, as the frame keeps the frontmost cell: the widgets behind
            # it (the timeline's box, the screen) would be drawn there only to be dropped.
            areas = [area for area in areas if not contains(seen, area)]
            if not areas:
                return
