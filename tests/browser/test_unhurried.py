"""The browser tests' unhurried protocol is the default one but for the deadlines its header names."""

import tomllib
from importlib.resources import files
from typing import Any

from recorder.engine import load_protocol
from tests.conftest import UNHURRIED

# What it changes, and why each: the deadlines a code tapped in real time could reach, made long; the flush
# window made short, so that the test's wait past it before the end is short.
CHANGED = {
    ("protocol", "name"),
    ("flush", "window_s"),
    ("epinephrine", "interval_s"),
    ("epinephrine", "first_dose_s"),
    ("arrest_care", "shock_within_s"),
}


def flat(table: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(table, dict):
        return {k: v for key, value in table.items() for k, v in flat(value, (*path, key)).items()}
    return {path: table}


def test_the_unhurried_protocol_is_the_default_but_for_its_deadlines():
    default = flat(tomllib.loads(files("recorder.engine").joinpath("protocol.toml").read_text(encoding="utf-8")))
    unhurried = flat(tomllib.loads(UNHURRIED.read_text(encoding="utf-8")))
    assert unhurried.keys() == default.keys()  # a key added to the default is added here too
    assert {key for key in default if default[key] != unhurried[key]} == CHANGED
    slow, shipped = load_protocol(UNHURRIED), load_protocol()
    assert slow.flush.window_s < shipped.flush.window_s
    for deadline in (slow.epinephrine.interval_s, slow.epinephrine.first_dose_s, slow.arrest_care.shock_within_s):
        assert deadline >= 3600  # an hour: more than any run of the test takes
