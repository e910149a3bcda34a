"""The protocol: every rule threshold and table as one frozen model, read from TOML."""

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from recorder.engine.protocol_care import ArrestCare, DrugClasses, FluidVolume, InfusionRate, RouteTable, ShockEnergy
from recorder.errors import RecorderError
from schemas.fields import CONCENTRATION
from schemas.patient import DAYS_PER_YEAR
from schemas.vocabulary import (
    BONES,
    LIMBS,
    MIDLINE_SITES,
    SITES,
    AgeBand,
    Bone,
    Device,
    DoseUnit,
    Drug,
    Limb,
    Route,
    Setting,
    Severity,
    Site,
)

DEFAULT_FILE = "protocol.toml"

Num = Annotated[float, Field(strict=True, gt=0)]
Count = Annotated[int, Field(strict=True, ge=1)]
Range = tuple[Num, Num]
When = Literal["neonate", "io_analgesia", "first_dose", "later_dose"]
Band = AgeBand  # rules.md's age band (schemas.vocabulary: the exports read it too)


class ProtocolError(RecorderError, ValueError):
    """A protocol file that cannot be used; the message names the key and what is wrong."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _not_above(low_name: str, low: float | None, high_name: str, high: float | None) -> None:
    if low is not None and high is not None and low > high:
        raise ValueError(f"{low_name}: {low:g} is above {high_name} ({high:g})")


def _one_of(model: BaseModel, *names: str) -> None:
    given = [n for n in names if getattr(model, n) is not None]
    if len(given) != 1:
        raise ValueError(f"{names[0]}: give exactly one of {', '.join(names)}")


def _range(name: str, value: tuple[float, float] | None) -> None:
    if value is not None and value[0] > value[1]:
        raise ValueError(f"{name}: low {value[0]:g} is above high {value[1]:g}")


class Meta(_Model):
    name: str
    version: str


class AgeBands(_Model):
    neonate_days: Num
    adult_years: Num
    # The band of a patient whose age is unknown (second edition): what the setting or the weight implies.
    unknown_neonate_settings: tuple[Setting, ...]
    unknown_neonate_under_kg: Num
    adult_sized_kg: Num

    @property
    def neonate_years(self) -> float:
        return self.neonate_days / DAYS_PER_YEAR


def _private(model: BaseModel) -> dict[str, Any]:
    """A model's private attributes, for the look-ups the rules make at every drug and site: `model._name` is
    answered by pydantic's __getattr__, which asks the attribute for a __get__ it does not have and pays an
    AttributeError for it (about 2.5 µs a read, 2 % of folding a code; benchmarks/bench_exports.py --parts stages)."""
    private = model.__pydantic_private__
    assert private is not None  # a model with private attributes always has them
    return private


class Anatomy(_Model):
    """The site → bone table and the limb chains: the one home of both (the IO picker's marks and the
    site rules read this). A hospital may remap a site's bone; the checks below keep every site and
    bone of the vocabulary covered so that no same-bone or limb rule can silently stop applying."""

    site_bone: dict[Site, Bone]
    limbs: dict[Limb, tuple[tuple[Bone, ...], ...]]
    _place: dict[str, tuple[Limb, int]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> "Anatomy":
        missing = [s for s in SITES if s not in self.site_bone]
        if missing:
            raise ValueError(f"site_bone: no bone for {', '.join(missing)}")
        for limb in LIMBS:
            if limb not in self.limbs:
                raise ValueError(f"limbs.{limb}: missing; every limb of the vocabulary needs its chain")
        for limb, tiers in self.limbs.items():
            for tier, bones in enumerate(tiers):
                for bone in bones:
                    if bone in self._place:
                        raise ValueError(f"limbs: {bone} is listed twice ({self._place[bone][0]} and {limb})")
                    self._place[bone] = (limb, tier)
        self._covers_vocabulary()
        return self

    def _covers_vocabulary(self) -> None:
        """Checked against the vocabulary (issue 11): a bone on no limb would drop the below-a-fracture and
        vascular flags, and a sided site on a midline bone would never share a bone key with it."""
        midline = {self.site_bone[s] for s in MIDLINE_SITES}
        for site, bone in self.site_bone.items():
            if site not in MIDLINE_SITES and bone in midline:
                raise ValueError(
                    f"site_bone.{site}: {bone!r} is the bone of a site with no side; give {site} a bone of a limb"
                )
        for bone in BONES:
            if bone not in self._place and bone not in midline:
                raise ValueError(f"limbs: {bone} is on no limb; place every bone of the vocabulary on a limb")

    def place(self, bone: str) -> tuple[Limb, int] | None:
        """(limb, tier) of a bone, tier 0 the most proximal; None for a bone on no limb."""
        place: dict[str, tuple[Limb, int]] = _private(self)["_place"]
        return place.get(bone)


class SiteThresholds(_Model):
    recent_io_hours: Num


class SiteAge(_Model):
    site: Site
    severity: Severity
    why: str
    under_years: Num | None = None
    from_years: Num | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> "SiteAge":
        if self.under_years is not None and self.from_years is not None:
            raise ValueError("under_years: give under_years or from_years, not both")
        return self


class DeviceSite(_Model):
    device: Device
    severity: Severity
    why: str
    sites: tuple[Site, ...] | None = None
    only_sites: tuple[Site, ...] | None = None

    @model_validator(mode="after")
    def _one_list(self) -> "DeviceSite":
        _one_of(self, "sites", "only_sites")
        return self

    def fires_at(self, site: str) -> bool:
        return site in self.sites if self.sites is not None else site not in (self.only_sites or ())


class DeviceAge(_Model):
    device: Device
    severity: Severity
    over_years: Num | None = None
    under_years: Num | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> "DeviceAge":
        _one_of(self, "over_years", "under_years")
        return self


class NeedleLength(_Model):
    needle_mm: Num
    for_under_kg: Num | None = None
    for_from_kg: Num | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> "NeedleLength":
        _one_of(self, "for_under_kg", "for_from_kg")
        return self


class Needle(_Model):
    device: Device
    min_weight_kg: Num
    lengths: tuple[NeedleLength, ...]
    # The lengths the IO form's `n` cycles through. A protocol written before it (or kept with a code's flags)
    # lists none: the form then offers the lengths of its weight bands.
    stock_mm: tuple[Num, ...] = ()

    def choices(self) -> tuple[float, ...]:
        """The needle lengths a scribe picks from, in the protocol's order (the first is proposed)."""
        return self.stock_mm or tuple(sorted({size.needle_mm for size in self.lengths}))


class Access(_Model):
    child_failed_attempts: Count
    child_no_access_s: Num
    adult_failed_iv_attempts: Count


class FlushRules(_Model):
    window_s: Num
    analgesia_window_s: Num
    adenosine_window_s: Num
    neonate_min_ml: Num
    child_min_ml: Num
    adult_min_ml: Num
    unknown_min_ml: Num
    adult_from_kg: Num


class Hypertonic(_Model):
    drug: Drug
    percent: Num
    diluted_exempts: bool
    neonate: Severity | None = None
    under_years: Num | None = None
    under_years_severity: Severity | None = None

    @model_validator(mode="after")
    def _bands(self) -> "Hypertonic":
        if (self.under_years is None) != (self.under_years_severity is None):
            raise ValueError("under_years: give under_years and under_years_severity together")
        if self.neonate is None and self.under_years is None:
            raise ValueError("neonate: give neonate, under_years, or both")
        return self


class Concentrations(_Model):
    """The strengths the drug picker offers for a drug whose rules read its concentration, and the one
    it proposes by age (shown, stored as shown, changed by the scribe): HYPERTONIC_UNDILUTED reads it."""

    drug: Drug
    choices: tuple[Annotated[str, Field(pattern=CONCENTRATION)], ...] = Field(min_length=1)
    neonate: str | None = None
    under_years: Num | None = None
    young: str | None = None
    older: str

    @model_validator(mode="after")
    def _proposals(self) -> "Concentrations":
        if (self.under_years is None) != (self.young is None):
            raise ValueError("under_years: give under_years and young together")
        for name in ("neonate", "young", "older"):
            value = getattr(self, name)
            if value is not None and value not in self.choices:
                raise ValueError(f"{name}: {value!r} is not one of choices {list(self.choices)}")
        return self


class Dwell(_Model):
    warning_h: Num
    critical_h: Num
    child_under_years: Num
    child_critical_h: Num

    @model_validator(mode="after")
    def _order(self) -> "Dwell":
        _not_above("warning_h", self.warning_h, "critical_h", self.critical_h)
        return self


class Epinephrine(_Model):
    interval_s: Num
    too_soon_s: Num
    first_dose_s: Num

    @model_validator(mode="after")
    def _order(self) -> "Epinephrine":
        _not_above("too_soon_s", self.too_soon_s, "interval_s", self.interval_s)
        return self


class DoseRange(_Model):
    warning_low: Num
    warning_high: Num
    critical_low: Num
    critical_high: Num

    @model_validator(mode="after")
    def _order(self) -> "DoseRange":
        _not_above("warning_low", self.warning_low, "1 (the expected range)", 1.0)
        _not_above("1 (the expected range)", 1.0, "warning_high", self.warning_high)
        # A warning threshold beyond the critical one would make critical unreachable.
        _not_above("critical_low", self.critical_low, "warning_low", self.warning_low)
        _not_above("warning_high", self.warning_high, "critical_high", self.critical_high)
        return self


class Cumulative(_Model):
    drug: Drug
    warning_per_kg: Num | None = None
    critical_per_kg: Num | None = None

    @model_validator(mode="after")
    def _order(self) -> "Cumulative":
        if self.warning_per_kg is None and self.critical_per_kg is None:
            raise ValueError("warning_per_kg: give warning_per_kg, critical_per_kg, or both")
        _not_above("warning_per_kg", self.warning_per_kg, "critical_per_kg", self.critical_per_kg)
        return self

    def lines(self) -> tuple[tuple[Severity, float], ...]:
        """(severity, per-kg limit) for each line this drug has."""
        pairs: list[tuple[Severity, float | None]] = [
            ("warning", self.warning_per_kg),
            ("critical", self.critical_per_kg),
        ]
        return tuple((s, v) for s, v in pairs if v is not None)


class NorepinephrineIO(_Model):
    warning_mcg_kg_min: Num
    critical_mcg_kg_min: Num

    @model_validator(mode="after")
    def _order(self) -> "NorepinephrineIO":
        _not_above("warning_mcg_kg_min", self.warning_mcg_kg_min, "critical_mcg_kg_min", self.critical_mcg_kg_min)
        return self


class Vasopressor(_Model):
    bp_within_s: Num


class Conversions(_Model):
    bicarbonate_mg_per_meq: Num
    # One mmol in the drug's dosing-table unit (sodium bicarbonate in mEq; the calcium salts in mg).
    mmol: dict[Drug, Num]


class DoseRow(_Model):
    drug: Drug
    when: When | None = None
    route: Route | None = None  # None: doses through a line (IV, IO, UVC)
    concentration: str | None = None  # the row applies at this concentration or with none given
    unit: DoseUnit
    per_kg: Range
    min_single: Num | None = None
    max_single: Num | None = None
    adult: Range | None = None
    adult_per_kg: Range | None = None

    @model_validator(mode="after")
    def _sense(self) -> "DoseRow":
        if self.drug == "other":
            raise ValueError("drug: 'other' has no dose; name a drug of events.md")
        _range("per_kg", self.per_kg)
        _range("adult", self.adult)
        _range("adult_per_kg", self.adult_per_kg)
        _not_above("min_single", self.min_single, "max_single", self.max_single)
        if self.adult is not None and self.adult_per_kg is not None:
            raise ValueError("adult: give adult or adult_per_kg, not both")
        return self


class Protocol(_Model):
    """Every threshold and table the rules read; nothing in rule code is a clinical number."""

    protocol: Meta
    age_bands: AgeBands
    anatomy: Anatomy
    site: SiteThresholds
    site_age: tuple[SiteAge, ...]
    device_site: tuple[DeviceSite, ...]
    device_age: tuple[DeviceAge, ...]
    needle: Needle
    access: Access
    flush: FlushRules
    hypertonic: tuple[Hypertonic, ...]
    dwell: Dwell
    epinephrine: Epinephrine
    dose_range: DoseRange
    cumulative: tuple[Cumulative, ...]
    norepinephrine_io: NorepinephrineIO
    vasopressor: Vasopressor
    conversions: Conversions
    doses: tuple[DoseRow, ...]
    concentrations: tuple[Concentrations, ...]
    # The second edition's new rules (protocol_care.py).
    route_not_allowed: RouteTable
    drug_classes: DrugClasses
    shock_energy: ShockEnergy
    arrest_care: ArrestCare
    fluid_volume: FluidVolume
    infusion_rates: tuple[InfusionRate, ...]
    _rows: dict[str, tuple[DoseRow, ...]] = PrivateAttr(default_factory=dict)
    _rates: dict[str, InfusionRate] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _tables(self) -> "Protocol":
        rows: dict[str, list[DoseRow]] = {}
        for i, row in enumerate(self.doses, start=1):
            earlier = rows.setdefault(row.drug, [])
            where = f"doses #{i} ({row.drug})"
            if earlier and row.unit != earlier[0].unit:
                raise ValueError(
                    f"{where}.unit: {row.unit}, but an earlier {row.drug} row is in {earlier[0].unit};"
                    " give a drug's rows one unit"
                )
            if any(r.when is None and r.route == row.route and r.concentration == row.concentration for r in earlier):
                raise ValueError(
                    f"{where}.when: never used, an earlier {row.drug} row has no `when` and takes every dose"
                    " by its route"
                )
            earlier.append(row)
        for i, cum in enumerate(self.cumulative, start=1):
            if cum.drug not in rows:
                raise ValueError(f"cumulative #{i} ({cum.drug}).drug: no [[doses]] row gives its unit")
        seen: set[str] = set()
        for i, conc in enumerate(self.concentrations, start=1):
            if conc.drug in seen:
                raise ValueError(f"concentrations #{i} ({conc.drug}).drug: listed twice; give a drug one row")
            seen.add(conc.drug)
        self._rows.update({drug: tuple(r) for drug, r in rows.items()})
        for i, rate in enumerate(self.infusion_rates, start=1):
            if rate.drug in self._rates:
                raise ValueError(f"infusion_rates #{i} ({rate.drug}).drug: listed twice")
            self._rates[rate.drug] = rate
        return self

    def infusion_rate(self, drug: str | None) -> InfusionRate | None:
        """The infusion table's row for a drug, if it has one."""
        rates: dict[str, InfusionRate] = _private(self)["_rates"]
        return rates.get(drug) if drug is not None else None

    def band(self, age: float | None, weight: float | None, setting: str | None) -> Band:
        """rules.md's age band: from the age when known; otherwise what the setting or the weight implies."""
        bands = self.age_bands
        if age is not None:
            return "neonate" if self.is_neonate(age) else "child" if self.is_child(age) else "adult"
        if setting in bands.unknown_neonate_settings or (
            weight is not None and weight < bands.unknown_neonate_under_kg
        ):
            return "neonate"
        if weight is not None and weight < bands.adult_sized_kg:
            return "child"
        return "unknown"

    def dose_rows(self, drug: str) -> tuple[DoseRow, ...]:
        rows: dict[str, tuple[DoseRow, ...]] = _private(self)["_rows"]
        return rows.get(drug, ())

    def drug_unit(self, drug: str) -> str | None:
        """The unit the dosing table counts this drug in (totals are kept in it)."""
        rows: tuple[DoseRow, ...] | None = _private(self)["_rows"].get(drug)
        return rows[0].unit if rows else None

    def concentration_choices(self, drug: str, age: float | None) -> tuple[tuple[str, ...], str | None] | None:
        """The strengths to offer for `drug` and the one proposed at `age` (None: age unknown, asked);
        None for a drug the table does not list (its concentration stays free text)."""
        row = next((r for r in self.concentrations if r.drug == drug), None)
        if row is None:
            return None
        if age is None:
            return row.choices, None
        if row.neonate is not None and self.is_neonate(age):
            return row.choices, row.neonate
        if row.under_years is not None and age < row.under_years:
            return row.choices, row.young
        return row.choices, row.older

    def is_neonate(self, age: float | None) -> bool:
        return age is not None and age < self.age_bands.neonate_years

    def is_child(self, age: float | None) -> bool:
        return age is not None and age < self.age_bands.adult_years

    def is_adult(self, age: float | None) -> bool:
        return age is not None and age >= self.age_bands.adult_years


# ── loading ──────────────────────────────────────────────────────────────


def load_protocol(path: str | Path | None = None) -> Protocol:
    """The protocol in `path`, or the shipped default; ProtocolError names the bad key."""
    if path is None:
        return _default()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read the protocol file ({exc.strerror}); check the path") from None
    except UnicodeDecodeError:
        raise ProtocolError(f"{path}: not UTF-8 text; save the protocol file as UTF-8") from None
    return parse_protocol(text, str(path))


def kept_protocol_model(data: dict[str, Any]) -> Protocol:
    """A protocol kept with a code's flags (its JSON dump), read by this edition.

    One written before the drug classes were a protocol table has `vasoactive.drugs` and
    `arrest_care.antiarrhythmics` in their old places and no other class: the rules then held the other
    classes in code, with the drugs the shipped table lists, so those are the ones it was run with."""
    if isinstance(data, dict) and "drug_classes" not in data:
        data = dict(data)
        classes = _default().drug_classes.model_dump(mode="json")
        vasoactive = data.pop("vasoactive", None)
        if isinstance(vasoactive, dict) and "drugs" in vasoactive:
            classes["vasoactives"] = vasoactive["drugs"]
        care = data.get("arrest_care")
        if isinstance(care, dict) and "antiarrhythmics" in care:
            care = dict(care)
            classes["antiarrhythmics"] = care.pop("antiarrhythmics")
            data["arrest_care"] = care
        data["drug_classes"] = classes
    return Protocol.model_validate(data)


def parse_protocol(text: str, name: str = "protocol") -> Protocol:
    """A protocol from TOML text; `name` prefixes error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{name}: not valid TOML: {exc}") from None
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(f"{name}: {_explain(exc, data)}") from None


@lru_cache(maxsize=1)
def _default() -> Protocol:
    text = resources.files(__package__).joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    return parse_protocol(text, DEFAULT_FILE)


_LABELS = ("drug", "site", "device")


def _key(loc: tuple[Any, ...], data: Any) -> str:
    """`doses #4 (epinephrine).per_kg` from pydantic's ('doses', 3, 'per_kg')."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label = ""
            item = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(item, dict):
                label = next((f" ({item[k]})" for k in _LABELS if k in item), "")
            out += f" #{part + 1}{label}"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _reason(err: Any) -> str:
    kind, given = err["type"], err.get("input")
    if kind == "missing":
        return "missing; every key of the shipped protocol.toml is required"
    if kind == "extra_forbidden":
        return "unknown key; check its spelling against the shipped protocol.toml"
    if kind == "greater_than":
        return f"must be greater than {err['ctx']['gt']:g}, got {given!r}"
    if kind == "greater_than_equal":
        return f"must be at least {err['ctx']['ge']:g}, got {given!r}"
    if kind == "finite_number":
        return f"must be a finite number, got {given!r}"
    if kind in ("float_type", "int_type", "float_parsing", "int_parsing"):
        return f"must be a number, got {given!r}"
    if kind in ("too_short", "too_long") or kind == "tuple_type":
        return f"must be [low, high], got {given!r}"
    if kind == "literal_error":
        return f"{err['msg'].replace('Input should be', 'must be')}, got {given!r}"
    return err["msg"].removeprefix("Value error, ")


def _explain(exc: ValidationError, data: Any) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] == "missing" and loc and isinstance(loc[-1], int):  # [low] for [low, high]
            key, reason = _key(loc[:-1], data), "must be [low, high]"
        else:
            key, reason = _key(loc, data), _reason(err)
        # A model's own check says which of its keys is wrong: "per_kg: low 0.03 is above high 0.01".
        head, sep, rest = reason.partition(": ")
        if err["type"] == "value_error" and sep and all(part.isidentifier() for part in head.split(".")):
            key, reason = (f"{key}.{head}" if key else head), rest
        parts.append(f"{key}: {reason}" if key else reason)
    return "; ".join(dict.fromkeys(parts))
