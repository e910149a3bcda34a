"""The Textual app and its factory, shared by the CLI, the tests and the snapshot tests."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Sequence
from types import EllipsisType
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette, Provider
from textual.driver import Driver
from textual.notifications import Notification, Notify, SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from recorder.core.clock import Clock, CodeClock, SystemClock
from recorder.tui.escape_keys import read_escape_first
from recorder.tui.key_order import KeysInOrder
from recorder.tui.literal import pasted, visible, visible_lines
from recorder.tui.opening import OpeningScreen
from recorder.tui.young_collection import collect_young

# The session, the engine, the store and the screens that show them are imported when the code is opened,
# after the first frame (recorder/tui/opening.py draws it from textual alone: benchmarks/bench_startup.py).
if TYPE_CHECKING:
    from recorder.core.session import EndHook, Session
    from recorder.engine import Protocol
    from recorder.store import Store
    from recorder.tui.write_queue import WriteQueue

# What opens the code after the first frame: the store and the protocol (the CLI's Context opens both).
Opener = Callable[[], "tuple[Store, Protocol]"]


def event_commands() -> type[Provider]:
    """The palette's entries (every event by name), loaded when the palette first opens."""
    from recorder.tui.commands import EventCommands

    return EventCommands


class RecorderApp(App[None]):
    """The scribe's screen: a live code, or a finished one under review.

    Given `opener` (the CLI), the app draws its first frame (recorder/tui/opening.py) before it opens the
    code: the models, the engine and the store load after it, the keys typed meanwhile wait in order,
    and a fault while opening (a locked code, a database from a newer recorder) ends the app, and is
    raised again by `raise_failure` once the terminal is given back, as one line.
    """

    TITLE = "Resuscitation recorder"
    CSS_PATH = ["recorder.tcss", "touch.tcss"]
    COMMANDS = App.COMMANDS | {event_commands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    # Set by __init__, or when the code is opened after the first frame (`opener`).
    store: Store
    protocol: Protocol

    def __init__(
        self,
        store: Store | None,
        clock: Clock,
        protocol: Protocol | None,
        session: Session | None = None,
        new_fields: dict[str, Any] | None = None,
        review: Session | None = None,
        queue: WriteQueue | None = None,
        on_end: EndHook | EllipsisType | None = ...,
        touch: bool | None = None,
        *,
        opener: Opener | None = None,
        mode: str = "auto",
        code_id: int | None = None,
        db_path: str = "",
    ) -> None:
        super().__init__()
        self.asked_touch = touch  # --touch / --no-touch; None: a browser as narrow as a tablet gets it
        self.touch = bool(touch)  # decided when the first screen is made (recorder/tui/touch.py: wants_touch)
        if on_end is ...:  # the default: an ended code keeps its audit rows
            from recorder.core.end_hooks import keep_audit_rows

            on_end = keep_audit_rows
        self.on_end = on_end  # given to every session this app writes with (an ended code keeps its audit rows)
        if store is not None:
            self.store = store
        self.clock = clock
        if protocol is not None:
            self.protocol = protocol
        self.session = session
        self.new_fields = new_fields
        self.review_session = review
        self.queue = queue
        self.keys_in_order = KeysInOrder(self, super().on_event, clock.since_stamp, self._key_handled)
        self._collect_after_frame = False  # a key was handled: the next frame drawn is followed by a young pass
        self._grouped: dict[str, Notification] = {}  # the notice still showing of each group (notify)
        # Opening the code after the first frame: how, what, and what went wrong (raised after the run).
        self.opener = opener
        self.mode = mode
        self.code_id = code_id
        self.db_path = db_path
        self.failure: BaseException | None = None
        self.opened: CodeClock | None = None  # a new code's clock, from the first frame (when it comes first)
        if opener is not None:
            self.keys_in_order.hold()  # keys typed before the code is open wait for its screen

    @classmethod
    def opening(
        cls,
        opener: Opener,
        clock: Clock,
        *,
        mode: str,
        db_path: str,
        code_id: int | None = None,
        new_fields: dict[str, Any] | None = None,
        touch: bool | None = None,
    ) -> RecorderApp:
        """The app that draws its first frame, then opens the code as `build_app` would (see the class)."""
        return cls(
            None,
            clock,
            None,
            new_fields=new_fields,
            touch=touch,
            opener=opener,
            mode=mode,
            code_id=code_id,
            db_path=db_path,
        )

    def get_default_screen(self) -> Screen:
        """The scribe's screen is the first one: its first frame is the app's first frame (pushed over
        Textual's empty default screen, it came a frame later: benchmarks/bench_startup.py). With the
        code still to open, that frame is its layout (OpeningScreen), and the screen takes its place."""
        if self.opener is not None:
            # The screen opens now: a new code's clock runs from here, however long the code takes to open.
            self.opened = CodeClock(self.clock, self.clock.wall())
            return OpeningScreen(self.db_path, new=self.mode == "new")
        return self.code_screen()

    def code_screen(self) -> Screen:
        """The live screen on the code, or its review."""
        from recorder.tui.live import LiveScreen
        from recorder.tui.review import ReviewScreen
        from recorder.tui.touch import wants_touch

        self.touch = wants_touch(self.asked_touch, self.is_web, self.size.width)
        if self.review_session is not None:
            # The first screen: closing it closes the recorder (`last`), with the opening screen beneath or not.
            return ReviewScreen(self.review_session, last=True, on_end=self.on_end, touch=self.touch)
        return LiveScreen(
            self.store,
            self.clock,
            self.protocol,
            self.session,
            self.new_fields,
            self.queue,
            on_end=self.on_end,
            touch=self.touch,
            code_clock=self.opened,
        )

    def open_code(self) -> None:
        """Open the store and the code as `build_app` does (its session, its journal, or its review)."""
        if self.opener is None:
            return
        opener, self.opener = self.opener, None
        self.store, self.protocol = opener()
        opened = open_code(
            self.store, self.clock, self.protocol, self.mode, self.code_id, self.new_fields, code_clock=self.opened
        )
        self.session = opened.get("session")
        self.queue = opened.get("queue")
        self.review_session = opened.get("review")
        self.new_fields = opened.get("new_fields")

    def _open_after_first_frame(self) -> None:
        try:
            self.open_code()
        except Exception as exc:  # noqa: BLE001 - raised again once the terminal is back (raise_failure)
            self.failure = exc
            self.exit(return_code=2)
            return
        # Over the opening screen, which stays beneath it (Textual switches only screens it pushed).
        self.push_screen(self.code_screen())
        self.keys_in_order.let_go()
        self.call_after_refresh(gc.freeze)

    def _key_handled(self) -> None:
        self._collect_after_frame = True

    def _display(self, screen: Screen, renderable: Any) -> None:
        """Textual puts a frame on the terminal; after the first one drawn since a key was handled, the
        collector's young pass is made on the loop's next turn, once the frame is out, rather than inside
        a later key (recorder/tui/young_collection.py)."""
        super()._display(screen, renderable)
        if self._collect_after_frame and renderable is not None:
            self._collect_after_frame = False
            asyncio.get_running_loop().call_soon(collect_young)

    def raise_failure(self) -> None:
        """After the run: what stopped the code from opening, raised as build_app would have raised it."""
        if self.failure is not None:
            raise self.failure

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self.keys_in_order.arrived(event)  # typed ahead: each key where the one before left off
        elif isinstance(event, events.MouseDown | events.MouseUp) and not event.is_forwarded:
            # A click or a tap: after the keys typed before it, and the keys typed after it wait until what it
            # set off is done (a box it opened is ready), as they wait for a key's.
            await self.keys_in_order.pointer(event, lambda: super(RecorderApp, self).on_event(event))
        elif isinstance(event, events.Paste) and not event.is_forwarded:
            text = events.Paste(pasted(event.text))  # what the box will hold and store, shown as it is
            await self.keys_in_order.paste(text, lambda: super(RecorderApp, self).on_event(text))  # text, as keys
        else:
            await super().on_event(event)

    def get_driver_class(self) -> type[Driver]:
        return read_escape_first(super().get_driver_class())  # Esc then a key is two keys, never Alt+key

    def action_command_palette(self) -> None:
        """ctrl+p is the first key of the entry chosen in the palette: its time is taken now."""
        from recorder.tui.live import LiveScreen

        # is_open is typed for App[object]; App is invariant in its result type and this app returns None.
        if isinstance(self.screen, LiveScreen) and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.screen.hold_time()
        super().action_command_palette()

    @on(CommandPalette.Closed)
    def _palette_closed(self, event: CommandPalette.Closed) -> None:
        from recorder.tui.live import LiveScreen

        if not event.option_selected:  # cancelled: the time held for it is no entry's
            for screen in self.screen_stack:
                if isinstance(screen, LiveScreen):
                    screen.held = None

    def on_mount(self) -> None:
        # The code loaded for the screen (thousands of events in a long one) lives as long as the app:
        # once it is drawn, it is kept out of the cyclic collector's full passes, each of which would
        # otherwise stall a key by tens of milliseconds.
        if self.opener is None:
            self.call_after_refresh(gc.freeze)

    def on_ready(self) -> None:
        """The first frame is drawn (Textual's Ready): now the code is opened, if it is still to open."""
        # The collector, paused for the launch by the CLI (recorder/cli/group.py: main), runs again: whatever
        # this screen is, a first frame drawn is the end of the launch.
        gc.enable()
        if self.opener is not None:
            self._open_after_first_frame()  # gc.freeze follows, once the code's screen is drawn

    def on_unmount(self) -> None:
        gc.unfreeze()

    def notify(
        self,
        message: str | Sequence[str],
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
        replaces: str | None = None,
    ) -> None:
        """Every notification (a flag, a refused entry, a path) is literal text: its words came from a
        person or a file, so they are never read as markup, whatever the caller asked. A sequence of strings
        is lines, one under another (literal.visible_lines); a line break within one string is shown as `↵`.

        `replaces`: a group (the new flags) whose notice still showing this one takes the place of, so
        a burst of entries never stacks notices over the banner; the flags panel keeps every flag.
        """
        shown = visible(message) if isinstance(message, str) else visible_lines(message)
        if replaces is None:
            super().notify(shown, title=visible(title), severity=severity, timeout=timeout, markup=False)
            return
        old = self._grouped.get(replaces)
        if old is not None and old in self._notifications:
            self._unnotify(old, refresh=False)
        notification = Notification(
            shown, visible(title), severity, self.NOTIFICATION_TIMEOUT if timeout is None else timeout
        )
        self._grouped[replaces] = notification
        self.post_message(Notify(notification))

    async def action_quit(self) -> None:
        """Quit; with entries not in the database yet, first say where they are kept and ask."""
        from recorder.tui.live import LiveScreen

        if isinstance(self.screen, QuitScreen):
            self.exit()  # ctrl+q twice: the scribe means it
            return
        live = next((s for s in self.screen_stack if isinstance(s, LiveScreen)), None)
        queue = live.queue if live is not None else None
        if queue is None or not queue.queued:
            self.exit()
            return
        self.push_screen(QuitScreen(unsaved_words(queue)), lambda quit: self.exit() if quit else None)

    def action_help(self) -> None:
        from recorder.tui.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_codes(self) -> None:
        from recorder.core.listing import code_rows
        from recorder.core.session import Session
        from recorder.tui.review import CodeList, ReviewScreen

        rows = code_rows(self.store, self.clock, self.protocol)

        def opened(code_id: int | None) -> None:
            if code_id is not None:
                self.push_screen(
                    ReviewScreen(
                        Session.read(self.store, self.clock, code_id, self.protocol),
                        on_end=self.on_end,
                        touch=self.touch,
                    )
                )

        self.push_screen(CodeList(rows), opened)

    def review(self, session: Session) -> None:
        """The code has ended: show it for the debrief."""
        from recorder.core.session import Session
        from recorder.tui.review import ReviewScreen

        # Over the live screen, which is the first screen (Textual switches only screens it pushed).
        reviewed = Session.read(self.store, self.clock, session.code_id, self.protocol)
        self.push_screen(ReviewScreen(reviewed, last=True, on_end=self.on_end, touch=self.touch))


def unsaved_words(queue: WriteQueue) -> str:
    """What quitting now leaves behind, and where."""
    count = len(queue.pending) + (1 if queue.start is not None else 0)
    code = f"recorder resume {queue.session.code_id}" if queue.session else "recorder"
    kept = ", ".join(str(p) for p in queue.kept_in())
    words = [f"{count} {'entry is' if count == 1 else 'entries are'} not saved in the database yet."]
    if kept:
        words.append(f"They are kept in {kept}; `{code}` writes them, with their own times, once the fault is fixed.")
    lost = queue.unkept()
    if lost:
        words.append(f"{lost} of them could not be kept on any disk: quitting LOSES them.")
    words.append("Quit now?  y = quit · n = stay")
    return "\n".join(words)


class QuitScreen(ModalScreen[bool]):
    """Asked before quitting with entries that are not in the database yet."""

    BINDINGS = [
        Binding("y", "dismiss(True)", "Quit"),
        Binding("n,escape", "dismiss(False)", "Stay"),
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        yield Static(Text(self.message), id="quit-question")  # a path is shown as it is, never as markup
        from recorder.tui.touch import choice_row, is_touch

        if is_touch(self.app):
            yield choice_row([("Quit now", "dismiss(True)"), ("Stay", "dismiss(False)")], columns=2, id="quit-buttons")


def build_app(
    store: Store,
    clock: Clock | None = None,
    protocol: Protocol | None = None,
    *,
    mode: str = "auto",
    code_id: int | None = None,
    new_fields: dict[str, Any] | None = None,
    touch: bool | None = None,
) -> RecorderApp:
    """The app for `recorder` (auto), `recorder new` (new), `recorder resume` (resume) or a review.

    Opening a code happens here, before the screen starts, so a locked or missing code is a one-line
    error at the command line, not a broken screen. `touch`: the touch layout (True), the keyboard's
    (False), or None to choose by where it runs (recorder/tui/touch.py: wants_touch).
    """
    from recorder.engine import load_protocol

    clock = clock or SystemClock()
    protocol = protocol or load_protocol()
    opened = open_code(store, clock, protocol, mode, code_id, new_fields)
    return RecorderApp(store, clock, protocol, **opened, touch=touch)


def open_code(
    store: Store,
    clock: Clock,
    protocol: Protocol,
    mode: str,
    code_id: int | None = None,
    new_fields: dict[str, Any] | None = None,
    *,
    code_clock: CodeClock | None = None,
) -> dict[str, Any]:
    """What the screen opens on, as RecorderApp's arguments: a new code's session (new), a code whose start
    the last run journalled (its queue), the open code's session, a finished code's review, or nothing yet
    (auto: a new code starts at the first key, with `new_fields`). `code_clock`: a new code's clock, running
    since the screen opened (else the code starts now)."""
    from recorder.core.end_hooks import keep_audit_rows
    from recorder.core.session import Session
    from recorder.tui.write_queue import reopen

    if mode == "review":
        if code_id is None:
            raise ValueError("a review opens a code: give its id")
        return {"review": Session.read(store, clock, code_id, protocol)}
    if mode == "new":
        fields = new_fields or {}
        return {"session": Session.start(store, clock, protocol, code_clock, on_end=keep_audit_rows, **fields)}
    if mode in ("resume", "auto") and (queue := reopen(store, clock, protocol, code_id, keep_audit_rows)) is not None:
        return {"queue": queue}  # a code whose start the last run journalled
    if mode == "resume" or (mode == "auto" and store.open_code_id() is not None):
        if code_id is not None and (info := store.code(code_id)) is not None and info.ended_at is not None:
            return {"review": Session.read(store, clock, code_id, protocol)}
        return {"session": Session.resume(store, clock, code_id, protocol, on_end=keep_audit_rows)}
    return {"new_fields": new_fields}
