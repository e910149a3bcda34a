"""Words for what the exports print: drug, device and fluid names, and each event in a line."""

from typing import Any

from schemas.events import (
    Acknowledge,
    Amend,
    Aspiration,
    BaseEvent,
    CodeEnded,
    CodeStarted,
    ComplicationNoted,
    DrugGiven,
    Finding,
    FluidGiven,
    Flush,
    InfusionChanged,
    InfusionStarted,
    InfusionStopped,
    IoAttempt,
    IoResult,
    IvAttempt,
    LineRemoved,
    Note,
    PatientUpdated,
    Responsiveness,
    RhythmNoted,
    Sample,
    Shock,
    UvcAttempt,
    Vitals,
    Void,
)
from schemas.formatting import age_short, dose_text, number, site_label, words
from schemas.labels import (
    DEVICE_NAMES,
    DRUG_NAMES,
    FLUID_NAMES,
    OUTCOME_NAMES,
    RHYTHM_NAMES,
    ROUTE_NAMES,
    SETTING_NAMES,
)


def drug_label(drug: str, name: str | None = None) -> str:
    return name if drug == "other" and name else DRUG_NAMES.get(drug, words(drug))


def infusion_label(ev: InfusionStarted) -> str:
    """A drug infusion's drug, or a carrier's fluid (second edition)."""
    return drug_label(ev.drug, ev.name) if ev.drug is not None else f"{FLUID_NAMES[ev.agent]} carrier"


def describe(event: BaseEvent) -> str:
    """One line saying what happened, for the timeline tables."""
    handler = _DESCRIBE.get(type(event))
    return handler(event) if handler else _PLAIN.get(event.kind, words(event.kind))


def _patient(ev: CodeStarted | PatientUpdated) -> str:
    p = ev.patient
    parts = []
    if p.age is not None:
        parts.append(f"age {age_short(p.age)}")
    if p.weight_kg is not None:
        parts.append(f"{number(p.weight_kg, 1)} kg" + (f" ({words(p.weight_source)})" if p.weight_source else ""))
    if p.sex:
        parts.append(p.sex)
    if p.name:
        parts.append(p.name)
    if p.mrn:
        parts.append(f"MRN {p.mrn}")
    if p.dob:
        parts.append(f"born {p.dob.isoformat()}")
    if p.conditions:
        parts.append(", ".join(words(c) for c in p.conditions))
    return "; ".join(parts)


def _code_started(ev: CodeStarted) -> str:
    where = f" in {SETTING_NAMES[ev.setting]}" if ev.setting else ""
    state = "in cardiac arrest" if ev.arrest else "not in arrest"
    who = _patient(ev)
    return f"Code started{where}, {state}" + (f"; {who}" if who else "")


def _io_attempt(ev: IoAttempt) -> str:
    parts = [site_label(ev.site, ev.side)]
    if ev.device:
        parts.append(DEVICE_NAMES[ev.device] + (f" {number(ev.needle_mm)} mm" if ev.needle_mm else ""))
    elif ev.needle_mm:
        parts.append(f"{number(ev.needle_mm)} mm")
    if ev.by:
        parts.append(f"by {ev.by}")
    return f"IO attempt {ev.line}: " + ", ".join(parts)


def _io_result(ev: IoResult) -> str:
    what = "in (marrow cavity)" if ev.result == "in" else "failed"
    return f"{ev.line} {what}" + (f": {ev.reason}" if ev.reason else "")


def _flush(ev: Flush) -> str:
    how = []
    if not ev.easy:
        how.append("not easy")
    if ev.extravasation:
        how.append("extravasation")
    return f"Flush {ev.line} {number(ev.volume_ml, 1)} mL" + (f" ({', '.join(how)})" if how else "")


def _drug(ev: DrugGiven) -> str:
    text = f"{drug_label(ev.drug, ev.name)} {dose_text(ev.dose, ev.unit)}"
    if ev.concentration:
        text += f" ({ev.concentration}{', diluted' if ev.diluted else ''})"
    via = f" via {ev.line}" if ev.line else f" {ROUTE_NAMES[ev.route]}" if ev.route else ""
    purpose = " for IO analgesia" if ev.purpose == "io_analgesia" else ""
    return text + via + purpose


def _fluid(ev: FluidGiven) -> str:
    return f"{FLUID_NAMES[ev.fluid]} {number(ev.volume_ml, 1)} mL via {ev.line} ({words(ev.method)})"


def _vitals(ev: Vitals) -> str:
    # Each field written out (no loop over a table of them): a long code has a reading every few events.
    sbp, dbp, mean, hr, spo2 = ev.sbp, ev.dbp, ev.map, ev.hr, ev.spo2
    whole = _whole
    parts = []
    if sbp is not None:
        parts.append(f"BP {whole(sbp)}" + (f"/{whole(dbp)}" if dbp is not None else ""))
    elif dbp is not None:
        parts.append(f"DBP {whole(dbp)}")
    if mean is not None:
        parts.append(f"MAP {whole(mean)}")
    if hr is not None:
        parts.append(f"HR {whole(hr)}")
    if spo2 is not None:
        parts.append(f"SpO2 {whole(spo2)}%")
    return "Vitals: " + ", ".join(parts)


def _whole(value: float) -> str:
    """`number(value, 0)`, kept for the next reading: a long code's vitals repeat a few hundred values, and
    formatting one cost three times looking it up. (Equal values write the same: -0.0 and 0.0 both "0".)"""
    text = _WHOLES.get(value)
    if text is None:
        text = number(value, 0)
        if len(_WHOLES) < _WHOLES_KEPT:  # bounded: NaN is never found again, and values can be any float
            _WHOLES[value] = text
    return text


_WHOLES: dict[float, str] = {}
_WHOLES_KEPT = 4096


def _iv(ev: IvAttempt | UvcAttempt) -> str:
    kind = "IV" if isinstance(ev, IvAttempt) else "UVC"
    where = site_label(ev.site, ev.side) if isinstance(ev, IvAttempt) and (ev.site or ev.side) else ""
    return f"{kind} attempt {ev.line}" + (f" {where}" if where else "") + f": {'in' if ev.result == 'in' else 'failed'}"


def _amend(ev: Amend) -> str:
    changes = ", ".join(f"{k} → {_value(v)}" for k, v in ev.changes.items())
    return f"Amend #{ev.target}: {changes} ({ev.reason})"


def _value(value: Any) -> str:
    if isinstance(value, float):
        return number(value, 3)
    return str(value)


_DESCRIBE: dict[type, Any] = {
    CodeStarted: _code_started,
    PatientUpdated: lambda ev: "Patient: " + _patient(ev),
    Finding: lambda ev: (
        f"Finding: {words(ev.finding)}, {site_label(ev.bone, ev.side)}"
        + (f" ({number(ev.hours_ago, 1)} h ago)" if ev.hours_ago is not None else "")
    ),
    Responsiveness: lambda ev: "Responds to pain" if ev.responsive else "Unresponsive to pain",
    RhythmNoted: lambda ev: f"Rhythm: {RHYTHM_NAMES[ev.rhythm]}",
    Shock: lambda ev: (
        ("Synchronized shock (cardioversion)" if ev.cardioversion else "Shock")
        + (f" {number(ev.joules, 0)} J" if ev.joules else "")
    ),
    Vitals: _vitals,
    Note: lambda ev: f"Note: {ev.text}",
    CodeEnded: lambda ev: f"Code ended: {OUTCOME_NAMES[ev.outcome]}",
    IoAttempt: _io_attempt,
    IoResult: _io_result,
    Aspiration: lambda ev: f"Aspiration {ev.line}: {'marrow' if ev.marrow else 'no marrow'}",
    Flush: _flush,
    ComplicationNoted: lambda ev: f"Complication {ev.line}: {words(ev.complication)}",
    LineRemoved: lambda ev: (
        f"{ev.line} removed"
        + ("" if ev.pressure_held is None else ", pressure held" if ev.pressure_held else ", no pressure held")
    ),
    IvAttempt: _iv,
    UvcAttempt: _iv,
    DrugGiven: _drug,
    InfusionStarted: lambda ev: (
        f"Infusion {ev.infusion} started: {infusion_label(ev)} "
        f"{number(ev.rate, 3)} {ev.rate_unit} via {ev.line} ({words(ev.method)})"
    ),
    InfusionChanged: lambda ev: f"Infusion {ev.infusion} rate → {number(ev.rate, 3)}",
    InfusionStopped: lambda ev: f"Infusion {ev.infusion} stopped",
    FluidGiven: _fluid,
    Sample: lambda ev: (
        f"Sample from {ev.line}: {', '.join(words(t) for t in ev.tests)}"
        + ("" if ev.labelled_io is None else ", labelled IO" if ev.labelled_io else ", not labelled IO")
    ),
    Void: lambda ev: f"Void #{ev.target} ({ev.reason})",
    Amend: _amend,
    Acknowledge: lambda ev: f"Acknowledge {ev.rule} on #{ev.target} ({ev.reason})",
}
# Kinds with no fields: their plain names.
_PLAIN = {"cpr_started": "CPR started", "cpr_stopped": "CPR stopped", "rosc": "ROSC", "arrest": "Arrest (re-arrest)"}
