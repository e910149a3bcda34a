"""Esc then a key, typed quickly, is read as Esc and that key: never as Alt+key, and neither is lost.

A terminal sends Alt+n as ESC followed by `n`, exactly what Esc then `n` sends when typed within the
escape delay (Textual's ESCDELAY, 100 ms; tmux's own `escape-time` joins them within 500 ms). Textual
reads the pair as `alt+n` — or, for some keys, as something else entirely (Esc f is ctrl+right, Esc 1
is `¡`, Esc Enter is Enter alone) — so a scribe closing a picker and starting the next entry loses both
keys. The recorder binds no Alt key, so every such pair is read as the two keys it was typed as.
"""

import sys
from collections.abc import Iterable

from textual import events
from textual._xterm_parser import XTermParser
from textual.driver import Driver

ESC = "\x1b"
# What follows ESC at the start of a terminal's own sequences (CSI, SS3, OSC, DCS, APC, PM): never split.
INTRODUCERS = frozenset("[O]P_^")


class EscapeFirstParser(XTermParser):
    """Textual's parser, with ESC + one character read as Escape, then that character's own key."""

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        if len(sequence) == 2 and sequence[0] == ESC and sequence[1] not in INTRODUCERS and sequence[1] != ESC:
            yield events.Key("escape", ESC)
            yield from super()._sequence_to_key_events(sequence[1])
        elif alt and len(sequence) == 1:  # the same pair, reissued after the escape delay ran out
            yield events.Key("escape", ESC)
            yield from super()._sequence_to_key_events(sequence)
        else:
            yield from super()._sequence_to_key_events(sequence, alt)


def read_escape_first(driver_class: type[Driver]) -> type[Driver]:
    """The driver, reading keys with EscapeFirstParser (its module names the parser it builds)."""
    module = sys.modules[driver_class.__module__]
    if getattr(module, "XTermParser", None) is XTermParser:
        module.XTermParser = EscapeFirstParser  # type: ignore[attr-defined]
    return driver_class
