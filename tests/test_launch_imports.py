"""The launch stays lean: what the screen's first frame and `recorder --version` do not use is never imported.

Each module kept out here cost the launch time once (benchmarks/bench_startup.py, issue 17). The lists name
modules that exist (a renamed one fails the test rather than passing it unnoticed).
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Loaded by the exports, the other commands or a migration: never on the way to the live screen's first frame.
NOT_AT_LAUNCH = [
    "exports.audit",
    "exports.derive",
    "exports.fhir",
    "exports.fhir_codes",
    "exports.formats",
    "exports.html",
    "exports.markdown",
    "exports.sections",
    "exports.summary_json",
    "exports.svg_timeline",
    "jsonschema",
    "schemas.audit",
    "schemas.jsonschema",
    "schemas.summary",
    "recorder.cli.checks",
    "recorder.cli.corrections",
    "recorder.cli.exports",
    "recorder.cli.records",
    "recorder.core.audit_rows",
    "recorder.core.code_record",
    "recorder.core.code_views",
    "recorder.engine.first_edition",
    "sqlite_utils",
]

# `recorder new`, as the console script runs it, up to the live screen's first frame (drawn headless, 120x40);
# then the modules loaded, the screen shown and whether its code was started. Without a terminal the code is
# opened before the screen; at one, the first frame comes first and loads less (tests/test_first_frame.py).
LAUNCH = """
import json, sys
from recorder.tui.app import RecorderApp

run = RecorderApp.run
seen = {}


def first_frame_then_quit(self, *args, **kwargs):
    async def pilot_run(pilot):
        await pilot.pause()
        seen["screen"] = type(pilot.app.screen).__name__
        seen["code"] = pilot.app.screen.session.code_id if pilot.app.screen.session else None
        pilot.app.exit()

    run(self, headless=True, size=(120, 40), auto_pilot=pilot_run)
    print(json.dumps({**seen, "modules": sorted(sys.modules)}))


RecorderApp.run = first_frame_then_quit
from recorder.cli import main

sys.argv = ["recorder", "--db", sys.argv[1], "new", "--age-years", "2", "--weight-kg", "12"]
main()
"""


def _exists(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def test_the_names_kept_out_are_real_modules():
    missing = [name for name in NOT_AT_LAUNCH if not _exists(name)]
    assert not missing, f"renamed or removed: {missing}; update NOT_AT_LAUNCH"


def test_recorder_new_draws_its_first_frame_without_the_exports_or_the_other_commands(tmp_path):
    db = tmp_path / "recorder.db"
    make = "import sys; from recorder.store import Store; Store(sys.argv[1]).close()"
    subprocess.run([sys.executable, "-c", make, str(db)], cwd=ROOT, check=True)  # as on the unit: migrated before
    out = subprocess.run([sys.executable, "-c", LAUNCH, str(db)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["screen"] == "LiveScreen" and seen["code"] == 1  # the live screen, on the code just started
    loaded = set(seen["modules"])
    assert {"textual", "recorder.tui.live", "recorder.core.session"} <= loaded  # the launch really ran
    assert sorted(loaded & set(NOT_AT_LAUNCH)) == []


def test_version_loads_neither_the_screen_nor_the_models_nor_the_store():
    code = (
        "import sys\nfrom recorder.cli import cli\n"
        "try:\n    cli.main(['--version'], prog_name='recorder')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'textual', 'pydantic', 'schemas', 'exports', 'sqlite3', 'sqlite_utils'} or m.startswith('recorder.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    version, loaded = out.stdout.strip().splitlines()
    assert version.startswith("recorder, version ")
    assert loaded == str(
        ["recorder.cli", "recorder.cli.group", "recorder.core", "recorder.core.clock", "recorder.errors"]
    )
