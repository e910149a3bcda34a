"""Protocol sections of the second edition's new rules: routes, vasoactive lines, shocks, CPR, fluids, rates."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.vocabulary import Drug, Fluid, Route

Num = Annotated[float, Field(strict=True, gt=0)]
Count = Annotated[int, Field(strict=True, ge=1)]
Range = tuple[Num, Num]
Drugs = tuple[Drug, ...]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _ordered(name: str, value: tuple[float, float]) -> None:
    if value[0] > value[1]:
        raise ValueError(f"{name}: low {value[0]:g} is above high {value[1]:g}")


class RouteTable(_Model):
    """ROUTE_NOT_ALLOWED: the drugs each route must never carry; `never_bolus` drugs are never a `drug` at all."""

    # A plain key per route (no `in` alias): the protocol kept with a code is re-read from its JSON dump.
    by_route: dict[Route, Drugs]
    never_bolus: Drugs

    def forbids(self, route: Route) -> Drugs:
        return self.by_route.get(route, ())


class DrugClasses(_Model):
    """Every grouping of drugs a rule reads, in one table (a rule names the class, never its drugs)."""

    vasoactives: Drugs  # BOLUS_VIA_VASOACTIVE_LINE: infusions whose line must not take a bolus
    vasopressors: Drugs  # VASOPRESSOR_NO_BP
    catecholamines: Drugs  # BICARB_CATECHOLAMINE_NO_FLUSH
    bicarbonates: Drugs  # BICARB_CATECHOLAMINE_NO_FLUSH, CA_BICARB_NO_FLUSH_BETWEEN
    calcium_salts: Drugs  # CA_BICARB_NO_FLUSH_BETWEEN
    antiarrhythmics: Drugs  # SHOCKABLE_DRUGS_DELAYED


class ShockEnergy(_Model):
    """SHOCK_ENERGY: expected J/kg by kind and order, the clamp, and the tolerance factors."""

    first_j_per_kg: Range
    later_j_per_kg: Range
    synchronized_first_j_per_kg: Range
    synchronized_later_j_per_kg: Range
    max_j: Num
    low_tolerance: Num
    critical_factor: Num

    @model_validator(mode="after")
    def _sense(self) -> "ShockEnergy":
        for name in ("first_j_per_kg", "later_j_per_kg", "synchronized_first_j_per_kg", "synchronized_later_j_per_kg"):
            _ordered(name, getattr(self, name))
        if self.low_tolerance > 1:
            raise ValueError(f"low_tolerance: {self.low_tolerance:g} is above 1 (it widens the range downwards)")
        if self.critical_factor < 1:
            raise ValueError(f"critical_factor: {self.critical_factor:g} is below 1 (critical above the high end)")
        return self


class ArrestCare(_Model):
    """VF_NO_SHOCK, SHOCKABLE_DRUGS_DELAYED (its drugs: `drug_classes.antiarrhythmics`) and CPR_PAUSE_LONG."""

    shock_within_s: Num
    drugs_by_shock: Count
    cpr_pause_s: Num


class FluidVolume(_Model):
    """FLUID_VOLUME: one bolus, the running total over a window, and glucose-containing boluses, in mL/kg."""

    bolus_ml_per_kg: Num
    neonate_bolus_ml_per_kg: Num
    total_ml_per_kg: Num
    total_window_s: Num
    glucose_ml_per_kg: Num
    glucose_fluids: tuple[Fluid, ...]


class InfusionRate(_Model):
    """INFUSION_RATE_OUT_OF_RANGE: one drug's expected rate, in mcg/kg/min."""

    drug: Drug
    mcg_kg_min: Range

    @model_validator(mode="after")
    def _sense(self) -> "InfusionRate":
        _ordered("mcg_kg_min", self.mcg_kg_min)
        return self
