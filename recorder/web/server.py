"""The web server of `recorder serve`: textual-serve behind a one-time token, one scribe, every other tab a watcher."""

import asyncio
import contextlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

log = logging.getLogger("recorder.serve")

TEMPLATES = Path(__file__).resolve().parent / "templates"
# A refusal says what to do in one line; it never echoes what was sent (the token, or a guess at it).
REFUSED = "recorder: this address needs the access token printed when `recorder serve` started (?token=...)\n"

LEAVING_S = 15.0  # how long a new tab waits for the scribe's closed tab to let go of the code

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def closed(websocket: web.WebSocketResponse) -> None:
    await websocket.close()


class RecorderServer(Server):
    """textual-serve's server with every route behind the token, its page's assets all local, and one scribe.

    Each browser connection runs a command in its own process: the first runs `scribe`, the scribe's
    screen; while that process lives, every further connection runs `watcher`, the team display.
    """

    def __init__(
        self,
        scribe: str,
        watcher: str,
        *,
        host: str,
        port: int,
        public_url: str | None = None,
        token: str | None = None,
    ) -> None:
        # public_url stays None unless given: the page then names the host the browser reached it by.
        super().__init__(scribe, host=host, port=port, title="Resuscitation recorder", templates_path=TEMPLATES)
        self.given_public_url = public_url
        self.scribe = scribe
        self.watcher = watcher
        self.token = token or secrets.token_urlsafe(32)
        # Cookies are per host, not per port: two servers on one machine keep a cookie each.
        self.cookie = f"recorder_token_{port}"
        self.seat: AppService | None = None  # the connection that runs the scribe's screen
        self.leaving = False  # the scribe's tab has closed (a reload, say): its process is ending
        self.freed = asyncio.Event()  # set whenever the seat is free
        self.freed.set()

    def url(self) -> str:
        """The address to open, with the token."""
        base = self.given_public_url or f"http://{self.host}:{self.port}"
        return f"{base.rstrip('/')}/?token={self.token}"

    def allowed(self, request: web.Request) -> bool:
        """The token, from the address (the first load) or the cookie set then (reloads, the websocket, assets)."""
        given = request.query.get("token") or request.cookies.get(self.cookie) or ""
        return hmac.compare_digest(given.encode(), self.token.encode())

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every route, the page, its websocket, its scripts and fonts and downloads, needs the token."""
        if not self.allowed(request):
            # Said before any websocket upgrade: a refused socket never starts a process.
            return web.Response(status=403, text=REFUSED, content_type="text/plain")
        response = await handler(request)
        if request.query.get("token") and not response.prepared:
            response.set_cookie(
                self.cookie,
                self.token,
                httponly=True,
                samesite="Strict",
                secure=self.base(request).startswith("https"),
                path="/",
            )
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        return app

    def base(self, request: web.Request) -> str:
        """Where the browser reaches this server: --public-url behind a proxy, else the host it asked for."""
        return (self.given_public_url or f"{request.scheme}://{request.host}").rstrip("/")

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        base = self.base(request)
        websocket = ("wss:" if base.startswith("https") else "ws:") + base.split(":", 1)[1]
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{websocket}{request.app.router['websocket'].url_for()}",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's own, but the command is chosen per connection: the scribe's seat, or a watcher's."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: AppService | None = None
        try:
            await websocket.prepare(request)
            command = await self.choose()
            service = AppService(
                command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=lambda: closed(websocket),
                download_manager=self.download_manager,
                debug=self.debug,
            )
            if command == self.scribe:
                self.seat, self.leaving = service, False
                self.freed.clear()
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception:  # one tab's failure is logged; the server and the other tabs go on
            log.exception("a browser connection failed")
        finally:
            if service is not None and self.seat is service:
                self.leaving = True
            if service is not None:
                await service.stop()
                if service._process is not None:
                    # The code's lock goes with the process: the seat is free once it has exited.
                    await service._process.wait()
                if self.seat is service:
                    self.seat = None
                    self.freed.set()
        return websocket

    async def choose(self) -> str:
        """The scribe's screen if no tab has it; the team display if one has.

        A scribe's tab that has just closed (reloaded, or closed and opened again) still holds the code
        until its process has ended: the next tab waits for that, so a reload gets the scribe's screen back.
        """
        if self.seat is not None and self.leaving:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.freed.wait(), timeout=LEAVING_S)
        return self.watcher if self.seat is not None else self.scribe

    async def on_startup(self, app: web.Application) -> None:
        """Said by `recorder serve` itself, before the server starts."""

    def serve(self, debug: bool = False, listening: Callable[[], None] = lambda: None) -> None:
        """Run until Ctrl+C; `listening()` once it listens and Ctrl+C stops it. (What it says is said then: said
        before, the address could be opened before anything listened, and a Ctrl+C that came before aiohttp
        took the signal over was lost, the server running on.) No access log: a request's address may carry the
        token."""
        self.debug = debug
        logging.basicConfig(level="WARNING", format="recorder serve: %(message)s")
        # run_app's `print` is called once every site listens, its signal handlers in place.
        web.run_app(self._make_app(), host=self.host, port=self.port, access_log=None, print=lambda *_: listening())
