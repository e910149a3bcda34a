"""`recorder new`, `resume` and `watch`: the scribe's screen on a code, and the team's read-only display of one."""

from typing import Any

import click

from recorder.cli.group import Context, pass_ctx, run_screen, touch_option
from recorder.cli.params import code_argument
from schemas.vocabulary import SETTINGS, WEIGHT_SOURCES


@click.command("new")
@click.option("--age-years", type=click.FloatRange(0, 130), help="Age in years.")
@click.option("--age-months", type=click.FloatRange(0, 1560), help="Age in months (with or without years).")
@click.option("--age-days", type=click.FloatRange(0, 47500), help="Age in days, for neonates.")
@click.option("--weight-kg", type=click.FloatRange(0, 500, min_open=True), help="Weight in kg.")
@click.option(
    "--weight-source",
    type=click.Choice(WEIGHT_SOURCES),
    help="Where the weight came from (an estimate says so on screen).",
)
@click.option("--arrest/--no-arrest", default=True, show_default=True, help="In cardiac arrest at the start.")
@click.option(
    "--setting",
    type=click.Choice(SETTINGS),
    help="Where the code happens.",
)
@touch_option
@pass_ctx
def new_cmd(obj: Context, arrest: bool, setting: str | None, touch: bool | None, **patient: float | str | None) -> None:
    """Open the screen straight on a new live code; patient details can be added any time later."""
    fields: dict[str, Any] = {"arrest": arrest, "patient": {k: v for k, v in patient.items() if v is not None}}
    if setting:
        fields["setting"] = setting
    run_screen(obj, "new", new_fields=fields, touch=touch)


@click.command("resume")
@code_argument(required=False)
@touch_option
@pass_ctx
def resume_cmd(obj: Context, code: str | None, touch: bool | None) -> None:
    """Reopen a code after a crash or a closed terminal: the open one, or CODE (a finished one opens for review)."""
    run_screen(obj, "resume", code_id=obj.code_id(code) if code else None, touch=touch)


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
