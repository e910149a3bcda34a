"""Keys typed ahead land where the scribe meant: one key at a time, each on the screen the last one left.

Textual hands each key from the terminal to the focused widget's queue and goes straight on to the next,
while the first key is still on its way (a binding runs only when the key has bubbled back up to the
app). Typed in one burst, `p 2y12t Enter` opened the patient box and then lost `2y12t`: those keys were
handed out before the box existed, and nothing bound them. Here a key is handed out only when the one
before it has been handled all the way up, and when the screen it opened is ready for keys (mounted,
its first field focused, and the focus it asks for as it mounts given: `settle`); keys that come meanwhile
wait, in order. Keys typed while the code is still
being opened (the first frame is drawn before it: recorder/tui/opening.py) wait the same way, for as long
as that takes, and go to the live screen once it is ready. A key that waited says how long (`waited`): an
entry it begins happened when it was typed, not when its turn came. A tap (a mouse button pressed, let go)
or a paste that comes while keys wait or one is on its way waits behind them the same way: a Save tapped
right after the last letters is handled after them, never before (the letters would land on the screen
under the box), and text pasted after letters typed into a box lands after them, not among them.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from inspect import signature

from textual import events
from textual.app import App
from textual.errors import NoWidget
from textual.message_pump import MessagePump
from textual.screen import Screen

# A key waits for a new screen to focus its first field, looking every RETRY seconds, at most PATIENCE
# times (about a second: a screen that never focuses anything must not hold the keyboard).
RETRY = 0.02
PATIENCE = 50
# Times a widget is waited for again when the key left it messages (more would chase its idle prompts).
AGAIN = 2
# Times the path from the focused widget is followed again for what a binding left there.
ROUNDS = 2


@dataclass(frozen=True)
class Turn:
    """A mouse button pressed or let go, or a paste, waiting behind keys: Textual's handling of it, kept for
    its turn."""

    event: events.MouseDown | events.MouseUp | events.Paste
    dispatch: Callable[[], Awaitable[None]]


def ready(screen: Screen) -> bool:
    """The screen can take keys: mounted, and its focus set if it has anything to focus."""
    if not screen.is_mounted:
        return False
    return screen.focused is not None or not screen.focus_chain


class KeysInOrder:
    """The app's keys, handed out one at a time (see the module docstring)."""

    def __init__(
        self,
        app: App,
        dispatch: Callable[[events.Key], Awaitable[None]],
        age: Callable[[float], float],
        handled: Callable[[], object] | None = None,
    ) -> None:
        self.app = app
        self.dispatch = dispatch  # Textual's own handling of a key that has just arrived
        self.handled = handled  # called as each key or turn followed up to the app has been handled there
        # How long ago a key was read from the terminal, from its stamp (Clock.since_stamp): a key typed while
        # the code opens reaches the app only once it is open, as every message does while the loop is busy.
        self.age = age
        self.waiting: list[events.Key | Turn] = []
        # How long the key being handled waited for its turn (0 once it is handled, and for a click).
        self.waited = 0.0
        self.at: MessagePump | None = None  # where the key on its way was last seen
        self.tries = 0
        self.again = 0
        self.rounds = 0
        self.retry_set = False
        self.held = False  # True while the code is being opened: every key waits, however long that takes
        self.settled: Screen | None = None  # the screen keys last went to, once its mount's calls had run
        # Textual counts a callback's parameters with inspect.signature each time it calls one back
        # (call_later wraps it in a new partial): following a key up the screen calls back about eight
        # times a key, and working out a bound method's signature each time was a good part of a key's own
        # time (benchmarks/bench_keys.py). Plain functions that carry their signature are read instead.
        self._seen = _kept_signature(lambda node: self.seen(node))
        self._release = _kept_signature(lambda: self.release())
        self._settled = _kept_signature(lambda: self.settled_down())

    def hold(self) -> None:
        """Keep every key waiting (none is handed out) until `let_go`."""
        self.held = True

    def let_go(self) -> None:
        """Hand out the keys that waited, in order, each once the screen before it is ready."""
        self.held = False
        self.app.call_later(self._release)

    async def arrived(self, key: events.Key) -> None:
        self.waiting.append(key)
        await self.release()

    async def release(self) -> None:
        while self.waiting and not self.held:
            if self.at is not None and not (self.at is self.app or self.at.is_attached):
                self.at = None  # its widget went away with the key: nothing more will come of it
            if self.at is not None:
                self.retry_later()  # `seen` goes on when it is handled; a retry notices a widget gone
                return
            if not ready(self.app.screen) and self.tries < PATIENCE:
                self.tries += 1
                self.retry_later()
                return
            self.tries = 0
            if self.app.screen is not self.settled:
                self.settle()  # its mount's own focus first (see `settle`)
                return
            key = self.waiting.pop(0)
            if isinstance(key, Turn):
                await self._take(key)
                continue
            # Fixed as the key is handed out, so it never grows with what the key then sets off.
            self.waited = self.age(key.time)
            target = self.app.focused or self.app.screen  # where Textual hands a key it has not bound first
            await self.dispatch(key)
            if key.is_forwarded:  # not taken by a priority binding: follow it up to the app
                self.rounds = ROUNDS
                self.follow(target)
            else:
                self.waited = 0.0
                self._handled()  # taken by a priority binding (the live screen's keys): handled already

    async def pointer(self, event: events.MouseDown | events.MouseUp, dispatch: Callable[[], Awaitable[None]]) -> None:
        """A mouse button pressed or let go (a click, a tap): handed to Textual now, or after the keys that came
        before it when some wait or one is on its way (typed, then tapped: in that order)."""
        if not self.held and (self.waiting or self.at is not None):
            # While the code opens, a tap answers the opening screen's question: it never waits for the keys.
            self.waiting.append(Turn(event, dispatch))
            await self.release()
        else:
            await self._take(Turn(event, dispatch))

    async def paste(self, event: events.Paste, dispatch: Callable[[], Awaitable[None]]) -> None:
        """Pasted text: typed, in effect, so it waits behind the keys before it as a key would (and while the
        code opens), and goes to where they left the focus."""
        self.waiting.append(Turn(event, dispatch))
        await self.release()

    async def _take(self, turn: Turn) -> None:
        """Hand a mouse button or a paste to Textual. A button let go: Textual posts the click to the widget under
        it; a paste: to the focused widget. The keys after it then wait, as after a key, until that widget and
        its parents have handled it and a screen it opened is ready."""
        event = turn.event
        taker: MessagePump | None = None
        if isinstance(event, events.MouseUp):
            try:
                taker = self.app.get_widget_at(*event.screen_offset)[0]
            except NoWidget:
                taker = None
        elif isinstance(event, events.Paste):
            taker = self.app.focused or self.app.screen
        self.waited = 0.0  # what a click or a paste begins happens as it is handled
        await turn.dispatch()
        if taker is not None and self.at is None and taker.is_attached:
            self.rounds = ROUNDS
            self.follow(taker)

    def follow(self, node: MessagePump) -> None:
        """Wait for `node` to handle the key, then its parent, up to the app (where bindings run)."""
        self.at, self.again = node, AGAIN
        if not node.call_later(self._seen, node):
            self.seen(node)

    def seen(self, node: MessagePump) -> None:
        if node.message_queue_size and self.again and node.call_later(self._seen, node):
            # What the key set off here comes first (an Enter's `Submitted`, which closes a form).
            self.again -= 1
            return
        parent = getattr(node, "parent", None) if node is not self.app else None
        if parent is not None:
            self.follow(parent)
            return
        focused = self.app.focused
        path = focused.ancestors_with_self if focused is not None else []
        if self.rounds and any(n.message_queue_size for n in path if n is not self.app):
            # A binding run up here (an Input's Enter) has left its widget a message: follow that too.
            self.rounds -= 1
            self.follow(path[0])
            return
        self.at = None
        self.waited = 0.0  # the key is handled: what comes next did not wait on it
        self._handled()
        self.app.call_later(self._release)

    def _handled(self) -> None:
        if self.handled is not None:
            self.handled()

    def settle(self) -> None:
        """Keys wait for one more turn of the app's queue when they first go to a screen. Textual focuses a new
        screen's first field as it is shown, and a screen that wants another (the drug picker's dose box, when
        it opens on a drug) asks for it as it mounts, by a call queued on the app: ready by then, the screen held
        the focus for a moment where no key was meant (`e t Enter` typed `t` into the drug filter)."""
        self.settled = self.app.screen
        self.at = self.app  # what comes meanwhile waits, as behind a key on its way
        self.app.call_later(self._settled)

    async def settled_down(self) -> None:
        if self.at is self.app:
            self.at = None
        await self.release()

    def retry_later(self) -> None:
        """Look again shortly (a timer, not the next refresh: a screen with nothing to draw has none)."""
        if not self.retry_set:
            self.retry_set = True
            self.app.set_timer(RETRY, self.retry)

    async def retry(self) -> None:
        self.retry_set = False
        await self.release()


def _kept_signature(function: Callable) -> Callable:
    function.__signature__ = signature(function)  # type: ignore[attr-defined]
    return function
