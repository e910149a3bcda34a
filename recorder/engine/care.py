"""The second edition's new deadlines (a shockable rhythm unshocked, a CPR pause) and the fluid window."""

from dataclasses import dataclass, field
from typing import Any, Literal

from recorder.engine.protocol import Band
from recorder.engine.state import Due, Memo, State, copy_due, dup
from schemas.vocabulary import NON_SHOCKABLE, SHOCKABLE, RuleId

VF_NO_SHOCK: RuleId = "VF_NO_SHOCK"
CPR_PAUSE_LONG: RuleId = "CPR_PAUSE_LONG"

__all__ = ["CPR_PAUSE_LONG", "VF_NO_SHOCK", "Care", "age_band", "care_of", "fold_care"]


@dataclass
class Care:
    """The new rules' obligations and the fluid window; nothing else.

    One home for each fact: what an arrest is and what happened in it (its rhythms, its unsynchronized
    shocks, its adrenaline and antiarrhythmic) lives on state.Arrest, which begins and ends with the
    arrest, and the code's shocks by kind on State.shocks; this fold keeps only what no first-edition
    rule needed: the deadlines that a rhythm and a CPR stop start, and the fluids of the last hour.
    """

    unshocked: list[Due] = field(default_factory=list)  # VF_NO_SHOCK: shockable rhythms waiting for a shock
    pauses: list[Due] = field(default_factory=list)  # CPR_PAUSE_LONG: cpr_stopped waiting for cpr_started
    fluids: list[tuple[float, float]] = field(default_factory=list)  # (t, mL) of fluids in the total's window

    def dues(self) -> list[Due]:
        return [*self.unshocked, *self.pauses]

    def copy(self, memo: Memo) -> "Care":
        """The care in an engine copy (State.copy): its dues through `memo`, shared with the engine's heap."""
        new = dup(self)
        new.unshocked = [copy_due(due, memo) for due in self.unshocked]
        new.pauses = [copy_due(due, memo) for due in self.pauses]
        new.fluids = list(self.fluids)
        return new

    def __deepcopy__(self, memo: Memo) -> "Care":
        return self.copy(memo)

    def fluid_total_since(self, after: float) -> float:
        """mL of the fluids given after `after` (the window is t − span < t′ ≤ t)."""
        return sum(ml for t, ml in self.fluids if t > after)


def care_of(state: State) -> Care:
    """The state's care (an empty one before the first event)."""
    return state.care if state.care is not None else Care()


def age_band(state: State) -> Band:
    """rules.md: the age band; of an unknown age, what the setting or the weight implies."""
    return state.protocol.band(state.age, state.weight, state.setting)


def _close(dues: list[Due], status: Literal["met", "cancelled"]) -> None:
    for due in dues:
        due.close(status)
    dues.clear()


# The kinds fold_care reads (each has its branch below).
_FOLDED = frozenset({"rhythm", "shock", "cpr_stopped", "cpr_started", "rosc", "code_ended", "fluid"})


def fold_care(s: State, seq: int, ev: Any, new: list[Due]) -> None:
    """Fold one event into the care (after the kind's own handler: an arrest it begins is already begun)."""
    care = s.care
    if care is None:
        care = s.care = Care()
    kind = ev.kind
    if kind not in _FOLDED:
        return  # most events (notes, vitals…) touch none of it: this runs for every event
    if kind == "rhythm":
        if ev.rhythm in NON_SHOCKABLE:
            _close(care.unshocked, "cancelled")
        if s.arrest is not None and ev.rhythm in SHOCKABLE:
            due = s.open_due(VF_NO_SHOCK, seq, ev.t, rhythm=ev.rhythm)
            care.unshocked.append(due)
            new.append(due)
    elif kind == "shock":
        if not ev.cardioversion:  # rules.md: only an unsynchronized shock answers VF_NO_SHOCK
            _close(care.unshocked, "met")
    elif kind == "cpr_stopped":
        if s.arrest is not None:
            due = s.open_due(CPR_PAUSE_LONG, seq, ev.t)
            care.pauses.append(due)
            new.append(due)
    elif kind == "cpr_started":
        _close(care.pauses, "met")
    elif kind in ("rosc", "code_ended"):
        # rules.md: both deadlines end with the arrest.
        _close(care.unshocked, "cancelled")
        _close(care.pauses, "cancelled")
    elif kind == "fluid":
        after = ev.t - s.protocol.fluid_volume.total_window_s
        care.fluids = [(t, ml) for t, ml in care.fluids if t > after]
        care.fluids.append((ev.t, ev.volume_ml))
