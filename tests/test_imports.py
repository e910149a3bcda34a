"""The domain never loads the screen: proved by import-linter and by a fresh interpreter."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_domain_packages_do_not_load_textual():
    modules = ["schemas", "schemas.events", "recorder.store", "recorder.core.session", "recorder.cli"]
    for optional in ("recorder.engine", "exports"):
        if (ROOT / optional.replace(".", "/")).is_dir():
            modules.append(optional)
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_no_module_below_the_front_ends_loads_textual():
    """Every module of the core, engine, store, schemas and exports folders, found by walking them, so a new one is
    covered; that none imports click is the contracts' (sqlite-utils brings click to migrate, not to show)."""
    code = """import importlib, pkgutil, sys
names = []
for folder in ["recorder.core", "recorder.engine", "recorder.store", "schemas", "exports"]:
    package = importlib.import_module(folder)
    names += [m.name for m in pkgutil.walk_packages(package.__path__, folder + ".")]
for name in names:
    importlib.import_module(name)
print(len(names), "textual" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    count, loaded = out.stdout.split()
    assert int(count) > 40 and loaded == "False", out.stdout


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_opening_an_up_to_date_database_needs_no_sqlite_utils(tmp_path):
    """sqlite-utils and its plugins cost a tenth of a second at launch: they load only to migrate."""
    db = tmp_path / "recorder.db"
    code = (
        "import sys\nfrom recorder.store import Store\n"
        f"Store({str(db)!r}).close()\nprint('sqlite_utils' in sys.modules)"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert first.stdout.strip() == "True"  # a new file is migrated
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert again.stdout.strip() == "False"
