"""SQL for the rows a reader leaves out unread: which of them it must read after all, and which is the latest."""

from dataclasses import dataclass


@dataclass(frozen=True)
class KindRows:
    """A code's rows of one kind, as Store.kind_rows tells them."""

    latest_t: float | None  # of a kind left out: the t of the latest in time (None: none in the store's own form)
    to_read: list[int]  # of a kind left out: the seqs a reader must read (maybe late, a time not in store form…)


def in_store_form(column: str) -> str:
    """SQL true of a time as Store.iso writes it (YYYY-MM-DDTHH:MM:SS.ffffff+00:00): such times sort as text as they
    do in time. Only the form: a time in it that is no time at all sorts somewhere; only the latest's time is read
    (and the row then, when it is no time: a left-out row is not read otherwise; `recorder verify` reads them all)."""
    # One GLOB, not a length and three substrings: the check runs on every row of the kinds left out, and it was
    # a third of the query. It is stricter than those were (the dashes and colons too): a time it refuses is read.
    return f"(typeof({column}) = 'text' AND {column} GLOB '????-??-??T??:??:??.??????+00:00')"


def to_read(start_jd_param: str, margin_param: str) -> str:
    """SQL true of a row (events `e` joined with event_clock `m`) a reader leaving it out must read all the same:
    one that may have been entered more than the margin late (SQLite's julianday is good to a millisecond: the
    caller's margin is a second short of the real bound, tested exactly in Python), or whose times are not in the
    store's form or do not read as times (what SQLite cannot compute counts as may be late)."""
    late = (
        "(CASE WHEN m.elapsed IS NULL THEN julianday(e.recorded_at) - julianday(e.occurred_at) "
        f"ELSE m.elapsed / 86400.0 - (julianday(e.occurred_at) - {start_jd_param}) END) * 86400.0 > {margin_param}"
    )
    return (
        f"(NOT {in_store_form('e.occurred_at')} OR (m.elapsed IS NOT NULL AND typeof(m.elapsed) <> 'real') "
        f"OR coalesce({late}, 1))"
    )
