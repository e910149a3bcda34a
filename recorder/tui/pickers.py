"""The modal pickers: keyboard-first dialogs that return an event's fields, or None when cancelled."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import Option

from recorder.core.spoken_time import HINT, SpokenTimeError, parse_spoken_time, understood
from recorder.engine import Advice
from recorder.tui.literal import literal, visible
from recorder.tui.touch import TouchButton, choice_row, is_touch
from recorder.tui.widgets import SEVERITY_MARK, SEVERITY_STYLE
from schemas.fields import CONCENTRATION, PATTERN_HINTS
from schemas.formatting import t_plus, words
from schemas.labels import DEVICE_NAMES as DEVICE
from schemas.records import Flag
from schemas.vocabulary import DRUGS, PURPOSES, ROUTES, SITES, DoseUnit

Preview = Callable[[dict[str, Any]], list[Flag]]
DEVICES = tuple(DEVICE)


def flag_text(flags: list[Flag]) -> Text:
    text = Text()
    for flag in flags:
        text.append(f" {SEVERITY_MARK[flag.severity]} {flag.rule} ", style=SEVERITY_STYLE[flag.severity])
        text.append(f" {visible(flag.message)}\n")
    return text


class Refused(Exception):
    """An entry the recorder would not take: the one-line reason, and the field it names when it names one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


Entry = Callable[[Any], Any]  # logs what a picker returns; raises Refused, and the picker stays open


def named_field(message: str, names: list[str]) -> str | None:
    """The first of `names` that a refusal names (`volume_ml: Field required`, `changes: t: …`)."""
    for token in re.findall(r"([A-Za-z_][\w.]*):", message):
        if token in names:
            return token
    return None


# The mixin is always mixed into a ModalScreen: the type checker is told so, nothing changes at run time.
if TYPE_CHECKING:
    _Dialog = ModalScreen[Any]
else:
    _Dialog = object


class Submits(_Dialog):
    """A dialog whose entry either lands (it closes) or is refused (it stays open, the reason in it).

    The screen that opens it sets `entry`: the dialog calls it with what the scribe entered before
    closing, so a refused entry is said in the dialog itself, the field it names is focused, and the
    keys that follow go on into the dialog, never to the screen behind it. Without `entry` the dialog
    returns what was entered, as a plain dialog does.
    """

    entry: Entry | None = None

    def finish(self, data: Any) -> None:
        if self.entry is None:
            self.dismiss(data)
            return
        try:
            outcome = self.entry(data)
        except Refused as exc:
            self.refuse(exc)
            return
        self.dismiss(outcome)

    def refuse(self, exc: Refused) -> None:
        for box in self.query(Input):
            if not box.value.isprintable():
                box.value = visible(box.value)  # kept open, a refused control character is shown, never sent
        name = exc.field or named_field(str(exc), list(self.field_widgets()))
        self.query_one("#refusal", Static).update(literal(f"Not logged — {exc}", "bold"))
        self.query_one("#refusal", Static).display = True
        widget = self.field_widgets().get(name) if name else None
        if widget is not None:
            widget.focus()

    def field_widgets(self) -> dict[str, Any]:
        """The dialog's inputs by the event field they fill: where a refusal naming that field sends focus."""
        return {}


REFUSAL_CSS = """
    #refusal { display: none; background: $error; color: $text; padding: 0 1; margin-top: 1; }
"""


def refusal() -> Static:
    """Where a dialog says why its entry was refused: inside it, beside what the scribe typed."""
    return Static(id="refusal")


class Picker(Submits, ModalScreen[dict[str, Any] | None]):
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
    """ + REFUSAL_CSS.replace("#refusal", "Picker #refusal")

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

    def __init__(
        self, preview: Preview, breached: dict[str, str], device: str, needle: float | None, needles: Sequence[float]
    ) -> None:
        super().__init__()
        self.needles = tuple(needles)  # the protocol's needle lengths, cycled by `n`
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
            yield refusal()
            if is_touch(self.app):  # the same actions as the keys, tapped
                sites = [
                    (words(s) + (" ✗" if s in self.breached else ""), f"site({i})") for i, s in enumerate(SITES, 1)
                ]
                yield choice_row(sites, classes="dialog-buttons")
                yield choice_row(
                    [("Left", "side('left')"), ("Right", "side('right')"), ("Device", "device"), ("Needle", "needle")]
                )
                yield choice_row([("Log attempt", "confirm"), ("Cancel", "cancel")], columns=2)
            else:
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
        # The touch layout: the site and side chosen are shown on their buttons too.
        picked = {f"screen.site({SITES.index(self.site) + 1})" if self.site else "", f"screen.side('{self.side}')"}
        for button in self.query(TouchButton):
            button.variant = "primary" if button.action in picked else "default"

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
        if not self.needles:
            return
        current = self.needles.index(self.needle) if self.needle in self.needles else -1
        self.needle = self.needles[(current + 1) % len(self.needles)]
        self.refresh_view()

    def action_confirm(self) -> None:
        data = self.data()
        if data is None:
            missing = "a site (1–7)" if self.site is None else "a side (l/r)"
            self.refuse(Refused(f"choose {missing}, then Enter"))
            return
        self.finish(data)


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
            yield refusal()
            if is_touch(self.app):
                buttons = [(choice.label, f"choose({i})") for i, choice in enumerate(self.choices)]
                yield choice_row([*buttons, ("Cancel", "cancel")], classes="dialog-buttons")
            else:
                yield Label("Press a key · Esc cancel", classes="keys")

    def action_choose(self, index: int) -> None:
        self.finish(self.make(self.choices[index].value))


@dataclass(frozen=True)
class Field:
    """One input of a form: a choice, a number, a time, text, yes/no, or several choices.

    A `default` is shown as the answer, and stored as shown; a `required` field left unanswered
    blocks the entry with that field focused; `required_if` makes it required given the other answers.
    """

    name: str
    label: str
    kind: str = "text"  # text | number | time | choice | bool | multi
    choices: tuple[str, ...] = ()
    default: Any = None
    required: bool = False
    required_if: Callable[[dict[str, Any]], bool] | None = None


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
    note: str = ""  # what the form proposes and why ("first shock 2–4 J/kg × 12 kg = 24–48 J"), above its fields
    # Given the answers so far, the values to propose and the note: a proposal that follows a choice (the
    # shock's energy follows its synchronized toggle). A value the scribe typed is never replaced.
    propose: Callable[[dict[str, Any]], tuple[dict[str, Any], str]] | None = None


@dataclass(frozen=True)
class When:
    """What a time field needs to read a time as people say it: the code clock now, and the code's start."""

    now: Callable[[], float]
    start: datetime


YES_CELLS, NO_CELLS = len(" yes  "), len(" no  ")  # as YesNo.render lays them out


class YesNo(Static, can_focus=True):
    """A yes/no answer shown as it will be stored: `y` or `n` answers it in one key, space turns it over."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n", "answer(False)", "No", show=False),
        Binding("space,left,right", "turn_over", "Change", show=False),
    ]
    DEFAULT_CSS = """
    YesNo { height: 3; border: tall $panel; padding: 0 1; }
    YesNo:focus { border: tall $accent; }
    """

    class Changed(Message):
        """The answer changed: a form's preview reads it again."""

    def __init__(self, value: bool | None, *, id: str) -> None:
        super().__init__(id=id)
        self.value = value

    def render(self) -> Text:
        text = Text()
        for label, value in (("yes", True), ("no", False)):
            text.append(f" {label} ", style="reverse bold" if self.value is value else "dim")
            text.append(" ")
        text.append("  unanswered: y or n" if self.value is None else "  y / n to change", style="dim")
        return text

    def action_answer(self, value: bool) -> None:
        self.value = value
        self.refresh()
        self.post_message(self.Changed())

    def action_turn_over(self) -> None:  # not `toggle`: that is Textual's own action, with an argument
        self.action_answer(not self.value if self.value is not None else True)

    def on_click(self, event: events.Click) -> None:
        """A tap on `yes` or `no` answers it (as y or n would); a tap beside them turns it over."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.x < YES_CELLS:
            self.action_answer(True)
        elif offset.x < YES_CELLS + NO_CELLS:
            self.action_answer(False)
        else:
            self.action_turn_over()


class FormScreen(Picker):
    """A small form built from data: Tab moves, Enter logs, Esc cancels; a refused entry keeps it open."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Log", show=False),
        Binding("enter", "submit", "Log", show=False),  # from a yes/no; an input or a list takes its own Enter
    ]

    def __init__(self, form: Form, preview: Preview | None = None, when: When | None = None) -> None:
        super().__init__()
        self.form = form
        self.preview = preview
        self.when = when

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(literal(self.form.title), classes="title")
            if self.form.note:
                yield Static(literal(self.form.note), id="note")
            for f in self.form.fields:
                with Horizontal(classes="row"):
                    yield Label(literal(f"{f.label}{' *' if f.required else ''}"), classes="label")
                    if f.kind == "time":
                        with Vertical(classes="time"):
                            yield self._widget(f)
                            yield Static(self._understood(f, self._shown(f)), id=f"{field_id(f.name)}_read")
                    else:
                        yield self._widget(f)
            yield Static(id="preview", classes="preview")
            yield refusal()
            if is_touch(self.app):
                yield choice_row([("Log", "submit"), ("Cancel", "cancel")], columns=2, classes="dialog-buttons")
            else:
                yield Label("Tab next field · y/n answer yes/no · Enter log · Esc cancel", classes="keys")

    DEFAULT_CSS = """
    FormScreen .row { height: auto; }
    FormScreen .label { width: 22; padding: 1 1 0 0; }
    FormScreen Input, FormScreen Select, FormScreen YesNo, FormScreen .time { width: 1fr; }
    FormScreen .time { height: auto; }
    FormScreen SelectionList { width: 1fr; height: auto; max-height: 8; }
    FormScreen #note { color: $success; margin-top: 1; }
    """

    def on_mount(self) -> None:
        self.proposed = {f.name: self._shown(f) for f in self.form.fields}  # as each field shows it unchanged
        self.update_preview()

    @on(Select.Changed)
    @on(YesNo.Changed)
    def _repropose(self) -> None:
        """A choice changed: the proposals that follow it change too, where the scribe has not typed."""
        if self.form.propose is None:
            return
        answers: dict[str, Any] = {}
        for f in self.form.fields:
            try:
                answers[f.name] = self.value_of(f)
            except Refused:
                answers[f.name] = None
        values, note = self.form.propose(answers)
        for name, value in values.items():
            box = self.query_one(f"#{field_id(name)}")
            if isinstance(box, Input) and box.value.strip() in ("", self.proposed.get(name, "")):
                shown = "" if value is None else _number(value) if isinstance(value, float) else str(value)
                box.value = self.proposed[name] = shown
        for shown_note in self.query("#note").results(Static):
            shown_note.update(literal(note))

    @on(Input.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    @on(YesNo.Changed)
    def update_preview(self) -> None:
        """The flags the entry as it stands would raise, shown before Enter (a shock into asystole)."""
        if self.preview is None:
            return
        try:
            data = self.values()
        except Refused:
            data = None  # not complete yet: nothing to preview
        flags = self.preview(data) if data else []
        self.query_one("#preview", Static).update(flag_text(flags) if flags else "")

    def _shown(self, f: Field) -> str:
        """The default as the field shows it: what the scribe sees is what is stored if left alone."""
        if f.default is None:
            return ""
        if f.kind == "time":
            return t_plus(f.default)
        return visible(_number(f.default) if isinstance(f.default, float) else str(f.default))

    def _widget(self, f: Field) -> Input | Select | SelectionList | YesNo:
        wid = field_id(f.name)
        if f.kind == "multi":
            return SelectionList(*[(words(c), c) for c in f.choices], id=wid)
        if f.kind == "bool":
            return YesNo(f.default, id=wid)
        if f.kind == "choice":
            return Select(
                [(words(c), c) for c in f.choices],
                value=f.default if f.default is not None else Select.NULL,
                id=wid,
                allow_blank=not f.required or f.default is None,
            )
        kind: Literal["number", "text"] = "number" if f.kind == "number" else "text"
        return Input(value=self._shown(f), id=wid, type=kind, placeholder=f.label)

    def field_widgets(self) -> dict[str, Any]:
        return {f.name: self.query_one(f"#{field_id(f.name)}") for f in self.form.fields}

    def _understood(self, f: Field, raw: str) -> Text:
        """What a time field will store, shown before Enter: `= T+01:30, 10:42:13`, or why it cannot."""
        try:
            t = self.read_time(f, raw)
        except Refused as exc:
            return literal(str(exc), "yellow") if raw.strip() else Text(HINT, style="dim")
        if self.when is None:  # left as it was, with no code clock to say it against
            return Text(f"= {t_plus(t)}", style="bold green")
        return Text(f"= {understood(t, self.when.start)}", style="bold green")

    def read_time(self, f: Field, raw: str) -> float:
        if f.default is not None and raw.strip() == self._shown(f):
            return f.default  # left as it was: the stored time, to the fraction of a second
        if self.when is None:
            raise Refused(f"{f.label}: no code clock to read a time against", f.name)
        try:
            return parse_spoken_time(raw, now=self.when.now(), start=self.when.start)
        except SpokenTimeError as exc:
            raise Refused(f"{f.label}: {exc}", f.name) from None

    @on(Input.Changed)
    def _time_changed(self, event: Input.Changed) -> None:
        f = next((f for f in self.form.fields if field_id(f.name) == event.input.id and f.kind == "time"), None)
        if f is not None:
            self.query_one(f"#{field_id(f.name)}_read", Static).update(self._understood(f, event.value))

    def value_of(self, f: Field) -> Any:
        widget = self.query_one(f"#{field_id(f.name)}")
        if isinstance(widget, SelectionList):
            return list(widget.selected) or None
        if isinstance(widget, Select):
            return None if widget.value is Select.NULL else widget.value
        if isinstance(widget, YesNo):
            return widget.value
        raw = self.query_one(f"#{field_id(f.name)}", Input).value.strip()
        if not raw:
            return None
        if f.kind == "time":
            return self.read_time(f, raw)
        if f.kind == "number":
            try:
                return float(raw)
            except ValueError:
                raise Refused(f"{f.label}: {raw!r} is not a number", f.name) from None
        if isinstance(f.default, str) and raw == visible(f.default):
            return f.default  # shown escaped, left as it was: the stored text, unchanged
        return raw

    def values(self) -> dict[str, Any]:
        """The event's fields as the form shows them; Refused names the first field unreadable or unanswered."""
        answers = {f.name: self.value_of(f) for f in self.form.fields}
        for f in self.form.fields:
            required = f.required or (f.required_if is not None and f.required_if(answers))
            if required and answers[f.name] is None:
                ask = "choose one" if f.kind in ("choice", "multi") else "y or n" if f.kind == "bool" else "fill it in"
                raise Refused(f"{f.label}: not answered; {ask} (or Esc to cancel)", f.name)
        data = dict(self.form.fixed)
        data["kind"] = self.form.kind
        for name, value in answers.items():
            if value is not None:
                target = data
                for part in name.split(".")[:-1]:
                    target = target.setdefault(part, {})
                target[name.split(".")[-1]] = value
        return data

    def refuse(self, exc: Refused) -> None:
        # The event's field names read as the form's labels: `Volume (mL): Field required`.
        message = str(exc)
        for f in self.form.fields:
            message = re.sub(rf"(?<![\w.]){re.escape(f.name)}:", f"{f.label}:", message)
        super().refuse(Refused(message, exc.field or named_field(str(exc), [f.name for f in self.form.fields])))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        try:
            data = self.values()
        except Refused as exc:
            self.refuse(exc)
            return
        self.finish(data)


class TextPrompt(Submits, ModalScreen[str | None]):
    """One line of text: a note, a reason. A refused entry keeps it open with the text and the reason."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", priority=True)]  # as Picker's
    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > Vertical {
        width: 80; max-width: 100%; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    TextPrompt .title { text-style: bold; background: $accent; width: 100%; padding: 0 1; }
    TextPrompt .keys { color: $text-muted; }
    """ + REFUSAL_CSS.replace("#refusal", "TextPrompt #refusal")

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(literal(self.title_text), classes="title")
            yield Input(value=visible(self.value), placeholder=self.placeholder, id="text")
            yield refusal()
            if is_touch(self.app):
                yield choice_row([("Save", "save"), ("Cancel", "cancel")], columns=2, classes="dialog-buttons")
            else:
                yield Label("Enter save · Esc cancel", classes="keys")

    def field_widgets(self) -> dict[str, Any]:
        text = self.query_one("#text", Input)
        return {"text": text, "reason": text}

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.save(event.value)

    def action_save(self) -> None:
        """The Save button: what Enter in the box does."""
        self.save(self.query_one("#text", Input).value)

    def save(self, value: str) -> None:
        if value.strip():
            self.finish(value.strip())
        else:
            self.refuse(Refused("nothing typed: type it, or Esc to cancel", "text"))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class DrugContext:
    """What the drug picker needs from the code: lines, and a dose proposal per drug."""

    lines: list[str]
    current_line: str | None
    propose: Callable[[str, str | None, str | None], Advice]  # drug, purpose, route (None: through a line)
    preview: Preview
    # The protocol's strengths for a drug whose rules read it, and the one proposed for this patient.
    strengths: Callable[[str], tuple[tuple[str, ...], str | None] | None] = lambda drug: None
    # The volume in mL of the entry as it stands (dose ÷ concentration); None when it cannot be said.
    volume: Callable[[dict[str, Any]], float | None] = lambda data: None


UNITS = get_args(DoseUnit)
ROUTE_KEYS = {"t": "et", "m": "im", "n": "in"}  # ET (the tube), IM, IN; `l` goes back to the current line
ROUTE_WORDS = {"et": "ET (endotracheal)", "im": "IM", "in": "IN (intranasal)", "sc": "SC", "po": "PO"}


class DoseInput(Input):
    """The dose box: digits go in; `t` `m` `n` turn the route to ET, IM, IN and `l` back to the line.

    A number box takes no letters, so these keys are free here; they are bound on this box only, so
    the drug filter and the concentration box still take every letter typed into them.
    """

    BINDINGS = [
        *[
            Binding(key, f"screen.route('{route}')", ROUTE_WORDS[route], show=False, priority=True)
            for key, route in ROUTE_KEYS.items()
        ],
        Binding("l", "screen.route('line')", "through the line", show=False, priority=True),
    ]


class DrugPicker(Picker):
    """Type to filter, Enter picks the drug, Enter again logs the proposed dose via the current line.

    In the dose box `t` `m` `n` turn the route to ET, IM, IN (`e t Enter`: ET adrenaline at its dose)
    and `l` back to the line; the dose proposed follows the route unless the scribe typed their own.
    """

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
        self.proposed = ""  # the dose last proposed, as shown: a route change replaces it, never a typed dose

    def compose(self) -> ComposeResult:
        via = [(line, line) for line in self.ctx.lines] + [(r.upper(), r) for r in ROUTES]
        default_via = self.ctx.current_line or Select.NULL
        with Vertical():
            yield Label("Drug", classes="title")
            yield Input(placeholder="type to filter: epi, amio, bicarb…", id="filter")
            yield OptionList(*[Option(words(d), id=d) for d in DRUGS], id="drugs")
            with Horizontal(classes="row"):
                yield Label("Dose")
                yield DoseInput(id="dose", type="number")
                yield Select([(u, u) for u in UNITS], id="unit", allow_blank=False, value="mg")
                yield Label("via")
                yield Select(via, id="via", value=default_via)
            with Horizontal(classes="row"):
                yield Label("Conc.")
                yield Input(id="concentration", placeholder="e.g. 8.4%")
                yield Select([], id="strength", prompt="strength?")
                yield Label("Purpose")
                yield Select([(words(p), p) for p in PURPOSES], id="purpose")
            yield Static(id="proposal")
            yield Static(id="volume")
            yield Static(id="preview", classes="preview")
            yield refusal()
            if is_touch(self.app):  # a drug is tapped in the list, the route chosen under "via"
                yield choice_row([("Log", "submit"), ("Cancel", "cancel")], columns=2, classes="dialog-buttons")
            else:
                # Short enough for an 80-column screen: a cut-off key line hides the route keys.
                yield Label("type · ↑↓ · Enter pick, log · dose: t ET m IM n IN l line · Tab · Esc", classes="keys")

    def on_mount(self) -> None:
        self.query_one("#strength", Select).display = False
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
        self.propose()
        self.offer_strengths(drug)
        self.query_one("#drugs", OptionList).display = False
        self.query_one("#dose", Input).focus()
        self.update_preview()

    def route(self) -> str | None:
        """The route chosen (et, im, in, sc, po), or None: through a line (the dosing table's IV/IO rows)."""
        via = self.query_one("#via", Select).value
        return str(via) if via in ROUTES else None

    def propose(self) -> None:
        """The dose for the drug by the route chosen, in the dose box unless the scribe typed their own."""
        if self.drug is None:
            return
        purpose = self.query_one("#purpose", Select).value
        route = self.route()
        advice = self.ctx.propose(self.drug, None if purpose is Select.NULL else str(purpose), route)
        dose = self.query_one("#dose", Input)
        untouched = dose.value.strip() in ("", self.proposed)
        how = ROUTE_WORDS[route] if route else "through the line"
        head = (f"{words(self.drug)} {how}: ", "bold")
        if advice.dose is not None and advice.unit is not None:
            self.proposed = f"{advice.dose:g}"
            if untouched:
                dose.value = self.proposed
                self.query_one("#unit", Select).value = advice.unit
            said = f"proposed {advice.dose:g} {advice.unit}"
            if advice.check and advice.check != f"expected {advice.dose:g} {advice.unit}":
                said += f" · {advice.check}"  # a range, or the band an unknown age was checked in
            note = Text.assemble(head, (said, "green"))
        else:
            if untouched:
                dose.value = ""  # the last route's dose is not this route's: typed, never carried over
            self.proposed = ""
            if advice.unit is not None and untouched:
                self.query_one("#unit", Select).value = advice.unit
            note = Text.assemble(head, (advice.check, "yellow"))
        self.query_one("#proposal", Static).update(note)
        if untouched and dose.has_focus:
            dose.select_all()  # typing replaces the proposal, as when the picker opened

    def action_route(self, route: str) -> None:
        """`t`/`m`/`n` in the dose box: the route ET/IM/IN; `l`: back to the current line (the default)."""
        via = self.query_one("#via", Select)
        if route == "line":
            via.value = self.ctx.current_line if self.ctx.current_line in self.ctx.lines else Select.NULL
        else:
            via.value = route

    @on(Select.Changed, "#via")
    @on(Select.Changed, "#purpose")
    def _reproposed(self) -> None:
        self.propose()

    def offer_strengths(self, drug: str) -> None:
        """A drug whose rules read its strength gets the protocol's choices, the patient's proposed
        one selected (no age known: none, and asked); any other keeps a free concentration box."""
        offered = self.ctx.strengths(drug)
        strength = self.query_one("#strength", Select)
        strength.display = offered is not None
        self.query_one("#concentration", Input).display = offered is None
        if offered is not None:
            choices, proposed = offered
            strength.set_options([(c, c) for c in choices])
            strength.value = proposed if proposed is not None else Select.NULL

    def strength_offered(self) -> bool:
        return bool(self.query_one("#strength", Select).display)

    @on(Input.Changed, "#dose")
    @on(Input.Changed, "#concentration")
    @on(Select.Changed)
    def update_preview(self) -> None:
        data = self.data()
        flags = self.ctx.preview(data) if data else []
        self.query_one("#preview", Static).update(flag_text(flags) if flags else "")
        self.query_one("#volume", Static).update(self.volume_words(data))

    def volume_words(self, data: dict[str, Any] | None) -> Text:
        """The volume to draw up for the dose as it stands, or why it cannot be said."""
        if data is None or data.get("unit") == "mL":
            return Text()
        volume = self.ctx.volume(data)
        if volume is not None:
            return Text.assemble(
                ("Volume: ", "bold"), (f"{volume:.3g} mL", "bold green"), f" of {data['concentration']}"
            )
        if data.get("concentration"):
            return Text(
                f"Volume: cannot work out mL from {data['concentration']} for a dose in {data['unit']}", "yellow"
            )
        return Text("Volume: concentration unknown, so no mL shown (give it to see the volume)", "yellow")

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
        if self.strength_offered():
            chosen = self.query_one("#strength", Select).value
            conc = "" if chosen is Select.NULL else str(chosen)
        else:
            conc = self.query_one("#concentration", Input).value.strip()
        if conc:
            out["concentration"] = conc
        purpose = self.query_one("#purpose", Select).value
        if purpose is not Select.NULL:
            out["purpose"] = purpose
        return out

    def field_widgets(self) -> dict[str, Any]:
        via = self.query_one("#via", Select)
        return {
            "drug": self.query_one("#filter", Input),
            "name": self.query_one("#filter", Input),
            "dose": self.query_one("#dose", Input),
            "unit": self.query_one("#unit", Select),
            "line": via,
            "route": via,
            "concentration": self.query_one("#strength" if self.strength_offered() else "#concentration"),
            "purpose": self.query_one("#purpose", Select),
        }

    @on(Input.Submitted, "#dose")
    @on(Input.Submitted, "#concentration")
    def action_submit(self) -> None:
        if self.drug is None:
            self.refuse(Refused("choose a drug first: type its name, Enter", "drug"))
            return
        data = self.data()
        if data is None:
            self.refuse(Refused("dose: type the dose given, a number", "dose"))
            return
        conc = data.get("concentration")
        if conc is None and self.strength_offered():
            self.refuse(Refused("concentration: not answered; choose the strength given (its rules read it)"))
            return
        if conc is not None and not re.fullmatch(CONCENTRATION, conc):
            # Said here, with the drug and dose kept, rather than after the picker has closed.
            why = f"concentration {conc!r} is not {PATTERN_HINTS[CONCENTRATION]}: correct or clear it"
            self.refuse(Refused(why, "concentration"))
            return
        self.finish(data)
