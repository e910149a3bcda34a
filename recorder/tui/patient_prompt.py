"""`p`: the patient in one line ("2y 12t"), said back as it is typed, refused with the reason on Enter."""

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from recorder.core.patient_line import HINT, PatientLineError, parse_patient_line
from recorder.tui.literal import literal
from recorder.tui.pickers import REFUSAL_CSS, Refused, Submits, refusal
from recorder.tui.touch import choice_row, is_touch


class PatientPrompt(Submits, ModalScreen[dict[str, Any] | None]):
    """Age, weight and its source in one line; what it was read as shows before Enter."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", priority=True)]  # as Picker's
    DEFAULT_CSS = """
    PatientPrompt { align: center middle; }
    PatientPrompt > Vertical { width: 76; max-width: 100%; height: auto; border: thick $accent;
                               background: $surface; padding: 0 1; }
    PatientPrompt .title { text-style: bold; background: $accent; width: 100%; padding: 0 1; }
    PatientPrompt .keys { color: $text-muted; }
    """ + REFUSAL_CSS.replace("#refusal", "PatientPrompt #refusal")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Patient — age, weight, where the weight came from", classes="title")
            yield Input(placeholder="2y 12kg tape", id="line")
            yield Static(id="read")
            yield refusal()
            if is_touch(self.app):
                yield Label(f"{HINT}\nsex, name, MRN: More… → Patient details", classes="keys")
                yield choice_row([("Save", "save"), ("Cancel", "cancel")], columns=2, classes="dialog-buttons")
            else:
                keys = f"{HINT}\nEnter save · Esc cancel · sex, name, MRN: ctrl+p → Patient details"
                yield Label(keys, classes="keys")

    def field_widgets(self) -> dict[str, Any]:
        line = self.query_one("#line", Input)
        return {"patient": line, "line": line}

    @on(Input.Changed, "#line")
    def _said_back(self, event: Input.Changed) -> None:
        self.query_one("#refusal", Static).display = False  # a refusal is of the line as it was: it changed
        read = self.query_one("#read", Static)
        if not event.value.strip():
            read.update("")
            return
        try:
            read.update(Text.assemble(("→ ", "bold"), (parse_patient_line(event.value).words(), "bold green")))
        except PatientLineError as exc:
            read.update(literal(f"? {exc}", "yellow"))  # not an error yet: the scribe may be mid-word

    @on(Input.Submitted, "#line")
    def _submitted(self, event: Input.Submitted) -> None:
        self.save(event.value)

    def action_save(self) -> None:
        """The Save button: what Enter in the line does."""
        self.save(self.query_one("#line", Input).value)

    def save(self, value: str) -> None:
        try:
            read = parse_patient_line(value)
        except PatientLineError as exc:
            # Refused here, with the line kept and focused: the keys that follow still go to it.
            self.refuse(Refused(str(exc), "line"))
            return
        # Logged before it closes: refused by the record (a ledger or plausibility check), it stays open.
        self.finish({"kind": "patient_updated", "patient": read.fields})

    def action_cancel(self) -> None:
        self.dismiss(None)
