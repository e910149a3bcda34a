"""A hypothesis strategy for valid codes: event dicts that a scenario file or the screen could give."""

from hypothesis import strategies as st

from schemas.vocabulary import DRUGS, SITES

WEIGHTS = st.one_of(st.none(), st.sampled_from([0.8, 2.5, 3.5, 9, 12, 25, 39.5, 40, 70]))
AGES = st.one_of(st.none(), st.sampled_from([0.01, 0.5, 1, 2, 8, 12, 13, 17.9, 18, 45, 80]))
DOSES = st.sampled_from([0.01, 0.1, 0.12, 0.5, 1, 2, 5, 10, 25, 50, 150, 300, 1000])
UNITS = st.sampled_from(["mg", "mcg", "g", "mEq", "mL"])
# The second edition's new rules read these (rhythms, routes, rates; RHYTHMS as events.md lists them).
RHYTHMS = ["asystole", "pea", "vf", "pvt", "sinus", "bradycardia", "svt", "other"]
ROUTES = st.sampled_from(["et", "im", "in", "sc", "po"])
RATE_UNITS = ["mcg/kg/min", "mcg/kg/min", "mcg/min", "mg/kg/h", "mL/h"]
INFUSED = ["epinephrine", "norepinephrine", "amiodarone", "dopamine", "milrinone", "lidocaine", "potassium_chloride"]
GAPS = st.sampled_from([0, 1, 5, 20, 29, 31, 60, 100, 179, 181, 299, 301, 900, 86_400])


@st.composite
def codes(draw, max_steps: int = 40, record_keeping: bool = True) -> list[dict]:
    """A valid code: code_started, then bedside events (and voids/amends) on lines that exist."""
    patient = {}
    age, weight = draw(AGES), draw(WEIGHTS)
    if age is not None:
        patient["age_years"] = age
    if weight is not None:
        patient["weight_kg"] = weight
    events: list[dict] = [
        {
            "t": 0,
            "kind": "code_started",
            "arrest": draw(st.booleans()),
            "patient": patient,
            "at": "2026-03-02T14:05:00+00:00",
        }
    ]
    lines: list[str] = []
    infusions: list[str] = []
    counts = {"io": 0, "iv": 0}
    t = 0.0
    for _ in range(draw(st.integers(1, max_steps))):
        t += draw(GAPS)
        when = t
        if draw(st.integers(0, 9)) == 0:
            when = max(0.0, t - draw(st.sampled_from([1, 10, 30, 120])))  # a late entry
        options = ["io", "iv", "rhythm", "arrest_state", "shock", "shock", "finding", "responsive", "vitals", "note"]
        if not lines:
            options += ["route_drug"]
        if lines:
            options += [
                "result",
                "aspiration",
                "flush",
                "flush",
                "drug",
                "drug",
                "drug",
                "fluid",
                "infusion",
                "route_drug",
                "sample",
                "removed",
                "complication",
            ]
        if infusions:
            options += ["rate"]
        bedside = [i for i, e in enumerate(events, 1) if e["kind"] not in ("code_started", "void", "amend")]
        if record_keeping and bedside:
            options += ["void", "amend"]
        what = draw(st.sampled_from(options))
        line = draw(st.sampled_from(lines)) if lines else None
        io_lines = [x for x in lines if x.startswith("io")]
        if what == "io":
            counts["io"] += 1
            site = draw(st.sampled_from(SITES))
            ev = {
                "kind": "io_attempt",
                "line": f"io{counts['io']}",
                "site": site,
                "device": draw(st.sampled_from(["ez_io", "manual", "big_paediatric", "big_adult", "fast1"])),
                "needle_mm": draw(st.sampled_from([15, 25, 45])),
            }
            if site != "sternum":
                ev["side"] = draw(st.sampled_from(["left", "right"]))
            lines.append(ev["line"])
        elif what == "iv":
            counts["iv"] += 1
            ev = {"kind": "iv_attempt", "line": f"iv{counts['iv']}", "result": draw(st.sampled_from(["in", "failed"]))}
            lines.append(ev["line"])
        elif what == "rhythm":
            ev = {"kind": "rhythm", "rhythm": draw(st.sampled_from(RHYTHMS))}
        elif what == "arrest_state":
            ev = {"kind": draw(st.sampled_from(["rosc", "arrest", "cpr_started", "cpr_stopped", "cpr_stopped"]))}
        elif what == "shock":
            ev = {"kind": "shock"}
            if draw(st.booleans()):
                ev["joules"] = draw(st.sampled_from([4, 10, 20, 40, 50, 100, 200, 360]))
            if draw(st.integers(0, 3)) == 0:
                ev["synchronized"] = draw(st.booleans())
        elif what == "finding":
            ev = {
                "kind": "finding",
                "finding": draw(st.sampled_from(["fracture", "recent_io", "burn", "vascular_injury"])),
                "bone": draw(st.sampled_from(["tibia", "femur", "humerus", "pelvis"])),
                "side": draw(st.sampled_from(["left", "right"])),
            }
        elif what == "responsive":
            ev = {"kind": "responsiveness", "responsive": draw(st.booleans())}
        elif what == "vitals":
            ev = {"kind": "vitals", "sbp": 80}
        elif what == "note":
            ev = {"kind": "note", "text": "note"}
        elif what == "result" and io_lines:
            ev = {
                "kind": "io_result",
                "line": draw(st.sampled_from(io_lines)),
                "result": draw(st.sampled_from(["in", "in", "failed"])),
            }
        elif what == "aspiration" and io_lines:
            ev = {"kind": "aspiration", "line": draw(st.sampled_from(io_lines)), "marrow": draw(st.booleans())}
        elif what == "flush":
            ev = {
                "kind": "flush",
                "line": line,
                "volume_ml": draw(st.sampled_from([0.5, 2, 3, 5, 10])),
                "easy": draw(st.sampled_from([True, True, True, False])),
            }
        elif what == "drug":
            drug = draw(st.sampled_from(DRUGS))
            ev = {"kind": "drug", "drug": drug, "dose": draw(DOSES), "unit": draw(UNITS), "line": line}
            if drug == "other":
                ev["name"] = "vasopressin"
            if draw(st.booleans()):
                ev["concentration"] = draw(st.sampled_from(["8.4%", "4.2%", "10%", "50%", "0.1 mg/mL"]))
            if drug == "lidocaine" and draw(st.booleans()):
                ev["purpose"] = "io_analgesia"
        elif what == "route_drug":
            drug = draw(st.sampled_from(DRUGS))
            ev = {"kind": "drug", "drug": drug, "dose": draw(DOSES), "unit": draw(UNITS), "route": draw(ROUTES)}
            if drug == "other":
                ev["name"] = "vasopressin"
        elif what == "fluid":
            ev = {
                "kind": "fluid",
                "fluid": draw(st.sampled_from(["saline", "saline", "dextrose_10"])),
                "volume_ml": draw(st.sampled_from([20, 50, 100, 200, 500])),
                "line": line,
                "method": draw(st.sampled_from(["push", "gravity", "pump"])),
            }
        elif what == "infusion":
            inf = f"inf{len(infusions) + 1}"
            infusions.append(inf)
            ev = {
                "kind": "infusion_started",
                "infusion": inf,
                "drug": draw(st.sampled_from(INFUSED)),
                "rate": draw(st.sampled_from([0.1, 0.6, 2.5, 10])),
                "rate_unit": draw(st.sampled_from(RATE_UNITS)),
                "line": line,
                "method": draw(st.sampled_from(["pump", "gravity"])),
            }
            if ev["rate_unit"] == "mL/h" and draw(st.booleans()):
                ev["concentration"] = draw(st.sampled_from(["0.1 mg/mL", "16 mcg/mL"]))
            if draw(st.integers(0, 5)) == 0:  # a carrier: a fluid running on the line
                del ev["drug"]
                ev["fluid"] = "saline"
        elif what == "rate":
            ev = {
                "kind": "infusion_changed",
                "infusion": draw(st.sampled_from(infusions)),
                "rate": draw(st.sampled_from([0.1, 1, 3])),
            }
        elif what == "sample":
            ev = {
                "kind": "sample",
                "line": line,
                "tests": draw(st.sampled_from([["blood_gas"], ["fbc"], ["glucose"]])),
                "labelled_io": draw(st.booleans()),
            }
        elif what == "removed":
            ev = {"kind": "line_removed", "line": line, "pressure_held": draw(st.booleans())}
        elif what == "complication":
            ev = {"kind": "complication", "line": line, "complication": "swelling"}
        elif what == "void":
            target = draw(st.sampled_from(bedside))
            if any(e["kind"] == "void" and e["target"] == target for e in events):
                continue
            ev = {"kind": "void", "target": target, "reason": "mistake"}
        elif what == "amend":
            target = draw(st.sampled_from(bedside))
            if any(e["kind"] == "void" and e["target"] == target for e in events):
                continue
            ev = {
                "kind": "amend",
                "target": target,
                "reason": "time was off",
                "changes": {"t": max(0.0, events[target - 1]["t"] + draw(st.sampled_from([-30, -5, 5, 40])))},
            }
        else:
            continue
        ev["t"] = when
        events.append(ev)
    if draw(st.integers(0, 3)) == 0:  # the code ends (nothing bedside may follow it)
        last = max(e["t"] for e in events) + 40  # past any amend's move (+40 s at most)
        events.append({"kind": "code_ended", "outcome": "transferred", "t": last + draw(GAPS)})
    return events
