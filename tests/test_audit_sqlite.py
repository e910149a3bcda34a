"""`recorder audit --format sqlite`: the audit as one database, its views, and Datasette with docs/datasette.yml."""

import json
import sqlite3
import stat
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from exports.audit import kpis
from recorder.cli import cli
from recorder.store import Store
from recorder.store.audit_sqlite import VIEWS, audit_sqlite
from schemas.audit import AuditCode, AuditExport, AuditFlag
from tests.exports.scenarios import ADULT, CHILD, NEW_RULES, record

METADATA = Path(__file__).parent.parent / "docs" / "datasette.yml"
TABLES = ("codes", "attempts", "drugs", "flags")


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def rows(path: Path, sql: str) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def audit(tmp_path_factory) -> tuple[Path, Path]:
    """Three codes recorded through the session; their audit as a database and as JSON files."""
    home = tmp_path_factory.mktemp("audit")
    db = home / "recorder.db"
    for events, audit_id in ((CHILD, "c41d0000000000a1"), (ADULT, "ad0170000000000b"), (NEW_RULES, "9e0000000000000c")):
        record(db, events, audit_id)
    out = home / "audit.db"
    result = run("--db", str(db), "audit", "--format", "sqlite", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().endswith(f"wrote {out}")
    assert "IO first-attempt success" in result.stdout  # the KPI table, as for csv and json
    assert run("--db", str(db), "audit", "--format", "json", "-o", str(home / "json")).exit_code == 0
    return out, home / "json"


def test_the_database_holds_the_rows_of_the_json_files(audit):
    out, folder = audit
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    for table in TABLES:
        want = json.loads((folder / f"{table}.json").read_text())
        order = "audit_id" if table == "codes" else "id"
        have = rows(out, f"SELECT * FROM {table} ORDER BY {order}")
        for row in have:
            row.pop("id", None)
        # SQLite has no booleans: true and false are 1 and 0
        assert have == [{k: int(v) if isinstance(v, bool) else v for k, v in r.items()} for r in want], table
        assert have, table


def test_rows_are_tied_to_their_code_by_foreign_keys_and_indexed(audit):
    out, _ = audit
    conn = sqlite3.connect(out)
    try:
        for table in ("attempts", "drugs", "flags"):
            keys = conn.execute(f"PRAGMA foreign_key_list({table})").fetchall()
            assert [(k[2], k[3], k[4]) for k in keys] == [("codes", "audit_id", "audit_id")], table
            indexed = {
                conn.execute(f"PRAGMA index_info({i[1]})").fetchone()[2]
                for i in conn.execute(f"PRAGMA index_list({table})")
            }
            assert "audit_id" in indexed, table
        keys = conn.execute("PRAGMA foreign_key_list(codes)").fetchall()
        assert [(k[2], k[3], k[4]) for k in keys] == [("age_bands", "age_band", "band")]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
        assert views == set(VIEWS)
    finally:
        conn.close()


def _code(audit_id: str, band: str | None, **fields) -> AuditCode:
    base = {"year": 2026, "arrest": True, "io_attempts": 0, "io_lines_confirmed": 0, "iv_attempts_before_io": 0}
    base |= {"drugs_given": 0, "drugs_unflushed": 0, "flags_critical": 0, "flags_warning": 0, "flags_info": 0}
    base |= {"voids": 0, "amends": 0, "late_entries": 0}
    return AuditCode(audit_id=audit_id, age_band=band, **(base | fields))


# Even and odd counts per band, unknowns, a band with no known first attempt and a code of unknown age:
# the views must give what exports/audit.py gives, medians included.
CODES = [
    _code("a1", "<1y", io_attempts=1, io_first_attempt_success=True, t_first_io_attempt_s=30, t_first_epinephrine_s=90),
    _code(
        "a2", "<1y", io_attempts=2, io_first_attempt_success=False, t_first_io_attempt_s=50, t_first_epinephrine_s=200
    ),
    _code(
        "a3", "<1y", io_attempts=1, io_first_attempt_success=True, t_first_io_attempt_s=40, t_first_epinephrine_s=120
    ),
    _code("a4", "<1y", io_attempts=1, t_first_io_attempt_s=45, t_first_epinephrine_s=61, doses_weight_unknown=2),
    _code("b1", "5-11y", io_attempts=1, io_first_attempt_success=False, t_first_confirmed_io_s=99),
    _code("b2", "5-11y", t_first_epinephrine_s=300, shockable_to_first_shock_s=15),
    _code("c1", "18-64y"),
    _code("d1", None, io_attempts=1, io_first_attempt_success=True, t_first_epinephrine_s=75),
]
FLAGS = [
    AuditFlag(audit_id="a1", t_s=10, rule="DRUG_NOT_FLUSHED", severity="warning", acknowledged=False),
    AuditFlag(audit_id="a1", t_s=20, rule="DRUG_NOT_FLUSHED", severity="warning", acknowledged=True),
    AuditFlag(audit_id="b2", t_s=30, rule="EPI_FIRST_DOSE_DELAYED", severity="critical", acknowledged=False),
]


@pytest.fixture(scope="module")
def made_up(tmp_path_factory) -> tuple[Path, AuditExport]:
    export = AuditExport(codes=CODES, flags=FLAGS)
    path = tmp_path_factory.mktemp("made_up") / "audit.db"
    path.write_bytes(audit_sqlite(export))
    return path, export


def test_the_kpis_view_is_the_terminals_kpi_table(made_up):
    path, export = made_up
    (row,) = rows(path, "SELECT * FROM kpis")
    want = kpis(export).model_dump()
    flags_per_code = want.pop("flags_per_code")
    assert row == pytest.approx(want)
    assert row["median_t_first_epinephrine_s"] == 105.0  # six values: the mean of the middle two (90, 120)
    by_rule = {r["rule"]: r["flags_per_code"] for r in rows(path, "SELECT * FROM flags_per_code_by_rule")}
    assert by_rule == pytest.approx(flags_per_code)


def test_first_attempt_success_and_time_to_epinephrine_by_age_band(made_up):
    path, _ = made_up
    io = rows(path, "SELECT * FROM io_first_attempt_by_age_band")
    # Youngest first, the unknown age last; a band with no first attempt known has no percentage.
    assert [(r["age_band"], r["codes"], r["first_attempt_known"], r["first_attempt_success_pct"]) for r in io] == [
        ("<1y", 4, 3, 66.7),
        ("5-11y", 2, 1, 0.0),
        ("18-64y", 1, 0, None),
        (None, 1, 1, 100.0),
    ]
    epi = rows(path, "SELECT * FROM time_to_first_epinephrine_by_age_band")
    assert [
        (r["age_band"], r["codes_given_epinephrine"], r["median_t_first_epinephrine_s"], r["max_t_first_epinephrine_s"])
        for r in epi
    ] == [("<1y", 4, 105.0, 200), ("5-11y", 1, 300.0, 300), ("18-64y", 0, None, None), (None, 1, 75.0, 75)]


def test_an_empty_audit_is_a_database_with_no_rows(tmp_path):
    path = tmp_path / "audit.db"
    path.write_bytes(audit_sqlite(AuditExport()))
    (row,) = rows(path, "SELECT codes, codes_with_io, io_first_attempt_success_pct FROM kpis")
    assert row == {"codes": 0, "codes_with_io": 0, "io_first_attempt_success_pct": None}
    assert rows(path, "SELECT * FROM flags_per_code_by_rule") == []


def test_sqlite_output_refuses_stdout_and_a_folder_in_one_line(tmp_path, db_path, monkeypatch):
    record(db_path, CHILD, "c41d0000000000a1")
    monkeypatch.chdir(tmp_path)
    for target, says in (("-", "cannot go to standard output"), (str(tmp_path), "is a folder")):
        result = run("--db", str(db_path), "audit", "--format", "sqlite", "-o", target)
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("recorder: ") and says in line, line
    assert not (tmp_path / "-").exists()
    missing = tmp_path / "no" / "such" / "audit.db"
    result = run("--db", str(db_path), "audit", "--format", "sqlite", "-o", str(missing))
    assert result.exit_code == 2 and "does not exist" in result.stderr
    # Without -o: audit.db in the working folder (the name docs/datasette.yml describes).
    result = run("--db", str(db_path), "audit", "--format", "sqlite")
    assert result.exit_code == 0, result.output
    assert rows(tmp_path / "audit.db", "SELECT audit_id FROM codes") == [{"audit_id": "c41d0000000000a1"}]


def test_the_audit_database_is_never_written_onto_a_recorder_database(tmp_path, db_path):
    record(db_path, CHILD, "c41d0000000000a1")
    before = db_path.read_bytes()
    result = run("--db", str(db_path), "audit", "--format", "sqlite", "-o", str(db_path))
    assert result.exit_code == 2 and "recorder database" in result.stderr, result.output
    assert db_path.read_bytes() == before


# ── Datasette with docs/datasette.yml ────────────────────────────────────


def _metadata() -> dict:
    return yaml.safe_load(METADATA.read_text())


def test_the_metadata_describes_every_table_and_view_of_the_audit(made_up):
    path, _ = made_up
    names = {r["name"] for r in rows(path, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    described = _metadata()["databases"]["audit"]["tables"]
    assert set(described) == names
    assert all(t.get("description") for t in described.values())


def test_the_metadata_names_only_what_a_recorder_database_has(db_path):
    Store(db_path).close()
    names = {r["name"] for r in rows(db_path, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    assert set(_metadata()["databases"]["recorder"]["tables"]) <= names


async def test_datasette_answers_the_two_questions_with_the_saved_queries(made_up, tmp_path):
    from datasette.app import Datasette

    path, _ = made_up
    live = tmp_path / "recorder.db"
    Store(live).close()
    ds = Datasette([str(path), str(live)], metadata=_metadata())
    await ds.invoke_startup()
    response = await ds.client.get("/audit/first_attempt_io_success_by_age_band.json?_shape=array")
    assert response.status_code == 200, response.text
    assert [(r["age_band"], r["first_attempt_success_pct"]) for r in response.json()] == [
        ("<1y", 66.7),
        ("5-11y", 0.0),
        ("18-64y", None),
        (None, 100.0),
    ]
    response = await ds.client.get("/audit/time_to_first_adrenaline.json?_shape=array")
    assert response.status_code == 200, response.text
    assert [(r["age_band"], r["median_t_first_epinephrine_s"]) for r in response.json()] == [
        ("<1y", 105.0),
        ("5-11y", 300.0),
        ("18-64y", None),
        (None, 75.0),
    ]
    response = await ds.client.get("/audit/slowest_first_adrenaline.json?_shape=array")
    assert response.status_code == 200, response.text
    assert [r["audit_id"] for r in response.json()][:3] == ["b1", "c1", "b2"]  # none given first, then the slowest
    page = await ds.client.get("/audit")
    assert "Quality audit (de-identified)" in page.text and "First-attempt IO success by age band" in page.text
    # The live database: the migrations' own table is out of the way.
    assert "_sqlite_migrations" in await ds.get_database("recorder").hidden_table_names()
