"""The live screen: the code clock, lines, timers, flags and timeline, and one key per common event."""

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, get_args

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Static

from exports.describe import describe
from recorder.core.clock import Clock, CodeClock
from recorder.core.session import EndHook, Logged, Session, SessionError
from recorder.engine import Advice, Protocol, dose_advice
from recorder.engine.clinical_view import ClinicalView
from recorder.engine.doses import volume_ml
from recorder.engine.energy import shock_advice
from recorder.store import Store, StoreError
from recorder.tui import board, live_keys
from recorder.tui.forms import forms
from recorder.tui.frame import ChangedAreaCompositor
from recorder.tui.key_bar import KeyBar, bar_items
from recorder.tui.literal import literal, visible
from recorder.tui.patient_prompt import PatientPrompt
from recorder.tui.pickers import (
    Choice,
    ChoicePicker,
    DrugContext,
    DrugPicker,
    Field,
    Form,
    FormScreen,
    IoPicker,
    Refused,
    TextPrompt,
    When,
)
from recorder.tui.timeline import TimelineRows
from recorder.tui.touch import TouchBar, TouchTimeline, start_row
from recorder.tui.widgets import Banner, FlagsPanel, LinesPanel, Row, TimelineView, TimersPanel
from recorder.tui.write_queue import Pending, WriteQueue, waiting
from schemas.events import KIND_MODEL, RECORD_KEEPING, EventError, parse_event
from schemas.formatting import t_plus as code_time
from schemas.formatting import words
from schemas.records import EventRecord
from schemas.vocabulary import Rhythm

if TYPE_CHECKING:
    from recorder.tui.app import RecorderApp

RHYTHMS = [Choice(str(i), words(r).upper() if len(r) <= 4 else words(r), r) for i, r in enumerate(get_args(Rhythm), 1)]
LATE_STEPS = (0.0, 30.0, 60.0, 120.0)
# `o`: the moments a debrief and a registry need most, two keys each (three for the end and its outcome).
CIRCULATION = [
    Choice("r", "ROSC", "rosc"),
    Choice("a", "arrest again", "arrest"),
    Choice("e", "end of the code…", "code_ended"),
]
OUTCOMES = [
    Choice(k, words(o), o)
    for k, o in (("r", "rosc"), ("d", "died"), ("t", "transferred"), ("c", "recovered"), ("o", "other"))
]


class LiveScreen(Screen):
    """One code being recorded. Every entry is committed before it is shown."""

    app: "RecorderApp"  # for the type checker: this screen runs in the recorder's app (review, notify)

    BINDINGS = live_keys.LIVE_KEYS  # in their own module: the first frame draws the key bar before this one loads
    APP_KEYS = live_keys.APP_KEYS

    def __init__(
        self,
        store: Store,
        clock: Clock,
        protocol: Protocol,
        session: Session | None = None,
        new_fields: dict[str, Any] | None = None,
        queue: WriteQueue | None = None,
        on_end: EndHook | None = None,
        touch: bool = False,
        code_clock: CodeClock | None = None,
    ) -> None:
        super().__init__(classes="touch" if touch else None)
        # A key's frame draws only the widgets in the area it changed (most often the timeline alone).
        self._compositor = ChangedAreaCompositor()
        self.touch = touch  # the touch layout (recorder/tui/touch.py): buttons for the keys
        self.on_end = on_end  # given to the session a code started here is recorded with
        self.store = store
        self.clock = clock
        self.protocol = protocol
        # The write queue holds the session, and the entries queued behind a storage fault (a journal left by the
        # last run included: it is replayed at the first tick).
        self.queue = queue or (WriteQueue.for_session(session) if session else None)
        self.new_fields = new_fields or {}
        # The clock runs from the moment the recorder opens, before the first question is answered (from its
        # first frame, `code_clock`, when that came before the code was opened: recorder/tui/opening.py).
        self.code_clock = self.queue.code_clock if self.queue else code_clock or CodeClock(clock, clock.wall())
        self.current: str | None = None
        self.ago = 0.0
        self.held: float | None = None  # the time taken when ctrl+p opened the palette
        self.last_device = "ez_io"
        self.last_needle: float | None = next(iter(protocol.needle.choices()), None)
        self.rows: Sequence[Row] = ()  # the timeline's rows (TimelineRows once the code exists), built as drawn
        # The moment the clocks on screen show (code clock, wall): taken by the second's tick, so every clock
        # moves at once, once a second, and a key redraws a panel only when what it shows changed.
        self.shown_at: tuple[float, datetime] | None = None
        self._banner_said: tuple | None = None  # what the banner's text was last made from
        self.line_rows = board.LineRows()  # each line's row, made again only when the line changed
        self._panels: tuple[Banner, LinesPanel, TimersPanel, Static] | None = None  # found once, shown every key

    @property
    def started(self) -> WriteQueue:
        """The scribe, once `ensure_started` has said the code is started (or its start queued)."""
        if self.queue is None:
            raise RuntimeError("the code is not started yet")
        return self.queue

    @property
    def session(self) -> Session | None:
        """The code's session; None until the code is created (its start may be queued behind a fault)."""
        return self.queue.session if self.queue else None

    # ── layout ───────────────────────────────────────────────────────────

    def compose(self) -> ComposeResult:
        yield Banner(id="banner")
        yield Static(id="fault")
        yield Static(id="refused")
        if self.touch:
            ask = "In arrest?  tap one · or just start logging (counts as in arrest)"
            yield Static(ask, id="prompt", classes="prompt")
            yield start_row()
        else:
            yield Static(
                "In arrest?  Enter = yes · 0 = no · or just start logging (counts as in arrest)",
                id="prompt",
                classes="prompt",
            )
        # Lines, timers and flags side by side; the timeline below, across the whole width, so its rows
        # are read whole at 80 columns.
        with Horizontal(id="top"):
            with Vertical(id="left"):
                yield LinesPanel(id="lines")
                yield TimersPanel(id="timers")
            yield FlagsPanel(id="flags")
        # The border is the box's: drawn once, not again with every row the timeline redraws.
        with Vertical(id="timeline-box"):
            yield TouchTimeline(id="timeline") if self.touch else TimelineView(id="timeline")
        if self.touch:
            yield TouchBar(self.BINDINGS, id="keys")  # every key as a button, in sight from the first frame
        else:
            yield KeyBar(bar_items(self.BINDINGS, self.APP_KEYS), id="keys")

    def on_mount(self) -> None:
        self.query_one("#lines").border_title = "Lines"
        self.query_one("#timers").border_title = "Timers"
        if self.touch:
            self.query_one("#timeline-box").border_title = "Timeline (newest first) · tap a row, then Void or Amend"
            self.query_one("#flags").border_title = "Flags · tap one, then Ack flag"
        else:
            self.query_one("#timeline-box").border_title = "Timeline (newest first) · ↑↓ select · Del void · m amend"
            self.query_one("#flags").border_title = "Flags · k acknowledge"
        self.query(".prompt").set_class(self.queue is None, "shown")
        self.rebuild()
        if self.queue is not None and self.queue.queued:
            self.call_after_refresh(self.tick)  # what the last run left in the journal
        for code, count, files in waiting(self.store.path, self.session.code_id if self.session else None):
            which = f"recorder resume {code}" if code is not None else "recorder"
            self.notify(
                f"{count} entries of code {code or '(not created yet)'} wait in {', '.join(map(str, files))}: "
                f"`{which}` writes them",
                title="Not saved yet",
                severity="warning",
                timeout=30,
                markup=False,  # a path is shown as it is
            )
        # Kept so that what drives the clocks can be stopped (a test that moves a fake clock ticks by hand).
        self.ticker = self.set_interval(1.0, self.tick)
        self.query_one(TimelineView).focus()

    def on_unmount(self) -> None:
        if self.queue is not None:
            self.queue.close()  # the journal stays on disk for the next start; its lock goes

    # ── time ─────────────────────────────────────────────────────────────

    def now(self) -> float:
        return self.code_clock.elapsed()

    def entry_time(self) -> float:
        """When the entry the scribe just began happened: now (first key), less any "earlier"; for an
        entry chosen in the palette, the moment ctrl+p was pressed.

        Before the code's start it is negative, never clamped: the entry is refused when it is made.
        """
        if self.held is not None:
            t, self.held = self.held, None
            return t
        t = self.now() - self.ago - self.key_waited()
        self.ago = 0.0
        return t

    def key_waited(self) -> float:
        """How long the key being handled waited for its turn (typed while the code was opening, or behind
        other keys): the entry it begins happened when it was typed."""
        keys = getattr(self.app, "keys_in_order", None)
        return keys.waited if keys is not None else 0.0

    def hold_time(self) -> None:
        """ctrl+p: the palette's entry happened now, however long the scribe then takes to find it."""
        self.held = None
        self.held = self.entry_time()

    def from_palette(self, command: Callable[[], Any]) -> None:
        """Run a command chosen in the palette; its entry takes the held time, and nothing keeps it after."""
        try:
            command()
        finally:
            self.held = None

    def when(self) -> When:
        """The code clock, for a form's time fields."""
        return When(self.now, self.code_clock.start)

    def tick(self) -> None:
        """Every second: the clocks, queued entries, and deadlines passing on the code clock."""
        if self.session is not None and self.session.ended and not (self.queue and self.queue.queued):
            return  # the code's review is on top of this screen now: nothing here moves any more
        if self.queue is not None:
            if self.queue.queued:
                self.after(self.queue.retry())
            try:
                raised = self.session.tick(self.now()) if self.session and not self.queue.queued else []
            except StoreError as exc:
                self.queue.fault, raised = str(exc), []
            if raised:
                self.rebuild()
                self.alert(raised)
        self.refresh_panels(clocks=True)

    # ── starting ─────────────────────────────────────────────────────────

    def ensure_started(self, arrest: bool = True) -> bool:
        """The code is started, or its start is queued behind a storage fault like any entry."""
        if self.queue is not None:
            return True
        try:
            fields = {"arrest": arrest, **self.new_fields}
            self.queue = WriteQueue.begin(self.store, self.clock, self.protocol, self.code_clock, fields, self.on_end)
        except SessionError as exc:
            self.show_fault(str(exc))
            return False
        self.query(".prompt").remove_class("shown")
        self.rebuild()
        return True

    def action_start(self, arrest: bool) -> None:
        if self.queue is None:
            self.ensure_started(arrest)

    # ── recording ────────────────────────────────────────────────────────

    def enter(self, data: dict[str, Any] | None, t: float) -> Logged | Pending:
        """Log one entry the scribe finished, or say why not (Refused): the picker that made it stays open."""
        if data is None:
            raise Refused("nothing to log: fill in the entry, or Esc to cancel")
        if t < 0:
            # "Earlier" reaching before the code's start: said, never moved to T+00:00.
            raise Refused(
                f"'earlier' puts it {-t:.0f} s before the code's start (T+00:00): nothing was logged; "
                "enter it again without '-', or with a smaller step"
            )
        if not self.ensure_started():
            raise Refused("the code could not be started: see the red line")
        try:
            return self.started.enter(data, t)
        except SessionError as exc:
            raise Refused(str(exc)) from None

    def record(self, data: dict[str, Any] | None, t: float) -> None:
        """Log an entry made by keys alone (no dialog): refused, it is said on the screen until the next one lands."""
        try:
            logged = self.enter(data, t)
        except Refused as exc:
            self.refused(str(exc))
            return
        self.landed(logged)

    def refused(self, message: str) -> None:
        line = self.query_one("#refused", Static)
        line.update(literal(f"NOT LOGGED — {message}"))
        line.add_class("shown")
        self.notify(message, title="Not logged", severity="error", timeout=8)

    def landed(self, logged: Logged | Pending | None) -> None:
        """An entry is on disk (or queued behind a fault): show it. None: the scribe cancelled."""
        if logged is None:
            return
        self.query_one("#refused", Static).remove_class("shown")
        # Queued or written, the entry is the scribe's latest: a new line is the current line either way.
        get: Callable[[str], Any]
        if isinstance(logged, Pending):
            get = logged.data.get
        else:
            event = logged.record.event
            get = lambda name: getattr(event, name, None)  # noqa: E731
        if get("kind") == "io_attempt":
            self.last_device = get("device") or self.last_device
            self.last_needle = get("needle_mm")
        if get("kind") in ("io_attempt", "iv_attempt", "uvc_attempt"):
            self.current = get("line")
        if isinstance(logged, Pending):
            self.refresh_panels()
            return
        self.after([logged])

    def after(self, logged: list[Logged]) -> None:
        if not logged:
            return
        simple = len(logged) == 1 and not logged[0].withdrawn and logged[0].record.kind not in RECORD_KEEPING
        record = logged[0].record
        flags_changed = True
        rows = self.rows
        if (
            simple
            and isinstance(rows, TimelineRows)
            and all(f.seq == record.seq for f in logged[0].raised)
            and rows.is_newest(record)
        ):
            rows.append(record, tuple(f.severity for f in logged[0].raised))
            self.query_one(TimelineView).show(rows, added=1)
            flags_changed = bool(logged[0].raised)  # most entries raise nothing: the flags panel stays as it is
        else:
            self.rebuild()
        for entry in logged:
            self.alert(entry.raised)
            if entry.withdrawn:
                self.notify(", ".join(f.rule for f in entry.withdrawn), title="Flags withdrawn", timeout=5)
        session = self.started.created  # entries were written: the code exists
        if flags_changed:
            self.query_one(FlagsPanel).show(board.flags_by_urgency(session.flags()))
        self.refresh_panels()
        if session.ended:
            self.app.review(session)

    def alert(self, flags) -> None:
        """One notice for the flags an entry raised, in place of the last one still showing: a burst of
        entries never stacks notices over the banner and the timeline; the flags panel keeps them all."""
        if not flags:
            return
        rank = {"critical": 0, "warning": 1, "info": 2}
        flags = sorted(flags, key=lambda f: rank.get(f.severity, 3))
        top = flags[0]
        severity: SeverityLevel = (
            "error" if top.severity == "critical" else "warning" if top.severity == "warning" else "information"
        )
        message: str | list[str]
        if len(flags) == 1:
            title, message = f"{top.severity.upper()} {top.rule}", top.message
        else:
            title = f"{len(flags)} NEW FLAGS"
            # A flag a line: the notice's own line breaks (a break in a flag's words is still shown as a mark).
            message = [f"{f.severity.upper()} {f.rule}: {f.message}" for f in flags]
        self.app.notify(message, title=title, severity=severity, timeout=10, replaces="flags")

    def rebuild(self) -> None:
        """Every panel from the session: after a void, an amend, a back-dated entry or a late flag."""
        if self.session is None:
            self.refresh_panels()
            return
        flags = self.session.flags()
        rows = self.rows
        if isinstance(rows, TimelineRows) and rows.session is self.session:
            rows.refresh(flags)  # the order and corrections read again; no row is built until it is drawn
        else:
            self.rows = TimelineRows(self.session, flags)
        self.query_one(TimelineView).show(self.rows)
        self.query_one(FlagsPanel).show(board.flags_by_urgency(flags))
        self.refresh_panels()

    def refresh_panels(self, clocks: bool = False) -> None:
        """The banner, lines and timers; `clocks`: the second's tick, which moves every clock shown.

        Between ticks a key shows the clocks as the last tick left them (a line or timer it starts reads
        0:00): each line's and timer's clock turned over at its own fraction of a second, so that most
        keys redrew the panels and the screen's top, benchmarks/bench_keys.py."""
        if clocks or self.shown_at is None:
            self.shown_at = (self.now(), self.clock.wall())
        now, wall = self.shown_at
        state = self.queue.state if self.queue is not None else None  # queued entries included
        code_id = self.session.code_id if self.session else None
        # The banner's text is made from these alone (the patient is frozen: a change is a new one); most
        # keys change none of them, and its text is then not made again (benchmarks/bench_keys.py).
        early = bool(self.ago) and self.ago > self.now()
        said = (
            self.shown_at,
            state is None,
            code_id,
            state and state.patient,
            state and bool(state.arrest),
            self.ago,
            early,
        )
        if self._panels is None:
            self._panels = (
                self.query_one(Banner),
                self.query_one(LinesPanel),
                self.query_one(TimersPanel),
                self.query_one("#fault", Static),
            )
        banner, lines_panel, timers_panel, fault_line = self._panels
        if said != self._banner_said:
            self._banner_said = said
            banner.update(self.banner(now, wall, state, code_id, early))
        if state is not None:
            lines = self.line_rows(state)  # once a key: a long code has dozens of lines
            self.current = board.current_line(state, self.current, lines)
            lines_panel.show(lines, self.current, now)
            timers_panel.show(board.timers(state, now, self.protocol))
        else:
            lines_panel.show([], None, now)
            timers_panel.show([])
        fault = self.queue.fault if self.queue else None
        if fault or (self.queue and (self.queue.queued or self.queue.rejected)):
            self.show_fault(fault)
        else:
            fault_line.remove_class("shown")

    def banner(self, now: float, wall: datetime, state: ClinicalView | None, code_id: int | None, early: bool) -> Text:
        """The line across the top: the clocks, the code, the patient, in arrest or not, "earlier" being set."""
        banner = Text()
        banner.append(f"{code_time(now)}  ", style="bold")
        banner.append(wall.astimezone().strftime("%H:%M:%S"))
        if state is not None:
            code = f"code {code_id}" if code_id is not None else "code not created yet"
            banner.append(f"  · {code} · {visible(board.patient_band(state.patient))}")
            banner.append("  · IN ARREST" if state.arrest else "  · not in arrest")
        if self.ago:
            banner.append(f"  · next entry: {int(self.ago)} s ago", style="bold reverse")
            if early:  # said before the entry is made: it will be refused, not moved to T+00:00
                banner.append(" — before the code's start: - again until it is off", style="bold red")
        return banner

    def show_fault(self, message: str | None) -> None:
        text = Text()
        if message:
            text.append(f"NOT SAVED — {visible(message)}\n")
        if self.queue:
            if self.queue.queued:
                kept = ", ".join(visible(str(p)) for p in self.queue.kept_in())
                if kept:
                    text.append(f"  kept in {kept} until it is saved\n")
                if self.queue.unkept():
                    why = visible(self.queue.journal_fault or "no journal")
                    text.append(f"  {self.queue.unkept()} NOT KEPT ON DISK ({why}): keep the recorder open\n")
            if self.queue.start is not None:
                text.append(f"  queued {code_time(0)} start of the code — retrying every second\n")
            for entry in self.queue.pending:
                text.append(f"  queued {code_time(entry.t)} {queued_words(entry)} — retrying every second\n")
            for entry, why in self.queue.rejected:
                text.append(f"  refused {code_time(entry.t)} {queued_words(entry)}: {visible(str(why))}\n")
        fault = self.query_one("#fault", Static)
        fault.update(text)
        fault.add_class("shown")

    # ── the keys ─────────────────────────────────────────────────────────

    def open(self, screen, make: Callable[[Any], dict[str, Any] | None] = lambda d: d, t: float | None = None) -> None:
        """Open a picker; the entry's time is now, when its first key was pressed (or `t`).

        The picker logs through `enter` before it closes: a refused entry keeps it open, with the reason.
        """
        t = self.entry_time() if t is None else t
        screen.entry = lambda result: self.enter(make(result), t)
        self.app.push_screen(screen, self.landed)

    def preview(self, t: float) -> Callable[[dict[str, Any]], list]:
        return lambda data: self.queue.preview(data, t) if self.queue else []

    def action_io(self) -> None:
        if not self.ensure_started():
            return
        t = self.entry_time()
        picker = IoPicker(
            self.preview(t),
            board.breached_sites(self.started.state),
            self.last_device,
            self.last_needle,
            self.protocol.needle.choices(),
        )
        self.open(picker, t=t)

    def action_iv(self) -> None:
        choices = [Choice("y", "in", "in"), Choice("x", "failed", "failed")]
        self.open(ChoicePicker("IV attempt — result?", choices, lambda r: {"kind": "iv_attempt", "result": r}))

    def action_line_result(self, result: str) -> None:
        if not self.ensure_started():
            return
        line = self.current
        if line is None or not line.startswith("io"):
            self.refused("no IO line to give a result for: i starts an IO attempt")
            return
        self.record({"kind": "io_result", "line": line, "result": result}, self.entry_time())

    def action_aspiration(self) -> None:
        line = self.current
        if line is None or not line.startswith("io"):
            self.refused("no IO line to aspirate: i starts an IO attempt")
            return
        choices = [Choice("y", "marrow aspirated", True), Choice("n", "nothing", False)]
        self.open(
            ChoicePicker(f"Aspiration {line}", choices, lambda m: {"kind": "aspiration", "line": line, "marrow": m})
        )

    def action_flush(self) -> None:
        if not self.ensure_started():
            return
        form = self.forms()["flush"]
        minimum = self.started.state.min_flush_ml()
        # The protocol's minimum for this patient, shown as the volume (stored as shown); none known: asked.
        fields = tuple(replace(f, default=minimum or None) if f.name == "volume_ml" else f for f in form.fields)
        self.open(FormScreen(Form(form.kind, f"Flush {self.current or ''}", fields)))

    def action_drug(self, drug: str | None = None) -> None:
        if not self.ensure_started():
            return
        t = self.entry_time()
        state = self.started.state
        live = [r.id for r in self.line_rows(state) if r.status not in ("failed", "removed")]

        def propose(name: str, purpose: str | None, route: str | None) -> Advice:
            # The dose for this patient by this route, and what can still be checked when it cannot be
            # proposed (a patient of unknown age takes the band their setting or weight implies).
            return dose_advice(
                self.protocol,
                name,
                route=route,
                purpose=purpose,
                age=state.age,
                weight=state.weight,
                setting=state.setting,
                earlier_doses=state.doses.get(name, 0),
            )

        usable = [r.id for r in self.line_rows(state) if r.usable]
        via = self.current if self.current in usable or not usable else usable[0]

        def volume(data: dict[str, Any]) -> float | None:
            unit, conc = data.get("unit"), data.get("concentration")
            if unit is None:
                return None  # no unit yet: no volume to say
            return volume_ml(data["dose"], unit, drug=data["drug"], concentration=conc, protocol=self.protocol)

        def strengths(name: str):
            return self.protocol.concentration_choices(name, state.age)

        ctx = DrugContext(live, via, propose, self.preview(t), strengths, volume)
        self.open(DrugPicker(ctx, drug), t=t)

    def forms(self) -> dict[str, Form]:
        state = self.queue.state if self.queue else None
        lines = [r.id for r in self.line_rows(state)] if state else []
        infusions = [i for i, inf in state.infusions.items() if inf.running] if state else []
        return forms(lines, infusions, self.current)

    def action_form(self, name: str) -> None:
        if not self.ensure_started():
            return
        t = self.entry_time()
        form = self.shock_form() if name == "shock" else self.forms()[name]
        # The flags the entry would raise are shown in the form before Enter (a shock into asystole).
        self.open(FormScreen(form, preview=self.preview(t)), t=t)

    def shock_form(self) -> Form:
        """The shock form with the protocol's J/kg energy for this weight proposed (shown as stored),
        first or later shock as SHOCK_ENERGY counts them; weight unknown: said, nothing proposed."""
        form, state = self.forms()["shock"], self.started.state

        def advice(synchronized: bool):
            return shock_advice(
                self.protocol,
                age=state.age,
                weight=state.weight,
                shocks=state.shocks[False],
                cardioversions=state.shocks[True],
                synchronized=synchronized,
            )

        def follow(answers: dict[str, Any]) -> tuple[dict[str, Any], str]:
            # y on "Synchronized": the cardioversion's 0.5–1 J/kg is proposed instead.
            now = advice(answers.get("synchronized") is True)
            return {"joules": now.joules}, now.note

        unsynchronized = advice(False)
        fields = tuple(replace(f, default=unsynchronized.joules) if f.name == "joules" else f for f in form.fields)
        return replace(form, fields=fields, note=unsynchronized.note, propose=follow)

    def action_patient(self) -> None:
        if self.ensure_started():
            self.open(PatientPrompt())

    def action_circulation(self) -> None:
        """`o r` ROSC, `o a` arrest again, `o e` then the outcome ends the code: all timed at `o`."""
        t = self.entry_time()

        def chosen(data: dict[str, Any] | None) -> None:
            if data is not None and data["kind"] == "code_ended":
                self.app.push_screen(end_picker(), lambda end: self.record(end, t))
            else:
                self.record(data, t)

        self.app.push_screen(ChoicePicker("Circulation — or the end of the code", CIRCULATION, kind), chosen)

    def action_note(self) -> None:
        self.open(TextPrompt("Note", "what happened"), lambda text: {"kind": "note", "text": text})

    def action_rhythm(self) -> None:
        self.open(ChoicePicker("Rhythm", RHYTHMS, lambda r: {"kind": "rhythm", "rhythm": r}))

    def action_cpr(self) -> None:
        if self.queue is not None and self.queue.queued:  # a queued start or stop counts too
            running = board.cpr_running(reversed(self.queue.timeline()))
        else:
            running = board.cpr_running(r.record for r in self.rows if not r.voided)  # newest first
        self.log_kind("cpr_stopped" if running else "cpr_started")

    def log_kind(self, kind: str, **fields: Any) -> None:
        """An event with nothing to ask: ROSC, re-arrest, CPR."""
        self.record({"kind": kind, **fields}, self.entry_time())

    def action_end(self) -> None:
        self.open(end_picker())

    def action_next_line(self) -> None:
        if self.queue:
            state = self.queue.state
            self.current = board.next_line(state, self.current, self.line_rows(state))
            self.refresh_panels()

    def action_late(self) -> None:
        self.ago = LATE_STEPS[(LATE_STEPS.index(self.ago) + 1) % len(LATE_STEPS)]
        self.refresh_panels()

    def action_acknowledge(self) -> None:
        """Acknowledge the flag shown highlighted in the flags panel (FlagsPanel says which), naming it."""
        if self.session is None:
            return
        panel = self.query_one(FlagsPanel)
        panel.show(board.flags_by_urgency(self.session.flags()))
        if panel.target is None:
            choose = "tap one" if self.touch else "Tab to the flags, ↑↓ to choose one"
            more = f" ({choose} for a new reason)" if panel.option_count else ""
            self.notify(f"No flag to acknowledge{': every flag is acknowledged' + more if more else ''}")
            return
        flag, why = panel.target
        t = self.entry_time()
        title = f"Acknowledge {flag.severity} {flag.rule} on {named(self.session, flag.seq)} ({why}) — why?"

        def acknowledged(reason: str) -> dict[str, Any]:
            panel.spend((flag.rule, flag.seq))
            return {"kind": "acknowledge", "rule": flag.rule, "target": flag.seq, "reason": reason}

        self.open(TextPrompt(title, "e.g. only site available"), acknowledged, t)

    def selected_event(self) -> Row | None:
        row = self.query_one(TimelineView).selected
        refused = uncorrectable(row)
        if refused:
            self.notify(refused.replace("(↑↓)", "(tap a row)") if self.touch else refused, severity="warning")
            return None
        return row

    def action_void(self) -> None:
        row = self.selected_event()
        if row is None:
            return
        self.open(*void_prompt(row))

    def action_amend(self) -> None:
        row = self.selected_event()
        if row is None:
            return
        form, make = amend_form(row)
        self.open(FormScreen(form, when=self.when()), make)


def named(session: Session, seq: int) -> str:
    """An event as a correction's form names it: `#21 · T+03:12 (14:08:12) · Rhythm: asystole`."""
    record = next((r for r in session.timeline() if r.seq == seq), None) or session.records[seq - 1]
    return record_words(record)


def record_words(record: EventRecord) -> str:
    wall = record.occurred_at.astimezone().strftime("%H:%M:%S")
    return f"#{record.seq} · {code_time(record.t)} ({wall}) · {describe(record.event)}"


def uncorrectable(row: Row | None) -> str | None:
    """Why the selected timeline row cannot be voided or amended (None: it can)."""
    if row is None:
        return "Select an event in the timeline (↑↓) first"
    if row.voided:
        return f"#{row.record.seq} is already voided; select another event (↑↓)"
    if row.record.kind in RECORD_KEEPING or row.record.kind == "code_started":
        return f"#{row.record.seq} is {describe(row.record.event)}: it cannot be corrected; select an event (↑↓)"
    return None


def void_prompt(row: Row) -> tuple[TextPrompt, Callable[[str], dict[str, Any] | None]]:
    """The prompt that voids the selected event, naming it (seq, time, what it is), and what makes its data."""
    seq = row.record.seq
    prompt = TextPrompt(f"Void {record_words(row.record)} — why?", "e.g. wrong patient")
    return prompt, lambda reason: {"kind": "void", "target": seq, "reason": reason} if reason else None


def amend_form(row: Row) -> tuple[Form, Callable[[dict[str, Any]], dict[str, Any] | None]]:
    """The form that amends the selected event, prefilled with what it holds now, and what makes its data."""
    event = row.record.event
    model = KIND_MODEL[event.kind]
    current = event.model_dump(exclude={"kind"}, exclude_none=True)
    # Prefilled with what the event holds now (`default=`: the fourth field is the choices).
    # The time as people say it (mm:ss, T+mm:ss, a clock time, "1 min ago"), read back before Enter.
    fields = [Field("t", "Time", "time", default=event.t, required=True)]
    for name in model.model_fields:
        if name in ("kind", "t", "line", "infusion", "patient", "tests", "changes"):
            continue
        kind = "number" if isinstance(current.get(name), float) else "text"
        fields.append(Field(name, words(name), kind, default=current.get(name)))
    fields.append(Field("reason", "Why", required=True))
    form = Form("amend", f"Amend {record_words(row.record)}", tuple(fields))
    return form, lambda values: amend_data(row.record.seq, current, values)


def kind(name: str) -> dict[str, Any]:
    return {"kind": name}


def end_picker() -> ChoicePicker:
    return ChoicePicker("End the code — outcome?", OUTCOMES, lambda o: {"kind": "code_ended", "outcome": o})


def amend_data(seq: int, current: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The changes of an amend form: only fields that differ, typed like the originals."""
    reason = values.pop("reason", None)
    values.pop("kind", None)
    changes = {}
    for name, value in values.items():
        old = current.get(name)
        if isinstance(old, bool) and isinstance(value, str):
            value = value.lower() in ("true", "yes", "y", "1")
        if value != old and not (old is None and value in ("", None)):
            changes[name] = value
    if not reason:
        raise Refused("reason: say why it is amended", "reason")
    if not changes:
        raise Refused("nothing changed: change a field, or Esc to cancel")
    return {"kind": "amend", "target": seq, "changes": changes, "reason": reason}


def queued_words(entry: Pending) -> str:
    """A queued entry as the timeline will show it, naming its line: `IO result io2: failed`."""
    try:
        return visible(describe(parse_event({**entry.data, "t": entry.t})))
    except EventError:
        return visible(str(entry.data.get("kind")))
