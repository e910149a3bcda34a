"""The rule registry against rules.md, the docstrings `recorder rules` prints, and the dose arithmetic."""

import ast
import re
import warnings
from pathlib import Path

import pytest

from recorder.engine import RULES, load_protocol
from recorder.engine.doses import convert, dose_advice, expected_dose, out_of_range, rate_mcg_kg_min
from tests.conftest import RULES_V2

ENGINE = Path(__file__).resolve().parents[2] / "recorder" / "engine"
GROUPS = {"site": "rules_site", "access": "rules_access", "line": "rules_line", "drugs": "rules_drugs",
          "samples": "rules_samples"}  # fmt: skip


def rules_md_table(path: Path = RULES_V2) -> dict[str, set[str]]:
    """rule id → severities, from the tables of a rules.md (the pinned second edition by default)."""
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `([A-Z_]+)` \| ([a-z /,;]+?) \|", line)
        if match:
            table[match.group(1)] = set(re.findall(r"critical|warning|info", match.group(2)))
    return table


def test_every_rule_of_rules_md_is_registered_with_its_severities() -> None:
    expected = rules_md_table()
    assert len(expected) == 42
    assert {rule: set(info.severities) for rule, info in RULES.items()} == expected
    assert list(RULES) == list(expected)  # in the edition's order


def test_a_newer_edition_beside_the_project_is_reported_never_failed() -> None:
    """The shared folder beside the project may hold a later edition of the rules than the code: say so, pass."""
    beside = Path(__file__).resolve().parents[3] / "shared" / "spec" / "rules.md"
    if beside.exists() and (newer := rules_md_table(beside)) != rules_md_table():
        added = sorted(set(newer) - set(RULES))
        warnings.warn(
            f"{beside} holds another edition of the rules ({len(newer)} rules, {len(added)} not implemented:"
            f" {', '.join(added[:5])}…); the tests pin the second edition in tests/data",
            stacklevel=1,
        )


def test_rules_are_listed_in_rules_md_order_by_group() -> None:
    groups = [info.group for info in RULES.values()]
    assert groups == sorted(groups, key=list(GROUPS).index)
    assert list(RULES)[:2] == ["REPEAT_SAME_BONE", "RECENT_IO_SAME_BONE"]


@pytest.mark.parametrize("rule", list(RULES))
def test_every_rule_is_documented_what_why_example(rule: str) -> None:
    info = RULES[rule]
    parts = info.doc.split("\n\n")
    assert len(parts) == 3, info.doc
    assert info.summary and "\n" not in info.summary and len(info.summary) <= 110
    assert parts[1].startswith("Why: ") and "(" in info.why  # names a source
    assert parts[2].startswith("Example: ") and info.example
    assert info.check is not None or info.fire is not None
    assert info.kinds or info.fire is not None


def test_only_the_two_rules_raise_one_flag_per_severity() -> None:
    assert {r for r, info in RULES.items() if info.per_severity} == {"IO_DWELL_EXCEEDED", "CUMULATIVE_DOSE_EXCEEDED"}


@pytest.mark.parametrize("module", sorted(GROUPS.values()))
def test_rule_code_holds_no_clinical_numbers(module: str) -> None:
    """Thresholds come from the protocol: rule modules hold no number but 0 and 1."""
    tree = ast.parse((ENGINE / f"{module}.py").read_text(encoding="utf-8"))
    numbers = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value not in (0, 1)
    ]
    assert numbers == []


# ── dose arithmetic ──────────────────────────────────────────────────────

P = load_protocol()


@pytest.mark.parametrize(
    ("dose", "unit", "to", "drug", "concentration", "expected"),
    [
        (100, "mcg", "mg", "epinephrine", None, 0.1),
        (1, "g", "mg", "calcium_chloride", None, 1000),
        (10, "mL", "mg", "epinephrine", "0.1 mg/mL", 1.0),
        (10, "mL", "mg", "calcium_chloride", "10%", 1000),  # 10 % = 10 g per 100 mL
        (50, "mL", "g", "dextrose", "50%", 25),
        (10, "mL", "mEq", "sodium_bicarbonate", "8.4%", 10),  # 1 mEq/mL
        (10, "mL", "mEq", "sodium_bicarbonate", "4.2%", 5),  # 0.5 mEq/mL
        (10, "mL", "mEq", "sodium_bicarbonate", "1 mEq/mL", 10),
        (25, "mEq", "mEq", "sodium_bicarbonate", None, 25),
        (10, "mL", "mg", "epinephrine", None, None),  # no concentration: not converted
        (5, "units", "mg", "epinephrine", None, None),
        (2, "g", "mEq", "sodium_bicarbonate", None, None),  # only mL converts to mEq
        (10, "mL", "mg", "naloxone", "4 units/mL", None),
        (10, "mL", "mg", "epinephrine", "1:10000", 1.0),  # ratios (v2)
        (10, "mL", "mg", "epinephrine", "1:10,000", 1.0),
        (1, "mL", "mg", "epinephrine", "1:1000", 1.0),
        (10, "mmol", "mEq", "sodium_bicarbonate", None, 10),  # mmol (v2)
        (5, "mmol", "mg", "calcium_chloride", None, 735),
        (2, "mmol", "mg", "calcium_gluconate", None, 896),
        (2, "mmol", "mg", "epinephrine", None, None),
        (40, "mL", "mL", "hypertonic_saline", "3%", 40),  # a row in mL takes mL as given
    ],
)
def test_convert(dose, unit, to, drug, concentration, expected) -> None:
    got = convert(dose, unit, to, drug=drug, concentration=concentration, protocol=P)
    assert got == (pytest.approx(expected) if expected is not None else None)


def spans(drug: str, **patient) -> tuple:
    found = expected_dose(P, drug, **patient)
    return tuple(end for span in found.spans for end in span) if found is not None else None


def test_expected_dose_clamps_and_uses_the_adult_column() -> None:
    assert spans("epinephrine", age=2, weight=12) == pytest.approx((0.12, 0.12))
    assert spans("epinephrine", age=15, weight=150) == (1, 1)  # a child: per kg, clamped to max single
    assert spans("epinephrine", age=40, weight=None) == (1, 1)  # adult column: no weight needed
    assert spans("epinephrine", age=40, weight=80) == (1, 1)
    assert spans("atropine", age=0.5, weight=3) == pytest.approx((0.1, 0.1))  # min single
    assert spans("lidocaine", age=30, weight=80) == pytest.approx((40, 100))  # adult per kg, clamped (v2)
    assert spans("dextrose", age=0.01, weight=3) == pytest.approx((0.6, 1.5))  # the neonate row
    assert spans("adenosine", age=5, weight=20, earlier_doses=1) == pytest.approx((2, 6))  # later doses
    assert spans("lidocaine", age=5, weight=20, purpose="io_analgesia") == pytest.approx((10, 10))
    assert expected_dose(P, "other", age=5, weight=20) is None


def test_expected_doses_remembered_are_those_worked_out_for_that_protocol_and_patient() -> None:
    """expected_dose remembers its answers for the protocol last asked about: a protocol with another table, the
    first dose against a later one, 12 kg against 12.0 kg each get their own answer, the same as working it out."""
    from recorder.engine import doses

    first = expected_dose(P, "adenosine", age=5, weight=20)
    assert expected_dose(P, "adenosine", age=5, weight=20) is first  # remembered
    later = expected_dose(P, "adenosine", age=5, weight=20, earlier_doses=1)
    assert later != first  # the later-dose row
    assert expected_dose(P, "adenosine", age=5, weight=20, earlier_doses=3) is later  # any number of earlier doses
    rows = tuple(r.model_copy(update={"per_kg": (0.2, 0.4)}) if r.drug == "adenosine" else r for r in P.doses)
    other = type(P).model_validate({**P.model_dump(), "doses": [r.model_dump() for r in rows]})
    mine = expected_dose(other, "adenosine", age=5, weight=20)
    assert mine != first and mine == doses._expected_dose(other, "adenosine", None, None, 5, 20, None, 0, None)
    assert expected_dose(P, "adenosine", age=5, weight=20) == first  # P's again, worked out again
    assert expected_dose(P, "epinephrine", age=2, weight=12).basis == "12 kg"
    assert expected_dose(P, "epinephrine", age=2, weight=12.0) == doses._expected_dose(
        P, "epinephrine", None, None, 2, 12.0, None, 0, None
    )
    for weight in range(doses._MEMO_MAX + 10):  # bounded: past the bound, worked out each time
        expected_dose(P, "epinephrine", age=2, weight=float(weight + 1))
    assert doses._memo[0] is P and len(doses._memo[1]) == doses._MEMO_MAX
    assert expected_dose(P, "epinephrine", age=2, weight=5000.5).spans == ((1.0, 1.0),)


def test_routes_have_their_own_rows() -> None:
    assert spans("epinephrine", route="et", age=2, weight=12) == pytest.approx((1.2, 1.2))
    assert spans("epinephrine", route="et", age=0.01, weight=3) == pytest.approx((0.15, 0.3))  # ET, neonate
    assert spans("epinephrine", route="im", age=30, weight=None) == (0.5, 0.5)
    assert spans("midazolam", route="in", age=4, weight=16) == pytest.approx((3.2, 4.8))
    assert expected_dose(P, "epinephrine", route="in", age=4, weight=16) is None  # no row: not dose-checked
    assert expected_dose(P, "amiodarone", route="et", age=4, weight=16) is None


def test_adults_under_40_kg_are_dosed_per_kg() -> None:
    assert spans("epinephrine", age=19, weight=28) == pytest.approx((0.28, 0.28))
    assert spans("epinephrine", age=19, weight=40) == (1, 1)


def test_age_unknown_takes_the_union_of_the_rows_its_band_allows() -> None:
    assert P.band(None, 12, None) == "child" and P.band(None, 4.9, None) == "neonate"
    assert P.band(None, None, "delivery_room") == "neonate" and P.band(None, 60, None) == "unknown"
    assert spans("epinephrine", age=None, weight=12) == pytest.approx((0.12, 0.12))  # the child row only
    assert spans("epinephrine", age=None, weight=3) == pytest.approx((0.03, 0.09, 0.03, 0.03))  # + neonate
    assert spans("epinephrine", age=None, weight=60) == pytest.approx((0.6, 0.6, 1, 1))  # + adult column
    union = expected_dose(P, "epinephrine", age=None, weight=60)
    assert union.judge(1.0, P.dose_range) is None and union.judge(0.8, P.dose_range) is None
    assert union.judge(1.5, P.dose_range) == "warning"  # 1.5× the adult's, 2.5× the child's: the lower
    assert union.judge(2.5, P.dose_range) == "critical"


def test_weight_unknown_checks_the_ceiling_only() -> None:
    four = expected_dose(P, "epinephrine", age=4, weight=None)
    assert four.ceiling == 1 and four.note == "ceiling only: weight unknown"
    assert four.judge(10, P.dose_range) == "critical" and four.judge(1.5, P.dose_range) == "warning"
    assert four.judge(0.001, P.dose_range) is None  # low doses are not judged without a weight
    both = expected_dose(P, "atropine", age=None, weight=None)
    assert both.ceiling == 0.5  # not a known adult: the max single, not the adult column's 1 mg
    assert expected_dose(P, "epinephrine", age=None, weight=None, setting="delivery_room").ceiling == 1


def test_push_dose_epinephrine_is_checked_against_its_max_single_only() -> None:
    found = expected_dose(P, "epinephrine", purpose="other", age=4, weight=16)
    assert found.ceiling == 1 and found.judge(0.01, P.dose_range) is None


def test_the_screen_is_told_the_dose_and_what_it_can_check() -> None:
    et = dose_advice(P, "epinephrine", route="et", age=None, weight=12)
    assert (et.dose, et.unit) == (1.2, "mg")
    blind = dose_advice(P, "epinephrine", age=4, weight=None)
    assert blind.dose is None and blind.check.startswith("ceiling only: weight unknown")
    assert "not dose-checked" in dose_advice(P, "epinephrine", route="in", age=4, weight=16).check


def test_out_of_range_factors() -> None:
    r = P.dose_range
    assert [out_of_range(x, 1, 1, r) for x in (0.49, 0.5, 0.79, 0.8, 1, 1.2, 1.21, 2, 2.01)] == [
        "critical", "warning", "warning", None, None, None, "warning", "warning", "critical",
    ]  # fmt: skip


def test_infusion_rates() -> None:
    assert rate_mcg_kg_min(0.1, "mcg/kg/min", None) == 0.1
    assert rate_mcg_kg_min(6, "mg/kg/h", None) == pytest.approx(100)
    assert rate_mcg_kg_min(20, "mcg/min", 10) == 2
    assert rate_mcg_kg_min(20, "mcg/min", None) is None
    assert rate_mcg_kg_min(5, "mL/h", 10) is None  # no concentration
    assert rate_mcg_kg_min(6, "mL/h", 10, "0.1 mg/mL") == pytest.approx(1)  # 600 mcg/h = 10 mcg/min over 10 kg
    assert rate_mcg_kg_min(6, "mL/h", None, "0.1 mg/mL") is None
    assert rate_mcg_kg_min(6, "mL/h", 10, "1:10000") == pytest.approx(1)
