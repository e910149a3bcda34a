"""The folders are the contracts: a module added to a folder is held to that folder's rules without editing them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"

# A new module in each place, each breaking one rule of the house, as a newcomer might write them.
NEW_MODULES = {
    # the core showing something itself
    "recorder/core/banner.py": '"""A banner."""\n\nimport textual\n',
    # the core reaching up into the screen
    "recorder/core/next_line.py": '"""The next line."""\n\nfrom recorder.tui import board\n',
    # two core modules that need each other
    "recorder/core/first.py": '"""First."""\n\nfrom recorder.core import second\n',
    "recorder/core/second.py": '"""Second."""\n\nfrom recorder.core import first\n',
    # the engine reading the time itself
    "recorder/engine/rules_clock.py": '"""A rule that reads the time."""\n\nimport time\n',
    # a module left loose in recorder/, in no folder
    "recorder/loose.py": '"""Loose."""\n',
}


def broken_contracts(tree: Path) -> set[str]:
    wide = {**os.environ, "COLUMNS": "1000"}  # one contract a line: lint-imports wraps to the terminal
    proc = subprocess.run([str(LINT), "--no-cache"], capture_output=True, text=True, cwd=tree, env=wide)
    # "NAME KEPT", "NAME BROKEN", "NAME BROKEN (3 ignored imports)"
    return {line.partition(" BROKEN")[0].strip() for line in proc.stdout.splitlines() if " BROKEN" in line}


def test_a_new_module_is_held_to_its_folders_contracts(tmp_path):
    tree = tmp_path / "tree"
    for package in ("recorder", "schemas", "exports"):
        shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    for name, text in NEW_MODULES.items():
        (tree / name).write_text(text)

    broken = broken_contracts(tree)

    expected = {
        "recorder's folders: the front ends",  # core -> tui; recorder/loose.py in no layer
        "no import cycle between the modules",  # core.first <-> core.second
        "the core, the engine and the store never import a front end's library",  # core -> textual
        "time only from the clock",  # engine -> time
    }
    for start in expected:
        assert any(name.startswith(start) for name in broken), (start, broken)
    assert len(broken) == len(expected), broken
