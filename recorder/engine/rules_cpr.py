"""CPR rules: pauses in chest compressions."""

from recorder.engine.care import CPR_PAUSE_LONG
from recorder.engine.protocol import Protocol
from recorder.engine.registry import Ctx, Hit, rule_group
from recorder.engine.state import Due
from schemas.formatting import num, t_plus

rule = rule_group("drugs")


@rule(CPR_PAUSE_LONG, "info", due=True, after="SHOCKABLE_DRUGS_DELAYED")
def cpr_pause_long(ctx: Ctx, due: Due) -> Hit | None:
    """In an arrest, `cpr_stopped` not followed by `cpr_started` within the protocol's pause.

    Why: pauses in chest compressions are kept under 10 s (AHA 2020, ERC 2021 [M]; clinical.md §6a).
    A deadline `arrest_care.cpr_pause_s` after each `cpr_stopped` in an arrest, pointing at it;
    `cpr_started` meets it, the end of the arrest (`rosc`, `code_ended`) cancels it. Info: worth a
    look at the debrief.

    Example: arrest, cpr_stopped at T+02:00, cpr_started at T+02:25 → info on the stop, t = T+02:10.
    """
    return Hit(
        "info", f"compressions stopped at {t_plus(due.since)} and not restarted within {num(due.at - due.since)} s"
    )


@rule.deadline(CPR_PAUSE_LONG)
def pause_due(p: Protocol, seq: int, t: float) -> Due:
    """`arrest_care.cpr_pause_s` after compressions stop in an arrest."""
    return Due(CPR_PAUSE_LONG, t + p.arrest_care.cpr_pause_s, seq, t, what="CPR pause")
