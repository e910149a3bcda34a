"""Review mode for the debrief: a finished code's timeline, lines, drugs and flags, and corrections to it."""

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from exports.describe import describe
from recorder.core.private import write_private
from recorder.core.session import EndHook, Logged, Session, SessionError
from recorder.store import StoreError
from recorder.tui import board
from recorder.tui.literal import literal, visible
from recorder.tui.live import amend_form, uncorrectable, void_prompt
from recorder.tui.pickers import FormScreen, Refused, When
from recorder.tui.timeline import timeline_rows
from recorder.tui.touch import TouchTimeline, binding_bar, choice_row, is_touch
from recorder.tui.widgets import Banner, FlagsPanel, LinesPanel, Row, TimelineView
from schemas.events import CodeEnded
from schemas.formatting import mmss
from schemas.formatting import t_plus as code_time


class ReviewScreen(Screen):
    """What happened, when, and what went off protocol. Nothing at the bedside is logged here; a finished
    code's record can be corrected (void, amend: record keeping with a reason, hash-chained like any entry)."""

    BINDINGS = [
        Binding("h", "summary", "HTML summary", tooltip="Write the code summary (HTML) next to the database"),
        Binding("delete", "void", "Void", tooltip="Void the selected event, with a reason"),
        Binding("m", "amend", "Amend", tooltip="Amend the selected event, with a reason"),
        Binding("escape", "close", "Back"),
        Binding("question_mark", "app.help", "Help"),
        Binding("o", "app.codes", "Other code"),
    ]

    def __init__(
        self, session: Session, *, last: bool = False, on_end: EndHook | None = None, touch: bool = False
    ) -> None:
        """`last`: the review of the code that has just ended here; closing it closes the recorder.
        `on_end`: given to the session a correction is recorded with (the code keeps its audit rows).
        `touch`: the touch layout (recorder/tui/touch.py): a button for each key, rows selected by a tap."""
        super().__init__()
        self.touch = touch
        self.on_end = on_end
        self.session = session
        self.last = last
        self.writer: Session | None = None  # opened (and the code locked) at the first correction

    def compose(self) -> ComposeResult:
        yield Banner(id="banner")
        with Horizontal():
            with Vertical(id="left"):
                yield LinesPanel(id="lines")
                yield Static(id="drugs")
                yield TouchTimeline(id="timeline") if self.touch else TimelineView(id="timeline")
            yield FlagsPanel(id="flags")
        yield binding_bar(self.BINDINGS, id="keys") if self.touch else Footer()

    def on_mount(self) -> None:
        self.show_code()
        self.query_one(TimelineView).focus()

    def show_code(self) -> None:
        session = self.session
        state = session.state
        timeline = session.timeline()
        end = timeline[-1].t if timeline else 0.0
        ended = next((r for r in timeline if r.kind == "code_ended"), None)
        banner = Text()
        banner.append(f"REVIEW · code {session.code_id} · ", style="bold")
        banner.append(session.records[0].occurred_at.astimezone().strftime("%Y-%m-%d %H:%M"))
        banner.append(f" · {code_time(end)} · {visible(board.patient_band(state.patient))}")
        banner.append(f" · {'ended: ' + ended.typed(CodeEnded).outcome if ended else 'still open'}")
        self.query_one(Banner).update(banner)
        self.query_one("#lines").border_title = "Lines"
        self.query_one(LinesPanel).show(board.line_rows(state), None, end)
        drugs = Text()
        for record in timeline:
            if record.kind in ("drug", "fluid", "infusion_started"):
                drugs.append(f"{code_time(record.t):>10}  {visible(describe(record.event))}\n")
        drugs_panel = self.query_one("#drugs", Static)
        drugs_panel.update(drugs or Text("No drugs or fluids", style="dim"))
        drugs_panel.border_title = "Drugs and fluids"
        self.query_one("#timeline").border_title = "Timeline (newest first)"
        self.query_one(TimelineView).show(timeline_rows(session))
        flags = board.flags_by_urgency(session.flags())
        self.query_one(FlagsPanel).show(flags)
        self.query_one("#flags").border_title = f"Flags ({len(flags)})"

    # ── corrections after the end ────────────────────────────────────────

    def selected_event(self) -> Row | None:
        row = self.query_one(TimelineView).selected
        refused = uncorrectable(row)
        if refused is None and not self.session.ended:
            refused = "This code is still open: correct it on its live screen (`recorder resume`)"
        if refused:
            self.notify(refused, severity="warning")
            return None
        return row

    def action_void(self) -> None:
        row = self.selected_event()
        if row is not None:
            self.open(*void_prompt(row))

    def action_amend(self) -> None:
        row = self.selected_event()
        if row is not None:
            form, make = amend_form(row)
            clock = self.session.clock
            self.open(FormScreen(form, when=When(clock.elapsed, clock.start)), make)

    def open(self, screen, make) -> None:
        """A correction's dialog: a refused correction keeps it open with the reason, as on the live screen."""
        screen.entry = lambda result: self.correct(make(result))
        self.app.push_screen(screen, self.corrected)

    def correct(self, data: dict[str, Any] | None) -> Logged:
        """Record a void or an amend now, as this code's one writer; Refused (the dialog stays open) if not."""
        if data is None:
            raise Refused("nothing to record: give a reason, or Esc to cancel")
        session = self.session
        try:
            if self.writer is None:
                # The same path as `recorder resume`: the code is locked (two recorders never write one code)
                # and its stored flags brought up to date before anything is added.
                self.writer = Session.resume(
                    session.store, session.clock.clock, session.code_id, session.protocol, on_end=self.on_end
                )
            return self.writer.log(data)
        except (SessionError, StoreError) as exc:
            raise Refused(str(exc)) from None

    def corrected(self, logged: Logged | None) -> None:
        """A correction is on disk: show the code as it stands, and say what was recorded."""
        if logged is None:
            return
        code_id = self.session.code_id
        if self.writer is not None:  # opened by the correction just written
            self.session = self.writer
        self.show_code()
        record = logged.record
        what = f"#{record.seq} {describe(record.event)}"
        if not self.session.ended:
            what += f"; the code is open again: `recorder resume {code_id}` goes on recording it"
        self.notify(what, title="Recorded", timeout=10)

    def action_summary(self) -> None:
        """Write the HTML summary beside the database, owner-only, and say where."""
        from exports.formats import SUMMARY_FORMATS
        from recorder.core.code_record import build_code_record

        path = self.session.store.path.with_name(f"code-{self.session.code_id}-summary.html")
        try:
            write_private(path, SUMMARY_FORMATS["html"].render(build_code_record(self.session)))
        except OSError as exc:
            self.notify(f"Cannot write {path}: {exc.strerror}", title="Summary not written", severity="error")
            return
        self.notify(str(path), title="Summary written", timeout=15)

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1 and not self.last:  # opened from the codes list: back
            self.app.pop_screen()
        else:
            self.app.exit()


class CodeList(ModalScreen[int | None]):
    """Past codes to review: Enter opens one, Esc closes."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]
    DEFAULT_CSS = """
    CodeList { align: center middle; }
    CodeList > OptionList { width: 100; height: 70%; border: thick $accent; }
    CodeList > #close { width: 100; }
    """

    def __init__(self, rows: list[dict]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        options = []
        for r in reversed(self.rows):
            duration = mmss(r["duration_s"]) if r["duration_s"] is not None else "-"
            counts = "/".join(str(v) for v in r["flags"].values())
            band = r["age_band"] or "?"
            label = f"code {r['code']:>4}  {r['start']}  {duration:>7}  {band:<7}  flags {counts}  {r['status']}"
            options.append(Option(literal(label), id=str(r["code"])))
        yield OptionList(*options or [Option("No codes yet", disabled=True)])
        if is_touch(self.app):  # a code is tapped in the list; Close is what Esc does
            yield choice_row([("Close", "dismiss(None)")], columns=1, id="close")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id) if event.option.id else None)
