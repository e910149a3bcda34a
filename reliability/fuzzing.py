"""Hypothesis strategies and checks for fuzzing the scenario reader and the event models.

The property everywhere: any input is either accepted or refused with the one exception the API
promises (EventError from `schemas.events.parse_event`, ScenarioError `FILE:LINE: reason` from
`recorder.core.scenario.parse_lines` / `read_scenario`), never any other exception. Accepted input
must also be storable: its payload is strict JSON (no NaN/inf) and reads back to the same event.

tests/reliability/test_fuzz.py runs these with a small budget; `uv run python -m reliability.fuzz`
runs them long and prints the counts.
"""

import copy
import json
import math
import re
from collections import Counter
from typing import Any

from hypothesis import strategies as st

from recorder.core.scenario import MAX_LINE, ScenarioError, parse_lines
from schemas.events import KINDS, BaseEvent, EventError, event_dict, event_payload, parse_event

try:  # the rule ids `acknowledge` may name, as `recorder replay` checks them
    from recorder.engine import RULES as KNOWN_RULES
except ImportError:  # pragma: no cover - before the engine existed
    KNOWN_RULES = None

from tests.factory import random_scenario

NAME = "fuzz.jsonl"
MESSAGE = re.compile(r"^fuzz\.jsonl:(\d+): (\S.*)$")
# Characters that str.splitlines() treats as line ends although JSON allows them raw inside a
# string (a scenario line ends at "\n" only; they once split lines: bug 4 of RELIABILITY.md).
SPLITLINES_EXTRA = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"

# ── values ───────────────────────────────────────────────────────────────

NASTY_NUMBERS = (
    st.sampled_from(
        [
            0,
            -0.0,
            -1,
            -1e-9,
            1e-300,
            5e-324,
            0.1 + 0.2,
            1e308,
            1.7976931348623157e308,
            math.inf,
            -math.inf,
            math.nan,
            2**53 + 1,
            2**63,
            -(2**63) - 1,
            10**400,
            1_000_001,
            10_000_001,
            True,
            False,
            "12",
            "0",
            "NaN",
            None,
            [],
            {},
        ]
    )
    | st.floats()
    | st.integers()
)

CONTROL = st.sampled_from([chr(c) for c in range(0x20)] + ["\x7f", "\u200b", "\ufeff", "\u202e"])
NASTY_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.builds(lambda a, c, b: a + c + b, st.text(max_size=5), CONTROL, st.text(max_size=5)),
    st.sampled_from(["", " ", "\t", "\n", "   padded   ", "x" * 201, "x" * 4001, "io0", "io10000", "IO1", "inf0"]),
)

# Field names of any characters: a name is echoed in the error message, which must stay one
# printable line whatever it holds (bug 5 of RELIABILITY.md).
KEYS = st.one_of(
    st.text(max_size=10),
    st.builds(
        lambda a, c, b: a + c + b,
        st.text(max_size=4),
        st.sampled_from(["\n", "\x1b[2J", "\u2028", "\x85"]),
        st.text(max_size=4),
    ),
)
JSON_SCALARS = st.none() | st.booleans() | NASTY_NUMBERS | NASTY_TEXT
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
NASTY_VALUES = st.one_of(JSON_VALUES, NASTY_NUMBERS, NASTY_TEXT)


def _samples() -> list[dict[str, Any]]:
    """One valid event of every kind (the suite's SAMPLES, if importable; else generated)."""
    try:
        from tests.factory import SAMPLES

        return SAMPLES
    except ImportError:  # pragma: no cover
        return random_scenario(400, seed=1, record_keeping=0.06)


SAMPLES = _samples()


@st.composite
def mutated_events(draw: st.DrawFn) -> Any:
    """A valid event with one to four things done to it: fields dropped, retyped, added, kind changed."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON_VALUES)  # not even an object, often
    event = copy.deepcopy(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        keys = sorted(event)
        op = draw(st.sampled_from(["drop", "set", "number", "add", "kind", "nested"]))
        if op == "drop" and keys:
            del event[draw(st.sampled_from(keys))]
        elif op == "set" and keys:
            event[draw(st.sampled_from(keys))] = draw(NASTY_VALUES)
        elif op == "number":
            numeric = [k for k in keys if isinstance(event[k], int | float) and not isinstance(event[k], bool)]
            event[draw(st.sampled_from(numeric or ["t"]))] = draw(NASTY_NUMBERS)
        elif op == "add":
            event[draw(KEYS)] = draw(NASTY_VALUES)
        elif op == "kind":
            event["kind"] = draw(st.sampled_from(KINDS) | NASTY_TEXT | NASTY_NUMBERS)
        elif op == "nested":
            inner = [k for k in keys if isinstance(event[k], dict)]
            if inner:
                key = draw(st.sampled_from(inner))
                event[key] = dict(event[key])
                event[key][draw(st.sampled_from([*event[key], "zz"]))] = draw(NASTY_VALUES)
    return event


# ── checks ───────────────────────────────────────────────────────────────


def check_event(data: Any) -> str:
    """parse_event accepts (the event is then storable and stable) or raises EventError."""
    try:
        event = parse_event(data)
    except EventError as exc:
        text = str(exc)
        assert text and len(text.splitlines()) == 1, f"EventError message is not one line: {text!r}"
        return "rejected"
    check_storable(event)
    return "accepted"


def check_storable(event: BaseEvent) -> None:
    """What Store.append and `recorder events` will do with an accepted event must work."""
    payload = event_payload(event)
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, allow_nan=False)
    text.encode("utf-8")
    again = parse_event(json.loads(json.dumps(event_dict(event), ensure_ascii=False, allow_nan=False)))
    assert event_dict(again) == event_dict(event), f"not stable: {event_dict(event)} -> {event_dict(again)}"
    _check_amounts(event)


def _check_amounts(event: BaseEvent) -> None:
    """Doses, volumes and rates that pass are positive and finite: never 0, negative, NaN or inf."""
    for name in ("dose", "volume_ml", "rate", "joules", "needle_mm"):
        value = getattr(event, name, None)
        if value is not None:
            assert math.isfinite(value) and value > 0, f"{event.kind}.{name} = {value!r} accepted"
    assert math.isfinite(event.t) and event.t >= 0


def check_lines(text: str, bad_line: int | None = None) -> str:
    """parse_lines accepts, or raises ScenarioError `FILE:LINE: reason` naming a real line."""
    physical = text.split("\n")  # a scenario line ends at "\n" (a "\r" before it is dropped)
    numbered = True
    try:
        lines = parse_lines(text, NAME, KNOWN_RULES)
    except ScenarioError as exc:
        message = str(exc)
        match = MESSAGE.match(message)
        assert match, f"not `FILE:LINE: reason` on one line: {message!r}"
        lineno = int(match.group(1))
        if numbered:
            assert 1 <= lineno <= max(1, len(physical)), f"line {lineno} of {len(physical)}: {message}"
            if bad_line is not None:
                assert lineno == bad_line, f"expected line {bad_line}, got {message}"
        return "rejected"
    assert bad_line is None, f"line {bad_line} was bad but the file was accepted"
    for line in lines:
        check_storable(line.event)
    if numbered:
        events = [raw for raw in physical if raw.strip() and not raw.strip().startswith("#")]
        assert len(lines) == len(events)
        for line in lines:
            assert physical[line.lineno - 1].strip(), "an event on a blank line?"
    return "accepted"


# ── scenario files ───────────────────────────────────────────────────────

GARBAGE_LINES = st.one_of(
    st.sampled_from(
        [
            '{"t": 5, "kind": "note", "text": "unterminated',
            '{"t": 5, "kind": "note", "text": "x"',
            "{'t': 5, 'kind': 'note'}",
            '{"t": NaN, "kind": "note", "text": "x"}',
            '{"t": Infinity, "kind": "note", "text": "x"}',
            '{"t": -Infinity, "kind": "note", "text": "x"}',
            '{"t": 1e999, "kind": "note", "text": "x"}',
            '{"t": 5, "kind": "note", "text": "x"} trailing',
            "[" * 100_000,
            '{"a":' * 50_000,
            "null",
            "42",
            '"a string"',
            "[]",
            "{}",
            "\x00",
            "1" * 5000,
            '{"t": 5, "kind": "note", "text": "bad \\ud800 surrogate"}',
            '{"t": 5, "kind": "teleport"}',
            '{"t": 5, "kind": "note", "text": "' + "x" * (MAX_LINE + 1) + '"}',
            '{"t": 5, "kind": "note", "text": "' + "x" * (MAX_LINE - 40) + '"}',
        ]
    ),
    st.text(min_size=1, max_size=40).filter(lambda s: not _is_comment_or_blank(s)).map(lambda s: "{" + s),
)


STARTERS: dict[str, tuple[str, dict[str, Any]]] = {
    "io": ("io_attempt", {"site": "sternum"}),
    "iv": ("iv_attempt", {"result": "in"}),
    "uvc": ("uvc_attempt", {"result": "in"}),
}


def _is_comment_or_blank(raw: str) -> bool:
    stripped = raw.strip()
    return not stripped or stripped.startswith("#")


@st.composite
def scenario_texts(draw: st.DrawFn) -> tuple[str, int | None]:
    """A scenario file with a few things done to it, and the first line that must be refused.

    Returns (text, bad_line) where bad_line is the 1-based physical line of the first line that is
    certainly invalid, or None when every change made could be valid (then any outcome is checked
    only for its form).
    """
    n = draw(st.integers(2, 30))
    events = random_scenario(n, seed=draw(st.integers(0, 10**6)), record_keeping=0.06)
    rows: list[tuple[str, bool | None]] = [(json.dumps(e, ensure_ascii=draw(st.booleans())), False) for e in events]
    lines_so_far = {e["line"] for e in events if e["kind"] in ("io_attempt", "iv_attempt", "uvc_attempt")}
    start_row = 0  # where the file's code_started line is now
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(rows)))
        count = len(rows)
        op = draw(
            st.sampled_from(
                ["garbage", "mutate", "blank", "comment", "reuse_line", "unknown_line", "bad_target", "second_start"]
            )
        )
        t = 10_000 + at
        if op == "garbage":
            rows.insert(at, (draw(GARBAGE_LINES), True))
        elif op == "mutate" and at < len(rows):
            try:
                data = json.loads(rows[at][0])
            except (ValueError, RecursionError):  # a garbage line inserted before (deeply nested brackets)
                continue
            rows[at] = (json.dumps(_mutate(draw, data), ensure_ascii=draw(st.booleans()), allow_nan=True), None)
        elif op == "blank":
            rows.insert(at, (draw(st.sampled_from(["", "   ", "\t"])), False))
        elif op == "comment":
            comment = draw(st.text(max_size=20).filter(lambda s: "\n" not in s and "\r" not in s))
            rows.insert(at, ("# " + comment, False))
        elif op == "reuse_line" and lines_so_far and at > 0:
            line = draw(st.sampled_from(sorted(lines_so_far)))
            kind, extra = STARTERS[line.rstrip("0123456789")]
            rows.insert(at, (json.dumps({"t": t, "kind": kind, "line": line, **extra}), None))
        elif op == "unknown_line" and at > 0:
            line = draw(st.sampled_from(["io9999", "iv77", "uvc3"]))
            rows.insert(at, (json.dumps({"t": t, "kind": "flush", "line": line, "volume_ml": 5}), True))
        elif op == "bad_target" and at > 0:
            target = draw(st.sampled_from([1, 10**6, 2**63, at + 1, at + 5]))
            kind = draw(st.sampled_from(["void", "amend"]))
            data = {"t": t, "kind": kind, "target": target, "reason": "fuzz"}
            if kind == "amend":
                data["changes"] = {"text": "changed"}
            rows.insert(at, (json.dumps(data), True))
        elif op == "second_start" and at > start_row:
            rows.insert(at, (json.dumps(events[0]), True))
        if len(rows) > count and at <= start_row:
            start_row += 1
    text_rows = [r for r, _ in rows]
    sep = draw(st.sampled_from(["\n", "\r\n"]))
    text = sep.join(text_rows) + draw(st.sampled_from(["", sep]))
    bad = next((i + 1 for i, (_, certain) in enumerate(rows) if certain is True), None)
    uncertain_before = bad is not None and any(certain is None for _, certain in rows[: bad - 1])
    if uncertain_before:
        bad = None  # an earlier change may already be refused: check only the form
    return text, bad


def _mutate(draw: st.DrawFn, data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    key = draw(st.sampled_from(sorted(data) or ["t"]))
    data[key] = draw(NASTY_VALUES)
    return data


class Tally:
    """Counts of outcomes, for the figures."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, outcome: str) -> str:
        self.counts[outcome] += 1
        return outcome
