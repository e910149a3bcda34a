"""Route rules: a drug given by a route the protocol forbids for it."""

from recorder.engine.registry import Ctx, Hit, rule_group
from schemas.events import DrugGiven
from schemas.formatting import words
from schemas.records import EventRecord

rule = rule_group("line")

ROUTE_WORDS = {"et": "endotracheally (ET)", "im": "intramuscularly (IM)", "sc": "subcutaneously (SC)",
               "in": "intranasally (IN)", "po": "by mouth (PO)"}  # fmt: skip


@rule("ROUTE_NOT_ALLOWED", "critical", on=("drug",), after="BOLUS_VIA_VASOACTIVE_LINE")
def route_not_allowed(ctx: Ctx, rec: EventRecord) -> Hit | None:
    """A drug given by a route that the protocol's route table forbids, or a potassium chloride bolus.

    Why: calcium, bicarbonate, amiodarone, adenosine and glucose are never given down the tube (AHA
    PALS, ERC 2021 [M]; clinical.md §6a); calcium chloride and bicarbonate are hypertonic vesicants,
    not for muscle or skin (clinical.md §6); potassium chloride is never a bolus (ISMP high-alert,
    NPSA 2002; clinical.md §6a). The table is `route_not_allowed`: per route (`et`, `im`, `sc`, `in`,
    `po`), and `never_bolus` drugs as a `drug` by any route or line (they are only ever an infusion).

    Example: sodium bicarbonate 10 mEq by route et → critical; potassium chloride 2 mmol via iv1 → critical.
    """
    ev = rec.typed(DrugGiven)
    table = ctx.protocol.route_not_allowed
    if ev.drug in table.never_bolus:
        how = ROUTE_WORDS.get(ev.route or "", f"via {ev.line}")
        return Hit(
            "critical", f"{words(ev.drug)} given as a bolus ({how}) — it is only ever given as an infusion", ev.line
        )
    if ev.route is not None and ev.drug in table.forbids(ev.route):
        return Hit("critical", f"{words(ev.drug)} given {ROUTE_WORDS[ev.route]} — not by this route", ev.line)
    return None
