"""The type checker passes on the packages, and sees each event's own fields through the `Event` union."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    """mypy as pyproject's [tool.mypy] configures it, run from the project root (its cache kept there)."""
    return subprocess.run([sys.executable, "-m", "mypy", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.slow
def test_mypy_finds_no_errors_in_recorder_schemas_and_exports():
    done = mypy()
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_an_events_fields_are_checked_through_the_union(tmp_path):
    """`rec.event` is the union of every kind, not Any: reading a field without narrowing is an error,
    and narrowing by isinstance or `EventRecord.typed` is not."""
    snippet = tmp_path / "uses_events.py"
    snippet.write_text(
        "from schemas.events import DrugGiven\n"
        "from schemas.records import EventRecord\n\n\n"
        "def unchecked(rec: EventRecord) -> object:\n"
        "    return rec.event.drug\n\n\n"
        "def narrowed(rec: EventRecord) -> str:\n"
        "    return rec.event.drug if isinstance(rec.event, DrugGiven) else rec.typed(DrugGiven).drug\n"
    )
    done = mypy(str(snippet))
    errors = [line.split(f"{snippet.name}:", 1)[1] for line in done.stdout.splitlines() if ": error:" in line]
    assert errors, done.stdout  # the unchecked read is caught (with Event as Any, nothing would be)
    assert all(e.startswith("6: error: Item ") and 'has no attribute "drug"' in e for e in errors), done.stdout
    assert any('Item "CodeStarted"' in e for e in errors), done.stdout


def test_the_slow_marker_is_registered_and_the_default_run_keeps_it():
    """`-m "not slow"` is a developer's choice: `uv run pytest` (and so .ci/run) still runs every test."""
    import tomllib

    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in options["markers"])
    assert "-m" not in options["addopts"].split()
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("uv run pytest")
