"""The domain never loads the screen: proved by import-linter and by a fresh interpreter."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_domain_packages_do_not_load_textual():
    modules = ["schemas", "schemas.events", "recorder.store", "recorder.session", "recorder.cli"]
    for optional in ("recorder.engine", "exports"):
        if (ROOT / optional.replace(".", "/")).is_dir():
            modules.append(optional)
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
