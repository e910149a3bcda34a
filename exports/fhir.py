"""The code as one FHIR R4B Bundle (type collection) for the EHR, coded from fhir_codes.py (exports.md §3)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from exports.derive import summarise
from exports.describe import drug_label, infusion_label
from exports.fhir_codes import (
    ACT_CODE,
    BLOOD_PRESSURE,
    BLOOD_PRESSURE_PANEL,
    BODY_SITES,
    BODY_WEIGHT,
    CARDIAC_ARREST,
    CARDIOVERSION,
    CONDITION_VERIFICATION,
    CPR,
    DEFIBRILLATION,
    ENCOUNTER_CLASS,
    FLUID_CODES,
    HEART_RATE_RHYTHM,
    IDENTIFIER_TYPE,
    IO_CANNULATION,
    IV_CANNULATION,
    KILOGRAM,
    LATERALITY,
    LOINC,
    OBSERVATION_CATEGORY,
    ROUTES,
    RXNORM,
    RXNORM_CODES,
    SALINE,
    SEVERITY,
    SNOMED,
    SUCCESSFUL,
    TARGET_BODY_STRUCTURE,
    UCUM,
    UCUM_RATES,
    UCUM_UNITS,
    UNKNOWN_SETTING,
    UNSUCCESSFUL,
    VITAL_SIGNS,
    VITALS,
)
from schemas.code_record import CodeRecord
from schemas.events import (
    Aspiration,
    CodeStarted,
    DrugGiven,
    FluidGiven,
    Flush,
    InfusionStarted,
    PatientUpdated,
    RhythmNoted,
    Shock,
    Vitals,
)
from schemas.formatting import number, site_label, words
from schemas.labels import DEVICE_NAMES, FLUID_NAMES, RHYTHM_NAMES
from schemas.patient import Patient
from schemas.records import EventRecord
from schemas.summary import AccessLine, FlagRow, Summary

ROUTE_WORDS = {
    "io": "intraosseous",
    "iv": "intravenous",
    "uvc": "umbilical venous",
    # Second edition's routes (text only: their codes were not checked): what a reader of the EHR sees.
    "et": "endotracheal",
    "im": "intramuscular",
    "in": "intranasal",
    "sc": "subcutaneous",
    "po": "oral",
}


def render_fhir(record: CodeRecord) -> bytes:
    return (bundle(record).model_dump_json(indent=2) + "\n").encode("utf-8")


def bundle(record: CodeRecord) -> Bundle:
    """Every resource of the code, each validated by its fhir.resources model, in one collection Bundle."""
    return _Builder(record, summarise(record)).bundle()


def _cc(code: tuple[str, str] | None, system: str = SNOMED, text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if code is not None:
        out["coding"] = [{"system": system, "code": code[0], "display": code[1]}]
    if text:
        out["text"] = text
    return out


def _loinc(code: str, text: str) -> dict[str, Any]:
    # No display: LOINC's own names are not in the reference; `text` says what it is.
    return {"coding": [{"system": LOINC, "code": code}], "text": text}


def _quantity(value: float, unit: str, code: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "unit": unit}
    if code is not None:
        out |= {"system": UCUM, "code": code}
    return out


# FHIR's dateTime takes offsets from -14:00 to +14:00 only; Python (and ISO-8601) allow up to ±23:59.
FHIR_MAX_OFFSET = timedelta(hours=14)


def _when(at: datetime) -> str:
    """FHIR dateTime with the code's offset; milliseconds only when there are any.

    An offset FHIR cannot carry (beyond ±14:00, or with seconds) is written as the same instant in UTC.
    """
    offset = at.utcoffset()
    if offset is not None and (abs(offset) > FHIR_MAX_OFFSET or offset % timedelta(minutes=1)):
        at = at.astimezone(UTC)
    return at.isoformat(timespec="milliseconds" if at.microsecond else "seconds")


class _Builder:
    def __init__(self, record: CodeRecord, summary: Summary) -> None:
        self.r = record
        self.s = summary
        self.entries: list[tuple[str, Any]] = []
        self.by_seq: dict[int, str] = {}  # event → the resource made from it
        self.line_ref: dict[str, str] = {}
        self.patient = self._id("patient")
        self.encounter = self._id("encounter")

    def _id(self, key: str) -> str:
        # Stable for the same code in every export, and different for every code.
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:resus-recorder:{self.r.audit_id}:{key}"))

    def ref(self, ident: str) -> dict[str, str]:
        return {"reference": f"urn:uuid:{ident}"}

    def at(self, t: float) -> str:
        return _when(self.r.start + timedelta(seconds=t))

    def add(self, kind: str, key: str, data: dict[str, Any], seq: int | None = None) -> str:
        ident = self._id(key)
        resource = get_fhir_model_class(kind).model_validate({"id": ident, **data})
        self.entries.append((ident, resource))
        if seq is not None:
            self.by_seq[seq] = ident
        return ident

    def bundle(self) -> Bundle:
        self.add("Patient", "patient", self._patient())
        self.add("Encounter", "encounter", self._encounter())
        self._arrests()
        for line in self.s.lines:
            self._line(line)
        self._bedside()
        for flag in self.s.flags:
            self._flag(flag)
        return Bundle.model_validate(
            {
                "id": self._id("bundle"),
                "type": "collection",
                "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{self._id('bundle')}"},
                "entry": [{"fullUrl": f"urn:uuid:{ident}", "resource": res} for ident, res in self.entries],
            }
        )

    # ── the patient and the code ─────────────────────────────────────────

    def _patient(self) -> dict[str, Any]:
        p = self.r.patient
        out: dict[str, Any] = {}
        if p.mrn:
            mr = {"system": IDENTIFIER_TYPE, "code": "MR"}
            out["identifier"] = [{"type": {"coding": [mr], "text": "MRN"}, "value": p.mrn}]
        if p.name:
            out["name"] = [{"text": p.name}]
        if p.sex:
            out["gender"] = p.sex
        if p.dob:
            out["birthDate"] = p.dob.isoformat()
        return out

    def _encounter(self) -> dict[str, Any]:
        h = self.s.header
        code, display = ENCOUNTER_CLASS.get(h.setting or "", UNKNOWN_SETTING)
        period = {"start": _when(h.start)}
        if h.end is not None:
            period["end"] = _when(h.end)
        return {
            "status": "finished" if h.end is not None else "in-progress",
            "class": {"system": ACT_CODE, "code": code, "display": display},
            "type": [{"text": f"Resuscitation (code {h.code_id})"}],
            "subject": self.ref(self.patient),
            "period": period,
        }

    # ── access lines ─────────────────────────────────────────────────────

    def _line(self, line: AccessLine) -> None:
        data: dict[str, Any] = {
            "status": "completed",  # performed, whether or not it worked
            "subject": self.ref(self.patient),
            "encounter": self.ref(self.encounter),
            "performedDateTime": self.at(line.t),
        }
        if line.kind == "io":
            data["code"] = _cc(IO_CANNULATION, text="IO cannulation")
            where = site_label(line.site, line.side)
            data["bodySite"] = [_cc(BODY_SITES.get(line.site or ""), text=where)]
            if line.side is not None:
                structure = self.add(
                    "BodyStructure",
                    f"site/{line.line}",
                    {
                        "location": _cc(BODY_SITES.get(line.site or ""), text=words(line.site or "")),
                        "locationQualifier": [_cc(LATERALITY[line.side])],
                        "description": where,
                        "patient": self.ref(self.patient),
                    },
                )
                data["extension"] = [{"url": TARGET_BODY_STRUCTURE, "valueReference": self.ref(structure)}]
            device = " ".join(
                x
                for x in (DEVICE_NAMES.get(line.device or ""), f"{number(line.needle_mm)} mm" if line.needle_mm else "")
                if x
            )
            if device:
                data["usedCode"] = [{"text": device}]
        elif line.kind == "iv":
            data["code"] = _cc(IV_CANNULATION, text="Peripheral IV cannulation")
            if line.site or line.side:
                data["bodySite"] = [{"text": site_label(line.site, line.side)}]
        else:
            data["code"] = {"text": "Umbilical venous catheterization"}
        if line.success is not None:
            data["outcome"] = _cc(SUCCESSFUL if line.success else UNSUCCESSFUL)
        if line.complications:
            data["complication"] = [{"text": words(c)} for c in line.complications]
        if line.by:
            data["performer"] = [{"actor": {"display": line.by}}]
        notes = []
        if line.result_reason:
            notes.append(f"{line.result}: {line.result_reason}")
        if line.removed_t is not None:
            notes.append(f"removed at {self.at(line.removed_t)}")
        if notes:
            data["note"] = [{"text": "; ".join(notes)}]
        ident = self.add("Procedure", f"line/{line.line}", data, line.seq)
        self.line_ref[line.line] = ident

    # ── the timeline: treatment, observations, shocks and CPR ───────────

    def _bedside(self) -> None:
        """One pass over the effective timeline; each kind of event has its own method (or none)."""
        self.kinds = {line.line: line.kind for line in self.s.lines}
        self.cpr_open: EventRecord | None = None
        self.weighed: Patient = Patient()
        self.weight_shown: tuple[float, str | None] | None = None
        handlers = {
            "code_started": self._weight,
            "patient_updated": self._weight,
            "drug": self._drug,
            "flush": self._flush,
            "fluid": self._fluid,
            "infusion_started": self._infusion,
            "aspiration": self._aspiration,
            "shock": self._shock,
            "cpr_started": self._cpr_started,
            "cpr_stopped": self._cpr_stopped,
            "rhythm": self._rhythm,
            "rosc": self._rosc,
            "vitals": self._vitals,
        }
        for rec in self.r.timeline:
            handler = handlers.get(rec.kind)
            if handler is not None:
                handler(rec)
        if self.cpr_open is not None:
            self._cpr(self.cpr_open, None)

    def _arrests(self) -> None:
        """One cardiac-arrest Condition per arrest of the code: a re-arrest after ROSC is a Condition of its own,
        and an arrest that ended in ROSC is abated then (one still going when the code ended is not)."""
        rosc_at = {rec.t for rec in self.r.timeline if rec.kind == "rosc"}
        for n, arrest in enumerate(self.r.arrests, start=1):
            condition = {
                "verificationStatus": _cc(("confirmed", "Confirmed"), CONDITION_VERIFICATION),
                "code": _cc(CARDIAC_ARREST),
                "subject": self.ref(self.patient),
                "encounter": self.ref(self.encounter),
                "onsetDateTime": self.at(arrest.t),
            }
            if arrest.ended_t is not None and arrest.ended_t in rosc_at:
                condition["abatementDateTime"] = self.at(arrest.ended_t)
            self.add("Condition", "condition" if n == 1 else f"condition-{n}", condition)

    def _route(self, line: str | None) -> str:
        return self.kinds.get(line or "", "io")

    def _drug(self, rec: EventRecord) -> None:
        ev = rec.event
        assert isinstance(ev, DrugGiven)
        route = self._route(ev.line) if ev.line else ev.route or ""
        code = RXNORM_CODES.get(ev.drug)
        medication = _cc((code, drug_label(ev.drug)) if code else None, RXNORM, drug_label(ev.drug, ev.name))
        dose = _quantity(ev.dose, ev.unit, UCUM_UNITS.get(ev.unit))
        self._administration(rec, medication, route, ev.line, dose=dose, text=ev.concentration)

    def _flush(self, rec: EventRecord) -> None:
        ev = rec.event
        assert isinstance(ev, Flush)
        dose = _quantity(ev.volume_ml, "mL", "mL")
        self._administration(rec, _cc(SALINE, RXNORM, "Flush, 0.9% saline"), self._route(ev.line), ev.line, dose=dose)

    def _fluid(self, rec: EventRecord) -> None:
        ev = rec.event
        assert isinstance(ev, FluidGiven)
        dose = _quantity(ev.volume_ml, "mL", "mL")
        med = _cc(FLUID_CODES.get(ev.fluid), RXNORM, FLUID_NAMES[ev.fluid])
        self._administration(rec, med, self._route(ev.line), ev.line, dose=dose, method=words(ev.method))

    def _shock(self, rec: EventRecord) -> None:
        ev = rec.event
        assert isinstance(ev, Shock)
        code = _cc(CARDIOVERSION, text="Synchronized shock") if ev.cardioversion else _cc(DEFIBRILLATION, text="Shock")
        self.add(
            "Procedure",
            f"event/{rec.seq}",
            {
                "status": "completed",
                "code": code,
                "subject": self.ref(self.patient),
                "encounter": self.ref(self.encounter),
                "performedDateTime": self.at(rec.t),
                **({"note": [{"text": f"{number(ev.joules, 0)} J"}]} if ev.joules else {}),
            },
            rec.seq,
        )

    def _cpr_started(self, rec: EventRecord) -> None:
        if self.cpr_open is None:
            self.cpr_open = rec

    def _cpr_stopped(self, rec: EventRecord) -> None:
        # With no cpr_started before it (a code that began in arrest, compressions already going),
        # the CPR it stops has an end and no recorded start.
        self._cpr(self.cpr_open, rec)
        self.cpr_open = None

    # ── observations: weight, vital signs, rhythm, ROSC ─────────────────

    def _observation(
        self, key: str, rec: EventRecord, code: dict[str, Any], value: dict[str, Any], *, vital: bool = False
    ) -> str:
        """An Observation at the event's time; a flag about the event implicates the first one made from it."""
        data: dict[str, Any] = {"status": "final"}
        if vital:
            data["category"] = [_cc(VITAL_SIGNS, OBSERVATION_CATEGORY)]
        data |= {
            "code": code,
            "subject": self.ref(self.patient),
            "encounter": self.ref(self.encounter),
            "effectiveDateTime": self.at(rec.t),
            **value,
        }
        ident = self.add("Observation", key, data)
        # A flag on code_started is about the code (the Encounter), not the weight given with it.
        if rec.kind != "code_started":
            self.by_seq.setdefault(rec.seq, ident)
        return ident

    def _weight(self, rec: EventRecord) -> None:
        """The dosing weight and how it was obtained, when it was entered: one Observation per value."""
        ev = rec.event
        assert isinstance(ev, CodeStarted | PatientUpdated)
        self.weighed = ev.patient if isinstance(ev, CodeStarted) else self.weighed.merged(ev.patient)
        weight, source = self.weighed.weight_kg, self.weighed.weight_source
        if weight is None or (weight, source) == self.weight_shown:
            return
        self.weight_shown = (weight, source)
        value: dict[str, Any] = {"valueQuantity": _quantity(weight, "kg", KILOGRAM)}
        if source is not None:
            value["method"] = {"text": words(source)}
        self._observation(f"weight/{rec.seq}", rec, _loinc(BODY_WEIGHT, "Body weight"), value, vital=True)

    def _vitals(self, rec: EventRecord) -> None:
        ev = rec.event
        assert isinstance(ev, Vitals)
        for field, (loinc, text, unit) in VITALS.items():
            value = getattr(ev, field)
            if value is not None:
                quantity = {"valueQuantity": _quantity(value, unit, unit)}
                self._observation(f"event/{rec.seq}/{field}", rec, _loinc(loinc, text), quantity, vital=True)
        parts = [
            {"code": _loinc(loinc, text), "valueQuantity": _quantity(value, unit, unit)}
            for field, (loinc, text, unit) in BLOOD_PRESSURE.items()
            if (value := getattr(ev, field)) is not None
        ]
        if parts:
            code = _loinc(BLOOD_PRESSURE_PANEL, "Blood pressure panel")
            self._observation(f"event/{rec.seq}/bp", rec, code, {"component": parts}, vital=True)

    def _rhythm(self, rec: EventRecord) -> None:
        ev = rec.event
        assert isinstance(ev, RhythmNoted)
        # The rhythm in words: standards.md gives no code for a rhythm, so none is sent.
        value = {"valueCodeableConcept": {"text": RHYTHM_NAMES[ev.rhythm]}}
        self._observation(f"event/{rec.seq}", rec, _loinc(HEART_RATE_RHYTHM, "Heart rate rhythm"), value)

    def _rosc(self, rec: EventRecord) -> None:
        # Text only: standards.md gives no checked code for ROSC.
        code = {"text": "Return of spontaneous circulation (ROSC)"}
        self._observation(f"event/{rec.seq}", rec, code, {"valueBoolean": True})

    def _aspiration(self, rec: EventRecord) -> None:
        ev = rec.event
        assert isinstance(ev, Aspiration)
        line = ev.line
        data = {
            "status": "final",
            "code": {"text": "IO marrow aspiration"},  # no standard code was found (standards.md §4)
            "subject": self.ref(self.patient),
            "encounter": self.ref(self.encounter),
            "effectiveDateTime": self.at(rec.t),
            "valueBoolean": ev.marrow,
        }
        if line in self.line_ref:
            data["partOf"] = [self.ref(self.line_ref[line])]
        self.add("Observation", f"event/{rec.seq}", data, rec.seq)

    def _cpr(self, started: EventRecord | None, stopped: EventRecord | None) -> None:
        period = ({"start": self.at(started.t)} if started is not None else {}) | (
            {"end": self.at(stopped.t)} if stopped is not None else {}
        )
        first = started if started is not None else stopped
        assert first is not None  # one of the two is always given
        ident = self.add(
            "Procedure",
            f"event/{first.seq}",
            {
                "status": "completed" if stopped is not None else "in-progress",
                "code": _cc(CPR, text="CPR"),
                "subject": self.ref(self.patient),
                "encounter": self.ref(self.encounter),
                "performedPeriod": period,
            },
            first.seq,
        )
        if stopped is not None:
            # The stop ends this CPR: a flag on it (CPR_PAUSE_LONG) implicates the CPR it paused.
            self.by_seq[stopped.seq] = ident

    def _dosage(self, route: str, line: str | None, **extra: Any) -> dict[str, Any]:
        dosage: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
        # A UVC is a vein: the IV route, named as it is. ET, IM, IN, SC and PO go as text only: their
        # SNOMED codes are not in exports.md and were not checked.
        code = ROUTES.get("iv" if route == "uvc" else route)
        dosage["route"] = _cc(code, text=ROUTE_WORDS.get(route, route))
        if line:
            dosage["text"] = f"via {line}" + (f" ({dosage.pop('text')})" if "text" in dosage else "")
        return dosage

    def _administration(
        self,
        rec: EventRecord,
        medication: dict[str, Any],
        route: str,
        line: str | None,
        *,
        dose: dict[str, Any],
        text: str | None = None,
        method: str | None = None,
    ) -> None:
        data: dict[str, Any] = {
            "status": "completed",
            "medicationCodeableConcept": medication,
            "subject": self.ref(self.patient),
            "context": self.ref(self.encounter),
            "effectiveDateTime": self.at(rec.t),
            "dosage": self._dosage(route, line, dose=dose, text=text, method={"text": method} if method else None),
        }
        if line in self.line_ref:
            data["supportingInformation"] = [self.ref(self.line_ref[line])]
        self.add("MedicationAdministration", f"event/{rec.seq}", data, rec.seq)

    def _infusion(self, rec: EventRecord) -> None:
        ev = rec.event
        assert isinstance(ev, InfusionStarted)
        route = self._route(ev.line)
        row = next(i for i in self.s.infusions if i.infusion == ev.infusion)
        # A drug by its ingredient; a carrier by the fluid's own code (a (code, display) pair already).
        code = (RXNORM_CODES[ev.drug], infusion_label(ev)) if ev.drug in RXNORM_CODES else FLUID_CODES.get(ev.agent)
        period = {"start": self.at(rec.t)} | ({"end": self.at(row.stopped_t)} if row.stopped_t is not None else {})
        data: dict[str, Any] = {
            "status": "completed" if row.stopped_t is not None else "in-progress",
            "medicationCodeableConcept": _cc(code, RXNORM, infusion_label(ev)),
            "subject": self.ref(self.patient),
            "context": self.ref(self.encounter),
            "effectivePeriod": period,
            "dosage": self._dosage(
                route,
                ev.line,
                rateQuantity=_quantity(ev.rate, ev.rate_unit, UCUM_RATES.get(ev.rate_unit)),
                method={"text": words(ev.method)},
            ),
        }
        if row.changes:
            changes = ", ".join(f"{number(c.rate, 3)} {ev.rate_unit} at {self.at(c.t)}" for c in row.changes)
            data["note"] = [{"text": f"rate changed: {changes}"}]
        if ev.line in self.line_ref:
            data["supportingInformation"] = [self.ref(self.line_ref[ev.line])]
        self.add("MedicationAdministration", f"event/{rec.seq}", data, rec.seq)

    # ── flags ────────────────────────────────────────────────────────────

    def _flag(self, flag: FlagRow) -> None:
        implicated = self.by_seq.get(flag.seq)
        if implicated is None:
            # An event with no resource of its own (io_result, removal, sample…): the line it is about.
            rec = next((r for r in self.r.timeline if r.seq == flag.seq), None)
            line = getattr(rec.event, "line", None) if rec else None
            implicated = self.line_ref.get(line or "", self.encounter)
        data: dict[str, Any] = {
            "status": "final",
            "code": {"text": flag.rule},
            "severity": SEVERITY[flag.severity],
            "patient": self.ref(self.patient),
            "identifiedDateTime": self.at(flag.t),
            "implicated": [self.ref(implicated)],
            "detail": flag.message,
        }
        if flag.acknowledged:
            data["mitigation"] = [{"action": {"text": f"Acknowledged by the scribe: {flag.reason}"}}]
        self.add("DetectedIssue", f"flag/{flag.n}", data)
