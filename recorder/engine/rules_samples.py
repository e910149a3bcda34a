"""Sample rules: blood drawn from an IO line, and what the lab can make of it."""

from recorder.engine.registry import Ctx, Hit, rule_group
from schemas.events import Sample
from schemas.records import EventRecord

rule = rule_group("samples")


@rule("BLOOD_GAS_AFTER_IO_DRUG", "warning", "critical", on=("sample",))
def blood_gas_after_io_drug(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A blood gas drawn from an IO line after a drug went through that line.

    Why: marrow blood gas matches central venous blood only if no drug has been injected into the
    cavity (ERC10); after bicarbonate through the needle the acid-base result is meaningless (S2;
    clinical.md §7). Warning after any `drug` event via the line, critical after sodium bicarbonate;
    infusions do not count (rules.md v2, settled reading).

    Example: sodium bicarbonate via io1, then a sample via io1 with tests [blood_gas] → critical.
    """
    ev = rec.typed(Sample)
    line = ctx.state.lines.get(ev.line)
    if not ev.line.startswith("io") or "blood_gas" not in ev.tests or line is None:
        return None
    if line.bicarbonate_given:
        return Hit(
            "critical",
            f"blood gas from {ev.line} after bicarbonate went through it — acid-base is meaningless",
            ev.line,
        )
    if line.drug_given:
        return Hit("warning", f"blood gas from {ev.line} after drugs went through it — results unreliable", ev.line)
    return None


@rule("IO_SAMPLE_HANDLING", "warning", on=("sample",))
def io_sample_handling(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A sample from an IO line not labelled as marrow (`labelled_io` false), or one that asks for an FBC.

    Why: the lab must know the tube holds marrow (PCH, junior-doctor notes), and a full blood count
    is not processed from marrow: white cells and platelets do not correlate (PCH, Miller 2010;
    clinical.md §7). Not recorded (no `labelled_io`): only the FBC is checked.

    Example: sample via io1, tests [crossmatch, fbc] → warning.
    """
    ev = rec.typed(Sample)
    if not ev.line.startswith("io"):
        return None
    problems = []
    if ev.labelled_io is False:
        problems.append("not labelled as intraosseous")
    if "fbc" in ev.tests:
        problems.append("FBC is not processed from marrow")
    if not problems:
        return None
    return Hit("warning", f"sample from {ev.line}: {'; '.join(problems)}", ev.line)
