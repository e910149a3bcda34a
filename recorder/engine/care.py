"""The arrest care the second edition's new rules read: rhythms and shocks of the arrest, CPR pauses, fluids."""

from dataclasses import dataclass, field
from typing import Any, Literal

from recorder.engine.protocol import Band, Protocol
from recorder.engine.state import FOLDS, Due, State

VF_NO_SHOCK = "VF_NO_SHOCK"
CPR_PAUSE_LONG = "CPR_PAUSE_LONG"

SHOCKABLE = frozenset({"vf", "pvt"})
# rules.md terms: non-shockable = asystole, PEA, and bradycardia during an arrest.
NON_SHOCKABLE = frozenset({"asystole", "pea", "bradycardia"})


@dataclass
class Care:
    """What the shock, CPR and fluid rules need that the first edition's fold does not keep."""

    shocks: int = 0  # unsynchronized shocks in the code (SHOCK_ENERGY's "first of its kind")
    cardioversions: int = 0  # synchronized shocks in the code
    arrest_seq: int | None = None  # the arrest the fields below belong to
    arrest_rhythm: str | None = None  # the latest rhythm documented within that arrest
    arrest_shocks: int = 0  # its unsynchronized shocks
    arrest_antiarrhythmic: bool = False  # amiodarone or lidocaine (not IO analgesia) given in it
    unshocked: list[Due] = field(default_factory=list)  # VF_NO_SHOCK: shockable rhythms waiting for a shock
    pauses: list[Due] = field(default_factory=list)  # CPR_PAUSE_LONG: cpr_stopped waiting for cpr_started
    fluids: list[tuple[float, float]] = field(default_factory=list)  # (t, mL) of fluids in the total's window

    def dues(self) -> list[Due]:
        return [*self.unshocked, *self.pauses]

    def fluid_total_since(self, after: float) -> float:
        """mL of the fluids given after `after` (the window is t − span < t′ ≤ t)."""
        return sum(ml for t, ml in self.fluids if t > after)


def care_of(state: State) -> Care:
    """The state's care (an empty one before the first event)."""
    return state.care if state.care is not None else Care()


def age_band(state: State) -> Band:
    """rules.md: the age band; of an unknown age, what the setting or the weight implies."""
    return state.protocol.band(state.age, state.weight, state.setting)


def is_antiarrhythmic(p: Protocol, drug: str | None, purpose: str | None) -> bool:
    return drug in p.arrest_care.antiarrhythmics and not (drug == "lidocaine" and purpose == "io_analgesia")


def _close(dues: list[Due], status: Literal["met", "cancelled"]) -> None:
    for due in dues:
        due.close(status)
    dues.clear()


def fold_care(s: State, seq: int, ev: Any, new: list[Due]) -> None:
    """Fold one event into the care (after the kind's own handler: an arrest it begins is already begun)."""
    care = s.care
    if care is None:
        care = s.care = Care()
    arrest, p = s.arrest, s.protocol
    if arrest is not None and arrest.seq != care.arrest_seq:
        care.arrest_seq, care.arrest_rhythm, care.arrest_shocks, care.arrest_antiarrhythmic = arrest.seq, None, 0, False
    kind = ev.kind
    if kind == "rhythm":
        if ev.rhythm in NON_SHOCKABLE:
            _close(care.unshocked, "cancelled")
        if arrest is not None:
            care.arrest_rhythm = ev.rhythm
            if ev.rhythm in SHOCKABLE:
                due = Due(VF_NO_SHOCK, ev.t + p.arrest_care.shock_within_s, seq, ev.t, what=ev.rhythm)
                care.unshocked.append(due)
                new.append(due)
    elif kind == "shock":
        if ev.synchronized:
            care.cardioversions += 1
            return
        care.shocks += 1
        if arrest is not None:
            care.arrest_shocks += 1
        _close(care.unshocked, "met")
    elif kind in ("drug", "infusion_started"):
        if arrest is not None and is_antiarrhythmic(p, ev.drug, getattr(ev, "purpose", None)):
            care.arrest_antiarrhythmic = True
    elif kind == "cpr_stopped":
        if arrest is not None:
            due = Due(CPR_PAUSE_LONG, ev.t + p.arrest_care.cpr_pause_s, seq, ev.t, what="CPR pause")
            care.pauses.append(due)
            new.append(due)
    elif kind == "cpr_started":
        _close(care.pauses, "met")
    elif kind in ("rosc", "code_ended"):
        # rules.md: both deadlines end with the arrest.
        _close(care.unshocked, "cancelled")
        _close(care.pauses, "cancelled")
    elif kind == "fluid":
        after = ev.t - p.fluid_volume.total_window_s
        care.fluids = [(t, ml) for t, ml in care.fluids if t > after]
        care.fluids.append((ev.t, ev.volume_ml))


FOLDS.append(fold_care)
