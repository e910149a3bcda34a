"""The CLI keeps Unix habits: closed pipes, `-o -`, one-line usage errors, `python -m`, one version, completion."""

import ast
import json
import os
import stat
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from recorder.cli import cli
from recorder.cli.group import RecorderGroup
from recorder.errors import RecorderError
from schemas.jsonschema import JSON_DIR, render, schema_documents
from tests.factory import make_database
from tests.reliability.helpers import one_clear_line

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SCENARIO = (
    '{"kind": "code_started", "t": 0, "arrest": true, "patient": {"age_years": 4, "weight_kg": 16, "name": "Ada"}}\n'
    '{"kind": "rhythm", "t": 10, "rhythm": "asystole"}\n'
    '{"kind": "note", "t": 20, "text": "a note"}\n'
    '{"kind": "code_ended", "t": 60, "outcome": "rosc"}\n'
)


def recorder(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    env = {**os.environ, "RECORDER_DB": str(db), "TZ": "UTC"}
    return subprocess.run([str(BIN / "recorder"), *args], capture_output=True, text=True, env=env, timeout=120)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "recorder.db"
    make_database(path, SCENARIO)
    return path


# ── a closed pipe ends quietly ──


def test_a_closed_pipe_ends_quietly_with_status_0(tmp_path):
    """`recorder rules --json | head -1`: one line through, the recorder's own status 0, nothing on stderr."""
    script = f'{BIN / "recorder"} rules --json | head -1; echo "status ${{PIPESTATUS[0]}}" >&2'
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert len(proc.stdout.splitlines()) == 1 and json.loads(proc.stdout)["rule"]
    assert proc.stderr == "status 0\n", proc.stderr


def closed_pipe(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    """The recorder writing into a pipe whose reader has already gone: its first write fails, every time."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        env = {**os.environ, "RECORDER_DB": str(db)}
        return subprocess.run(
            [str(BIN / "recorder"), *args], stdout=write_end, stderr=subprocess.PIPE, text=True, env=env, timeout=120
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [["rules", "--json"], ["--help"], ["list", "--help"]], ids=" ".join)
def test_a_pipe_closed_before_the_first_line_ends_quietly_too(tmp_path, args):
    proc = closed_pipe(*args, db=tmp_path / "r.db")
    assert (proc.returncode, proc.stderr) == (0, "")


def test_replay_goes_on_storing_when_its_echo_is_no_longer_read(tmp_path):
    """`replay --echo` into a closed pipe: nobody reads the seqs, and the whole file is still stored."""
    scenario = tmp_path / "s.jsonl"
    notes = "".join(f'{{"kind": "note", "t": {21 + i}, "text": "n{i}"}}\n' for i in range(40))
    scenario.write_text("".join(SCENARIO.splitlines(keepends=True)[:3]) + notes)
    db = tmp_path / "r.db"
    proc = closed_pipe("--db", str(db), "replay", "--echo", str(scenario), db=db)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert len(recorder("events", "1", db=db).stdout.splitlines()) == 43


# ── -o - is standard output ──


def test_dash_is_standard_output_for_every_output_option(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args in (["summary", "1"], ["summary", "1", "--format", "json"], ["events", "1"], ["schema"]):
        plain = invoke("--db", str(db), *args)
        dashed = invoke("--db", str(db), *args, "-o", "-")
        assert plain.exit_code == dashed.exit_code == 0, dashed.output
        assert dashed.stdout == plain.stdout and plain.stdout, args
    audit = invoke("--db", str(db), "audit", "--format", "json", "-o", "-")
    assert audit.exit_code == 0, audit.output
    document = json.loads(audit.stdout)  # the whole export, one document: the KPI table went to stderr
    assert set(document) >= {"codes", "attempts", "drugs", "flags"} and len(document["codes"]) == 1
    assert "KPI" in audit.stderr and "KPI" not in audit.stdout
    assert not (tmp_path / "-").exists()
    # A file really named `-` is still reachable as ./-
    assert invoke("--db", str(db), "events", "1", "-o", "./-").exit_code == 0
    assert (tmp_path / "-").read_text() == invoke("--db", str(db), "events", "1").stdout
    assert stat.S_IMODE((tmp_path / "-").stat().st_mode) == 0o600  # the events name the patient


def test_the_csv_audit_refuses_standard_output_in_one_line(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("--db", str(db), "audit", "-o", "-")
    assert result.exit_code == 2
    assert "one file per table" in one_clear_line(result.stderr) and result.stdout == ""
    assert list(tmp_path.iterdir()) == [db.parent] or not (tmp_path / "-").exists()


def test_schema_without_o_prints_and_never_writes_into_the_package():
    before = {p.name: p.stat().st_mtime_ns for p in JSON_DIR.iterdir()}
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    assert result.stdout == "".join(render(doc) for doc in schema_documents().values())
    assert {p.name: p.stat().st_mtime_ns for p in JSON_DIR.iterdir()} == before
    one = invoke("schema", "event")
    assert one.stdout == (JSON_DIR / "event.schema.json").read_text(encoding="utf-8")


# ── usage errors: one line, exit 2 ──


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["lst"], "recorder: No such command 'lst'. Did you mean 'list'? see `recorder --help`"),
        (["list", "--bogus"], "recorder: list: No such option '--bogus'; see `recorder list --help`"),
        (["--bogus"], "recorder: No such option '--bogus'; see `recorder --help`"),
        (["summary", "1", "--format", "pdf"], "recorder: summary: Invalid value for '--format'"),
        (["audit", "--since", "yesterday"], "recorder: audit: Invalid value for '--since'"),
        (["events"], "recorder: events: Missing argument 'CODE'"),
        (["--db", "{folder}", "list"], "recorder: {folder} is not a recorder database (it is a folder)"),
        (["--db", "{folder}", "replay", "{scenario}"], "recorder: {folder} is not a recorder database"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_every_usage_error_is_one_line_with_status_2(tmp_path, args, expected):
    scenario = tmp_path / "s.jsonl"
    scenario.write_text(SCENARIO)
    fill = {"folder": str(tmp_path), "scenario": str(scenario)}
    result = invoke(*(a.format(**fill) for a in args))
    assert result.exit_code == 2, result.output
    assert one_clear_line(result.stderr).startswith(expected.format(**fill)), result.stderr
    assert result.stdout == ""


def test_a_recorder_error_is_shown_in_one_place_as_one_line_with_its_status():
    """Every user error subclasses RecorderError; the group prints its message (one printable line) and exits
    with its status, whatever command raised it."""

    class Planted(RecorderError):
        exit_code = 3

    @click.group(cls=RecorderGroup)
    def group() -> None:
        pass

    @group.command("fail")
    def fail_cmd() -> None:
        raise Planted("first line\nsecond \x1b[31mline")

    result = CliRunner().invoke(group, ["fail"])
    assert result.exit_code == 3
    assert result.stderr == "recorder: first line second \\x1b[31mline\n"


def test_every_user_error_shares_the_one_base():
    from recorder.cli.exports import ExportError
    from recorder.cli.output import OutputError
    from recorder.core.scenario import ScenarioError
    from recorder.core.session import SessionError
    from recorder.engine.first_edition.protocol import ProtocolError as FirstProtocolError
    from recorder.engine.protocol import ProtocolError
    from recorder.store import StoreError
    from recorder.tui.journal import JournalError

    errors = (StoreError, SessionError, ScenarioError, ProtocolError, FirstProtocolError, ExportError, OutputError)
    errors += (JournalError,)
    for error in errors:
        assert issubclass(error, RecorderError) and error.exit_code == 2, error


# ── python -m, the version, completion ──


def test_python_dash_m_recorder_is_the_recorder(db):
    env = {**os.environ, "RECORDER_DB": str(db)}
    run = [sys.executable, "-m", "recorder"]
    listed = subprocess.run([*run, "list", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0 and json.loads(listed.stdout)["code"] == 1
    typo = subprocess.run([*run, "lst"], capture_output=True, text=True, env=env, timeout=120)
    assert typo.returncode == 2 and "Did you mean 'list'" in one_clear_line(typo.stderr)


def test_the_version_lives_in_pyproject_only():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    import recorder

    assert recorder.__version__ == version("resus-recorder") == declared
    assert invoke("--version").stdout == f"recorder, version {declared}\n"
    assert declared not in (ROOT / "recorder" / "__init__.py").read_text()


def test_shell_completion_offers_the_code_ids_and_opens_the_database_read_only(db, tmp_path):
    make_database(db, SCENARIO.replace('"Ada"', '"Bo"'))  # a second code
    before = (db.read_bytes(), sorted(p.name for p in db.parent.iterdir()))
    env = {"_RECORDER_COMPLETE": "bash_complete", "COMP_WORDS": f"recorder --db {db} summary ", "COMP_CWORD": "4"}
    proc = subprocess.run(
        [str(BIN / "recorder")], capture_output=True, text=True, env={**os.environ, **env}, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.split() == ["plain,last", "plain,1", "plain,2"], proc.stderr
    assert (db.read_bytes(), sorted(p.name for p in db.parent.iterdir())) == before
    # A missing database offers `last` alone, creates nothing and prints no error into the shell.
    env["COMP_WORDS"] = f"recorder --db {tmp_path / 'none.db'} void "
    proc = subprocess.run(
        [str(BIN / "recorder")], capture_output=True, text=True, env={**os.environ, **env}, timeout=120
    )
    assert proc.stdout.split() == ["plain,last"] and proc.stderr == ""
    assert not (tmp_path / "none.db").exists()
    source = subprocess.run(
        [str(BIN / "recorder")], capture_output=True, text=True, env={**os.environ, "_RECORDER_COMPLETE": "bash_source"}
    )
    assert "_recorder_completion" in source.stdout and "complete " in source.stdout
    assert "_RECORDER_COMPLETE=bash_source recorder" in " ".join(invoke("--help").stdout.split())


def test_the_cli_package_has_no_import_cycle():
    """The group and the shared arguments import no command; a command module imports the group and the shared
    modules, never another command module nor the package; recorder/cli/__init__.py adds every command."""
    folder = ROOT / "recorder" / "cli"
    shared = {"recorder.cli.group", "recorder.cli.params", "recorder.cli.output"}
    commands = {f"recorder.cli.{p.stem}" for p in folder.glob("*.py")} - shared - {"recorder.cli.__init__"}
    assert commands == {f"recorder.cli.{m}" for m in ("screen", "records", "checks", "exports", "corrections", "serve")}
    for path in folder.glob("*.py"):
        if path.stem == "__init__":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        ours = {m for m in imported if m == "recorder.cli" or m.startswith("recorder.cli.")}
        allowed = {"group": set(), "output": set(), "params": {"recorder.cli.group"}}.get(path.stem, shared)
        assert ours <= allowed, f"{path.name} imports {sorted(ours - allowed)}"
    assert {c.callback.__module__ for c in cli.every_command().values()} == commands
