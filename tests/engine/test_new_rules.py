"""The second edition's ten new rules: their place in `recorder rules`, protocol sections, live deadlines, wording."""

import ast
import re
import time
from dataclasses import fields
from pathlib import Path

import pytest

from recorder.core.scenario import parse_lines, to_records
from recorder.engine import RULES, Engine, ProtocolError, evaluate, load_protocol, parse_protocol
from recorder.engine.care import Care
from recorder.engine.registry import RuleInfo, sort_rules
from recorder.engine.timeline import effective

ENGINE = Path(__file__).resolve().parents[2] / "recorder" / "engine"
SHIPPED = (ENGINE / "protocol.toml").read_text(encoding="utf-8")
RULES_V2 = Path(__file__).resolve().parents[1] / "data" / "rules_v2.md"
NEW = (
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
)
MODULES = ("rules_shock", "rules_cpr", "rules_infusion", "rules_route", "rules_fluid", "rules_handover", "care")
START = '{"t": 0, "kind": "code_started", "at": "2026-01-15T22:40:00+00:00", "arrest": true, "patient": %s}\n'
TODDLER = '{"age_years": 2, "weight_kg": 10}'


def flags(lines: list[str], patient: str = TODDLER, rule: str | None = None):
    text = START % patient + "".join(line + "\n" for line in lines)
    found = evaluate(effective(to_records(parse_lines(text, "case"))))
    return [f for f in found if rule is None or f.rule == rule]


def test_the_new_rules_sit_where_rules_md_lists_them() -> None:
    table = [m.group(1) for m in re.finditer(r"^\| `([A-Z_]+)` \|", RULES_V2.read_text(encoding="utf-8"), re.M)]
    assert len(table) == 42 and set(NEW) <= set(RULES)
    assert [r for r in RULES if r in table] == table


def test_after_naming_no_rule_is_refused() -> None:
    orphan = RuleInfo("ORPHAN", ("info",), "drugs", "", after="NO_SUCH_RULE")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"ORPHAN.*NO_SUCH_RULE"):
        sort_rules([*RULES.values(), orphan])
    assert "ORPHAN" not in RULES and next(iter(RULES)) == "REPEAT_SAME_BONE"


@pytest.mark.parametrize("module", MODULES)
def test_new_rule_code_holds_no_clinical_numbers(module: str) -> None:
    """Thresholds come from the protocol: the new modules hold no number but 0 and 1."""
    tree = ast.parse((ENGINE / f"{module}.py").read_text(encoding="utf-8"))
    numbers = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value not in (0, 1)
    ]
    assert numbers == []


@pytest.mark.parametrize(
    ("pattern", "replacement", "words"),
    [
        (r"^first_j_per_kg = \[2, 4\]", "first_j_per_kg = [4, 2]", ["shock_energy.first_j_per_kg", "above high"]),
        (r"^low_tolerance = 0.8 ", "low_tolerance = 1.5 ", ["shock_energy.low_tolerance", "above 1"]),
        (r"^cpr_pause_s = 10 ", "cpr_pause_s = 0 ", ["arrest_care.cpr_pause_s", "greater than 0"]),
        (r"^drugs_by_shock = 4 ", "drugs_by_shock = 2.5 ", ["arrest_care.drugs_by_shock"]),
        (r'^never_bolus = \["potassium_chloride"\]', 'never_bolus = ["kcl"]', ["route_not_allowed.never_bolus"]),
        (r'^glucose_fluids = \["dextrose_10"\]', 'glucose_fluids = ["d10"]', ["fluid_volume.glucose_fluids"]),
        (r"^\[arrest_care\]\n", "[arrest_cares]\n", ["arrest_care", "missing"]),
    ],
)
def test_a_bad_new_section_is_refused_with_its_key(pattern: str, replacement: str, words: list[str]) -> None:
    text, count = re.subn(pattern, replacement, SHIPPED, count=1, flags=re.MULTILINE)
    assert count == 1, pattern
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "hospital.toml")
    for word in words:
        assert word in str(caught.value)


def test_a_hospital_threshold_changes_the_new_rules() -> None:
    """A 30 s CPR pause and a 90 s shock window from the protocol file, not from the code."""
    events = [
        '{"t": 10, "kind": "cpr_started"}',
        '{"t": 60, "kind": "cpr_stopped"}',
        '{"t": 80, "kind": "cpr_started"}',
        '{"t": 100, "kind": "rhythm", "rhythm": "vf"}',
        '{"t": 200, "kind": "shock", "joules": 20}',
    ]
    default = {f.rule for f in flags(events)}
    assert {"CPR_PAUSE_LONG"} <= default and "VF_NO_SHOCK" not in default
    hospital = SHIPPED.replace("cpr_pause_s = 10 ", "cpr_pause_s = 30 ").replace(
        "shock_within_s = 120 ", "shock_within_s = 90 "
    )
    text = START % TODDLER + "".join(e + "\n" for e in events)
    found = {f.rule for f in evaluate(effective(to_records(parse_lines(text, "c"))), parse_protocol(hospital))}
    assert "CPR_PAUSE_LONG" not in found and "VF_NO_SHOCK" in found


def test_live_deadlines_fire_when_the_clock_passes_them() -> None:
    """Live, VF_NO_SHOCK and CPR_PAUSE_LONG fire as the code clock passes the deadline, at t = the deadline."""
    text = START % TODDLER + '{"t": 30, "kind": "rhythm", "rhythm": "vf"}\n{"t": 40, "kind": "cpr_stopped"}\n'
    engine = Engine()
    for record in effective(to_records(parse_lines(text, "live"))):
        engine.apply(record)
    assert engine.advance(50) == []
    assert [(f.rule, f.seq, f.t) for f in engine.advance(50.5)] == [("CPR_PAUSE_LONG", 3, 50)]
    assert engine.advance(150) == []
    assert [(f.rule, f.seq, f.t) for f in engine.advance(151)] == [("VF_NO_SHOCK", 2, 150)]


def test_the_arrest_facts_have_one_home() -> None:
    """An arrest's rhythm, shocks and antiarrhythmic live on its Arrest (state.py); care.py keeps only deadlines.

    Before, care.py counted them again beside state.py, and the two disagreed: an amiodarone infusion was
    an antiarrhythmic to SHOCKABLE_DRUGS_DELAYED but not to the Arrest the screen reads.
    """
    text = START % TODDLER + "".join(
        line + "\n"
        for line in (
            '{"t": 10, "kind": "rhythm", "rhythm": "vf"}',
            '{"t": 20, "kind": "shock", "joules": 20}',
            '{"t": 25, "kind": "shock", "joules": 10, "synchronized": true}',
            '{"t": 30, "kind": "iv_attempt", "line": "iv1", "result": "in"}',
            '{"t": 40, "kind": "infusion_started", "infusion": "inf1", "drug": "amiodarone", "rate": 10,'
            ' "rate_unit": "mcg/kg/min", "line": "iv1", "method": "pump"}',
        )
    )
    engine = Engine()
    for record in effective(to_records(parse_lines(text, "home"))):
        engine.apply(record)
    state = engine.state
    arrest = state.arrest
    assert arrest is not None and (arrest.rhythm, arrest.shocks, arrest.antiarrhythmic) == ("vf", 1, True)
    assert (state.shocks[False], state.shocks[True]) == (1, 1)
    # The care keeps no shock count of its own: the code's shocks by kind live on State.shocks only.
    assert {f.name for f in fields(Care)} == {"unshocked", "pauses", "fluids"}
    copied = engine.copy().state
    assert copied.shocks is not state.shocks and (copied.shocks[False], copied.shocks[True]) == (1, 1)


def test_an_engine_copy_keeps_its_own_arrest_care() -> None:
    """Session checkpoints copy the engine: a copy's deadlines are its own, and both go on alike."""
    text = START % TODDLER + '{"t": 30, "kind": "rhythm", "rhythm": "vf"}\n'
    engine = Engine()
    for record in effective(to_records(parse_lines(text, "copy"))):
        engine.apply(record)
    copy = engine.copy()
    shock = effective(to_records(parse_lines(START % TODDLER + '{"t": 60, "kind": "shock", "joules": 20}\n', "s")))[-1]
    engine.apply(shock)  # answers the VF in the original only
    assert engine.advance(400) == []
    assert [f.rule for f in copy.advance(400)] == ["VF_NO_SHOCK"]


def test_io_in_at_end_gives_the_remove_by_time() -> None:
    lines = [
        '{"t": 20, "kind": "io_attempt", "line": "io1", "site": "proximal_tibia", "side": "left", "device": "ez_io"}',
        '{"t": 37, "kind": "io_result", "line": "io1", "result": "in"}',
        '{"t": 2700, "kind": "code_ended", "outcome": "transferred"}',
    ]
    [flag] = flags(lines, rule="IO_IN_AT_END")
    assert (flag.seq, flag.t, flag.line) == (3, 2700, "io1")
    assert "remove by 2026-01-16 22:40 UTC+00:00 (24 h)" in flag.message


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_io_in_at_end_gives_the_remove_by_time_in_the_codes_own_local_time(tz: str, monkeypatch) -> None:
    """Start + t in the start's own offset: the same message on every machine, on the ward's clock."""
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        text = (
            '{"t": 0, "kind": "code_started", "at": "2026-03-02T14:05:00+01:00", "arrest": false,'
            ' "patient": {"age_years": 4}}\n'
            '{"t": 20, "kind": "io_attempt", "line": "io1", "site": "proximal_tibia", "side": "left",'
            ' "device": "ez_io"}\n'
            '{"t": 37, "kind": "io_result", "line": "io1", "result": "in"}\n'
            '{"t": 2700, "kind": "code_ended", "outcome": "transferred"}\n'
        )
        [flag] = [f for f in evaluate(effective(to_records(parse_lines(text, "tz")))) if f.rule == "IO_IN_AT_END"]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert flag.message.endswith("remove by 2026-03-03 14:05 UTC+01:00 (24 h)")


def test_one_fluid_flag_names_every_reason() -> None:
    [flag] = flags(
        ['{"t": 10, "kind": "iv_attempt", "line": "iv1", "result": "in"}',
         '{"t": 60, "kind": "fluid", "fluid": "dextrose_10", "volume_ml": 700, "line": "iv1", "method": "push"}'],
        rule="FLUID_VOLUME",
    )  # fmt: skip
    assert "70 mL/kg in one bolus" in flag.message and "reassess for overload" in flag.message
    assert "glucose-containing" in flag.message


def test_shockable_drugs_delayed_names_both_missing() -> None:
    shocks = [f'{{"t": {t}, "kind": "shock", "joules": 40}}' for t in (20, 140, 260, 380)]
    [flag] = flags(['{"t": 10, "kind": "rhythm", "rhythm": "vf"}', *shocks], rule="SHOCKABLE_DRUGS_DELAYED")
    assert flag.seq == 6 and "no epinephrine" in flag.message and "no amiodarone or lidocaine" in flag.message


@pytest.mark.parametrize(
    ("drug", "dose", "unit", "route", "severity"),
    [
        ("epinephrine", 1.2, "mg", "et", None),
        ("sodium_bicarbonate", 10, "mEq", "et", "critical"),
        ("potassium_chloride", 2, "mmol", "po", "critical"),
    ],
)
def test_route_not_allowed_before_enter(drug: str, dose: float, unit: str, route: str, severity: str | None) -> None:
    """The flag comes from the drug event alone (no deadline), so the screen can show it before Enter."""
    event = f'{{"t": 60, "kind": "drug", "drug": "{drug}", "dose": {dose}, "unit": "{unit}", "route": "{route}"}}'
    found = flags([event], rule="ROUTE_NOT_ALLOWED")
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_the_protocol_kept_with_a_code_reads_back() -> None:
    """`verify` re-reads the protocol kept beside a code's flags from its JSON: the new sections must survive it."""
    from recorder.core.flag_check import kept_protocol, protocol_basis

    protocol = load_protocol()
    basis = protocol_basis(protocol)
    assert kept_protocol(basis.protocol, basis.text) == protocol
