"""`recorder summary` and `recorder audit` as a user runs them: formats, files, KPIs, and every bad input."""

import csv
import io
import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from recorder.cli import cli
from recorder.store import Store
from schemas.summary import Summary
from tests.exports.scenarios import CHILD
from tests.factory import record


def run(*args: str, db: Path | None = None):
    argv = (["--db", str(db)] if db else []) + list(args)
    return CliRunner().invoke(cli, argv)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def child_db(tmp_path) -> Path:
    db = tmp_path / "child.db"
    record(db, CHILD, "c41d0000000000a1")
    return db


# ── summary ──────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("fmt", "starts"), [("md", "# Resuscitation record"), ("html", "<!DOCTYPE html>"), ("json", "{")]
)
def test_summary_to_stdout(child_db, fmt, starts):
    result = run("summary", "last", "--format", fmt, db=child_db)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(starts)


def test_summary_json_is_the_published_model(child_db):
    result = run("summary", "1", "--format", "json", db=child_db)
    summary = Summary.model_validate_json(result.stdout)
    assert summary.header.code_id == 1 and len(summary.drugs) == 12


def test_summary_to_a_private_file(child_db, tmp_path):
    out = tmp_path / "summary.html"
    out.write_text("old")
    out.chmod(0o644)
    result = run("summary", "1", "--format", "html", "-o", str(out), db=child_db)
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>") and mode(out) == 0o600  # an old file's mode is not kept
    fhir = tmp_path / "bundle.json"
    assert run("summary", "1", "--format", "fhir", "-o", str(fhir), db=child_db).exit_code == 0
    assert json.loads(fhir.read_text())["resourceType"] == "Bundle" and mode(fhir) == 0o600


def test_html_is_self_contained_and_prints(child_db):
    page = run("summary", "1", "--format", "html", db=child_db).stdout
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "<link" not in page and "@import" not in page and "src=" not in page
    assert "@page" in page and "@media print" in page and "<svg" in page


def test_svg_timeline_lanes_and_markers(child_db):
    page = run("summary", "1", "--format", "html", db=child_db).stdout
    svg = page[page.index("<svg") : page.index("</svg>")]
    for lane in ("iv1 · IV", "io1 · IO", "io2 · IO", "Drugs", "Fluids", "Flags", "ARREST", "ROSC"):
        assert lane in svg
    assert svg.count("NOT FLUSHED</title>") == 2  # amiodarone and dextrose, in red with a "!"
    for n in range(1, 6):
        assert f">F{n}</text>" in svg
    assert "T+00:00" in svg and "14:05" in svg  # T+ across the top, clock time along the bottom


# ── audit ────────────────────────────────────────────────────────────────

START = {"t": 0, "kind": "code_started", "arrest": True}


def _code(at: str, patient: dict, *events: dict) -> list[dict]:
    return [{**START, "at": at, "patient": patient}, *events]


# Hand-computed KPIs over three codes in two databases:
# A: child, io1 in at 40, marrow at 45 (first attempt works), epinephrine at 60, flushed.
# B: child, io1 fails, io2 in the same tibia (REPEAT_SAME_BONE), flushed at 105, epinephrine at 120.
# C: adult, IV only, epinephrine at 200, in 2025.
IO = {"kind": "io_attempt", "site": "proximal_tibia", "side": "left", "device": "ez_io", "needle_mm": 15}
CODE_A = _code(
    "2026-02-01T10:00:00+00:00",
    {"age_years": 3, "weight_kg": 14},
    {"t": 30, **IO, "line": "io1"},
    {"t": 40, "kind": "io_result", "line": "io1", "result": "in"},
    {"t": 45, "kind": "aspiration", "line": "io1", "marrow": True},
    {"t": 50, "kind": "flush", "line": "io1", "volume_ml": 3},
    {"t": 60, "kind": "drug", "drug": "epinephrine", "dose": 0.14, "unit": "mg", "line": "io1"},
    {"t": 65, "kind": "flush", "line": "io1", "volume_ml": 3},
    {"t": 300, "kind": "code_ended", "outcome": "rosc"},
)
CODE_B = _code(
    "2026-05-10T23:30:00-05:00",
    {"age_years": 6, "weight_kg": 20},
    {"t": 50, **IO, "line": "io1"},
    {"t": 60, "kind": "io_result", "line": "io1", "result": "failed"},
    {"t": 90, **IO, "line": "io2", "site": "distal_tibia"},
    {"t": 100, "kind": "io_result", "line": "io2", "result": "in"},
    {"t": 105, "kind": "flush", "line": "io2", "volume_ml": 3},
    {"t": 120, "kind": "drug", "drug": "epinephrine", "dose": 0.2, "unit": "mg", "line": "io2"},
    {"t": 125, "kind": "flush", "line": "io2", "volume_ml": 3},
    {"t": 400, "kind": "code_ended", "outcome": "died"},
)
CODE_C = _code(
    "2025-11-03T02:00:00+00:00",
    {"age_years": 70, "weight_kg": 75},
    {"t": 100, "kind": "iv_attempt", "line": "iv1", "result": "in"},
    {"t": 200, "kind": "drug", "drug": "epinephrine", "dose": 1, "unit": "mg", "line": "iv1"},
    {"t": 330, "kind": "rosc"},
    {"t": 600, "kind": "code_ended", "outcome": "rosc"},
)


@pytest.fixture
def two_dbs(tmp_path) -> tuple[Path, Path]:
    first, second = tmp_path / "one.db", tmp_path / "two.db"
    record(first, CODE_A, "aaaa000000000001")
    record(first, CODE_B, "bbbb000000000002")
    record(second, CODE_C, "cccc000000000003")
    return first, second


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_audit_over_two_databases_and_its_kpis(two_dbs, tmp_path):
    out = tmp_path / "audit"
    result = run("audit", "--db", str(two_dbs[0]), "--db", str(two_dbs[1]), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["attempts.csv", "codes.csv", "drugs.csv", "flags.csv"]
    assert mode(out) == 0o700 and all(mode(p) == 0o600 for p in out.iterdir())
    codes = read_csv(out / "codes.csv")
    assert [c["audit_id"] for c in codes] == ["aaaa000000000001", "bbbb000000000002", "cccc000000000003"]
    a, b, c = codes
    assert (a["io_first_attempt_success"], a["t_first_io_attempt_s"], a["t_first_confirmed_io_s"]) == (
        "true",
        "30",
        "45",
    )
    assert (b["io_first_attempt_success"], b["t_first_io_attempt_s"], b["t_first_confirmed_io_s"]) == (
        "false",
        "50",
        "105",
    )
    assert (c["io_attempts"], c["t_first_epinephrine_s"], c["year"], c["age_band"]) == ("0", "200", "2025", "65-89y")
    assert b["year"] == "2026" and b["flags_critical"] == "1" and b["weight_kg"] == "20"
    assert [(f["audit_id"], f["rule"]) for f in read_csv(out / "flags.csv")] == [
        ("aaaa000000000001", "IO_IN_AT_END"),  # second edition: the needles still in at the end are said
        ("bbbb000000000002", "REPEAT_SAME_BONE"),
        ("bbbb000000000002", "IO_IN_AT_END"),
    ]
    kpi = result.stdout
    assert "codes                             3 from 2 databases" in kpi
    assert "IO first-attempt success          50 % (1 of 2)" in kpi
    assert "median time to first IO attempt   T+00:40 (40 s)" in kpi  # median(30, 50)
    assert "median time to confirmed IO       T+01:15 (75 s)" in kpi  # median(45, 105)
    assert "median time to first epinephrine  T+02:00 (120 s)" in kpi  # median(60, 120, 200)
    assert "REPEAT_SAME_BONE                0.33" in kpi  # 1 flag over 3 codes
    assert "Reading codes" in result.stderr  # the progress bar goes to stderr


def test_audit_dates_and_json(two_dbs, tmp_path):
    out = tmp_path / "j"
    result = run(
        "audit",
        "--db",
        str(two_dbs[0]),
        "--db",
        str(two_dbs[1]),
        "--since",
        "2026-01-01",
        "--format",
        "json",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    codes = json.loads((out / "codes.json").read_text())
    assert [c["audit_id"] for c in codes] == ["aaaa000000000001", "bbbb000000000002"]
    # B started 10 May 23:30 at UTC-5: 11 May in UTC, but the 10th where it happened
    until = run("audit", "--db", str(two_dbs[0]), "--until", "2026-05-10", "-o", str(tmp_path / "u"))
    assert [c["audit_id"] for c in read_csv(tmp_path / "u" / "codes.csv")] == ["aaaa000000000001", "bbbb000000000002"]
    assert until.exit_code == 0
    run("audit", "--db", str(two_dbs[0]), "--until", "2026-05-09", "-o", str(tmp_path / "v"))
    assert [c["audit_id"] for c in read_csv(tmp_path / "v" / "codes.csv")] == ["aaaa000000000001"]


def test_audit_defaults_to_the_global_db_and_ids_are_stable(child_db, tmp_path):
    first = run("audit", "-o", str(tmp_path / "1"), db=child_db)
    second = run("audit", "-o", str(tmp_path / "2"), db=child_db)
    assert first.exit_code == second.exit_code == 0
    ids = [read_csv(tmp_path / d / "codes.csv")[0]["audit_id"] for d in ("1", "2")]
    assert ids == ["c41d0000000000a1", "c41d0000000000a1"] and Store(child_db).code(1).audit_id == ids[0]
    # the same database named twice counts its codes once
    twice = run("audit", "--db", str(child_db), "--db", str(child_db), "-o", str(tmp_path / "3"))
    assert len(read_csv(tmp_path / "3" / "codes.csv")) == 1 and twice.exit_code == 0


def test_a_new_code_gets_a_random_audit_id(tmp_path):
    db = tmp_path / "r.db"
    record(db, CODE_C, "cccc000000000003")
    store = Store(db)
    try:
        fresh = {store.create_code(store.code(1).created_at)[1] for _ in range(3)}
    finally:
        store.close()
    assert len(fresh) == 3 and "cccc000000000003" not in fresh


# ── bad input: one line on stderr, exit 2, no traceback ──────────────────


def _one_line(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("recorder: "), result.stderr
    assert "Traceback" not in result.output and "Usage:" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["summary", "42"], ["there is no code '42'"]),
        (["summary", "nope"], ["there is no code 'nope'"]),
        (["summary", "1", "--format", "pdf"], ["'pdf' is not one of", "--format"]),
        (["audit", "--format", "xml"], ["'xml' is not one of"]),
        (["audit", "--since", "2026-13-01"], ["'2026-13-01' is not a date", "YYYY-MM-DD"]),
        (["audit", "--until", "yesterday"], ["'yesterday' is not a date"]),
        (["audit", "--since", "2026-03-02", "--until", "2026-03-01"], ["after --until"]),
        (["summary", "1", "--bogus"], ["--bogus"]),
    ],
)
def test_bad_input(child_db, args, fragments):
    _one_line(run(*args, db=child_db), *fragments)


def test_unwritable_output(child_db, tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    # Paths no one can write, root included: under a missing folder, or under a file.
    _one_line(run("summary", "1", "-o", str(tmp_path / "no" / "such" / "s.md"), db=child_db), "cannot write")
    _one_line(run("summary", "1", "-o", str(a_file / "s.md"), db=child_db), "cannot write")
    _one_line(run("summary", "1", "-o", str(tmp_path), db=child_db), "is a directory")
    _one_line(run("audit", "-o", str(a_file / "audit"), db=child_db), "cannot create the folder")
    _one_line(run("audit", "-o", str(a_file), db=child_db), "is a file")


def test_missing_database(tmp_path):
    _one_line(run("audit", "--db", str(tmp_path / "missing.db"), "-o", str(tmp_path / "a")), "no database at")
    assert not (tmp_path / "missing.db").exists()  # not created by looking
