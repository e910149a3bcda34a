"""The rule registry against rules.md, the docstrings `recorder rules` prints, and the dose arithmetic."""

import ast
import re
import warnings
from pathlib import Path

import pytest

from recorder.engine import RULES, load_protocol
from recorder.engine.doses import convert, expected_range, out_of_range, rate_mcg_kg_min, select_row
from tests.conftest import RULES_V1

ENGINE = Path(__file__).resolve().parents[2] / "recorder" / "engine"
GROUPS = {"site": "rules_site", "access": "rules_access", "line": "rules_line", "drugs": "rules_drugs",
          "samples": "rules_samples"}  # fmt: skip


def rules_md_table(path: Path = RULES_V1) -> dict[str, set[str]]:
    """rule id → severities, from the tables of a rules.md (the pinned first edition by default)."""
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `([A-Z_]+)` \| ([a-z /,]+?) \|", line)
        if match:
            table[match.group(1)] = set(re.findall(r"critical|warning|info", match.group(2)))
    return table


def test_every_rule_of_rules_md_is_registered_with_its_severities() -> None:
    expected = rules_md_table()
    assert len(expected) == 32
    assert {rule: set(info.severities) for rule, info in RULES.items()} == expected
    assert list(RULES) == list(expected)  # in the edition's order


def test_a_newer_edition_beside_the_project_is_reported_never_failed() -> None:
    """The shared folder beside the project may hold a later edition of the rules than the code: say so, pass."""
    beside = Path(__file__).resolve().parents[3] / "shared" / "spec" / "rules.md"
    if beside.exists() and (newer := rules_md_table(beside)) != rules_md_table():
        added = sorted(set(newer) - set(RULES))
        warnings.warn(
            f"{beside} holds another edition of the rules ({len(newer)} rules, {len(added)} not implemented:"
            f" {', '.join(added[:5])}…); the tests pin the first edition in tests/data",
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
    ],
)
def test_convert(dose, unit, to, drug, concentration, expected) -> None:
    got = convert(dose, unit, to, drug=drug, concentration=concentration, protocol=P)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_expected_range_clamps_and_uses_the_adult_column() -> None:
    [epi_neonate, epi, *_] = P.dose_rows("epinephrine")
    assert expected_range(epi, P, age=2, weight=12) == pytest.approx((0.12, 0.12))
    assert expected_range(epi, P, age=15, weight=150) == (1, 1)  # clamped to max single
    assert expected_range(epi, P, age=40, weight=None) == (1, 1)  # adult column: no weight needed
    assert expected_range(epi, P, age=2, weight=None) is None
    assert expected_range(epi, P, age=None, weight=12) is None
    atropine = P.dose_rows("atropine")[0]
    assert expected_range(atropine, P, age=0.5, weight=3) == pytest.approx((0.1, 0.1))  # min single
    lidocaine = P.dose_rows("lidocaine")[1]
    assert expected_range(lidocaine, P, age=30, weight=80) == pytest.approx((40, 120))  # adult per kg, unclamped
    dextrose_neonate = P.dose_rows("dextrose")[0]
    assert dextrose_neonate.adult is None and expected_range(dextrose_neonate, P, age=0.01, weight=3) == pytest.approx(
        (0.6, 1.5)
    )
    assert select_row(P, "epinephrine", purpose=None, age=10 / 365.25, earlier_doses=0) is epi_neonate
    assert select_row(P, "adenosine", purpose=None, age=5, earlier_doses=1).when == "later_dose"
    assert select_row(P, "lidocaine", purpose="io_analgesia", age=5, earlier_doses=3).when == "io_analgesia"
    assert select_row(P, "other", purpose=None, age=5, earlier_doses=0) is None


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
    assert rate_mcg_kg_min(5, "mL/h", 10) is None
