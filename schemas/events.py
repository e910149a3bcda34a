"""Pydantic models for every event kind of events.md, as one union discriminated on `kind`."""

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from schemas.fields import (
    PATTERN_HINTS,
    Concentration,
    InfusionId,
    IoLineId,
    IvLineId,
    LineId,
    NonNegative,
    RuleIdText,
    Seconds,
    Seq,
    ShortText,
    Text,
    UvcLineId,
)
from schemas.patient import Patient
from schemas.plausible import Amount, FluidVolume, FlushVolume, check_dob, entry_context
from schemas.vocabulary import (
    MIDLINE_SITES,
    AccessResult,
    Bone,
    Complication,
    Device,
    DoseUnit,
    Drug,
    FindingKind,
    Fluid,
    Method,
    Outcome,
    Purpose,
    RateUnit,
    Rhythm,
    Route,
    SampleTest,
    Setting,
    Side,
    Site,
)


class BaseEvent(BaseModel):
    """Fields every event has: its kind and `t`, seconds from the code's start."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    kind: str
    t: Seconds

    @property
    def line_ref(self) -> str | None:
        """The access line this event names, if any."""
        # From the instance's fields: getattr of a missing field goes through pydantic's slow __getattr__.
        return self.__dict__.get("line")


# ── The code and the patient ─────────────────────────────────────────────


class CodeStarted(BaseEvent):
    kind: Literal["code_started"] = "code_started"
    patient: Patient = Patient()
    setting: Setting | None = None
    arrest: StrictBool
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _starts_at_zero(self, info: ValidationInfo) -> "CodeStarted":
        if self.t != 0:
            raise ValueError("t: code_started is the start of the code; its t must be 0")
        # Far enough inside the calendar that every event time after it can be counted.
        if self.at is not None and not 1900 <= self.at.year <= 2999:
            raise ValueError(f"at: {self.at.year} is not a plausible year for a code; check the date")
        if self.at is not None:
            check_dob(self.patient.dob, info, start=self.at.date(), where="patient: ")  # the code's own date
        return self


class PatientUpdated(BaseEvent):
    kind: Literal["patient_updated"] = "patient_updated"
    patient: Patient

    @model_validator(mode="after")
    def _changes_something(self) -> "PatientUpdated":
        if not self.patient.model_dump(exclude_none=True):
            raise ValueError("patient: give at least one patient field to change")
        return self


class Finding(BaseEvent):
    kind: Literal["finding"] = "finding"
    finding: FindingKind
    bone: Bone
    side: Side | None = None
    hours_ago: NonNegative | None = None


class Responsiveness(BaseEvent):
    kind: Literal["responsiveness"] = "responsiveness"
    responsive: StrictBool


class RhythmNoted(BaseEvent):
    kind: Literal["rhythm"] = "rhythm"
    rhythm: Rhythm


class CprStarted(BaseEvent):
    kind: Literal["cpr_started"] = "cpr_started"


class CprStopped(BaseEvent):
    kind: Literal["cpr_stopped"] = "cpr_stopped"


class Shock(BaseEvent):
    kind: Literal["shock"] = "shock"
    joules: Annotated[float, Field(strict=True, gt=0, le=1000)] | None = None
    # Second edition. None reads as false (an unsynchronized shock): a default of False would add the
    # field to every stored shock's payload and move the hashes of codes recorded before it.
    synchronized: StrictBool | None = None

    @property
    def cardioversion(self) -> bool:
        return self.synchronized is True


class Rosc(BaseEvent):
    kind: Literal["rosc"] = "rosc"


class Arrest(BaseEvent):
    kind: Literal["arrest"] = "arrest"


class Vitals(BaseEvent):
    kind: Literal["vitals"] = "vitals"
    sbp: Annotated[float, Field(strict=True, ge=0, le=400)] | None = None
    dbp: Annotated[float, Field(strict=True, ge=0, le=400)] | None = None
    map: Annotated[float, Field(strict=True, ge=0, le=400)] | None = None
    hr: Annotated[float, Field(strict=True, ge=0, le=400)] | None = None
    spo2: Annotated[float, Field(strict=True, ge=0, le=100)] | None = None

    @model_validator(mode="after")
    def _some_value(self) -> "Vitals":
        if all(getattr(self, f) is None for f in ("sbp", "dbp", "map", "hr", "spo2")):
            raise ValueError("vitals: give at least one of sbp, dbp, map, hr, spo2")
        return self


class Note(BaseEvent):
    kind: Literal["note"] = "note"
    text: Text


class CodeEnded(BaseEvent):
    kind: Literal["code_ended"] = "code_ended"
    outcome: Outcome


# ── Vascular access ──────────────────────────────────────────────────────


class IoAttempt(BaseEvent):
    kind: Literal["io_attempt"] = "io_attempt"
    line: IoLineId
    site: Site
    side: Side | None = None
    device: Device | None = None
    needle_mm: Annotated[float, Field(strict=True, gt=0, le=100)] | None = None
    by: ShortText | None = None

    @model_validator(mode="after")
    def _side_matches_site(self) -> "IoAttempt":
        if self.site in MIDLINE_SITES and self.side is not None:
            raise ValueError(f"side: the {self.site} has no side; leave side out")
        if self.site not in MIDLINE_SITES and self.side is None:
            raise ValueError(f"side: say left or right for the {self.site.replace('_', ' ')}")
        return self


class IoResult(BaseEvent):
    kind: Literal["io_result"] = "io_result"
    line: IoLineId
    result: AccessResult
    reason: ShortText | None = None


class Aspiration(BaseEvent):
    kind: Literal["aspiration"] = "aspiration"
    line: IoLineId
    marrow: StrictBool


class Flush(BaseEvent):
    kind: Literal["flush"] = "flush"
    line: LineId
    volume_ml: FlushVolume
    easy: StrictBool = True
    extravasation: StrictBool = False


class ComplicationNoted(BaseEvent):
    kind: Literal["complication"] = "complication"
    line: LineId
    complication: Complication


class LineRemoved(BaseEvent):
    kind: Literal["line_removed"] = "line_removed"
    line: LineId
    pressure_held: StrictBool | None = None


class IvAttempt(BaseEvent):
    kind: Literal["iv_attempt"] = "iv_attempt"
    line: IvLineId
    site: ShortText | None = None
    side: Side | None = None
    result: AccessResult


class UvcAttempt(BaseEvent):
    kind: Literal["uvc_attempt"] = "uvc_attempt"
    line: UvcLineId
    result: AccessResult


# ── Treatment ────────────────────────────────────────────────────────────


def _name_for_other(drug: str, name: str | None) -> None:
    if drug == "other" and name is None:
        raise ValueError("name: say which drug when drug is other")


class DrugGiven(BaseEvent):
    kind: Literal["drug"] = "drug"
    drug: Drug
    name: ShortText | None = None
    dose: Amount
    unit: DoseUnit
    line: LineId | None = None
    route: Route | None = None
    concentration: Concentration | None = None
    diluted: StrictBool | None = None
    purpose: Purpose | None = None
    by: ShortText | None = None  # who gave it: identifying, never in the audit

    @model_validator(mode="after")
    def _sense(self) -> "DrugGiven":
        _name_for_other(self.drug, self.name)
        if self.line is None and self.route is None:
            raise ValueError("line: give the line the drug went through, or a route (et, im, in, sc, po)")
        if self.line is not None and self.route is not None:
            raise ValueError("route: a drug through a line takes its route from the line; leave route out")
        return self


class InfusionStarted(BaseEvent):
    """A drug infusion, or (second edition) a carrier: a `fluid` running on the line, e.g. saline on a bag."""

    kind: Literal["infusion_started"] = "infusion_started"
    infusion: InfusionId
    drug: Drug | None = None
    fluid: Fluid | None = None
    name: ShortText | None = None
    rate: Amount
    rate_unit: RateUnit
    line: LineId
    method: Method
    concentration: Concentration | None = None  # needed to check a rate in mL/h

    @model_validator(mode="after")
    def _sense(self) -> "InfusionStarted":
        if (self.drug is None) == (self.fluid is None):
            raise ValueError("drug: give exactly one of drug (a drug infusion) or fluid (a carrier)")
        if self.drug is not None:
            _name_for_other(self.drug, self.name)
        return self

    @property
    def carrier(self) -> bool:
        """A fluid running on the line: it flushes every drug given into it."""
        return self.fluid is not None

    @property
    def agent(self) -> str:
        """What runs: the drug id, or the fluid id of a carrier."""
        return self.drug if self.drug is not None else str(self.fluid)


class InfusionChanged(BaseEvent):
    kind: Literal["infusion_changed"] = "infusion_changed"
    infusion: InfusionId
    rate: Amount


class InfusionStopped(BaseEvent):
    kind: Literal["infusion_stopped"] = "infusion_stopped"
    infusion: InfusionId


class FluidGiven(BaseEvent):
    kind: Literal["fluid"] = "fluid"
    fluid: Fluid
    volume_ml: FluidVolume
    line: LineId
    method: Method
    # Second edition (a confirming push). None reads as events.md's defaults (easy, no extravasation);
    # not True/False defaults, which would add them to every stored fluid and move old codes' hashes.
    easy: StrictBool | None = None
    extravasation: StrictBool | None = None

    @property
    def went_in_easily(self) -> bool:
        """Easily and without extravasation (the defaults when not recorded)."""
        return self.easy is not False and self.extravasation is not True


class Sample(BaseEvent):
    kind: Literal["sample"] = "sample"
    line: LineId
    tests: Annotated[list[SampleTest], Field(min_length=1, max_length=6)]
    labelled_io: StrictBool | None = None

    @model_validator(mode="after")
    def _unique_tests(self) -> "Sample":
        if len(set(self.tests)) != len(self.tests):
            raise ValueError("tests: name each test once")
        return self


# ── Record keeping ───────────────────────────────────────────────────────


class Void(BaseEvent):
    kind: Literal["void"] = "void"
    target: Seq
    reason: ShortText


class Amend(BaseEvent):
    kind: Literal["amend"] = "amend"
    target: Seq
    changes: Annotated[dict[str, Any], Field(min_length=1)]
    reason: ShortText

    @model_validator(mode="after")
    def _changeable(self) -> "Amend":
        if "kind" in self.changes:
            raise ValueError("changes: the kind of an event cannot be amended; void it and log the right one")
        return self


class Acknowledge(BaseEvent):
    kind: Literal["acknowledge"] = "acknowledge"
    rule: RuleIdText
    target: Seq
    reason: ShortText


# Spelled out, not built at run time from a tuple, so a type checker sees every kind (`rec.event` is
# not Any); the tuple of models is read back from it, so the kinds are listed once.
Event = Annotated[
    CodeStarted
    | PatientUpdated
    | Finding
    | Responsiveness
    | RhythmNoted
    | CprStarted
    | CprStopped
    | Shock
    | Rosc
    | Arrest
    | Vitals
    | Note
    | CodeEnded
    | IoAttempt
    | IoResult
    | Aspiration
    | Flush
    | ComplicationNoted
    | LineRemoved
    | IvAttempt
    | UvcAttempt
    | DrugGiven
    | InfusionStarted
    | InfusionChanged
    | InfusionStopped
    | FluidGiven
    | Sample
    | Void
    | Amend
    | Acknowledge,
    Field(discriminator="kind"),
]
EVENT_MODELS: tuple[type[BaseEvent], ...] = get_args(get_args(Event)[0])
KIND_MODEL: dict[str, type[BaseEvent]] = {m.model_fields["kind"].default: m for m in EVENT_MODELS}
KINDS: tuple[str, ...] = tuple(KIND_MODEL)
RECORD_KEEPING: frozenset[str] = frozenset({"void", "amend", "acknowledge"})

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


class EventError(ValueError):
    """An event that does not make sense on its own; the message names the field."""


def explain(exc: ValidationError) -> str:
    """One line naming each bad field, e.g. `dose: Input should be greater than 0`."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        if loc and loc[0] in KIND_MODEL:  # the union's tag adds nothing for a reader
            loc = loc[1:]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "union_tag_invalid":
            msg = f"unknown kind {err['input'].get('kind')!r}; use one of events.md's kinds"
            loc = ["kind"]
        elif err["type"] == "union_tag_not_found":
            msg, loc = "missing; every event needs a kind", ["kind"]
        elif err["type"] == "string_pattern_mismatch":
            hint = PATTERN_HINTS.get(err.get("ctx", {}).get("pattern", ""))
            msg = f"{err['input']!r} is not {hint}" if hint else msg
        elif err["type"] == "extra_forbidden":
            msg = "unknown field; check the spelling against events.md"
        field = ".".join(loc)
        parts.append(msg if not field or msg.startswith(field + ":") else f"{field}: {msg}")
    return printable("; ".join(dict.fromkeys(parts)))


def printable(text: str) -> str:
    """One printable line: what a file put in a field name cannot break the line or drive the terminal."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def parse_event(data: Any, code_start: datetime | None = None) -> Event:
    """Validate one event being entered (a dict from JSON); raise EventError naming the bad field.

    New entries meet the entry-time checks: free text without invisible characters, and the
    plausibility limits of schemas/plausible.py (`code_start`, the code's start when known, bounds a
    date of birth). Stored events are read back without them (EVENT_ADAPTER), so a record made before
    them still loads.
    """
    if not isinstance(data, dict):
        raise EventError("an event is a JSON object with kind and t")
    try:
        return EVENT_ADAPTER.validate_python(data, context=entry_context(code_start))
    except ValidationError as exc:
        raise EventError(explain(exc)) from None


def _tidy(value: Any) -> Any:
    """Whole numbers as integers (`15`, not `15.0`), so stored and exported JSON reads as typed."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value


def event_payload(event: BaseEvent) -> dict[str, Any]:
    """The event as plain JSON data, without its kind and t (those are stored beside it)."""
    # What model_dump and _tidy give, read straight from the fields when each is a str, int, bool or float
    # (most events): model_dump's own cost was most of a small event's (it is on the logging path, once per
    # event). A nested model, list or dict: dumped by pydantic, as ever (test_events: equal for every kind).
    names, values, out = _PAYLOAD_FIELDS.get(type(event)), event.__dict__, {}
    if names is not None:
        for name in names:
            value = values[name]
            kind = type(value)
            if kind is str or kind is int or kind is bool:
                out[name] = value
            elif kind is float:
                out[name] = int(value) if value.is_integer() else value
            elif value is not None:
                break
        else:
            return out
    return _tidy(event.model_dump(mode="json", exclude={"kind", "t"}, exclude_none=True))


# Each kind's fields but kind and t, in the order model_dump gives them.
_PAYLOAD_FIELDS = {model: tuple(n for n in model.model_fields if n not in ("kind", "t")) for model in EVENT_MODELS}


def event_dict(event: BaseEvent) -> dict[str, Any]:
    """The event as one scenario line: t and kind first, then its fields."""
    return {"t": _tidy(event.t), "kind": event.kind, **event_payload(event)}
