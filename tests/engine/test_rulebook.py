"""The rules are an explicit tuple of modules, their ids one Literal (issue 14): nothing registers by being imported."""

import types
from pathlib import Path
from typing import get_args

import pytest

from recorder.engine import RULE_MODULES, RULES, care, load_protocol, rulebook, state
from recorder.engine.registry import collect, rule_group
from recorder.engine.rulebook import DEADLINES
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


def test_each_deadline_is_declared_beside_the_function_that_fires_it() -> None:
    """state.py starts and meets obligations; when one falls due is the rule module's (issue 14)."""
    timed = {rule: info for rule, info in RULES.items() if info.fire is not None}
    assert set(timed) == {rule for rule, info in RULES.items() if info.opens is not None}
    for info in timed.values():
        assert info.opens is not None and info.opens.__module__ == info.fire.__module__ != "recorder.engine.state"
    fold = "".join(Path(m.__file__).read_text(encoding="utf-8") for m in (state, care))
    deadlines = ["warning_h", "critical_h", "window_s", "interval_s", "first_dose_s", "child_no_access_s"]
    for threshold in [*deadlines, "bp_within_s", "shock_within_s", "cpr_pause_s"]:
        assert f".{threshold}" not in fold, threshold


def test_a_hospital_deadline_moves_with_its_rule_module() -> None:
    """The opener reads the protocol it is given: a 60 s flush window opens a 60 s deadline."""
    hospital = load_protocol().model_copy(update={"flush": load_protocol().flush.model_copy(update={"window_s": 60.0})})
    due = DEADLINES["DRUG_NOT_FLUSHED"](hospital, 4, 100.0, line="io1", drug="epinephrine", analgesia=False, min_ml=2.0)
    assert (due.rule, due.at, due.seq, due.line, due.what, due.min_ml) == (
        "DRUG_NOT_FLUSHED",
        160.0,
        4,
        "io1",
        "epinephrine via io1",
        2.0,
    )


def test_the_care_fold_runs_because_it_is_listed_not_because_it_registered_itself() -> None:
    assert rulebook.FOLDS == (care.fold_care,)
    assert not hasattr(state, "FOLDS")  # nothing for an imported module to append itself to
