"""The summary's fast row formatting writes what the general functions write."""

import random
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from exports.sections import clock_at, times_at, times_of
from schemas.formatting import clock, t_plus

# A code's start on its own clock: UTC, an offset west with the last microsecond of a day, a DST morning with half
# a second, the machine's own zone.
STARTS = [
    datetime(2026, 3, 2, 14, 5, tzinfo=UTC),
    datetime(2026, 3, 2, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    datetime(2026, 10, 25, 1, 30, 0, 500_000, tzinfo=timezone(timedelta(hours=2))),
    datetime(2030, 1, 1, 0, 0, 0, 1).astimezone(),
]


def test_clock_at_is_clock_for_every_start_and_time() -> None:
    rng = random.Random(17)
    times = [0.0, 0.5, 0.9999995, 0.0000005, 59.9999999, 86_399.9999995, 86_400.0, 1e6 + 0.25, 3 * 86_400 - 1e-7]
    times += [round(rng.uniform(0, 200_000), rng.choice([0, 1, 3, 6, 7])) for _ in range(20_000)]
    times += [-0.5, -1.0, -3599.5, -3600.0, -7201.25, 3599.9999999, 3600.0, 36_000.5]
    for start in STARTS:
        at, both = clock_at(start), times_at(start)
        for t in times:
            assert at(t) == clock(start, t), (start, t)
            assert both(t) == (t_plus(t), clock(start, t)), (start, t)


@settings(max_examples=2000, deadline=None)
@given(
    st.floats(min_value=-1e6, max_value=1e8, allow_nan=False),
    st.datetimes(
        # Starts whose times stay inside datetime's years (up to 1e8 s ≈ 3.2 years on): past them the general
        # clock() has no answer to compare with (OverflowError), and no code starts there.
        min_value=datetime(1900, 1, 1),
        max_value=datetime(9990, 12, 31),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=45)), timezone(-timedelta(hours=8))]),
    ),
)
def test_times_at_is_t_plus_and_clock_for_any_time(t: float, start: datetime) -> None:
    """The whole microseconds summed without a timedelta round as timedelta rounds them (half to even)."""
    assert times_at(start)(t) == (t_plus(t), clock(start, t))
    assert clock_at(start)(t) == clock(start, t)


def test_times_of_a_timeline_are_times_at_each_of_its_times() -> None:
    """The one loop over a timeline's times (each minute's start kept while the minute lasts) writes what
    `times_at` writes for each: in order, out of order, repeated, across hours, midnight and the start's own
    microseconds, before the start."""
    rng = random.Random(23)
    ordered, t = [], 0.0
    for _ in range(5_000):
        t = round(t + rng.choice([0.0, 0.5, 2.5, 59.9999995, 0.0000005, 61, 3600, 86_399.5]), rng.choice([0, 1, 6, 7]))
        ordered.append(t)
    shuffled = ordered[:]
    rng.shuffle(shuffled)
    odd = [0.0, 0.9999995, -0.5, -1.0, -59.5, -60.0, -3599.5, -3600.0, 3599.9999999, 3600.0, 1e6 + 0.25, 1e8, 0.0]
    for start in STARTS:
        both = times_at(start)
        for ts in (ordered, shuffled, odd, [], [7.5]):
            assert times_of(start, ts) == [both(t) for t in ts], start


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e8, allow_nan=False), max_size=40),
    st.datetimes(
        min_value=datetime(1900, 1, 1),
        max_value=datetime(9990, 12, 31),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=45)), timezone(-timedelta(hours=8))]),
    ),
)
def test_times_of_is_times_at_for_any_times(ts: list[float], start: datetime) -> None:
    both = times_at(start)
    assert times_of(start, ts) == [both(t) for t in ts]
    assert times_of(start, sorted(ts)) == [both(t) for t in sorted(ts)]


def test_html_table_rows_are_each_cell_escaped_and_classed_as_written_one_by_one() -> None:
    """The row-at-once search and the batches of rows write what escaping each cell on its own writes."""
    from html import escape

    from exports.html import ROWS_AT_A_TIME, _table
    from exports.sections import Row, Table
    from tests.hostile import ACCEPTED

    cells = ["T+01:02", "12:00:00", "#3", "plain words", "", "T+<b>", *ACCEPTED]
    rng = random.Random(5)
    rows = [
        Row(tuple(rng.choice(cells) for _ in range(5)), rng.choice([None, "critical", "late"]))
        for _ in range(3 * ROWS_AT_A_TIME + 7)
    ]
    written = "".join(_table(Table(("a", "b", "c", "d", "e"), rows)))

    def cell(c: str) -> str:
        return ('<td class="time">' if c.startswith("T+") else "<td>") + escape(c) + "</td>"

    expected = "".join(
        (f'<tr class="{r.tone}">' if r.tone else "<tr>") + "".join(cell(c) for c in r.cells) + "</tr>" for r in rows
    )
    assert written.endswith(expected + "</tbody></table>")


def _reference_rows(rows: list) -> str:
    """Each cell escaped and classed on its own: what the table's rows must read."""
    from html import escape

    def cell(c: str) -> str:
        return ('<td class="time">' if c.startswith("T+") else "<td>") + escape(c) + "</td>"

    return "".join(
        (f'<tr class="{r.tone}">' if r.tone else "<tr>") + "".join(cell(c) for c in r.cells) + "</tr>" for r in rows
    )


def test_html_table_batches_with_nothing_to_escape_are_written_as_the_escaping_ones() -> None:
    """Most batches of a long code have nothing to escape (written as they stand, their tags counted); a few
    have one hostile cell, and some rows have no cells at all."""
    from exports.html import _table
    from exports.sections import Row, Table
    from tests.hostile import ACCEPTED

    plain = ["T+01:02", "T+1:00:00", "12:00:00", "#3", "Note: plain words", "", "T+", "→ ϟ ünïcode", "F1 RULE (info)"]
    rng = random.Random(9)
    hostile = iter(["it's", "a & b", 'say "x"', "x>y", "x<y", "T+<b>", "<td>T+", *ACCEPTED] * 3)
    rows = []
    for i in range(150 * (len(ACCEPTED) + 7) + 11):
        cells = tuple(rng.choice(plain) for _ in range(rng.choice([0, 1, 2, 5, 5, 5])))
        if i % 150 == 7 and cells:  # one in some batches: each character html.escape replaces, alone, and worse
            cells = (*cells[:-1], next(hostile))
        rows.append(Row(cells, rng.choice([None, None, "critical", "late", "warning"])))
    written = "".join(_table(Table(("a", "b"), rows)))
    assert written.endswith(_reference_rows(rows) + "</tbody></table>")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(
                st.one_of(st.text(max_size=12), st.sampled_from(["T+00:01", "T+", "<td>T+", "&amp;"])), max_size=6
            ),
            st.sampled_from([None, "critical", "alert", ""]),
        ),
        min_size=1,
        max_size=150,
    )
)
def test_html_table_rows_are_the_reference_for_any_cells(rows: list) -> None:
    from exports.html import _table
    from exports.sections import Row, Table

    made = [Row(tuple(cells), tone) for cells, tone in rows]
    assert "".join(_table(Table(("a",), made))).endswith(_reference_rows(made) + "</tbody></table>")


def _reference_vitals(ev) -> str:
    """A vitals reading's text as `describe` wrote it with `number(value, 0)`, before it wrote each field out."""
    from schemas.formatting import number

    parts = []
    if ev.sbp is not None:
        parts.append(f"BP {number(ev.sbp, 0)}" + (f"/{number(ev.dbp, 0)}" if ev.dbp is not None else ""))
    elif ev.dbp is not None:
        parts.append(f"DBP {number(ev.dbp, 0)}")
    for name, value, unit in (("MAP", ev.map, ""), ("HR", ev.hr, ""), ("SpO2", ev.spo2, "%")):
        if value is not None:
            parts.append(f"{name} {number(value, 0)}{unit}")
    return "Vitals: " + ", ".join(parts)


@settings(max_examples=1500, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(
                st.floats(min_value=0, max_value=top),
                st.integers(min_value=0, max_value=int(top)),
                st.sampled_from([0.5, 1.5, 2.5, 99.5, 0.4999999, 120.0]),
            )
            for name, top in (("sbp", 400), ("dbp", 400), ("map", 400), ("hr", 400), ("spo2", 100))
        },
    ).filter(bool)
)
def test_a_vitals_reading_reads_as_number_wrote_it(fields: dict) -> None:
    """Each field to whole units, halves to even, as `number(value, 0)` writes it, ints and floats alike."""
    from exports.describe import describe
    from schemas.events import Vitals

    ev = Vitals.model_construct(kind="vitals", t=1.0, **{k: fields.get(k) for k in ("sbp", "dbp", "map", "hr", "spo2")})
    assert describe(ev) == _reference_vitals(ev)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.floats(min_value=0, max_value=100),
            st.sampled_from([0.0, -0.0, 0.5, 1.5, 2.5, 99.5, 100.0, 120.0, 399.9999, 1e-9]),
            st.integers(0, 100).map(lambda n: n / 2),
        ),
        min_size=5,
        max_size=5,
    ).filter(lambda values: any(v is not None for v in values))
)
def test_vitals_are_described_as_each_value_formatted_on_its_own(values: list) -> None:
    """The values kept once formatted (-0.0 beside 0.0, the halves that round to even) write what formatting each
    value again writes, the first time and from the kept ones."""
    from exports.describe import describe
    from schemas.events import Vitals

    ev = Vitals.model_construct(**dict(zip(("sbp", "dbp", "map", "hr", "spo2"), values, strict=True)), t=0.0)
    for _ in range(2):
        assert describe(ev) == _reference_vitals(ev)
