"""Drug classes are one protocol table: a hospital's file changes them, and codes kept before the table still verify.

`tests/data/edition2_before_drug_classes.db` was made by the code before the table (issue 14): `recorder
replay` of the second-edition scenarios e03 and e02, whose kept protocol has `vasoactive.drugs` and
`arrest_care.antiarrhythmics` and no other class (the rules held them in code).
"""

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from recorder.cli import cli
from recorder.core.scenario import read_scenario, to_records
from recorder.engine import evaluate, kept_protocol_model, load_protocol, parse_protocol
from recorder.engine.timeline import effective
from tests.conftest import DATA, SCENARIOS_V2

SHIPPED = (Path(__file__).resolve().parents[2] / "recorder" / "engine" / "protocol.toml").read_text(encoding="utf-8")
BEFORE = DATA / "edition2_before_drug_classes.db"


def test_the_classes_are_the_protocol_s() -> None:
    classes = load_protocol().drug_classes
    assert classes.calcium_salts == ("calcium_chloride", "calcium_gluconate")
    assert classes.bicarbonates == ("sodium_bicarbonate",)
    assert classes.catecholamines == ("epinephrine", "norepinephrine", "dopamine", "dobutamine")
    assert classes.vasopressors == ("epinephrine", "norepinephrine")
    assert classes.antiarrhythmics == ("amiodarone", "lidocaine")
    assert "milrinone" in classes.vasoactives


def test_a_hospital_class_changes_the_flags() -> None:
    """e03 gives calcium gluconate after bicarbonate with no flush: a hospital whose calcium salts leave out
    the gluconate gets no precipitation flag."""
    hospital, count = re.subn(
        r'^calcium_salts = \["calcium_chloride", "calcium_gluconate"\]',
        'calcium_salts = ["calcium_chloride"]',
        SHIPPED,
        flags=re.MULTILINE,
    )
    assert count == 1
    timeline = effective(to_records(read_scenario(SCENARIOS_V2 / "e03_flush_errors.jsonl")))
    assert ("CA_BICARB_NO_FLUSH_BETWEEN", 6) in [(f.rule, f.seq) for f in evaluate(timeline)]
    assert "CA_BICARB_NO_FLUSH_BETWEEN" not in [f.rule for f in evaluate(timeline, parse_protocol(hospital))]


def test_a_protocol_kept_before_the_table_reads_as_the_classes_it_ran_with() -> None:
    old = load_protocol().model_dump(mode="json")
    classes = old.pop("drug_classes")
    old["vasoactive"] = {"drugs": [*classes["vasoactives"], "dopamine"][:2]}  # a hospital's own list
    old["arrest_care"]["antiarrhythmics"] = classes["antiarrhythmics"]
    read = kept_protocol_model(json.loads(json.dumps(old)))
    assert read.drug_classes.vasoactives == ("epinephrine", "norepinephrine")
    assert read.drug_classes.calcium_salts == load_protocol().drug_classes.calcium_salts
    assert read.arrest_care == load_protocol().arrest_care


def test_a_database_kept_before_the_table_still_verifies(tmp_path: Path) -> None:
    db = tmp_path / "before.db"
    shutil.copy(BEFORE, db)
    result = CliRunner().invoke(cli, ["--db", str(db), "verify"])
    assert result.exit_code == 0, result.output
    assert "flags match their records" in result.output and "kept audit rows match" in result.output
    assert "note:" not in result.output  # its protocol and its audit rows are checked, not passed over
