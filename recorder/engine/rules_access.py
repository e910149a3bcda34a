"""Access timing: going intraosseous when venous access does not come."""

from recorder.engine.protocol import Protocol
from recorder.engine.registry import Ctx, Hit, rule_group
from recorder.engine.state import AccessDue
from schemas.events import IvAttempt, UvcAttempt
from schemas.formatting import num, t_plus
from schemas.records import EventRecord
from schemas.vocabulary import RuleId, Severity

rule = rule_group("access")

DELAYED_IO: RuleId = "DELAYED_IO"


def _severity(ctx: Ctx) -> Severity:
    """Taken when the flag fires: in an arrest, warning; outside one, going IO is a judgement (info)."""
    return "warning" if ctx.state.arrest is not None else "info"


@rule(DELAYED_IO, "warning", "info", on=("iv_attempt", "uvc_attempt"))
def delayed_io(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """Venous access keeps failing and no IO has been tried (once per code).

    Why: in a child, IO if venous access is not established within 3 attempts or 90 s (S1, nursekey;
    PCH 60 s, ERC10 1 min [C]); in an adult, IO after 2 unsuccessful IV attempts (ILCOR24); clinical.md
    §5. Child (< 18 y, or age unknown and weight unknown or under `age_bands.adult_sized_kg`): the
    `access.child_failed_attempts`-th failed IV/UVC attempt with no `io_attempt` yet (points at that
    attempt), or `access.child_no_access_s` after the first IV/UVC attempt with no line in and no
    `io_attempt` (a deadline; points at the first attempt; child or not as known at that attempt).
    Adult (≥ 18 y, or age unknown and adult-sized): the `access.adult_failed_iv_attempts`-th failed IV
    attempt, no timer. Failed attempts are not counted while a line is in. Warning during an arrest;
    info outside one (a seizing child: going IO is a judgement), as when the flag fires.

    Example: a 4-year-old in arrest, iv1, iv2, iv3 all failed, no IO → warning on iv3 "3 failed venous
    attempts and no IO yet — go intraosseous"; the same in a seizing child → info.
    """
    ev = rec.typed(IvAttempt, UvcAttempt)
    state, access = ctx.state, ctx.protocol.access
    if ev.result != "failed" or state.io_attempted or any(line.usable for line in state.lines.values()):
        return None
    if state.child_for_access():
        failed, needed, what = state.failed_iv + state.failed_uvc + 1, access.child_failed_attempts, "venous"
    elif ev.kind == "iv_attempt":
        failed, needed, what = state.failed_iv + 1, access.adult_failed_iv_attempts, "IV"
    else:
        return None
    if failed >= needed and ctx.once(DELAYED_IO):
        return Hit(_severity(ctx), f"{failed} failed {what} attempts and no IO yet — go intraosseous", ev.line)
    return None


@rule(DELAYED_IO, due=True)
def delayed_io_timer(ctx: Ctx, due: AccessDue) -> Hit | None:
    state = ctx.state
    if not due.child or state.io_attempted:
        return None
    if any(line.usable for line in state.lines.values()):
        return None
    if not ctx.once(DELAYED_IO):
        return None
    window = ctx.protocol.access.child_no_access_s
    return Hit(
        _severity(ctx),
        f"{num(window)} s since {due.line} ({t_plus(due.at - window)}) with no line in and no IO — go intraosseous",
        due.line,
    )


@rule.deadline(DELAYED_IO)
def access_due(p: Protocol, seq: int, t: float, line: str, child: bool) -> AccessDue:
    """`access.child_no_access_s` after the first IV or UVC attempt."""
    return AccessDue(DELAYED_IO, t + p.access.child_no_access_s, seq, t, line, "vascular access", child=child)
