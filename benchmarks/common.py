"""What the benchmarks share: timing helpers, the machine, JSON output (their codes: tests/factory.py)."""

import json
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Run as `python benchmarks/x.py` as well as imported: the project root must be importable.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def quantile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation (q = 0.5 is the median)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def median(values: list[float]) -> float:
    return statistics.median(values)


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("inf")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = "unknown"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                model = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3

    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


@contextmanager
def workdir(prefix: str, under: Path | None = None) -> Iterator[Path]:
    """A private temporary folder for the benchmark's databases: never the user's (`under`: in that folder,
    to measure on another disk, a tmpfs say)."""
    with tempfile.TemporaryDirectory(prefix=f"recorder-bench-{prefix}-", dir=under) as d:
        yield Path(d)


def emit(result: dict[str, Any]) -> None:
    """Print one benchmark's result as JSON on stdout."""
    print(json.dumps(result, indent=2))
