"""A database recorded under the first edition of the rules: it opens, replays, summarises and verifies, its
hashes unmoved, and each code keeps the flags shown at the time as its record (recomputed only when asked).

`tests/data/edition1_by_main.db` was made by the code before issue 13 (`recorder replay` of the five
first-edition scenarios and `edition1_toddler.jsonl`, the issue's toddler of unknown age given 1.2 mg IO
adrenaline, which the first edition left silent); `schema3_before_chain2.db` is older still.
"""

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from recorder.cli import cli
from schemas.events import parse_event
from tests.conftest import DATA

BY_MAIN = DATA / "edition1_by_main.db"
OLDER = DATA / "schema3_before_chain2.db"
TODDLER = 6  # its code in BY_MAIN


def run(db: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db), *args])


@pytest.fixture
def first_edition(tmp_path: Path) -> Path:
    db = tmp_path / "edition1.db"
    shutil.copy(BY_MAIN, db)
    return db


@pytest.mark.parametrize("source", [BY_MAIN, OLDER], ids=["made-by-main", "schema3"])
def test_it_verifies_its_flags_under_the_first_edition(tmp_path: Path, source: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copy(source, db)
    result = run(db, "verify")
    assert result.exit_code == 0, result.output
    assert "hash chains intact" in result.output and "flags match their records" in result.output
    # The first edition is kept (recorder/engine/first_edition): its codes are checked, not passed over.
    assert "which this recorder does not have" not in result.output


def test_a_forged_first_edition_flag_is_found(first_edition: Path) -> None:
    """The first edition's flags are really worked out again: a flag row added behind the recorder is a fault."""
    with sqlite3.connect(first_edition) as conn:
        conn.execute(
            "INSERT INTO flags (code_id, at_seq, change, rule, severity, seq, t, line, message, recorded_at)"
            " VALUES (?, 9, 'raised', 'DOSE_OUT_OF_RANGE', 'critical', 6, 60.0, 'io1', 'forged', ?)",
            (TODDLER, "2026-01-16T03:47:00.000000+00:00"),
        )
    result = run(first_edition, "verify")
    assert result.exit_code != 0
    assert f"code {TODDLER}" in result.output and "DOSE_OUT_OF_RANGE" in result.output


def test_it_keeps_the_flags_shown_at_the_time_and_says_which_edition(first_edition: Path) -> None:
    kept = json.loads(run(first_edition, "summary", str(TODDLER), "--format", "json").output)
    assert kept["header"]["rules_edition"] == "1"
    assert kept["flags"] == []  # the first edition was silent on the tenfold dose: that is the record
    markdown = run(first_edition, "summary", str(TODDLER)).output
    assert "Flags of the final record (rules edition 1)" in markdown


def test_it_is_recomputed_with_the_current_edition_only_when_asked(first_edition: Path) -> None:
    again = json.loads(run(first_edition, "summary", str(TODDLER), "--format", "json", "--recompute").output)
    assert again["header"]["rules_edition"] == "2"
    assert [(f["rule"], f["severity"], f["seq"]) for f in again["flags"]] == [
        ("DOSE_OUT_OF_RANGE", "critical", 6),
        ("IO_IN_AT_END", "info", 4),  # at the code's end: the needle was still in
    ]
    # Asking changed nothing kept: the record still shows its own edition's flags, and still verifies.
    assert json.loads(run(first_edition, "summary", str(TODDLER), "--format", "json").output)["flags"] == []
    assert run(first_edition, "verify").exit_code == 0


def test_its_events_replay_into_the_current_edition(first_edition: Path, tmp_path: Path) -> None:
    dumped = run(first_edition, "events", str(TODDLER))
    assert dumped.exit_code == 0, dumped.output
    lines = (DATA / "edition1_toddler.jsonl").read_text(encoding="utf-8").splitlines()
    assert [parse_event(json.loads(line)) for line in dumped.output.splitlines()] == [
        parse_event(json.loads(line)) for line in lines
    ]
    scenario = tmp_path / "dumped.jsonl"  # `recorder events X > f.jsonl; recorder replay f.jsonl` (cli.md)
    scenario.write_text(dumped.output, encoding="utf-8")
    replayed = run(tmp_path / "new.db", "replay", "--json", str(scenario))
    assert replayed.exit_code == 0, replayed.output
    flags = [json.loads(line) for line in replayed.output.splitlines()]
    assert [(f["rule"], f["severity"], f["seq"]) for f in flags] == [
        ("DOSE_OUT_OF_RANGE", "critical", 6),
        ("IO_IN_AT_END", "info", 4),
    ]


def test_every_code_summarises(first_edition: Path) -> None:
    for code in range(1, 7):
        for fmt in ("md", "json", "html", "fhir"):
            result = run(first_edition, "summary", str(code), "--format", fmt)
            assert result.exit_code == 0, (code, fmt, result.output)
