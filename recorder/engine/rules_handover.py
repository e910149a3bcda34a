"""Handover rules: what the end of the code leaves in the patient."""

from datetime import datetime, timedelta

from recorder.engine.registry import Ctx, Hit, rule_group
from recorder.engine.state import SECONDS_PER_HOUR
from schemas.formatting import num, t_plus
from schemas.records import EventRecord

rule = rule_group("line")


@rule("IO_IN_AT_END", "info", on=("code_ended",), after="IO_DWELL_EXCEEDED")
def io_in_at_end(ctx: Ctx, rec: EventRecord) -> list[Hit]:
    """At the end of the code, an IO line still in (in or confirmed, not removed): the handover must say so.

    Why: an IO needle is a bridge: EZ-IO is cleared for 24 h (48 h only from 12 years with no other
    access), and it should be replaced by an IV as soon as possible (FDA K180395, PCH; clinical.md
    §5); a needle forgotten at handover stays in. One flag per line, pointing at its `io_result`,
    with the `code_ended`'s t; the message gives the remove-by time: the `io_result` + `dwell.warning_h`,
    or `dwell.child_critical_h` under `dwell.child_under_years` or at an unknown age. It is in the
    code's own local time (its start's UTC offset), so the same record gives the same message on any
    machine (verify compares messages) and the handover reads the ward's clock.

    Example: io1 in at T+00:37 of a code that started 2026-03-02 14:05 at UTC+01:00, code_ended at
    T+45:00 → info on the io_result, t = T+45:00: "… remove by 2026-03-03 14:05 UTC+01:00 (24 h)".
    """
    state, dwell = ctx.state, ctx.protocol.dwell
    age = state.age
    hours = dwell.child_critical_h if age is None or age < dwell.child_under_years else dwell.warning_h
    # The code's start carries its offset; a state that never saw it (no code_started) counts back from here.
    start = state.started_at or rec.occurred_at - timedelta(seconds=rec.t)
    hits = []
    for line in state.lines.values():
        if line.kind != "io" or not line.known or line.status not in ("in", "confirmed") or line.in_t is None:
            continue
        remove_by = start + timedelta(seconds=line.in_t + hours * SECONDS_PER_HOUR)
        hits.append(
            Hit(
                "info",
                f"{line.id} still in at the end of the code (in since {t_plus(line.in_t)}):"
                f" hand it over; remove by {wall(remove_by)} ({num(hours)} h)",
                line.id,
                seq=line.in_seq,
                t=rec.t,
            )
        )
    return hits


def wall(at: datetime) -> str:
    """`2026-03-03 14:05 UTC+01:00`: a time with the offset it was read in (UTC+00:00 for UTC)."""
    offset = at.isoformat(timespec="minutes").removeprefix(at.strftime("%Y-%m-%dT%H:%M"))
    return f"{at:%Y-%m-%d %H:%M} UTC{offset or '+00:00'}"
