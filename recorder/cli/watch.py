"""`recorder watch`: the read-only team display, following a code that another recorder writes."""

import click

from recorder.cli.group import Context, pass_ctx
from recorder.cli.params import code_argument


@click.command("watch")
@code_argument(required=False)
@pass_ctx
def watch_cmd(obj: Context, code: str | None) -> None:
    """Follow a code on a second screen, read-only: the open code, else the latest, or CODE.

    Its clock, timers, lines, flags (critical first) and latest entries in large type, each entry shown
    within a second of being recorded; it never writes to the database. q quits.
    """
    if code is not None:
        code_id = obj.code_id(code)
    else:
        code_id = obj.store.open_code_id() or obj.code_id("last")
    from recorder.tui.watch import build_watch  # textual only for the screen: the other commands start fast

    build_watch(obj.store, obj.clock, obj.protocol, code_id).run()
