"""The rules are an explicit tuple of modules, their ids one Literal (issue 14): nothing registers by being imported."""

import types
from typing import get_args

import pytest

from recorder.engine import RULE_MODULES, RULES
from recorder.engine.registry import collect, rule_group
from recorder.engine.state import DRUG_NOT_FLUSHED
from schemas.vocabulary import RuleId


def test_the_registered_rules_are_the_rule_id_literal_in_order() -> None:
    assert tuple(RULES) == get_args(RuleId)


def test_a_rule_module_is_listed_not_imported_into_the_registry() -> None:
    """Declaring rules in a module that is not in RULE_MODULES changes nothing the engine runs."""
    rule = rule_group("drugs")

    @rule("DOSE_OUT_OF_RANGE", "info", on=("note",))
    def elsewhere(ctx, rec):  # pragma: no cover - never run
        return None

    assert RULES["DOSE_OUT_OF_RANGE"].kinds == ("drug",)
    # Listing it beside the shipped modules is the only way in, and a rule declared twice is refused.
    extra = types.ModuleType("extra")
    extra.rule = rule  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="DOSE_OUT_OF_RANGE: declared in two rule modules"):
        collect((*RULE_MODULES, extra))
    assert collect(RULE_MODULES).keys() == RULES.keys()


def test_a_rule_id_outside_the_literal_is_refused() -> None:
    rule = rule_group("drugs")
    with pytest.raises(ValueError, match="NOT_A_RULE: not a rule of this edition"):
        rule("NOT_A_RULE", "info")  # type: ignore[arg-type]
    assert DRUG_NOT_FLUSHED in get_args(RuleId)
