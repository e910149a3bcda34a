"""The modal pickers: keyboard-first dialogs that return an event's fields, or None when cancelled."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import Option

from exports.describe import DEVICE_NAMES as DEVICE
from exports.describe import words
from recorder.tui.literal import literal, visible
from recorder.tui.widgets import SEVERITY_MARK, SEVERITY_STYLE
from schemas.fields import CONCENTRATION, PATTERN_HINTS
from schemas.records import Flag
from schemas.vocabulary import DRUGS, SITES

Preview = Callable[[dict[str, Any]], list[Flag]]
DEVICES = tuple(DEVICE)
NEEDLES = (15.0, 25.0, 45.0)


def flag_text(flags: list[Flag]) -> Text:
    text = Text()
    for flag in flags:
        text.append(f" {SEVERITY_MARK[flag.severity]} {flag.rule} ", style=SEVERITY_STYLE[flag.severity])
        text.append(f" {visible(flag.message)}\n")
    return text


class Picker(ModalScreen[dict[str, Any] | None]):
    """Escape cancels; every picker shows its own keys at the bottom."""

    # Priority: Esc is handled as it arrives, so a key typed straight after it goes to the screen below,
    # not into this picker's text box (recorder/tui/escape_keys.py).
    BINDINGS = [Binding("escape", "cancel", "Cancel", priority=True)]
    DEFAULT_CSS = """
    Picker { align: center middle; }
    Picker > Vertical {
        width: 88; max-width: 100%; height: auto; max-height: 90%; border: thick $accent; background: $surface;
        padding: 0 1;
    }
    Picker .title { text-style: bold; background: $accent; color: $text; width: 100%; padding: 0 1; }
    Picker .keys { color: $text-muted; margin-top: 1; }
    Picker .preview { margin-top: 1; }
    Picker .error { color: $error; text-style: bold; }
    """

    def action_cancel(self) -> None:
        if (select := next((s for s in self.query(Select) if s.expanded), None)) is not None:
            select.expanded = False  # Esc closes an open list first, as Textual's own Select does
            select.focus()
            return
        self.dismiss(None)


class IoPicker(Picker):
    """`1`–`7` site, `l`/`r` side, `d` device, `n` needle, Enter logs with the device shown."""

    BINDINGS = [
        *[Binding(str(i), f"site({i})", SITES[i - 1].replace("_", " "), show=False) for i in range(1, 8)],
        Binding("l", "side('left')", "Left", show=False),
        Binding("r", "side('right')", "Right", show=False),
        Binding("d", "device", "Device", show=False),
        Binding("n", "needle", "Needle", show=False),
        Binding("enter", "confirm", "Log attempt", show=False),
    ]

    def __init__(self, preview: Preview, breached: dict[str, str], device: str, needle: float | None) -> None:
        super().__init__()
        self.preview = preview
        self.breached = breached  # site → why it is a problem already ("tibia L: io1 failed")
        self.site: str | None = None
        self.side: str | None = None
        self.device = device
        self.needle = needle

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("IO attempt", classes="title")
            yield Static(id="sites")
            yield Static(id="choice")
            yield Static(id="preview", classes="preview")
            yield Label("1–7 site · l/r side · d device · n needle · Enter log · Esc cancel", classes="keys")

    def on_mount(self) -> None:
        self.refresh_view()

    def data(self) -> dict[str, Any] | None:
        if self.site is None or (self.site != "sternum" and self.side is None):
            return None
        out: dict[str, Any] = {"kind": "io_attempt", "site": self.site, "device": self.device}
        if self.site != "sternum":
            out["side"] = self.side
        if self.needle is not None:
            out["needle_mm"] = self.needle
        return out

    def refresh_view(self) -> None:
        text = Text()
        for i, site in enumerate(SITES, start=1):
            chosen = site == self.site
            text.append(f" {i} ", style="reverse bold" if chosen else "bold")
            text.append(f" {words(site):<18}", style="bold" if chosen else "")
            if site in self.breached:
                text.append(f" ✗ {visible(self.breached[site])}", style="bold red")
            text.append("\n")
        self.query_one("#sites", Static).update(text)
        side = {"left": "LEFT", "right": "RIGHT", None: "side? (l/r)"}[self.side]
        if self.site == "sternum":
            side = "no side"
        needle = f"{self.needle:g} mm" if self.needle else "needle ?"
        self.query_one("#choice", Static).update(
            Text.assemble(
                ("Side: ", "dim"),
                (side, "bold"),
                ("   Device: ", "dim"),
                (DEVICE[self.device], "bold"),
                ("   Needle: ", "dim"),
                (needle, "bold"),
            )
        )
        data = self.data()
        flags = self.preview(data) if data else []
        self.query_one("#preview", Static).update(flag_text(flags) if flags else "")

    def action_site(self, n: int) -> None:
        self.site = SITES[n - 1]
        self.refresh_view()

    def action_side(self, side: str) -> None:
        self.side = side
        self.refresh_view()

    def action_device(self) -> None:
        self.device = DEVICES[(DEVICES.index(self.device) + 1) % len(DEVICES)]
        self.refresh_view()

    def action_needle(self) -> None:
        current = NEEDLES.index(self.needle) if self.needle in NEEDLES else -1
        self.needle = NEEDLES[(current + 1) % len(NEEDLES)]
        self.refresh_view()

    def action_confirm(self) -> None:
        data = self.data()
        if data is not None:
            self.dismiss(data)


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    value: Any


class ChoicePicker(Picker):
    """One key picks one of a few answers (rhythm, outcome, marrow yes/no)."""

    def __init__(self, title: str, choices: list[Choice], make: Callable[[Any], dict[str, Any]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.make = make
        for choice in choices:
            self._bindings.bind(choice.key, f"choose({choices.index(choice)})", choice.label, show=False)

    def compose(self) -> ComposeResult:
        text = Text()
        for choice in self.choices:
            text.append(f" {choice.key} ", style="reverse bold")
            text.append(f" {visible(choice.label)}\n")
        with Vertical():
            yield Label(literal(self.title_text), classes="title")
            yield Static(text)
            yield Label("Press a key · Esc cancel", classes="keys")

    def action_choose(self, index: int) -> None:
        self.dismiss(self.make(self.choices[index].value))


@dataclass(frozen=True)
class Field:
    """One input of a form: a choice, a number, text, yes/no, or several choices."""

    name: str
    label: str
    kind: str = "text"  # text | number | choice | bool | multi
    choices: tuple[str, ...] = ()
    default: Any = None
    required: bool = False


def _number(value: float) -> str:
    """A number as short as it reads (`35`, `0.5`), never rounded: an untouched field changes nothing."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def field_id(name: str) -> str:
    """A widget id for a field name: `patient.weight_kg` → `f_patient__weight_kg`."""
    return "f_" + name.replace(".", "__")


@dataclass(frozen=True)
class Form:
    kind: str
    title: str
    fields: tuple[Field, ...]
    fixed: dict[str, Any] = field(default_factory=dict)


class FormScreen(Picker):
    """A small form built from data: Tab moves, Enter logs, Esc cancels."""

    BINDINGS = [Binding("ctrl+s", "submit", "Log", show=False)]

    def __init__(self, form: Form, preview: Preview | None = None) -> None:
        super().__init__()
        self.form = form
        self.preview = preview

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(literal(self.form.title), classes="title")
            for f in self.form.fields:
                with Horizontal(classes="row"):
                    yield Label(literal(f"{f.label}{' *' if f.required else ''}"), classes="label")
                    yield self._widget(f)
            yield Static(id="preview", classes="preview")
            yield Label("Tab next field · Enter log · Esc cancel", classes="keys")

    DEFAULT_CSS = """
    FormScreen .row { height: auto; }
    FormScreen .label { width: 22; padding: 1 1 0 0; }
    FormScreen Input, FormScreen Select { width: 1fr; }
    FormScreen SelectionList { width: 1fr; height: auto; max-height: 8; }
    """

    def _widget(self, f: Field) -> Input | Select | SelectionList:
        wid = field_id(f.name)
        if f.kind == "multi":
            return SelectionList(*[(words(c), c) for c in f.choices], id=wid)
        if f.kind in ("choice", "bool"):
            options = [("yes", True), ("no", False)] if f.kind == "bool" else [(words(c), c) for c in f.choices]
            return Select(
                options,
                value=f.default if f.default is not None else Select.NULL,
                id=wid,
                allow_blank=not f.required or f.default is None,
            )
        value = "" if f.default is None else _number(f.default) if isinstance(f.default, float) else str(f.default)
        value = visible(value)  # a stored text is shown as the screen shows it everywhere else
        return Input(value=value, id=wid, type="number" if f.kind == "number" else "text", placeholder=f.label)

    def values(self) -> dict[str, Any]:
        data = dict(self.form.fixed)
        data["kind"] = self.form.kind
        for f in self.form.fields:
            widget = self.query_one(f"#{field_id(f.name)}")
            if isinstance(widget, SelectionList):
                value = list(widget.selected) or None
            elif isinstance(widget, Select):
                value = None if widget.value is Select.NULL else widget.value
            else:
                raw = widget.value.strip()
                value = (float(raw) if raw else None) if f.kind == "number" else (raw or None)
                if isinstance(f.default, str) and raw == visible(f.default):
                    value = f.default  # shown escaped, left as it was: the stored text, unchanged
            if value is not None:
                target = data
                for part in f.name.split(".")[:-1]:
                    target = target.setdefault(part, {})
                target[f.name.split(".")[-1]] = value
        return data

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        try:
            data = self.values()
        except ValueError:
            self.query_one("#preview", Static).update(Text("Numbers only in number fields", style="bold red"))
            return
        self.dismiss(data)


class TextPrompt(ModalScreen[str | None]):
    """One line of text: a note, a reason."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", priority=True)]  # as Picker's
    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > Vertical {
        width: 80; max-width: 100%; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    TextPrompt .title { text-style: bold; background: $accent; width: 100%; padding: 0 1; }
    TextPrompt .keys { color: $text-muted; }
    """

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(literal(self.title_text), classes="title")
            yield Input(value=visible(self.value), placeholder=self.placeholder, id="text")
            yield Label("Enter save · Esc cancel", classes="keys")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class DrugContext:
    """What the drug picker needs from the code: lines, and a dose proposal per drug."""

    lines: list[str]
    current_line: str | None
    propose: Callable[[str, str | None], tuple[float, str] | None]
    why_no_dose: str
    preview: Preview


ROUTES = ("et", "im", "in", "sc", "po")
UNITS = ("mg", "mcg", "g", "mEq", "mL", "units")


class DrugPicker(Picker):
    """Type to filter, Enter picks the drug, Enter again logs the proposed dose via the current line."""

    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("ctrl+s", "submit", "Log", show=False),
    ]
    DEFAULT_CSS = """
    DrugPicker #drugs { height: 8; }
    DrugPicker .row { height: auto; }
    DrugPicker .row > Input { width: 14; }
    DrugPicker .row > Select { width: 22; }
    DrugPicker .row > Label { padding: 1 1 0 1; }
    """

    def __init__(self, ctx: DrugContext, drug: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.drug = drug

    def compose(self) -> ComposeResult:
        via = [(line, line) for line in self.ctx.lines] + [(r.upper(), r) for r in ROUTES]
        default_via = self.ctx.current_line or Select.NULL
        with Vertical():
            yield Label("Drug", classes="title")
            yield Input(placeholder="type to filter: epi, amio, bicarb…", id="filter")
            yield OptionList(*[Option(words(d), id=d) for d in DRUGS], id="drugs")
            with Horizontal(classes="row"):
                yield Label("Dose")
                yield Input(id="dose", type="number")
                yield Select([(u, u) for u in UNITS], id="unit", allow_blank=False, value="mg")
                yield Label("via")
                yield Select(via, id="via", value=default_via)
            with Horizontal(classes="row"):
                yield Label("Conc.")
                yield Input(id="concentration", placeholder="e.g. 8.4%")
                yield Label("Purpose")
                yield Select([(words(p), p) for p in ("arrest", "io_analgesia", "other")], id="purpose")
            yield Static(id="proposal")
            yield Static(id="preview", classes="preview")
            yield Label("type · ↑↓ · Enter pick · Enter log · Tab fields · Esc cancel", classes="keys")

    def on_mount(self) -> None:
        if self.drug:
            self.pick(self.drug)
        else:
            self.query_one("#drugs", OptionList).highlighted = 0
            self.query_one("#filter", Input).focus()

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        needle = event.value.strip().lower().replace(" ", "_")
        matches = [d for d in DRUGS if needle in d or needle in words(d)] or ["other"]
        drugs = self.query_one("#drugs", OptionList)
        drugs.set_options([Option(words(d), id=d) for d in matches])
        drugs.highlighted = 0

    def action_move(self, step: int) -> None:
        drugs = self.query_one("#drugs", OptionList)
        if drugs.option_count:
            drugs.highlighted = ((drugs.highlighted or 0) + step) % drugs.option_count

    @on(Input.Submitted, "#filter")
    def _choose(self) -> None:
        option = self.query_one("#drugs", OptionList).highlighted_option
        if option is not None and option.id:
            self.pick(option.id)

    @on(OptionList.OptionSelected, "#drugs")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.pick(event.option.id)

    def pick(self, drug: str) -> None:
        self.drug = drug
        self.query_one("#filter", Input).value = "" if drug != "other" else self.query_one("#filter", Input).value
        purpose = self.query_one("#purpose", Select).value
        proposal = self.ctx.propose(drug, None if purpose is Select.NULL else str(purpose))
        dose = self.query_one("#dose", Input)
        if proposal is not None:
            dose.value = f"{proposal[0]:g}"
            self.query_one("#unit", Select).value = proposal[1]
            note = Text.assemble((f"{words(drug)}: ", "bold"), (f"proposed {proposal[0]:g} {proposal[1]}", "green"))
        else:
            note = Text.assemble((f"{words(drug)}: ", "bold"), (self.ctx.why_no_dose, "yellow"))
        self.query_one("#proposal", Static).update(note)
        self.query_one("#drugs", OptionList).display = False
        dose.focus()
        self.update_preview()

    @on(Input.Changed, "#dose")
    @on(Select.Changed)
    def update_preview(self) -> None:
        data = self.data()
        flags = self.ctx.preview(data) if data else []
        self.query_one("#preview", Static).update(flag_text(flags) if flags else "")

    def data(self) -> dict[str, Any] | None:
        if self.drug is None:
            return None
        try:
            dose = float(self.query_one("#dose", Input).value)
        except ValueError:
            return None
        out: dict[str, Any] = {
            "kind": "drug",
            "drug": self.drug,
            "dose": dose,
            "unit": self.query_one("#unit", Select).value,
        }
        via = self.query_one("#via", Select).value
        if via is not Select.NULL:
            out["route" if via in ROUTES else "line"] = via
        if self.drug == "other":
            out["name"] = self.query_one("#filter", Input).value.strip() or None
        conc = self.query_one("#concentration", Input).value.strip()
        if conc:
            out["concentration"] = conc
        purpose = self.query_one("#purpose", Select).value
        if purpose is not Select.NULL:
            out["purpose"] = purpose
        return out

    @on(Input.Submitted, "#dose")
    @on(Input.Submitted, "#concentration")
    def action_submit(self) -> None:
        data = self.data()
        if data is None:
            return
        conc = data.get("concentration")
        if conc is not None and not re.fullmatch(CONCENTRATION, conc):
            # Said here, with the drug and dose kept, rather than after the picker has closed.
            why = f"Concentration {conc!r} is not {PATTERN_HINTS[CONCENTRATION]}: correct or clear it"
            self.query_one("#preview", Static).update(literal(why, "bold red"))
            self.query_one("#concentration", Input).focus()
            return
        self.dismiss(data)
