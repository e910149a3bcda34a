"""The team display (`recorder watch`): a read-only wall screen following a code another recorder writes."""

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from recorder.core.clock import Clock
from recorder.core.session import Session
from recorder.engine import Protocol
from recorder.store import Store, StoreError
from recorder.tui import board, team_board
from recorder.tui.board import Timer
from recorder.tui.literal import literal, visible
from recorder.tui.timeline import SEVERITY_MARK, SEVERITY_STYLE, TimelineRows, row_text
from recorder.tui.widgets import STATUS_STYLE, Panel
from schemas.formatting import clock as clock_time
from schemas.formatting import mmss
from schemas.formatting import t_plus as code_time

POLL_S = 0.25  # how often the code's head is looked at: a committed entry is shown well within 1 s
TIMER_SLOTS = 4  # timers drawn in large type side by side; more are listed under them
LAST_ENTRIES = 12
# A timer with no threshold (rhythm check) is drawn without a colour: no colour means neither on time nor late.
LEVEL_CLASS = {"ok": "", "due": "due", "over": "over"}


class TimerBox(Vertical):
    """One timer in large type: its words above, its m:ss in big digits."""

    def compose(self) -> ComposeResult:
        yield Static(classes="timer-label")
        yield Digits("0:00", classes="timer-digits")

    def show(self, timer: Timer | None) -> None:
        self.display = timer is not None
        if timer is None:
            return
        label = Text(visible(timer.label), style="bold")
        label.append(f"\n{visible(timer.detail)}", style="")
        self.query_one(".timer-label", Static).update(label)
        self.query_one(Digits).update(mmss(timer.seconds))
        for level in ("due", "over"):
            self.set_class(LEVEL_CLASS[timer.level] == level, level)


class WatchApp(App[None]):
    """Follows one code: its clock, timers, lines, flags (critical first) and latest entries; keys only quit."""

    TITLE = "Resuscitation recorder — team display"
    CSS_PATH = "watch.tcss"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, session: Session, clock: Clock, protocol: Protocol, poll_s: float = POLL_S) -> None:
        super().__init__()
        self.session = session
        self.clock = clock
        self.protocol = protocol
        self.poll_s = poll_s
        self.fault: str | None = None  # why the database cannot be read now: said in red, never hidden
        self.marks = team_board.landmarks(session)
        self.rows: TimelineRows | None = None  # the latest entries: built when shown, only as many as are shown

    def compose(self) -> ComposeResult:
        with Horizontal(id="head"):
            with Vertical(id="clock-box"):
                yield Static("CODE TIME", id="clock-label")
                yield Digits("0:00", id="clock")
            yield Static(id="standing")
        yield Static(id="fault")
        with Horizontal(id="timers"):
            for _ in range(TIMER_SLOTS):
                yield TimerBox(classes="timer")
        yield Static(id="more-timers")
        with Horizontal(id="middle"):
            yield Panel(id="lines")
            yield Panel(id="flags")
        yield Panel(id="entries")
        yield Static("read-only team display · q quit", id="foot")

    def on_mount(self) -> None:
        self.query_one("#lines").border_title = "Lines"
        self.query_one("#flags").border_title = "Flags (critical first)"
        self.query_one("#entries").border_title = "Latest entries"
        # The first look is made at once, deadlines included: a flag whose deadline passed before the display
        # opened is on its first frame, not a poll later.
        self.poll(whole=True)
        # The screen's own timer, so that it stops with the screen, before its panels go: an app's timer
        # outlived them on quitting and its poll found no panel (a NoMatches traceback, seen under load).
        self.screen.set_interval(self.poll_s, self.poll)

    def poll(self, whole: bool = False) -> None:
        """Fold what the writer committed since the last look; the clocks move either way (`whole`: every
        panel drawn, new entries or not)."""
        if self._exit:
            return  # closing
        try:
            new, raised = self.session.follow()
        except StoreError as exc:
            self.fault = str(exc)
            new, raised = [], []
        else:
            self.fault = None
        if new or raised or whole:
            self.show_code()
        else:
            self.show_clocks()

    def show_code(self) -> None:
        """Every panel: after new entries (a void or an amend may change any of them) or a deadline's flag."""
        session = self.session
        self.marks = team_board.landmarks(session)
        # The code's clock now, or stopped at its end: an ended code's lines are as long in as they were then.
        now = team_board.status(session, session.now(), self.marks).clock
        self.query_one("#lines", Panel).update(lines_text(session, now))
        self.query_one("#flags", Panel).update(flags_text(session))
        if self.rows is None:
            self.rows = TimelineRows(session)
        else:
            self.rows.refresh()  # new entries, a void, an amend: the order read again, no row built yet
        self.query_one("#entries", Panel).update(entries_text(self.rows))
        self.show_clocks()

    def show_clocks(self) -> None:
        session, now = self.session, self.session.now()
        status = team_board.status(session, now, self.marks)
        self.query_one("#clock", Digits).update(mmss(status.clock))
        standing = Text()
        standing.append(status.words, style="bold reverse" if status.ended else "bold")
        standing.append(f"\ncode {status.code_id} · {visible(board.patient_band(session.state.patient))}")
        # The clock time in the code's own offset at the code's clock (the end, once it has ended): the time
        # the team saw on the screen, not this machine's now.
        standing.append(f"\n{code_time(status.clock)} · {clock_time(session.started_at, status.clock)}")
        standing.append(" · the code has ended: this is its end state" if status.ended else " · following live")
        self.query_one("#standing", Static).update(standing)
        fault = self.query_one("#fault", Static)
        fault.update(literal(f"CANNOT READ THE CODE — shown as last read: {self.fault}" if self.fault else ""))
        fault.set_class(self.fault is not None, "shown")
        timers = [] if status.ended else team_board.team_timers(session, now, self.protocol, self.marks)
        for box, timer in zip(self.query(TimerBox), [*timers, *[None] * TIMER_SLOTS], strict=False):
            box.show(timer)
        more = Text()
        for timer in timers[TIMER_SLOTS:]:
            more.append(f"{mmss(timer.seconds):>6}  {visible(timer.label)}  {visible(timer.detail)}\n")
        more.rstrip()
        self.query_one("#more-timers", Static).update(more)


def lines_text(session: Session, now: float) -> Text:
    """Each access line, newest first: id, status, time in place, where."""
    rows = board.line_rows(session.state)
    text = Text(no_wrap=True, overflow="ellipsis")
    if not rows:
        text.append("No lines yet", style="dim")
    for row in rows:
        text.append(f"{row.id:<5}", style="bold")
        text.append(f"{row.status:<11}", style=STATUS_STYLE.get(row.status, ""))
        since = mmss(now - row.since) if row.since is not None and row.status not in ("failed", "removed") else ""
        text.append(f"{since:>6}  ", style="bold")
        text.append(f"{visible(row.where)}  {visible(row.kit)}\n")
    text.rstrip()
    return text


def flags_text(session: Session) -> Text:
    """Flags unacknowledged first, critical first, newest first (the screen's own order)."""
    flags = board.flags_by_urgency(session.flags())
    text = Text(no_wrap=True, overflow="ellipsis")
    if not flags:
        text.append("No flags", style="dim")
    for flag in flags:
        text.append(f" {SEVERITY_MARK[flag.severity]} ", style=SEVERITY_STYLE[flag.severity])
        style = "dim" if flag.acknowledged else "bold"
        text.append(f" {code_time(flag.t)} {flag.rule}", style=style)
        if flag.acknowledged:
            text.append(" ✓", style="green")
        text.append(f"\n    {visible(flag.message)}\n", style="dim" if flag.acknowledged else "")
    text.rstrip()
    return text


def entries_text(rows: TimelineRows, count: int = LAST_ENTRIES) -> Text:
    """The latest entries as they stand, newest first; voided ones struck through (the scribe's row without its
    seq column and correction notes)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for row in rows[:count]:
        text.append_text(row_text(row, numbered=False, corrections=False))
        text.append("\n")
    text.rstrip()
    return text


def build_watch(store: Store, clock: Clock, protocol: Protocol, code_id: int) -> WatchApp:
    """The team display on `code_id`, read from a read-only store; the flags worked out by these rules."""
    if not store.readonly:
        raise ValueError("the team display reads a read-only store: it never writes")
    if store.copy:
        # Read through a migrated copy in memory, it would show the code as it was, never what is added.
        raise StoreError(
            f"{store.path} was written by an older recorder and no recorder of this version is writing it: "
            "the team display follows only a code being recorded; `recorder summary` shows this one"
        )
    session = Session.read(store, clock, code_id, protocol, recompute=True)
    return WatchApp(session, clock, protocol)
