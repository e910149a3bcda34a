"""The command palette (ctrl+p): every rarer event, searchable, so the common ones keep single keys."""

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import Hit, Hits, Provider

from recorder.tui.live import RHYTHMS, LiveScreen
from schemas.formatting import words

FORMS = {
    "finding": "Finding: fracture, burn, infection, prosthesis, recent IO…",
    "vitals": "Vitals: blood pressure, heart rate, SpO2",
    "patient": "Patient details: age, weight, sex, name, MRN (all fields)",
    "shock": "Shock (joules proposed by weight, synchronized or not)",
    "fluid": "Fluid bolus",
    "flush": "Flush (volume, line, easy, extravasation)",
    "complication": "Line complication: extravasation, swelling, dislodged…",
    "line_removed": "Remove a line",
    "iv_attempt": "IV attempt with site and side",
    "uvc_attempt": "UVC attempt",
    "infusion_started": "Start an infusion (a drug)",
    "carrier": "Start a carrier infusion: saline on a pressure bag, a fluid running on the line",
    "infusion_changed": "Change an infusion rate",
    "infusion_stopped": "Stop an infusion",
    "sample": "Sample: crossmatch, blood gas, glucose…",
}
SIMPLE = {
    "rosc": "ROSC — return of spontaneous circulation",
    "arrest": "Arrest again (after ROSC)",
    "cpr_started": "CPR started",
    "cpr_stopped": "CPR stopped",
}


class EventCommands(Provider):
    """Events by name: type `ros`, `fract`, `infus`, `end`…"""

    def commands(self, screen: LiveScreen) -> list[tuple[str, Callable[[], Any], str]]:
        """Each command runs through `from_palette`: its entry is timed when ctrl+p was pressed."""
        out: list[tuple[str, Callable[[], Any], str]] = []
        for name, label in FORMS.items():
            out.append((label, partial(screen.action_form, name), f"form {name}"))
        for kind, label in SIMPLE.items():
            out.append((label, partial(screen.log_kind, kind), kind))
        for choice in RHYTHMS:
            out.append((f"Rhythm: {choice.label}", partial(screen.log_kind, "rhythm", rhythm=choice.value), "rhythm"))
        for responsive in (True, False):
            label = "Responds to pain" if responsive else "Unresponsive to pain"
            out.append((label, partial(screen.log_kind, "responsiveness", responsive=responsive), "responsiveness"))
        out.append(("End the code (outcome)", screen.action_end, "code_ended"))
        out.append(("Review past codes", screen.app.action_codes, "review"))
        return [(label, partial(screen.from_palette, action), help_text) for label, action, help_text in out]

    async def search(self, query: str) -> Hits:
        screen = self.screen
        if not isinstance(screen, LiveScreen):
            return
        matcher = self.matcher(query)
        for label, action, help_text in self.commands(screen):
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), action, help=words(help_text))

    async def discover(self) -> Hits:
        screen = self.screen
        if not isinstance(screen, LiveScreen):
            return
        for label, action, help_text in self.commands(screen):
            yield Hit(1, label, action, help=words(help_text))
