"""The rules of this edition: an explicit tuple of rule modules, and the registry built from it."""

from collections.abc import Callable
from types import ModuleType
from typing import Any

from recorder.engine import (
    care,
    rules_access,
    rules_cpr,
    rules_drugs,
    rules_fluid,
    rules_handover,
    rules_infusion,
    rules_line,
    rules_route,
    rules_samples,
    rules_shock,
    rules_site,
)
from recorder.engine.registry import RuleInfo, collect

# A new rule module is listed here (importing it registers nothing); the order of the listing does not matter:
# `recorder rules` follows rules.md's order (groups, then `after`).
RULE_MODULES: tuple[ModuleType, ...] = (
    rules_site,
    rules_access,
    rules_line,
    rules_route,
    rules_infusion,
    rules_handover,
    rules_drugs,
    rules_shock,
    rules_cpr,
    rules_fluid,
    rules_samples,
)

RULES: dict[str, RuleInfo] = collect(RULE_MODULES)
# Folds kept beside the state's own handlers, run after them on every event (State.apply).
FOLDS: tuple[Callable[..., None], ...] = (care.fold_care,)
# What opens each rule's deadline (State.open_due looks it up here).
DEADLINES: dict[str, Callable[..., Any]] = {rule: info.opens for rule, info in RULES.items() if info.opens is not None}
