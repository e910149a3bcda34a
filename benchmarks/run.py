"""Run every benchmark, each in its own interpreter, and print one JSON object with all their figures.

uv run python benchmarks/run.py                   # all of them, full size (several minutes)
uv run python benchmarks/run.py --only keys,engine
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine

HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    "logging": "bench_logging.py",
    "keys": "bench_keys.py",
    "engine": "bench_engine.py",
    "startup": "bench_startup.py",
    "exports": "bench_exports.py",
    "serve": "bench_serve.py",
}


def run_one(name: str, args: list[str]) -> dict:
    """One benchmark in a fresh interpreter (its imports, memory and settings are its own)."""
    done = subprocess.run(
        [sys.executable, str(HERE / BENCHMARKS[name]), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"benchmark": name, "error": done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]}
    result = json.loads(done.stdout)
    result.pop("machine", None)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated: " + ", ".join(BENCHMARKS))
    args, rest = parser.parse_known_args(argv)
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    results = {name: run_one(name, rest) for name in names}
    out = {
        "machine": machine(),
        "met": {name: r.get("met", False) for name, r in results.items()},
        **results,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
