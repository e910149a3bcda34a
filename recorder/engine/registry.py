"""The rule registry: every rule's id, severities, group and docstring, and the hit a rule returns."""

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from recorder.engine.protocol import Protocol
from recorder.engine.state import Due, State
from schemas.records import EventRecord
from schemas.vocabulary import RULE_IDS, RuleId, Severity

SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Hit:
    """What a rule found. seq and t default to the event checked (or the deadline that passed)."""

    severity: Severity
    message: str
    line: str | None = None
    seq: int | None = None
    t: float | None = None


Found = Hit | Iterable[Hit] | None
Check = Callable[["Ctx", EventRecord], Found]
Fire = Callable[["Ctx", Due], Hit | None]


@dataclass
class Ctx:
    """What a rule reads: the state before the event is folded in, and the protocol."""

    state: State
    protocol: Protocol
    _memo: dict[str, set[Any]] = field(default_factory=dict)

    def copy_for(self, state: State) -> "Ctx":
        """The same rules' memory over a copy of the state (an engine copy): the keys are immutable."""
        return Ctx(state, self.protocol, {rule: set(keys) for rule, keys in self._memo.items()})

    def once(self, rule: str, key: Any = None) -> bool:
        """True the first time a rule asks for this key: for "once per code / per drug" rules."""
        seen = self._memo.setdefault(rule, set())
        if key in seen:
            return False
        seen.add(key)
        return True


@dataclass
class RuleInfo:
    """A registered rule: `recorder rules` and the docs are generated from this."""

    id: RuleId
    severities: tuple[Severity, ...]
    group: str
    doc: str
    kinds: tuple[str, ...] = ()
    check: Check | None = None
    fire: Fire | None = None
    # Opens the rule's deadline (protocol, seq, t, ...) → Due(s): declared beside `fire` in the rule's module,
    # called by the fold when the obligation starts (State.open_due).
    opens: Callable[..., Any] | None = None
    # May raise one flag per severity on one event (their warning and critical are different moments).
    per_severity: bool = False
    # rules.md lists it right after this rule of its group (a rule module added later slots in).
    after: str | None = None

    def _part(self, index: int) -> str:
        parts = [" ".join(p.split()) for p in self.doc.split("\n\n")]
        return parts[index] if index < len(parts) else ""

    @property
    def summary(self) -> str:
        """One line: what the rule checks."""
        return self._part(0)

    @property
    def why(self) -> str:
        return self._part(1).removeprefix("Why: ")

    @property
    def example(self) -> str:
        return self._part(2).removeprefix("Example: ")


RULES_EDITION = "2"
"""The edition of rules.md these rules implement: kept with every code's flags (`verify` recomputes by it).

A code whose flags were raised under another edition keeps them as its record (`Session.read`)."""
# rules.md's sections, in its order: `recorder rules` lists the rules so.
GROUPS: tuple[str, ...] = ("site", "access", "line", "drugs", "samples")


def sort_rules(infos: Iterable[RuleInfo]) -> dict[str, RuleInfo]:
    """The rules in rules.md's order (by group, then as each module defines them, `after` slotting in)."""
    infos = list(infos)
    ordered = sorted((i for i in infos if i.after is None), key=lambda info: GROUPS.index(info.group))
    pending = [i for i in infos if i.after is not None]
    while pending:
        placed = [info for info in pending if any(o.id == info.after for o in ordered)]
        if not placed:
            names = ", ".join(f"{i.id} (after {i.after})" for i in pending)
            raise ValueError(f"{names}: `after` names no registered rule")
        for info in placed:
            anchor = next(n for n, o in enumerate(ordered) if o.id == info.after)
            if ordered[anchor].group != info.group:
                raise ValueError(f"{info.id}: after={info.after!r} is in another group ({ordered[anchor].group})")
            ordered.insert(anchor + 1, info)
            pending.remove(info)
    return {info.id: info for info in ordered}


class RuleGroup:
    """One module's rules: `rule = rule_group("site")`, then `@rule(ID, *severities, on=kinds)` on each.

    `@rule(ID, *severities, on=kinds)` declares an event check (ctx, record) → Hit(s) | None;
    `@rule(ID, *severities, due=True)` declares what fires when a deadline passes (ctx, due) → Hit | None;
    `@rule(ID, due=True)` with no severities adds the deadline part to a rule declared above it.
    `after=OTHER_ID` places the rule right after another of its group in `recorder rules` (rules.md's order).
    The docstring of the first declaration is the rule's documentation. Declaring registers nothing: the
    engine's rules are the groups of the modules listed in `recorder.engine.rulebook.RULE_MODULES`.
    """

    def __init__(self, group: str) -> None:
        if group not in GROUPS:
            raise ValueError(f"{group}: not one of {GROUPS}")
        self.group = group
        self.rules: dict[str, RuleInfo] = {}

    def __call__(
        self,
        rule_id: RuleId,
        *severities: Severity,
        on: tuple[str, ...] = (),
        due: bool = False,
        per_severity: bool = False,
        after: RuleId | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        if rule_id not in RULE_IDS:
            raise ValueError(f"{rule_id}: not a rule of this edition (schemas.vocabulary.RuleId)")

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            info = self.rules.get(rule_id)
            if info is None:
                if not severities:
                    raise ValueError(f"{rule_id}: the first declaration names its severities")
                info = self.rules[rule_id] = RuleInfo(
                    rule_id,
                    tuple(severities),
                    self.group,
                    inspect.getdoc(fn) or "",
                    per_severity=per_severity,
                    after=after,
                )
            if due:
                info.fire = fn
            else:
                info.check, info.kinds = fn, on
            return fn

        return register

    def deadline(self, rule_id: RuleId) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """`@rule.deadline(ID)`: when the rule's deadline falls and what it is about, beside the function that
        fires it (the fold decides only which event starts the obligation and which one meets it)."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            info = self.rules.get(rule_id)
            if info is None:
                raise ValueError(f"{rule_id}: declare the rule above its deadline")
            info.opens = fn
            return fn

        return register


def rule_group(group: str) -> RuleGroup:
    """The declarations of one module's rules (see RuleGroup)."""
    return RuleGroup(group)


def collect(modules: Iterable[Any]) -> dict[str, RuleInfo]:
    """The rules of these modules' RuleGroups (`rule = rule_group(...)`; a module may declare rules in two groups),
    in rules.md's order; an id declared twice is refused."""
    found: dict[str, RuleInfo] = {}
    for group, module in ((g, m) for m in modules for g in vars(m).values() if isinstance(g, RuleGroup)):
        for rule_id, info in group.rules.items():
            if rule_id in found:
                raise ValueError(f"{rule_id}: declared in two rule modules ({module.__name__} and another)")
            found[rule_id] = info
    return sort_rules(found.values())


def worst(hits: Iterable[Hit | None]) -> Hit | None:
    """The highest-severity hit (the first of equals): one flag per event."""
    best: Hit | None = None
    for hit in hits:
        if hit is not None and (best is None or SEVERITY_RANK[hit.severity] > SEVERITY_RANK[best.severity]):
            best = hit
    return best
