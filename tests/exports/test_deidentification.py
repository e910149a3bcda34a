"""The audit export keeps nothing that identifies the patient (exports.md §2, HIPAA Safe Harbor as the bar)."""

import csv
import json
import re
import stat

import pytest
from click.testing import CliRunner

from recorder.cli import cli
from tests.factory import record

NAME = "Zebedee Quixotic-Farnsworth"
MRN = "MRN-99887766"
DOB = "2019-04-17"
# Every piece of free text a scribe could type, each full of identifying words.
STAFF = "Nurse Xanthippe Oyelaran"
IV_SITE = "left hand by the Farnsworth tattoo"
OTHER_DRUG = "Quixoticillin"
NOTE = "Zebedee's mother Mrs Farnsworth, phone 0412 555 019, arrived 04:12"
VOID_REASON = "wrong child: entered for Zebedee Farnsworth's brother"
AMEND_REASON = "Dr Oyelaran said 0.2 not 0.18"
ACK_REASON = "Farnsworth family asked for left side"
FAIL_REASON = "Xanthippe felt no give"
SECRETS = [NAME, MRN, DOB, STAFF, IV_SITE, OTHER_DRUG, NOTE, VOID_REASON, AMEND_REASON, ACK_REASON, FAIL_REASON]
WORDS = ["Zebedee", "Quixotic", "Farnsworth", "99887766", "Xanthippe", "Oyelaran", "tattoo", "Quixoticillin", "0412"]

IDENTIFIABLE = [
    {
        "t": 0,
        "kind": "code_started",
        "at": "2026-08-19T04:02:00+02:00",
        "arrest": True,
        "setting": "picu",
        "patient": {"age_years": 7, "weight_kg": 23.4, "name": NAME, "mrn": MRN, "dob": DOB, "sex": "male"},
    },
    {"t": 20, "kind": "iv_attempt", "line": "iv1", "site": IV_SITE, "side": "left", "result": "failed"},
    {
        "t": 40,
        "kind": "io_attempt",
        "line": "io1",
        "site": "proximal_tibia",
        "side": "left",
        "device": "ez_io",
        "by": STAFF,
    },
    {"t": 50, "kind": "io_result", "line": "io1", "result": "failed", "reason": FAIL_REASON},
    {"t": 70, "kind": "io_attempt", "line": "io2", "site": "proximal_tibia", "side": "right", "by": STAFF},
    {"t": 80, "kind": "io_result", "line": "io2", "result": "in"},
    {"t": 85, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 100, "kind": "drug", "drug": "epinephrine", "dose": 0.18, "unit": "mg", "line": "io2", "by": STAFF},
    {"t": 104, "kind": "flush", "line": "io2", "volume_ml": 5},
    {"t": 130, "kind": "drug", "drug": "other", "name": OTHER_DRUG, "dose": 2, "unit": "mg", "line": "io2"},
    {"t": 150, "kind": "note", "text": NOTE},
    {"t": 160, "kind": "void", "target": 10, "reason": VOID_REASON},
    {"t": 170, "kind": "amend", "target": 8, "changes": {"dose": 0.2}, "reason": AMEND_REASON},
    {"t": 180, "kind": "acknowledge", "rule": "DRUG_VIA_UNCONFIRMED_IO", "target": 8, "reason": ACK_REASON},
    {"t": 190, "kind": "drug", "drug": "other", "name": OTHER_DRUG, "dose": 2, "unit": "mg", "line": "io2"},
    # Second edition: the KPIs on shocks and on doses without a weight, and `by` on a drug.
    {"t": 200, "kind": "rhythm", "rhythm": "vf"},
    {"t": 215, "kind": "shock", "joules": 50},
    {"t": 230, "kind": "drug", "drug": "amiodarone", "dose": 115, "unit": "mg", "line": "io2", "by": STAFF},
    {"t": 600, "kind": "code_ended", "outcome": "transferred"},
]
# A second code whose weight was never known: its doses count as given with the weight unknown.
NO_WEIGHT = [
    {
        "t": 0,
        "kind": "code_started",
        "at": "2026-08-20T11:30:00+02:00",
        "arrest": True,
        "patient": {"age_years": 5, "name": NAME, "mrn": MRN},
    },
    {"t": 30, "kind": "iv_attempt", "line": "iv1", "site": IV_SITE, "side": "left", "result": "in"},
    {"t": 60, "kind": "drug", "drug": "epinephrine", "dose": 0.2, "unit": "mg", "line": "iv1", "by": STAFF},
    {"t": 300, "kind": "drug", "drug": "epinephrine", "dose": 0.2, "unit": "mg", "line": "iv1", "by": STAFF},
    {"t": 600, "kind": "code_ended", "outcome": "died"},
]

FULL_DATE = re.compile(r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b|\b\d{8}T")
CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")


def _codes(out, fmt: str) -> list[dict]:
    """codes.csv or codes.json as rows of typed values (CSV's empty cell is None, its digits ints)."""
    if fmt == "json":
        return json.loads((out / "codes.json").read_text(encoding="utf-8"))
    with (out / "codes.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: None if v == "" else int(v) if v.isdigit() else v for k, v in row.items()} for row in rows]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_audit_files_hold_nothing_identifying(tmp_path, fmt):
    db = tmp_path / "named.db"
    record(db, IDENTIFIABLE, "5afe000000000007")
    record(db, NO_WEIGHT, "5afe000000000008")
    out = tmp_path / "audit"
    result = CliRunner().invoke(cli, ["--db", str(db), "audit", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(out.iterdir())
    assert [p.name for p in files] == [f"{t}.{fmt}" for t in ("attempts", "codes", "drugs", "flags")]
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    everything = ""
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        text = path.read_text(encoding="utf-8")
        everything += text
        for secret in SECRETS + WORDS:
            assert secret.lower() not in text.lower(), f"{secret!r} in {path.name}"
        assert not FULL_DATE.search(text), f"a full date in {path.name}: {FULL_DATE.search(text).group()}"
        assert not CLOCK_TIME.search(text), f"a clock time in {path.name}: {CLOCK_TIME.search(text).group()}"
    # What is allowed is there: the year, the band, whole seconds, the rounded weight; the `other` drug
    # without its name; the IV attempt without its free-text site.
    assert "2026" in everything and "5-11y" in everything and "2019" not in everything
    assert "23.4" not in everything and "5afe000000000007" in everything
    assert "other" in everything and "iv1" in everything
    # The second edition's KPIs: numbers only (seconds, counts), by audit id.
    codes = {c["audit_id"]: c for c in _codes(out, fmt)}
    named, unweighed = codes["5afe000000000007"], codes["5afe000000000008"]
    assert (named["shockable_to_first_shock_s"], named["doses_weight_unknown"]) == (15, 0)
    assert (unweighed["shockable_to_first_shock_s"], unweighed["doses_weight_unknown"]) == (None, 2)
    assert re.search(r"doses given with weight unknown +2 in 1 code\n", result.output)
    assert re.search(r"median VF/pVT to first shock +0:15 \(15 s\)", result.output)
    # the terminal's KPI table is as clean
    for secret in SECRETS + WORDS:
        assert secret not in result.output


def test_the_audit_database_holds_nothing_identifying(tmp_path):
    """`--format sqlite`: every value, name and piece of SQL in the file, and its raw bytes, as clean as the CSV."""
    import sqlite3

    db = tmp_path / "named.db"
    record(db, IDENTIFIABLE, "5afe000000000007")
    record(db, NO_WEIGHT, "5afe000000000008")
    out = tmp_path / "audit.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "audit", "--format", "sqlite", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    conn = sqlite3.connect(out)
    try:
        dump = "\n".join(conn.iterdump())  # the schema, the views and every row, as SQL text
        (codes,) = conn.execute("SELECT count(*) FROM codes").fetchone()
    finally:
        conn.close()
    raw = out.read_bytes().decode("latin-1")  # free pages and all: what a hex editor would show
    assert codes == 2 and "5afe000000000007" in dump and "5-11y" in dump and "2026" in dump
    for text, where in ((dump, "the dump"), (raw, "the file's bytes")):
        for secret in SECRETS + WORDS:
            assert secret.lower() not in text.lower(), f"{secret!r} in {where}"
        assert not FULL_DATE.search(text), f"a full date in {where}: {FULL_DATE.search(text).group()}"
        assert not CLOCK_TIME.search(text), f"a clock time in {where}: {CLOCK_TIME.search(text).group()}"
    assert "23.4" not in dump and "2019" not in dump
