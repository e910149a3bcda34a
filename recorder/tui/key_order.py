"""Keys typed ahead land where the scribe meant: one key at a time, each on the screen the last one left.

Textual hands each key from the terminal to the focused widget's queue and goes straight on to the next,
while the first key is still on its way (a binding runs only when the key has bubbled back up to the
app). Typed in one burst, `p 2y12t Enter` opened the patient box and then lost `2y12t`: those keys were
handed out before the box existed, and nothing bound them. Here a key is handed out only when the one
before it has been handled all the way up, and when the screen it opened is ready for keys (mounted,
its first field focused); keys that come meanwhile wait, in order.
"""

from collections.abc import Awaitable, Callable

from textual import events
from textual.app import App
from textual.message_pump import MessagePump
from textual.screen import Screen

# Refreshes a key waits for a screen to focus its first field before it goes to the screen as it is.
PATIENCE = 3


def ready(screen: Screen) -> bool:
    """The screen can take keys: mounted, and its focus set if it has anything to focus."""
    if not screen.is_mounted:
        return False
    return screen.focused is not None or not screen.focus_chain


def quiet(screen: Screen) -> bool:
    """Nothing left to handle on the screen: what the last key set off (an Enter's `Submitted`, which
    closes a form) has happened before the next key is handed out."""
    return not any(node.message_queue_size for node in screen.walk_children(with_self=True))


class KeysInOrder:
    """The app's keys, handed out one at a time (see the module docstring)."""

    def __init__(self, app: App, dispatch: Callable[[events.Key], Awaitable[None]]) -> None:
        self.app = app
        self.dispatch = dispatch  # Textual's own handling of a key that has just arrived
        self.waiting: list[events.Key] = []
        self.at: MessagePump | None = None  # where the key on its way was last seen
        self.tries = 0
        self.retry_set = False

    async def arrived(self, key: events.Key) -> None:
        self.waiting.append(key)
        await self.release()

    async def release(self) -> None:
        while self.waiting:
            if self.at is not None and not (self.at is self.app or self.at.is_attached):
                self.at = None  # its widget went away with the key: nothing more will come of it
            if self.at is not None:
                self.retry_later()  # `seen` goes on when it is handled; a retry notices a widget gone
                return
            if not (ready(self.app.screen) and quiet(self.app.screen)) and self.tries < PATIENCE:
                self.tries += 1
                self.retry_later()
                return
            self.tries = 0
            key = self.waiting.pop(0)
            target = self.app.focused or self.app.screen  # where Textual hands a key it has not bound first
            await self.dispatch(key)
            if key.is_forwarded:  # not taken by a priority binding: follow it up to the app
                self.follow(target)

    def follow(self, node: MessagePump) -> None:
        """Wait for `node` to handle the key, then its parent, up to the app (where bindings run)."""
        self.at = node
        if not node.call_later(self.seen, node):
            self.seen(node)

    def seen(self, node: MessagePump) -> None:
        parent = getattr(node, "parent", None) if node is not self.app else None
        if parent is not None:
            self.follow(parent)
            return
        self.at = None
        self.app.call_later(self.release)

    def retry_later(self) -> None:
        if not self.retry_set:
            self.retry_set = True
            self.app.call_after_refresh(self.retry)

    async def retry(self) -> None:
        self.retry_set = False
        await self.release()
