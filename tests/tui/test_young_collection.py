"""The collector's young pass: made after the frame that shows a key, the generation the collector would take."""

import gc

from recorder.tui import app as app_module
from recorder.tui import young_collection
from recorder.tui.app import build_app
from tests.tui.helpers import CHILD

SIZE = (120, 40)


def test_the_pass_is_the_one_the_collector_would_make_and_none_while_it_is_paused(monkeypatch):
    made: list[int] = []
    monkeypatch.setattr(young_collection.gc, "collect", made.append)
    monkeypatch.setattr(young_collection.gc, "get_threshold", lambda: (700, 10, 10))
    for count, expected in [((5, 3, 0), [0]), ((5, 10, 0), [1]), ((0, 12, 4), [1]), ((0, 3, 0), [])]:
        made.clear()
        monkeypatch.setattr(young_collection.gc, "get_count", lambda c=count: c)
        young_collection.collect_young()
        assert made == expected, count
    was = gc.isenabled()
    gc.disable()
    try:
        made.clear()
        monkeypatch.setattr(young_collection.gc, "get_count", lambda: (500, 10, 0))
        young_collection.collect_young()
        assert made == []  # the launch pauses the collector (recorder/cli/group.py): left paused
    finally:
        if was:
            gc.enable()


async def test_a_key_is_drawn_then_the_young_pass_is_made_once(store, clock, monkeypatch):
    order: list[str] = []
    monkeypatch.setattr(app_module, "collect_young", lambda: order.append("collect"))
    app = build_app(store, clock, mode="new", new_fields=CHILD)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = app._display

        def display(screen, renderable) -> None:
            shown(screen, renderable)
            if renderable is not None:
                order.append("frame")

        app._display = display
        order.clear()
        await pilot.press("c")  # CPR started: one key, one event
        await pilot.pause()
        await pilot.pause()
        assert [r.kind for r in store.events(1)][-1] == "cpr_started"
        assert order.count("collect") == 1
        first = order.index("collect")
        assert "frame" in order[:first]  # after a frame drawn with the key, never inside the key
