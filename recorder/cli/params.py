"""The CODE argument several commands share: a code id or `last`, the database's code ids offered by the shell."""

from typing import TYPE_CHECKING, Any

import click

from recorder.cli.group import default_db
from recorder.errors import RecorderError

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem


def complete_codes(ctx: click.Context, param: click.Parameter, incomplete: str) -> list["CompletionItem"]:
    """The code ids in the database the command line names (--db, RECORDER_DB or the default), and `last`.

    Read-only, as every reader opens it; a missing or unreadable database offers `last` alone: completion
    never prints an error into the user's shell.
    """
    # Imported here: only the shell's completion asks (every command that takes a CODE imported it for nothing).
    from click.shell_completion import CompletionItem

    db = ctx.find_root().params.get("db_path") or default_db()
    items = [CompletionItem("last", help="the latest code")]
    import sqlite3  # here, with the store: the screen's first frame goes without them

    try:
        from recorder.store import Store

        store = Store(db, readonly=True)
        try:
            codes = store.codes()
        finally:
            store.close()
    except (RecorderError, sqlite3.Error, OSError):
        codes = []
    for info in codes:
        if info.events:
            status = "open" if info.ended_at is None else "ended"
            items.append(CompletionItem(str(info.id), help=f"{status}, {info.events} events"))
    return [item for item in items if item.value.startswith(incomplete)]


def code_argument(**kwargs: Any) -> Any:
    """The CODE argument: a code id or `last`, completed from the database."""
    return click.argument("code", shell_complete=complete_codes, **kwargs)
