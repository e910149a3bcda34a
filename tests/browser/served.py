"""A served recorder and a browser on it: what the browser tests, the screenshots and bench_serve share.

`Served` runs `recorder serve` on a free port and a private database; `Tab` is one browser page on it,
with what its terminal shows read back from the bytes the page received (a pyte screen fed the same
stream as the page's xterm.js), and helpers to press keys or click at a cell or a text.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyte

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TOP, BOTTOM = "▔", "▁"  # a touch button's borders, above and below its label

# Every binary frame the page's websocket receives, with the page's clock, kept where the test can read it.
# Read back as one string a frame, a character a byte (__bytes): Playwright checks every element of an array it
# is sent, and a frame sent as an array of numbers cost the test's process a third of its CPU in that check,
# taken from the served recorder beside it on a loaded machine.
RECORD_FRAMES = """
(() => {
  const Native = window.WebSocket;
  window.__frames = [];
  window.__sent = [];
  window.__bytes = (frames) => frames.map(([at, data]) => {
    let text = "";
    for (let i = 0; i < data.length; i += 8192) text += String.fromCharCode.apply(null, data.subarray(i, i + 8192));
    return [at, text];
  });
  window.WebSocket = function (url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    window.__socket = socket;
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        window.__frames.push([performance.now(), new Uint8Array(event.data)]);
      }
    });
    const send = socket.send.bind(socket);
    socket.send = (data) => { window.__sent.push(data); send(data); };
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""


def chromium() -> str | None:
    """The system Chromium (Debian's `chromium`), never a browser Playwright downloads."""
    for name in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if name and Path(name).exists():
            return name
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int, timeout: float) -> bool:
    """Wait until something listens on this port of 127.0.0.1: True, or False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


class Served:
    """`recorder serve` on 127.0.0.1 and a free port, on the database `db` (and the protocol file `protocol`,
    which serve passes to each tab's recorder)."""

    def __init__(self, db: Path, *args: str, protocol: Path | None = None) -> None:
        self.db = db
        self.port = free_port()
        env = {**os.environ, "RECORDER_DB": str(db)}
        chosen = ["--protocol", str(protocol)] if protocol is not None else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "recorder", "--db", str(db), *chosen, "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        self.printed: list[str] = []
        self.err = ""
        self.url = ""
        for line in self.process.stdout:
            self.printed.append(line)
            if line.startswith("open "):
                self.url = line.split(" ", 1)[1].strip()
                break
        assert self.url, (
            f"serve printed no address: {self.printed} {self.process.stderr.read() if self.process.stderr else ''}"
        )
        self.token = self.url.split("token=", 1)[1]
        self.base = f"http://127.0.0.1:{self.port}"
        assert listening(self.port, 15), "serve did not listen"

    def stop(self) -> str:
        """Ctrl+C, as a person stops it; returns all it wrote to stderr (again, if stopped already)."""
        if self.process.returncode is None:
            self.process.send_signal(2)
            try:
                _, self.err = self.process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                _, self.err = self.process.communicate()
        return self.err


class Guard:
    """Records and refuses every request a page makes to a host other than this machine."""

    def __init__(self) -> None:
        self.outside: list[str] = []

    def route(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def websocket(self, ws: Any) -> None:
        if (urlsplit(ws.url).hostname or "") not in LOCAL_HOSTS:
            self.outside.append(ws.url)

    def watch(self, context: Any) -> None:
        context.route("**/*", self.route)
        context.on("page", lambda page: page.on("websocket", self.websocket))


class Tab:
    """One page on the served recorder: keys in, and the screen its terminal was sent, read back."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.seen = 0
        self.screen: pyte.Screen | None = None
        self.stream: pyte.ByteStream | None = None

    def open(self, url: str, *, wait_for: str | None = None, timeout: float = 15) -> "Tab":
        self.page.goto(url)
        if wait_for is not None:
            self.wait_for(wait_for, timeout=timeout)
            self.focus()
        return self

    def focus(self) -> None:
        """Keys go to the terminal: its input (xterm.js's hidden textarea) has the focus, as after a click."""
        self.page.locator(".xterm-helper-textarea").focus()

    def size(self) -> tuple[int, int]:
        """The terminal's columns and rows, as the page told the server (the websocket's address)."""
        url = self.page.evaluate("window.__socket ? window.__socket.url : ''")
        query = dict(re.findall(r"(\w+)=(\d+)", url))
        return int(query.get("width", 80)), int(query.get("height", 24))

    def frames(self) -> list[tuple[float, bytes]]:
        """The frames the page received since the last read (`seen` of them read before), with the page's clock."""
        frames = self.page.evaluate(f"window.__frames ? window.__bytes(window.__frames.slice({self.seen})) : []")
        return [(at, data.encode("latin-1")) for at, data in frames]

    def _feed(self) -> list[tuple[float, bytes]]:
        frames = self.frames()
        self._screen_for(frames)
        self.seen += len(frames)
        got = []
        for at, chunk in frames:
            assert self.stream is not None
            self.stream.feed(chunk)
            got.append((at, chunk))
        return got

    def shown_at(self, wanted: Callable[[str], bool], timeout: float = 20) -> float:
        """Wait until the screen shows what `wanted` says; returns when the page received the frame that first
        showed it, on the page's clock in seconds since the epoch: how late the test itself looked (its own
        share of a loaded machine's CPU) is not counted."""
        origin = self.page.evaluate("performance.timeOrigin")
        deadline = time.monotonic() + timeout
        while True:
            frames = self.frames()
            for n, (at, chunk) in enumerate(frames, 1):
                self._screen_for(frames)
                assert self.stream is not None and self.screen is not None
                self.stream.feed(chunk)
                if wanted("\n".join(self.screen.display)):
                    self.seen += n  # the frames after it are read again by the next look
                    return (origin + at) / 1000
            self.seen += len(frames)
            if time.monotonic() > deadline:
                raise AssertionError(f"the page never showed it; it shows:\n{self.text()}")
            self.page.wait_for_timeout(40)

    def _screen_for(self, frames: list[tuple[float, bytes]]) -> None:
        if self.screen is None and frames:
            cols, rows = self.size()
            self.screen = pyte.Screen(cols, rows)
            self.stream = pyte.ByteStream(self.screen)

    def text(self) -> str:
        """The whole screen as the page's terminal has it now, one line a row."""
        self._feed()
        return "\n".join(self.screen.display) if self.screen is not None else ""

    def wait_for(self, wanted: str | Callable[[str], bool], timeout: float = 20) -> str:
        """Wait until the screen shows `wanted` (or the test says so); fails with what it does show."""
        test = wanted if callable(wanted) else (lambda text: wanted in text)
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if test(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"the page never showed {wanted!r}; it shows:\n{text}")
            self.page.wait_for_timeout(40)

    def press(self, *keys: str, gap_ms: int = 60) -> None:
        """Keys as a person types them in the page (Playwright's names: Enter, Escape, a, 1...)."""
        for key in keys:
            self.page.keyboard.press(key)
            self.page.wait_for_timeout(gap_ms)

    def cell_box(self) -> tuple[float, float, float, float]:
        """The terminal's screen on the page: left, top, cell width, cell height (CSS pixels)."""
        box = self.page.locator(".xterm-screen").bounding_box()
        cols, rows = self.size()
        return box["x"], box["y"], box["width"] / cols, box["height"] / rows

    def click_cell(self, col: int, row: int, *, tap: bool = False) -> None:
        """Click the middle of a cell of the terminal; tap=True taps it (a context made with has_touch=True)."""
        left, top, width, height = self.cell_box()
        x, y = left + (col + 0.5) * width, top + (row + 0.5) * height
        if tap:
            self.page.touchscreen.tap(x, y)
        else:
            self.page.mouse.click(x, y)

    def find(self, text: str) -> tuple[int, int]:
        """The cell where `text` starts on the screen (its first showing, top to bottom)."""
        for row, line in enumerate(self.text().splitlines()):
            col = line.find(text)
            if col >= 0:
                return col, row
        raise AssertionError(f"{text!r} is not on the screen:\n{self.text()}")

    def button(self, label: str) -> tuple[int, int] | None:
        """The middle of the touch button labelled `label`: its label on a row between a button's top and
        bottom borders (the same words elsewhere, a prompt or a timeline row, are not the button); None if
        there is not exactly one."""
        lines = self.text().splitlines()
        found = []
        for row in range(1, len(lines) - 1):
            line, above, below = lines[row], lines[row - 1], lines[row + 1]
            start = 0
            while (col := line.find(label, start)) >= 0:
                start = col + 1
                middle = col + len(label) // 2
                whole = (col == 0 or line[col - 1] == " ") and line[col + len(label) : col + len(label) + 1] in (
                    "",
                    " ",
                )
                if whole and middle < min(len(above), len(below)) and above[middle] == TOP and below[middle] == BOTTOM:
                    found.append((middle, row))
        return found[0] if len(found) == 1 else None

    def tap_button(self, label: str, timeout: float = 20) -> None:
        """Tap the touch button labelled `label` once it is on the screen."""
        deadline = time.monotonic() + timeout
        while (where := self.button(label)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"no button {label!r} on the screen:\n{self.text()}")
            self.page.wait_for_timeout(40)
        self.click_cell(*where, tap=True)

    def click_text(self, text: str, *, tap: bool = False) -> None:
        """Click (or tap) the middle of `text` where the screen shows it (a button's label, a footer key)."""
        col, row = self.find(text)
        self.click_cell(col + len(text) // 2, row, tap=tap)


@contextmanager
def browser_context(viewport: tuple[int, int] = (1024, 768), **options: Any) -> Iterator[tuple[Any, Guard]]:
    """A fresh Chromium (its own empty profile) and a context whose pages record their frames, with the guard."""
    import tempfile

    from playwright.sync_api import sync_playwright

    path = chromium()
    if path is None:
        raise RuntimeError("no chromium: install Debian's `chromium` (.ci/run does)")
    with tempfile.TemporaryDirectory(prefix="recorder-chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=path,
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": viewport[0], "height": viewport[1]},
            **options,
        )
        try:
            guard = Guard()
            guard.watch(context)
            context.add_init_script(RECORD_FRAMES)
            yield context, guard
        finally:
            context.close()
