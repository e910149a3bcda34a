"""Plain words for events, lines and code times: what the screen and the CLI print."""

from schemas.events import BaseEvent

SIDE = {"left": "L", "right": "R"}
DEVICE = {
    "ez_io": "EZ-IO",
    "manual": "manual",
    "big_paediatric": "BIG paed",
    "big_adult": "BIG adult",
    "fast1": "FAST1",
    "nio": "NIO",
    "other": "other device",
}


def words(name: str | None) -> str:
    return (name or "").replace("_", " ")


def num(x: float) -> str:
    """12 not 12.0; 0.12 stays 0.12."""
    return f"{x:g}"


def code_time(t: float) -> str:
    """T+mm:ss (T+h:mm:ss past an hour)."""
    s = int(t)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"T+{h}:{m:02d}:{sec:02d}" if h else f"T+{m:02d}:{sec:02d}"


def site_words(site: str | None, side: str | None) -> str:
    return f"{SIDE.get(side or '', '')} {words(site)}".strip()


def describe(event: BaseEvent) -> str:
    """One line for the timeline: what happened, in the scribe's words."""
    e = event
    k = e.kind
    if k == "code_started":
        return "Code started" + (" — in arrest" if e.arrest else " — not in arrest")
    if k == "patient_updated":
        return "Patient: " + ", ".join(f"{words(f)} {v}" for f, v in e.patient.model_dump(exclude_none=True).items())
    if k == "io_attempt":
        kit = " ".join(
            p for p in (DEVICE.get(e.device or "", ""), f"{num(e.needle_mm)} mm" if e.needle_mm else "") if p
        )
        return f"IO attempt {e.line} {site_words(e.site, e.side)}" + (f" · {kit}" if kit else "")
    if k == "io_result":
        why = f" ({e.reason})" if e.reason else ""
        return f"{e.line} {'IN' if e.result == 'in' else 'FAILED'}{why}"
    if k == "aspiration":
        return f"{e.line} aspiration: {'marrow' if e.marrow else 'nothing'}"
    if k == "flush":
        how = [] if e.easy else ["hard"]
        if e.extravasation:
            how.append("extravasation")
        return f"Flush {e.line} {num(e.volume_ml)} mL" + (f" ({', '.join(how)})" if how else "")
    if k == "complication":
        return f"{e.line} complication: {words(e.complication)}"
    if k == "line_removed":
        held = {True: ", pressure held", False: ", no pressure held", None: ""}[e.pressure_held]
        return f"{e.line} removed{held}"
    if k in ("iv_attempt", "uvc_attempt"):
        where = f" {site_words(None, e.side)} {e.site}" if getattr(e, "site", None) else ""
        return f"{k[:-8].upper()} attempt {e.line}{where}: {'IN' if e.result == 'in' else 'failed'}"
    if k == "drug":
        name = e.name if e.drug == "other" else words(e.drug)
        via = f"via {e.line}" if e.line else words(e.route).upper()
        extra = " ".join(
            x for x in (e.concentration, "diluted" if e.diluted else "", words(e.purpose) if e.purpose else "") if x
        )
        return f"{name.capitalize()} {num(e.dose)} {e.unit} {via}" + (f" ({extra})" if extra else "")
    if k == "fluid":
        return f"Fluid {words(e.fluid)} {num(e.volume_ml)} mL via {e.line} ({words(e.method)})"
    if k == "infusion_started":
        return f"Infusion {e.infusion} {words(e.drug)} {num(e.rate)} {e.rate_unit} via {e.line} ({words(e.method)})"
    if k == "infusion_changed":
        return f"Infusion {e.infusion} rate {num(e.rate)}"
    if k == "infusion_stopped":
        return f"Infusion {e.infusion} stopped"
    if k == "sample":
        label = "" if e.labelled_io is None else (", labelled IO" if e.labelled_io else ", NOT labelled IO")
        return f"Sample {e.line}: {', '.join(words(x) for x in e.tests)}{label}"
    if k == "finding":
        where = f"{SIDE.get(e.side or '', '')} {e.bone}".strip()
        ago = f", {num(e.hours_ago)} h ago" if e.hours_ago is not None else ""
        return f"Finding: {words(e.finding)} {where}{ago}"
    if k == "responsiveness":
        return "Responds to pain" if e.responsive else "Unresponsive to pain"
    if k == "rhythm":
        return f"Rhythm: {e.rhythm.upper() if len(e.rhythm) <= 4 else words(e.rhythm)}"
    if k == "shock":
        return "Shock" + (f" {num(e.joules)} J" if e.joules else "")
    if k == "vitals":
        parts = [
            f"{f.upper() if f != 'spo2' else 'SpO2'} {num(v)}"
            for f, v in e.model_dump(exclude={"kind", "t"}, exclude_none=True).items()
        ]
        return "Vitals: " + ", ".join(parts)
    if k == "note":
        return f"Note: {e.text}"
    if k == "code_ended":
        return f"Code ended: {words(e.outcome)}"
    if k == "void":
        return f"VOID #{e.target}: {e.reason}"
    if k == "amend":
        changes = ", ".join(f"{f} → {v}" for f, v in e.changes.items())
        return f"AMEND #{e.target}: {changes} ({e.reason})"
    if k == "acknowledge":
        return f"ACK {e.rule} on #{e.target}: {e.reason}"
    return {"cpr_started": "CPR started", "cpr_stopped": "CPR stopped", "rosc": "ROSC", "arrest": "Arrest again"}.get(
        k, words(k)
    )
