"""`recorder serve`: the scribe's screen in a browser, and the team display in every further tab."""

import ipaddress
import shlex
import sys

import click

from recorder.cli.group import Context, pass_ctx, run_screen, touch_option
from recorder.cli.params import code_argument
from recorder.errors import RecorderError, one_line

NO_CODE_YET = (
    "no code to show yet: the scribe's screen is open in another tab and has logged nothing; "
    "reload this page once it has"
)


def child(obj: Context, *args: str) -> str:
    """The command each browser connection runs: this interpreter, on the same database and protocol."""
    words = [sys.executable, "-m", "recorder", "--db", str(obj.db_path)]
    if obj.protocol_path is not None:
        words += ["--protocol", str(obj.protocol_path)]
    return shlex.join([*words, *args])


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on (0.0.0.0: all).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The port to listen on.")
@click.option(
    "--public-url",
    help="The https address a TLS reverse proxy serves this at (e.g. https://resus.ward.example).",
)
@touch_option
@code_argument(required=False)
@pass_ctx
def serve_cmd(obj: Context, host: str, port: int, public_url: str | None, touch: bool | None, code: str | None) -> None:
    """Serve the scribe's screen to a browser: the open code, or a new one (or CODE).

    The first tab gets the scribe's screen; every other tab, while it is open, the team display.
    The address printed on start carries a one-time token: without it every request is refused.
    Closing the scribe's tab frees the code; the next tab opened resumes it.
    """
    code_id = obj.code_id(code) if code is not None else None
    obj.close()  # each tab opens the database in its own process
    from recorder.web.server import RecorderServer  # aiohttp only for this command: the others start fast

    which = [str(code_id)] if code_id is not None else []
    # The scribe's tab: the touch layout as asked, else as the browser's width says (a tablet: touch).
    layout = [] if touch is None else ["--touch" if touch else "--no-touch"]
    server = RecorderServer(
        child(obj, "serve-seat", *layout, *which),
        child(obj, "serve-seat", "--watch", *which),
        host=host,
        port=port,
        public_url=public_url,
    )
    click.echo(f"recorder serve: {obj.db_path}")
    if not loopback(host):
        click.echo(
            f"warning: listening on {host}: anyone on that network who has the address can reach this port; "
            "put it behind the hospital's TLS reverse proxy (README) and give --public-url",
            err=True,
        )

    def listening() -> None:
        # Said once it listens and Ctrl+C stops it: the address opens at once, and a Ctrl+C is never lost.
        click.echo(f"open {server.url()}")
        click.echo("  (the token in it is needed by every tab; it changes each time serve starts)")
        click.echo("Ctrl+C stops serving (each tab's entries are already in the database).")

    try:
        server.serve(listening=listening)
    except OSError as exc:
        raise RecorderError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from None


@click.command("serve-seat", hidden=True)
@click.option("--watch", is_flag=True, help="The team display, whoever writes.")
@touch_option
@code_argument(required=False)
@pass_ctx
def seat_cmd(obj: Context, watch: bool, touch: bool | None, code: str | None) -> None:
    """One browser tab of `recorder serve`: the scribe's screen, or the team display when another writes the code.

    Whatever goes wrong is shown in the tab as one line (the server's log is not where anyone looks).
    """
    try:
        if not watch and open_scribe(obj, code, touch):
            return
        open_watch(obj, code)
    except RecorderError as exc:
        notice(exc.message)
    except Exception as exc:  # noqa: BLE001 - the last guard before a blank page or a traceback reaches a tab
        notice(f"unexpected error ({one_line(f'{type(exc).__name__}: {exc}')}); what was recorded is safe on disk")


def open_scribe(obj: Context, code: str | None, touch: bool | None) -> bool:
    """The scribe's screen, as `recorder` opens it (or `recorder resume CODE`); False when another writes the code."""
    from recorder.store import CodeLocked

    try:
        if code is None:
            run_screen(obj, "auto", at_once=True, touch=touch)  # a locked code is caught here, before the screen
        else:
            run_screen(obj, "resume", at_once=True, code_id=obj.code_id(code), touch=touch)
    except CodeLocked:
        obj.close()
        return False
    return True


def open_watch(obj: Context, code: str | None) -> None:
    """The team display on CODE, else on the open code, else on the latest; read-only."""
    from recorder.tui.watch import build_watch

    reader = Context(obj.db_path, obj.protocol_path, writes=False)
    try:
        if code is not None:
            code_id = reader.code_id(code)
        else:
            found = reader.store.open_code_id() or reader.store.last_code_id()
            if found is None:
                raise RecorderError(NO_CODE_YET)
            code_id = found
        build_watch(reader.store, reader.clock, reader.protocol, code_id).run()
    finally:
        reader.close()


def notice(message: str) -> None:
    from recorder.tui.notice import NoticeApp

    NoticeApp(message).run()
