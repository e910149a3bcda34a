"""Handover rules: what the end of the code leaves in the patient."""

from datetime import UTC, timedelta

from recorder.engine.registry import Ctx, Hit, clock, num, rule_group
from recorder.engine.state import SECONDS_PER_HOUR
from schemas.records import EventRecord

rule = rule_group("line")


@rule("IO_IN_AT_END", "info", on=("code_ended",), after="IO_DWELL_EXCEEDED")
def io_in_at_end(ctx: Ctx, rec: EventRecord) -> list[Hit]:
    """At the end of the code, an IO line still in (in or confirmed, not removed): the handover must say so.

    Why: an IO needle is a bridge: EZ-IO is cleared for 24 h (48 h only from 12 years with no other
    access), and it should be replaced by an IV as soon as possible (FDA K180395, PCH; clinical.md
    §5); a needle forgotten at handover stays in. One flag per line, pointing at its `io_result`,
    with the `code_ended`'s t; the message gives the remove-by time in UTC: the `io_result` +
    `dwell.warning_h`, or `dwell.child_critical_h` under `dwell.child_under_years` or at an unknown age.

    Example: io1 in at T+00:37 of a code that started 2026-03-02 14:05 UTC, code_ended at T+45:00 →
    info on the io_result, t = T+45:00: "… remove by 2026-03-03 14:05 UTC (24 h)".
    """
    state, dwell = ctx.state, ctx.protocol.dwell
    age = state.age
    hours = dwell.child_critical_h if age is None or age < dwell.child_under_years else dwell.warning_h
    start = rec.occurred_at - timedelta(seconds=rec.t)
    hits = []
    for line in state.lines.values():
        if line.kind != "io" or not line.known or line.status not in ("in", "confirmed") or line.in_t is None:
            continue
        remove_by = (start + timedelta(seconds=line.in_t + hours * SECONDS_PER_HOUR)).astimezone(UTC)
        hits.append(
            Hit(
                "info",
                f"{line.id} still in at the end of the code (in since {clock(line.in_t)}):"
                f" hand it over; remove by {remove_by:%Y-%m-%d %H:%M} UTC ({num(hours)} h)",
                line.id,
                seq=line.in_seq,
                t=rec.t,
            )
        )
    return hits
