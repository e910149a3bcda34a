"""`recorder replay`, `recorder events` and `recorder list`: a code's record in and out, and the codes there are."""

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from recorder.cli.group import Context, pass_ctx, stdout_closed
from recorder.cli.output import Output, write_private
from recorder.cli.params import code_argument
from recorder.core.end_hooks import keep_audit_rows
from recorder.core.listing import code_rows
from recorder.core.scenario import ScenarioError, ScenarioFile, ScenarioLine, dump_records
from recorder.core.session import Logged, replay
from recorder.engine import RULES
from schemas.formatting import mmss
from schemas.records import Flag
from schemas.vocabulary import SEVERITIES


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per code.")
@pass_ctx
def list_codes(obj: Context, as_json: bool) -> None:
    """Codes in the database: id, start, duration, patient band, open/ended."""
    rows = code_rows(obj.store, obj.clock, obj.protocol)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    if not rows:
        click.echo(f"No codes in {obj.db_path} yet.")
        return
    click.echo(f"{'code':>5}  {'start':<25}  {'duration':>8}  {'patient':<8}  {'flags C/W/I':<11}  status")
    for r in rows:
        duration = mmss(r["duration_s"]) if r["duration_s"] is not None else "-"
        counts = "/".join(str(r["flags"][sev]) for sev in SEVERITIES)
        click.echo(
            f"{r['code']:>5}  {r['start']:<25}  {duration:>8}  {r['age_band'] or '?':<8}  {counts:<11}  {r['status']}"
        )


@click.command("replay")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the flags as JSON Lines.")
@click.option("--echo", is_flag=True, help="Print `seq N` after each event is durably committed.")
@click.option("--until", type=float, metavar="T", help="Stop before the first event later than T seconds.")
@pass_ctx
def replay_cmd(obj: Context, file: Path, as_json: bool, echo: bool, until: float | None) -> None:
    """Store a scenario file (events.md) through the same path as the screen.

    The whole file is validated first: a bad line stops the replay with FILE:LINE and
    exit status 2, and nothing is stored. The file is read a line at a time (each line at most
    1 MB), never held whole; a pipe is kept in a private temporary file (at most 1 GB) meanwhile.
    """
    if until is not None and not math.isfinite(until):
        raise ScenarioError(f"--until {until}: give a number of seconds from the code's start, like 300")
    with ScenarioFile.open(file) as source:
        source.check(known_rules=RULES, now=obj.clock.wall())
        lines = source.lines()
        if until is not None:
            lines = _until(lines, until)

        def committed(logged: Logged) -> None:
            if echo:
                try:
                    click.echo(f"seq {logged.record.seq}")
                    sys.stdout.flush()
                except BrokenPipeError:
                    # The reader went away (`| head -1`): the replay goes on storing, it only stops telling.
                    stdout_closed()

        session = replay(
            obj.store, obj.clock, lines, protocol=obj.protocol, on_commit=committed, on_end=keep_audit_rows
        )
    flags = session.flags()
    if as_json:
        for flag in flags:
            click.echo(json.dumps(flag.as_json(), ensure_ascii=False))
        return
    click.echo(f"code {session.code_id}: {session.ledger.next_seq - 1} events stored, {len(flags)} flags")
    if flags:
        click.echo(_flag_table(flags))


def _until(lines: Iterator[ScenarioLine], until: float) -> Iterator[ScenarioLine]:
    """The lines up to the first one later than `until` (the code_started line always)."""
    for i, line in enumerate(lines):
        if i and line.event.t > until:
            return
        yield line


def _flag_table(flags: list[Flag]) -> str:
    rows = [f"{'T+':>7}  {'seq':>4}  {'severity':<8}  {'rule':<29}  {'line':<5}  message"]
    for f in flags:
        ack = f"  [acknowledged: {f.reason}]" if f.acknowledged else ""
        rows.append(f"{mmss(f.t):>7}  {f.seq:>4}  {f.severity:<8}  {f.rule:<29}  {f.line or '-':<5}  {f.message}{ack}")
    return "\n".join(rows)


@click.command("events")
@code_argument()
@click.option(
    "-o",
    "--output",
    type=Output(dir_okay=False),
    help="Write to this file (mode 0600: it identifies the patient) instead of standard output (`-`).",
)
@pass_ctx
def events_cmd(obj: Context, code: str, output: Path | None) -> None:
    """Print a code's raw events as a scenario file (JSON Lines); CODE may be `last`."""
    text = dump_records(obj.store.events(obj.code_id(code)))
    if output is None:
        click.echo(text, nl=False)
        return
    write_private(output, text.encode("utf-8"), [obj.db_path])
    click.echo(f"wrote {output}", err=True)
