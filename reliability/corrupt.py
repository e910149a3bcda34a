"""Random damage to a real database file, and what `recorder verify`, `list` and `events` make of it.

A database of a generated code is written by the real `recorder replay`; each trial copies it,
damages the copy (random bytes overwritten at a random place, a whole page of garbage, a page of
zeros, a truncation) and runs `verify`, `list` and `events last` on it (in-process, through the
same click command a user runs). Each outcome is counted:

- `refused on open` (exit 2, one line) and `named by verify` (exit 1, FAULT lines): reported;
- `crashed` (exit 70, "unexpected error"): reported in one line, but not as damage (a bug);
- `not detected`: verify exit 0. Then the events are read back and compared with the original:
  `intact` means the damage fell in unused space; `changed` would be silent corruption.

The damaged file must also be left byte for byte as it was (nothing is "repaired").

    uv run python -m reliability.corrupt --trials 300 > corrupt.json
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reliability.crash import run_cli
from tests.factory import write_random_scenario

DAMAGES = ("bytes", "page of garbage", "page of zeros", "truncate")


def damage(data: bytes, kind: str, rng: random.Random) -> bytes:
    out = bytearray(data)
    page = int.from_bytes(data[16:18], "big") or 65536
    if kind == "bytes":
        length = rng.choice([1, 2, 8, 64, 512, 4096])
        at = rng.randrange(0, len(out) - length)
        out[at : at + length] = rng.randbytes(length)
    elif kind in ("page of garbage", "page of zeros"):
        n = rng.randrange(0, len(out) // page)
        fill = rng.randbytes(page) if kind == "page of garbage" else bytes(page)
        out[n * page : (n + 1) * page] = fill
    else:
        out = out[: rng.randrange(0, len(out))]
    return bytes(out)


def _classify(exit_code: int, stderr: str) -> str:
    if "Traceback" in stderr:
        return "traceback"
    if exit_code == 0:
        return "ok"
    if exit_code == 1:
        return "named by verify"
    if exit_code == 2:
        return "refused on open"
    if exit_code == 70:
        return "crashed (unexpected error)"
    return f"exit {exit_code}"


def trial(original: Path, reference: list[dict[str, Any]], kind: str, rng: random.Random, work: Path) -> dict:
    from click.testing import CliRunner

    from recorder.cli import cli
    from recorder.store import Store
    from schemas.events import event_dict

    db = work / "recorder.db"
    data = damage(original.read_bytes(), kind, rng)
    db.write_bytes(data)
    outcome: dict[str, Any] = {"damage": kind}
    for name, args in (("verify", ["verify"]), ("list", ["list"]), ("events", ["events", "last"])):
        result = CliRunner().invoke(cli, ["--db", str(db), *args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            outcome[name] = f"uncaught {type(result.exception).__name__}"
        else:
            outcome[name] = _classify(result.exit_code, result.stderr)
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            if result.exit_code == 2 and len(lines) != 1:
                outcome[name] += " (not one line)"
        if db.read_bytes() != data:
            outcome["changed_by"] = name
            db.write_bytes(data)
    if outcome["verify"] == "ok":
        try:
            store = Store(db)
            try:
                stored = [event_dict(r.event) for c in store.codes() for r in store.events(c.id)]
            finally:
                store.close()
            outcome["data"] = "intact" if stored == reference else "CHANGED"
        except Exception as exc:  # noqa: BLE001 - a harness reports
            outcome["data"] = f"unreadable ({type(exc).__name__})"
    for p in work.iterdir():
        p.unlink()
    return outcome


def run(trials: int, n_events: int, seed: int) -> dict[str, Any]:
    from recorder.store import Store
    from schemas.events import event_dict

    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="recorder-corrupt-"))
    try:
        scenario = root / "s.jsonl"
        write_random_scenario(scenario, n_events, seed)
        original = root / "orig" / "recorder.db"
        original.parent.mkdir()
        done = run_cli(original, "replay", str(scenario))
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        store = Store(original)
        reference = [event_dict(r.event) for c in store.codes() for r in store.events(c.id)]
        store.close()
        for extra in original.parent.iterdir():  # keep the database file alone (no -wal: closed cleanly)
            if extra != original:
                extra.unlink()
        size = original.stat().st_size
        work = root / "work"
        work.mkdir()
        outcomes = [trial(original, reference, DAMAGES[i % len(DAMAGES)], rng, work) for i in range(trials)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    figures: dict[str, Any] = {
        "trials": trials,
        "events_in_database": n_events,
        "database_bytes": size,
        "seed": seed,
    }
    for command in ("verify", "list", "events"):
        figures[command] = dict(Counter(o[command] for o in outcomes))
    figures["by_damage"] = {
        kind: dict(Counter(o["verify"] for o in outcomes if o["damage"] == kind)) for kind in DAMAGES
    }
    figures["verify_ok_data"] = dict(Counter(o.get("data") for o in outcomes if o["verify"] == "ok"))
    figures["file_changed_by_a_command"] = sum("changed_by" in o for o in outcomes)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args(argv)
    figures = run(args.trials, args.events, args.seed)
    print(json.dumps(figures, indent=2))
    silent = figures["verify_ok_data"].get("CHANGED", 0)
    return 1 if silent or figures["file_changed_by_a_command"] else 0


if __name__ == "__main__":
    sys.exit(main())
