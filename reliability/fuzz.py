"""The fuzz properties of tests/reliability/test_fuzz.py with a large budget, counted.

    uv run python -m reliability.fuzz --examples 5000 > fuzz.json

Each property is run with Hypothesis (`--examples` generated inputs each, deadline off); every
input must be accepted or refused with the promised exception (see reliability/fuzzing.py). The
output counts how many inputs each property saw and how many were accepted or refused; a property
that finds a counter-example stops the run with Hypothesis' report and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliability import fuzzing


def _settings(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def run(examples: int) -> dict[str, Any]:
    from recorder.core.scenario import ScenarioError, read_scenario

    figures: dict[str, Any] = {"examples_per_property": examples}

    def count(name: str, prop: Any, strategy: Any, n: int) -> None:
        tally = fuzzing.Tally()

        @_settings(n)
        @given(strategy)
        def test(value: Any) -> None:
            tally(prop(value))

        t0 = time.perf_counter()
        test()
        figures[name] = {**dict(tally.counts), "seconds": round(time.perf_counter() - t0, 1)}

    count("parse_event: mutated valid events", fuzzing.check_event, fuzzing.mutated_events(), examples)
    count("parse_event: any JSON value", fuzzing.check_event, fuzzing.JSON_VALUES, examples)
    count(
        "parse_lines: scenario files with bad lines",
        lambda case: fuzzing.check_lines(*case),
        fuzzing.scenario_texts(),
        examples,
    )
    count("parse_lines: any text", fuzzing.check_lines, st.text(max_size=300), examples)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.jsonl"

        def read_bytes(raw: bytes) -> str:
            path.write_bytes(raw)
            try:
                read_scenario(path)
            except ScenarioError as exc:
                assert str(exc).startswith(f"{path}:") and "\n" not in str(exc)
                return "rejected"
            return "accepted"

        count("read_scenario: any bytes", read_bytes, st.binary(max_size=300), examples // 5)
    figures["inputs_total"] = sum(
        v.get("accepted", 0) + v.get("rejected", 0) for v in figures.values() if isinstance(v, dict)
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=5000, help="inputs per property")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.examples), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
