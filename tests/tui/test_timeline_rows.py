"""The timeline's rows are built for what is on screen: the same rows as every event sorted, a selection that stays
on its event, a long code opened or rebuilt for the cost of a screen, text shown as written, the team display's."""

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.pilot import Pilot

from recorder.core.clock import SystemClock
from recorder.core.session import Logged, Session, replay
from recorder.engine import load_protocol
from recorder.store import Store
from recorder.tui.app import RecorderApp, build_app
from recorder.tui.pickers import TextPrompt
from recorder.tui.timeline import Row, TimelineRows, row_text
from recorder.tui.watch import build_watch, entries_text
from recorder.tui.widgets import TimelineView
from schemas.events import RECORD_KEEPING
from tests.factory import scenario_lines, started_ago
from tests.tui.helpers import CHILD, keys, live

SIZE = (120, 40)


@asynccontextmanager
async def resumed(long_db: Path) -> AsyncIterator[tuple[Pilot, RecorderApp]]:
    """The long code resumed on the live screen, its first frame drawn; the store closed after."""
    store = Store(long_db)
    try:
        app = build_app(store, SystemClock(), mode="resume")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            yield pilot, app
    finally:
        store.close()


LONG = 1500  # events: thirty screens of rows


def every_row(session: Session) -> list[Row]:
    """The rows as the timeline had them before it was built lazily: every record, sorted newest first."""
    marks: dict[int, list[str]] = {}
    for flag in session.flags():
        marks.setdefault(flag.seq, []).append(flag.severity)
    effective = {r.seq: r for r in session.timeline()}
    rows = []
    for record in session.records:
        shown = effective.get(record.seq, record)
        voided = record.kind not in RECORD_KEEPING and record.seq not in effective
        rows.append(Row(shown, voided, tuple(marks.get(record.seq, ()))))
    return sorted(rows, key=lambda r: (r.record.t, r.record.seq), reverse=True)


def keep_up(rows: TimelineRows, entry: Logged) -> None:
    """What the live screen does with an entry (LiveScreen.after): one newest entry on top, else read again."""
    record = entry.record
    simple = record.kind not in RECORD_KEEPING and not entry.withdrawn
    if simple and all(f.seq == record.seq for f in entry.raised) and rows.is_newest(record):
        rows.append(record, tuple(f.severity for f in entry.raised))
    else:
        rows.refresh()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_rows_are_every_event_as_it_stands_newest_first_and_found_by_seq(store, clock, seed):
    """Back-dated entries, voids, amends that move an event in time (some then voided), a flag and its
    acknowledgement: the rows kept up to date entry by entry, and built afresh, are every record sorted."""
    rng = random.Random(seed)
    s = Session.start(store, clock, **CHILD)
    rows = TimelineRows(s)
    io = {"kind": "io_attempt", "site": "proximal_tibia", "side": "left", "device": "ez_io", "needle_mm": 15}
    for data in (io, {"kind": "io_result", "line": "io1", "result": "failed"}, io):  # the same bone: critical
        clock.advance(5)
        keep_up(rows, s.log(data, t=s.now()))
    flagged = s.records[-1].seq
    for i in range(150):
        clock.advance(rng.choice((1, 2, 5)))
        now, roll = s.now(), rng.random()
        notes = [r.seq for r in s.timeline() if r.kind == "note"]
        if roll < 0.55 or not notes:
            entry = s.log({"kind": "note", "text": f"n{i}"}, t=now)
        elif roll < 0.75:
            entry = s.log({"kind": "note", "text": f"back {i}"}, t=max(0.0, now - rng.choice((3, 30, 90))))
        elif roll < 0.85:
            entry = s.void(rng.choice(notes), "wrong code", t=now)
        else:
            entry = s.amend(rng.choice(notes), {"t": max(0.0, now - rng.choice((0, 10, 60)))}, "time", t=now)
        keep_up(rows, entry)
        if i % 25 == 0:
            assert list(rows) == every_row(s)
    clock.advance(1)
    keep_up(rows, s.acknowledge("REPEAT_SAME_BONE", flagged, "only site", t=s.now()))
    expected = every_row(s)
    assert any(r.voided for r in expected) and any(r.record.amended_by for r in expected)
    assert any(r.marks for r in expected) and any(r.record.kind == "acknowledge" for r in expected)
    assert list(rows) == expected
    assert list(TimelineRows(s)) == expected
    assert rows[3:7] == expected[3:7] and rows[-1] == expected[-1]
    for i, row in enumerate(expected):
        assert rows.position(row.record.seq) == i
    assert rows.position(len(s.records) + 5) is None


@pytest.fixture
def long_db(tmp_path):
    """An open code of LONG events that ended just now, as `recorder resume` finds it."""
    path = tmp_path / "long.db"
    store = Store(path)
    store.conn.execute("PRAGMA synchronous=OFF")  # setting up only
    try:
        replay(store, SystemClock(), scenario_lines(LONG, at=started_ago(LONG)))
    finally:
        store.close()
    return path


async def test_a_long_code_resumes_and_rebuilds_for_the_rows_on_screen(long_db):
    """Resumed, and shown again after a back-dated entry, a void and an amend, a long code builds a screen's rows
    (a window of them), not one per event: the rows are counted, not timed."""
    async with resumed(long_db) as (pilot, app):
        screen = live(app)
        view = screen.query_one(TimelineView)
        rows = view.rows
        assert isinstance(rows, TimelineRows) and len(rows) >= LONG
        assert 0 < rows.builds <= 2 * TimelineRows.WINDOW
        session = screen.session
        assert session is not None
        before = rows.builds
        newest = session.timeline()[-1]
        notes = [r for r in session.timeline() if r.kind == "note"]
        for entry in (
            session.log({"kind": "note", "text": "back-dated"}, t=newest.t - 60),
            session.void(notes[-1].seq, "wrong code"),
            session.amend(notes[-2].seq, {"t": newest.t - 30}, "time"),
        ):
            screen.after([entry])
            await pilot.pause()
            assert rows.builds - before <= 2 * TimelineRows.WINDOW  # each rebuild: a screen's rows
            before = rows.builds
        assert view.rows is rows and list(rows)[:60] == every_row(session)[:60]


async def test_the_selection_stays_on_its_event_in_a_long_code_whatever_comes_in_above(long_db):
    """Selected twenty rows down a long code (found again by its time, not by the row above it), the event stays
    selected through entries above it, back-dated ones between, a void and an amend; Del names that event."""
    async with resumed(long_db) as (pilot, app):
        screen = live(app)
        view = screen.query_one(TimelineView)
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        chosen = view.selected
        assert chosen is not None and view.cursor == 20
        seq = chosen.record.seq
        session = screen.session
        assert session is not None
        t = chosen.record.t
        now = session.now()
        entries = [
            session.log({"kind": "note", "text": "newest"}),
            session.log({"kind": "note", "text": "between"}, t=(t + now) / 2),
            session.log({"kind": "note", "text": "below"}, t=max(0.0, t - 20)),
            session.log({"kind": "note", "text": "several at once"}),
        ]
        screen.after(entries[:1])
        screen.after(entries[1:2])
        screen.after(entries[2:])  # more than one: shown again whole
        await pilot.pause()
        assert view.selected is not None and view.selected.record.seq == seq
        assert view.cursor == 23  # three came in above it
        above = [r.seq for r in session.timeline() if r.t > t and r.kind == "note"]
        screen.after([session.void(above[-1], "wrong code")])  # a void row on top; one above struck
        screen.after([session.amend(above[-2], {"t": max(0.0, t - 5)}, "was earlier")])  # moved below it
        await pilot.pause()
        assert view.selected is not None and view.selected.record.seq == seq
        assert view.cursor == every_row(session).index(view.selected)
        await keys(pilot, "delete")
        assert isinstance(app.screen, TextPrompt) and app.screen.title_text.startswith(f"Void #{seq} ")
        await keys(pilot, "escape")


async def test_drug_and_note_text_is_shown_as_typed_in_the_timeline_and_the_team_display(store, db_path, clock):
    """Markup-like text in a drug's name and a note is a name, not a style: the row reads as typed."""
    s = Session.start(store, clock, **CHILD)
    clock.advance(10)
    s.log({"kind": "note", "text": "[bold]x"}, t=s.now())
    clock.advance(10)
    s.log({"kind": "drug", "drug": "other", "name": "TXA [/]", "dose": 10, "unit": "mg", "route": "im"}, t=s.now())
    rows = TimelineRows(s)
    assert "TXA [/]" in row_text(rows[0]).plain and "[bold]x" in row_text(rows[1]).plain
    assert not any("bold" in str(span.style) for span in row_text(rows[1]).spans[1:])  # only the time is bold
    app = build_app(store, clock, mode="resume")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.screen.query_one(TimelineView)
        drawn = ["".join(seg.text for seg in view.render_line(y)) for y in range(3)]
        assert "TXA [/]" in drawn[0] and "[bold]x" in drawn[1]
    watch = build_watch(Store(db_path, readonly=True), clock, load_protocol(), s.code_id)
    async with watch.run_test(size=SIZE) as pilot:
        await pilot.pause()
        entries = str(watch.query_one("#entries").render())
        assert "TXA [/]" in entries and "[bold]x" in entries
    watch.session.store.close()


async def test_the_team_display_shows_the_latest_entries_building_only_those(store, db_path, clock):
    """The team display's latest entries are the timeline's rows without the seq column and correction notes,
    and a new entry builds a window of rows, not every row of the code again."""
    s = Session.start(store, clock, **CHILD)
    for i in range(300):
        clock.advance(1)
        s.log({"kind": "note", "text": f"n{i}"}, t=s.now())
    clock.advance(1)
    s.void(s.records[-1].seq, "wrong code", t=s.now())
    watch = build_watch(Store(db_path, readonly=True), clock, load_protocol(), s.code_id)
    async with watch.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = watch.rows
        assert rows is not None and rows.builds <= TimelineRows.WINDOW
        text = entries_text(rows).plain.splitlines()
        assert text[0].endswith("Void #301 (wrong code)") and text[1].endswith("Note: n299  (voided)")
        assert "#" not in text[2] and text[2].startswith("   T+") and len(text) == 12
        clock.advance(1)
        s.log({"kind": "note", "text": "one more"}, t=s.now())
        before = rows.builds
        for _ in range(100):
            await pilot.pause(0.05)
            if "one more" in str(watch.query_one("#entries").render()):
                break
        assert "one more" in str(watch.query_one("#entries").render())
        assert watch.rows is rows and rows.builds - before <= TimelineRows.WINDOW
    watch.session.store.close()


async def test_a_new_entry_on_top_of_a_long_code_draws_its_own_line_and_moves_the_others(long_db):
    """At the top of a long timeline a new entry draws the new line and the selection's, and moves the lines drawn
    before down as they were: what is on screen is what a whole redraw would draw, the selection included."""
    async with resumed(long_db) as (pilot, app):
        view = live(app).query_one(TimelineView)
        drawn: list[int] = []
        render_line = view.render_line

        def counted(y: int):
            drawn.append(y)
            return render_line(y)

        view.render_line = counted  # type: ignore[method-assign]

        def screen_lines() -> list[list[tuple[str, object]]]:
            lines = view.render_lines(view.size.region)
            return [[(seg.text, seg.style) for seg in line] for line in lines]

        for i, presses in enumerate((["c"], ["c"], ["down", "down", "down"], ["c"], ["c"], ["home"], ["c"])):
            await pilot.press(*presses)
            await pilot.pause()
            on_screen = screen_lines()
            if presses == ["c"] and i:  # (the first starts CPR: its timer is a new panel row, a new layout)
                assert len(drawn) <= 3, drawn  # the new line and the selection's, not every line
            view._styles_cache.clear()  # everything drawn again from the rows
            assert on_screen == screen_lines()
            drawn.clear()
        assert view.selected is not None and view.selected.record.seq == live(app).session.records[-1].seq


async def test_a_long_code_keeps_its_timeline_as_high_as_its_box(long_db):
    """New entries on a long timeline grow no horizontal scrollbar: its width once counted the vertical bar's
    cells, and the first new entry took a row for a horizontal bar (and two more widgets drawn every frame)."""
    async with resumed(long_db) as (pilot, app):
        view = live(app).query_one(TimelineView)
        height = view.scrollable_content_region.height
        for _ in range(3):
            await pilot.press("c")
            await pilot.pause()
            assert not view.show_horizontal_scrollbar
            assert view.scrollable_content_region.height == height


async def test_a_new_entry_on_top_builds_its_own_row_only(long_db):
    """A new entry on top of a long timeline builds one row, its own: the rows under it were built already."""
    async with resumed(long_db) as (pilot, app):
        await pilot.press("c")
        await pilot.pause()
        rows = live(app).rows
        assert isinstance(rows, TimelineRows)
        for _ in range(3):
            before = rows.builds
            await pilot.press("c")
            await pilot.pause()
            assert rows.builds - before == 1
        assert list(rows[:30]) == every_row(live(app).session)[:30]  # as every event sorted would give
