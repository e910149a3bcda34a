"""The protocol file: the shipped default, its sources, and every way a hospital's file can be refused."""

import re
from pathlib import Path

import pytest

from recorder.core.clock import FakeClock
from recorder.core.scenario import read_scenario, to_records
from recorder.core.session import Session
from recorder.engine import Engine, ProtocolError, evaluate, load_protocol, parse_protocol
from recorder.engine.timeline import effective
from recorder.store import Store
from recorder.tui import board
from schemas.vocabulary import BONES, SITES
from tests.conftest import SCENARIOS_V2

SHIPPED = Path(__file__).resolve().parents[2] / "recorder" / "engine" / "protocol.toml"
TEXT = SHIPPED.read_text(encoding="utf-8")
SCENARIOS = SCENARIOS_V2


def edited(pattern: str, replacement: str) -> str:
    """The shipped file with one line changed (the pattern must match exactly once)."""
    new, count = re.subn(pattern, replacement, TEXT, count=1, flags=re.MULTILINE)
    assert count == 1, pattern
    return new


def test_the_default_loads_once() -> None:
    default = load_protocol()
    assert default is load_protocol()
    assert load_protocol(SHIPPED) == default
    assert default.flush.window_s == 30 and default.epinephrine.interval_s == 300


def test_the_anatomy_lives_in_the_protocol_and_covers_the_vocabulary() -> None:
    anatomy = load_protocol().anatomy
    assert set(anatomy.site_bone) == set(SITES)
    assert anatomy.site_bone["proximal_tibia"] == anatomy.site_bone["distal_tibia"] == "tibia"
    leg = [b for tier in anatomy.limbs["leg"] for b in tier]
    assert leg == ["pelvis", "ilium", "femur", "tibia", "fibula", "calcaneus"]
    assert {b for b in BONES if anatomy.place(b) is None} == {"sternum"}
    assert anatomy.place("fibula") == anatomy.place("tibia") == ("leg", 2)


def _bones_apart(store: Store, clock: FakeClock, protocol_text: str) -> tuple[dict[str, str], list[str]]:
    """The IO picker's marks and the flags after io1 fails in the left distal femur and io2 goes into the
    left distal tibia, under a protocol."""
    session = Session.start(store, clock, arrest=True, setting="ed", protocol=parse_protocol(protocol_text))
    session.log({"kind": "io_attempt", "site": "distal_femur", "side": "left", "device": "ez_io"}, t=5)
    session.log({"kind": "io_result", "line": "io1", "result": "failed"}, t=10)
    marks = board.breached_sites(session.state)
    session.log({"kind": "io_attempt", "site": "distal_tibia", "side": "left", "device": "ez_io"}, t=20)
    return marks, [f"{f.rule} {f.severity}" for f in session.flags()]


def test_a_hospital_that_remaps_a_site_bone_changes_the_picker_marks_and_the_flags(
    store: Store, clock: FakeClock
) -> None:
    """One table (issue 14): the picker's marks and the same-bone rule read the protocol's anatomy."""
    marks, flags = _bones_apart(store, clock, TEXT)
    assert "distal_tibia" not in marks and "REPEAT_SAME_BONE critical" not in flags
    hospital = edited(r'^distal_tibia = "tibia"', 'distal_tibia = "femur"')
    marks, flags = _bones_apart(store, clock, hospital)
    assert marks["distal_tibia"] == marks["distal_femur"] == "femur: L io1 failed"
    assert "REPEAT_SAME_BONE critical" in flags


def test_every_number_names_its_source() -> None:
    """Each line that sets a number (or a list of numbers) carries a `#` comment with its source."""
    bare = []
    for n, line in enumerate(TEXT.splitlines(), start=1):
        code, _, comment = line.partition("#")
        match = re.match(r"^\s*\w+\s*=\s*(.+?)\s*$", code)
        if match and re.fullmatch(r"[\[\]\d.,\s]+", match.group(1)) and re.search(r"\d", match.group(1)):
            if len(comment.strip()) < 5:
                bare.append(f"{n}: {line}")
    assert bare == []


def test_every_default_of_rules_md_is_in_the_file() -> None:
    p = load_protocol()
    assert (p.site.recent_io_hours, p.access.child_failed_attempts, p.access.child_no_access_s) == (48, 3, 90)
    assert p.access.adult_failed_iv_attempts == 2
    assert (p.flush.window_s, p.flush.analgesia_window_s, p.flush.adenosine_window_s) == (30, 240, 10)
    assert (p.flush.neonate_min_ml, p.flush.child_min_ml, p.flush.adult_min_ml, p.flush.adult_from_kg) == (
        1,
        2,
        5,
        40,
    )
    assert p.flush.unknown_min_ml == 2
    bands = p.age_bands
    assert (bands.unknown_neonate_settings, bands.unknown_neonate_under_kg, bands.adult_sized_kg) == (
        ("delivery_room", "nicu"),
        5,
        40,
    )
    assert p.conversions.mmol == {"sodium_bicarbonate": 1, "calcium_chloride": 147, "calcium_gluconate": 448}
    assert [(r.drug, r.mcg_kg_min) for r in p.infusion_rates] == [
        ("epinephrine", (0.05, 1)),
        ("norepinephrine", (0.05, 2)),
        ("dopamine", (2, 20)),
        ("dobutamine", (2, 20)),
        ("milrinone", (0.25, 0.75)),
        ("lidocaine", (20, 50)),
        ("amiodarone", (5, 15)),
    ]
    assert (p.dwell.warning_h, p.dwell.critical_h, p.dwell.child_under_years, p.dwell.child_critical_h) == (
        24,
        48,
        12,
        24,
    )
    assert (p.epinephrine.interval_s, p.epinephrine.too_soon_s, p.epinephrine.first_dose_s) == (300, 180, 300)
    r = p.dose_range
    assert (r.warning_low, r.warning_high, r.critical_low, r.critical_high) == (0.8, 1.2, 0.5, 2.0)
    assert p.vasopressor.bp_within_s == 15 * 60
    assert [(c.drug, c.warning_per_kg, c.critical_per_kg) for c in p.cumulative] == [
        ("lidocaine", 3, 4.5),
        ("amiodarone", None, 15),
    ]
    assert (p.norepinephrine_io.warning_mcg_kg_min, p.norepinephrine_io.critical_mcg_kg_min) == (0.5, 2)
    # rules.md v2's dosing table, row by row: (drug, route, when, per kg, max single, adult column).
    table = [(r.drug, r.route, r.when, r.per_kg, r.max_single, r.adult or r.adult_per_kg) for r in p.doses]
    assert table == [
        ("epinephrine", None, "neonate", (0.01, 0.03), 1, None),
        ("epinephrine", None, None, (0.01, 0.01), 1, (1, 1)),
        ("epinephrine", "et", "neonate", (0.05, 0.1), 2.5, None),
        ("epinephrine", "et", None, (0.1, 0.1), 2.5, (2, 2.5)),
        ("epinephrine", "im", None, (0.01, 0.01), 0.5, (0.5, 0.5)),
        ("amiodarone", None, None, (5, 5), 300, (150, 300)),
        ("lidocaine", None, "io_analgesia", (0.5, 0.5), 40, (20, 40)),
        ("lidocaine", None, None, (1, 1), 100, (0.5, 1.5)),
        ("lidocaine", "et", None, (2, 3), 300, None),
        ("adenosine", None, "first_dose", (0.1, 0.15), 6, (6, 6)),
        ("adenosine", None, "later_dose", (0.1, 0.3), 12, (6, 12)),
        ("atropine", None, None, (0.02, 0.02), 0.5, (0.5, 1)),
        ("atropine", "et", None, (0.04, 0.06), 1, None),
        ("calcium_chloride", None, None, (10, 20), 2000, (500, 1000)),
        ("calcium_gluconate", None, None, (60, 100), 3000, (1000, 3000)),
        ("sodium_bicarbonate", None, None, (1, 2), 100, (50, 100)),
        ("dextrose", None, "neonate", (0.2, 0.5), 25, None),
        ("dextrose", None, None, (0.2, 1), 25, (12.5, 25)),
        ("naloxone", None, None, (0.001, 0.1), 2, (0.04, 2)),
        ("naloxone", "et", None, (0.001, 0.1), 2, None),
        ("magnesium_sulfate", None, None, (25, 50), 2000, (1000, 2000)),
        ("midazolam", None, None, (0.05, 0.2), 10, (2.5, 10)),
        ("midazolam", "in", None, (0.2, 0.3), 10, (5, 10)),
        ("lorazepam", None, None, (0.05, 0.1), 4, (2, 4)),
        ("levetiracetam", None, None, (40, 60), 4500, None),
        ("phenobarbital", None, None, (15, 20), 1000, None),
        ("ketamine", None, None, (0.5, 2), 200, None),
        ("fentanyl", None, None, (0.0005, 0.002), 0.1, None),
        ("rocuronium", None, None, (0.6, 1.2), 120, None),
        ("suxamethonium", None, None, (1, 2), 150, None),
        ("ceftriaxone", None, None, (50, 100), 4000, (2000, 4000)),
        ("hydrocortisone", None, None, (2, 4), 200, (100, 200)),
        ("tranexamic_acid", None, None, (15, 15), 1000, (1000, 1000)),
        ("hypertonic_saline", None, None, (2, 5), 250, None),
    ]
    assert next(r for r in p.doses if r.drug == "hypertonic_saline").concentration == "3%"
    assert next(r for r in p.doses if r.drug == "atropine").min_single == 0.1


def test_a_hospital_threshold_changes_the_flags(tmp_path: Path) -> None:
    """Thresholds come from the protocol: a 60 s flush window lets e03's late flush (60 s) through."""
    path = tmp_path / "hospital.toml"
    path.write_text(edited(r"^window_s = 30 ", "window_s = 60 "), encoding="utf-8")
    timeline = effective(to_records(read_scenario(SCENARIOS / "e03_flush_errors.jsonl")))
    default = [(f.rule, f.seq) for f in evaluate(timeline)]
    hospital = [(f.rule, f.seq) for f in evaluate(timeline, load_protocol(path))]
    assert ("DRUG_NOT_FLUSHED", 8) in default and ("DRUG_NOT_FLUSHED", 8) not in hospital
    assert Engine(load_protocol(path)).protocol.flush.window_s == 60


REFUSED = [
    # (what is wrong, the edit, words the message must hold)
    ("malformed TOML", (r"^\[flush\]", "[flush"), ["not valid TOML", "line", "column"]),
    ("missing key", (r"^window_s = 30 .*\n", ""), ["flush.window_s", "missing"]),
    ("missing table", (r"^\[vasopressor\]\nbp_within_s.*\n", ""), ["vasopressor", "missing"]),
    ("misspelt key", (r"^window_s = 30 ", "windw_s = 30 "), ["flush.windw_s", "unknown key"]),
    ("negative", (r"^window_s = 30 ", "window_s = -3 "), ["flush.window_s", "greater than 0", "-3"]),
    ("zero", (r"^interval_s = 300 ", "interval_s = 0 "), ["epinephrine.interval_s", "greater than 0"]),
    ("infinite", (r"^interval_s = 300 ", "interval_s = inf "), ["epinephrine.interval_s", "finite"]),
    ("not a number", (r"^recent_io_hours = 48 ", "recent_io_hours = nan "), ["site.recent_io_hours", "finite"]),
    ("text for a number", (r"^window_s = 30 ", 'window_s = "30" '), ["flush.window_s", "must be a number"]),
    ("bool for a number", (r"^adult_years = 18 ", "adult_years = true "), ["age_bands.adult_years", "number"]),
    (
        "no attempts",
        (r"^child_failed_attempts = 3 ", "child_failed_attempts = 0 "),
        ["child_failed_attempts", "at least 1"],
    ),
    (
        "low above high",
        (r"^per_kg = \[0.01, 0.03\]", "per_kg = [0.03, 0.01]"),
        ["doses #1 (epinephrine).per_kg", "above"],
    ),
    (
        "min above max",
        (r"^min_single = 0.1 ", "min_single = 0.9 "),
        ["doses #12 (atropine).min_single", "above max_single"],
    ),
    ("adult range", (r"^adult = \[150, 300\]", "adult = [300, 150]"), ["doses #6 (amiodarone).adult", "above"]),
    (
        "one number for a range",
        (r"^per_kg = \[5, 5\]", "per_kg = [5]"),
        ["doses #6 (amiodarone).per_kg", "[low, high]"],
    ),
    (
        "warning above critical",
        (r"^warning_high = 1.2 ", "warning_high = 3 "),
        ["dose_range.warning_high", "critical_high"],
    ),
    (
        "critical inside warning",
        (r"^critical_low = 0.5 ", "critical_low = 0.9 "),
        ["dose_range.critical_low", "warning_low"],
    ),
    ("warning factor inside range", (r"^warning_low = 0.8 ", "warning_low = 1.5 "), ["dose_range.warning_low"]),
    ("dwell order", (r"^warning_h = 24 ", "warning_h = 72 "), ["dwell.warning_h", "critical_h"]),
    (
        "cumulative order",
        (r"^warning_per_kg = 3 ", "warning_per_kg = 5 "),
        ["cumulative #1 (lidocaine).warning_per_kg"],
    ),
    ("norepinephrine order", (r"^warning_mcg_kg_min = 0.5 ", "warning_mcg_kg_min = 3 "), ["warning_mcg_kg_min"]),
    ("too soon above interval", (r"^too_soon_s = 180 ", "too_soon_s = 400 "), ["epinephrine.too_soon_s", "interval_s"]),
    (
        "unknown severity",
        (r'^severity = "info"', 'severity = "mild"'),
        ["site_age #6 (distal_tibia).severity", "'mild'"],
    ),
    ("unknown site", (r'^calcaneus = "calcaneus"', 'heel = "calcaneus"'), ["anatomy.site_bone"]),
    ("unknown drug", (r'^drug = "naloxone"', 'drug = "narcan"'), ["doses #19 (narcan).drug", "'narcan'"]),
    (
        "mixed units",
        (r'^unit = "g"\nper_kg = \[0.2, 1\]', 'unit = "mg"\nper_kg = [0.2, 1]'),
        ["doses #18 (dextrose).unit", "one unit"],
    ),
    ("bone in two limbs", (r'^arm = \[\["humerus"\]', 'arm = [["femur"]'), ["anatomy.limbs", "femur"]),
    # The anatomy is the protocol's, checked against the vocabulary (issue 11): every limb, and every
    # bone on a limb unless a site with no side owns it, so that no site or limb rule silently stops applying.
    (
        "sided site on the midline bone",
        (r'^distal_tibia = "tibia"', 'distal_tibia = "sternum"'),
        ["anatomy.site_bone.distal_tibia", "'sternum'", "no side"],
    ),
    (
        "bone on no limb",
        (r'^arm = \[\["humerus"\], \["radius", "ulna"\]\]', 'arm = [["humerus"], ["radius"]]'),
        ["anatomy.limbs", "ulna is on no limb"],
    ),
    (
        "limb removed",
        (r'^arm = \[\["humerus"\], \["radius", "ulna"\]\]\n', ""),
        ["anatomy.limbs.arm", "missing"],
    ),
    (
        "limb added",
        (r"^arm = ", 'spine = [["sternum"]]\narm = '),
        ["anatomy.limbs.spine", "'leg' or 'arm'"],
    ),
    (
        "device needs one list",
        (r'^sites = \["sternum"\]', 'sites = ["sternum"]\nonly_sites = ["sternum"]'),
        ["device_site #1 (ez_io).sites", "exactly one"],
    ),
]


@pytest.mark.parametrize(("edit", "words"), [(e, w) for _, e, w in REFUSED], ids=[r[0] for r in REFUSED])
def test_a_bad_protocol_is_refused_with_key_and_reason(tmp_path: Path, edit: tuple[str, str], words: list[str]) -> None:
    path = tmp_path / "hospital.toml"
    path.write_text(edited(*edit), encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    for word in words:
        assert word in message
    assert isinstance(caught.value, ValueError)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="cannot read the protocol file"):
        load_protocol(tmp_path / "nowhere.toml")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(TEXT.encode("utf-8").replace(b"recorder default", b"d\xe9faut"))
    with pytest.raises(ProtocolError, match="UTF-8"):
        load_protocol(path)


def test_parse_protocol_names_its_source() -> None:
    with pytest.raises(ProtocolError, match=r"^site\.toml: not valid TOML"):
        parse_protocol("= 1", "site.toml")


def test_the_needle_lengths_offered_are_the_protocols() -> None:
    """The IO form's lengths come from the file; one without `stock_mm` (written before it, or a kept copy)
    offers the lengths its weight bands name, never a number of the code's own."""
    assert load_protocol().needle.choices() == (15, 25, 45)
    older = parse_protocol(edited(r"^stock_mm = .*\n", ""))
    assert older.needle.choices() == (15, 45)
    assert parse_protocol(edited(r"^stock_mm = .*$", "stock_mm = [18, 25]")).needle.choices() == (18, 25)
    with pytest.raises(ProtocolError, match="stock_mm"):
        parse_protocol(edited(r"^stock_mm = .*$", "stock_mm = [0]"))
