"""Per-rule acceptance cases: every rule of rules.md against scenarios written from the spec alone.

`rule_cases/<RULE_ID>/<case>.jsonl` is a complete scenario (events.md); beside it,
`<case>.expected.json` lists the flags *of that rule only* the case must give, as
`[{"severity": ..., "seq": ...}]` (`[]`: the rule must stay quiet). Other rules may
fire in a case; only the directory's rule is compared. Each case file opens with a
`#` line saying what it shows.
"""

import json
from pathlib import Path

import pytest

from recorder.core.scenario import read_scenario, to_records
from recorder.engine.timeline import effective

CASES_DIR = Path(__file__).parent / "rule_cases"

RULE_IDS = frozenset(
    {
        "REPEAT_SAME_BONE",
        "RECENT_IO_SAME_BONE",
        "FRACTURED_BONE",
        "PROXIMAL_FRACTURE",
        "VASCULAR_INJURY_LIMB",
        "SKIN_COMPROMISED_SITE",
        "PROSTHESIS_AT_SITE",
        "BONE_DISEASE",
        "SITE_NOT_FOR_AGE",
        "DEVICE_NOT_FOR_SITE",
        "NEEDLE_SIZE_FOR_WEIGHT",
        "DELAYED_IO",
        "DRUG_VIA_UNCONFIRMED_IO",
        "LINE_USED_AFTER_FAILURE",
        "NO_INITIAL_FLUSH",
        "DRUG_NOT_FLUSHED",
        "CA_BICARB_NO_FLUSH_BETWEEN",
        "BICARB_CATECHOLAMINE_NO_FLUSH",
        "HYPERTONIC_UNDILUTED",
        "GRAVITY_INFUSION_VIA_IO",
        "CONSCIOUS_NO_LIDOCAINE",
        "IO_DWELL_EXCEEDED",
        "IO_REMOVED_NO_PRESSURE",
        "EPI_INTERVAL_EXCEEDED",
        "EPI_TOO_SOON",
        "EPI_FIRST_DOSE_DELAYED",
        "DOSE_OUT_OF_RANGE",
        "CUMULATIVE_DOSE_EXCEEDED",
        "NOREPI_HIGH_DOSE_VIA_IO",
        "VASOPRESSOR_NO_BP",
        "BLOOD_GAS_AFTER_IO_DRUG",
        "IO_SAMPLE_HANDLING",
        # The second edition's new rules.
        "BOLUS_VIA_VASOACTIVE_LINE",
        "ROUTE_NOT_ALLOWED",
        "IO_IN_AT_END",
        "SHOCK_NON_SHOCKABLE",
        "SHOCK_ENERGY",
        "VF_NO_SHOCK",
        "SHOCKABLE_DRUGS_DELAYED",
        "CPR_PAUSE_LONG",
        "INFUSION_RATE_OUT_OF_RANGE",
        "FLUID_VOLUME",
    }
)
SEVERITIES = {"critical", "warning", "info"}

CASE_FILES = sorted(CASES_DIR.glob("*/*.jsonl"))


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def expected_path(path: Path) -> Path:
    return path.with_suffix(".expected.json")


def load_expected(path: Path) -> list[tuple[str, int]]:
    data = json.loads(expected_path(path).read_text(encoding="utf-8"))
    return sorted((item["severity"], item["seq"]) for item in data)


@pytest.mark.parametrize("path", CASE_FILES, ids=case_id)
def test_case_file_is_well_formed(path: Path) -> None:
    """Valid input only: the case passes the scenario validator and its expectations point at real events."""
    lines = read_scenario(path)
    assert path.read_text(encoding="utf-8").startswith("#"), "a case opens with a # line saying what it shows"
    data = json.loads(expected_path(path).read_text(encoding="utf-8"))
    assert isinstance(data, list)
    for item in data:
        assert set(item) == {"severity", "seq"}, item
        assert item["severity"] in SEVERITIES, item
        assert 1 <= item["seq"] <= len(lines), item
        assert lines[item["seq"] - 1].event.kind not in ("void", "amend", "acknowledge"), item


@pytest.mark.parametrize("path", CASE_FILES, ids=case_id)
def test_rule_case(path: Path) -> None:
    from recorder.engine import evaluate

    rule = path.parent.name
    flags = [f for f in evaluate(effective(to_records(read_scenario(path)))) if f.rule == rule]
    got = sorted((f.severity, f.seq) for f in flags)
    detail = "; ".join(
        f"{f.severity} seq {f.seq} t {f.t} line {f.line}" for f in sorted(flags, key=lambda f: (f.t, f.seq))
    )
    assert got == load_expected(path), f"{rule} gave [{detail}]"


def test_every_rule_has_cases() -> None:
    """Each rule id has a directory with at least a fires, a quiet and a boundary case; nothing else is there."""
    dirs = {p.name for p in CASES_DIR.iterdir() if p.is_dir()}
    assert dirs == RULE_IDS
    for rule in sorted(RULE_IDS):
        names = {p.stem for p in (CASES_DIR / rule).glob("*.jsonl")}
        assert "fires" in names, f"{rule}: no fires case"
        assert "quiet" in names, f"{rule}: no quiet case"
        assert any(n.startswith("boundary") for n in names), f"{rule}: no boundary case"
        assert load_expected(CASES_DIR / rule / "fires.jsonl"), f"{rule}: fires must expect a flag"
        assert load_expected(CASES_DIR / rule / "quiet.jsonl") == [], f"{rule}: quiet must expect none"


def test_every_case_has_its_expectation() -> None:
    cases = {p.with_suffix("") for p in CASES_DIR.glob("*/*.jsonl")}
    expectations = {p.with_suffix("").with_suffix("") for p in CASES_DIR.glob("*/*.expected.json")}
    assert cases == expectations


def test_engine_rules_match_case_directories() -> None:
    from recorder.engine import RULES

    assert set(RULES) == {p.name for p in CASES_DIR.iterdir() if p.is_dir()}
