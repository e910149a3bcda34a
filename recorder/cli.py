"""The `recorder` command: capture, replay, inspection and integrity of the code record."""

import json
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from recorder import __version__
from recorder.clock import SystemClock
from recorder.end_hooks import keep_audit_rows
from recorder.engine import RULES, Protocol, ProtocolError, load_protocol
from recorder.listing import code_rows
from recorder.scenario import ScenarioError, ScenarioFile, ScenarioLine, dump_records
from recorder.session import Logged, SessionError, replay
from recorder.store import Problem, Store, StoreError
from schemas.events import printable
from schemas.records import Flag
from schemas.vocabulary import SEVERITIES

USER_ERRORS = (StoreError, SessionError, ScenarioError, ProtocolError)


def default_db() -> Path:
    """`recorder.db` in the user data directory, unless RECORDER_DB says otherwise."""
    import platformdirs  # only when no --db or RECORDER_DB names the file

    return Path(platformdirs.user_data_dir("recorder", appauthor=False)) / "recorder.db"


# The screen (no command) and the commands that record: only these create the database or write to it.
# Every other command opens it read-only (creating, changing and chmod'ing nothing).
WRITERS = frozenset({None, "new", "resume", "replay", "void", "amend"})


class Context:
    """What every command shares: the database path, opened only when a command needs it."""

    def __init__(self, db_path: Path, protocol_path: Path | None, *, writes: bool = True) -> None:
        self.db_path = db_path
        self.protocol_path = protocol_path
        self.writes = writes
        self._store: Store | None = None
        self._protocol: Protocol | None = None
        self.clock = SystemClock()

    @property
    def protocol(self) -> Protocol:
        """The default protocol, or the hospital's own from --protocol (refused if it does not make sense)."""
        if self._protocol is None:
            self._protocol = load_protocol(self.protocol_path)
        return self._protocol

    @property
    def store(self) -> Store:
        """The database, read-only unless the command records (WRITERS)."""
        if self._store is None:
            self._store = Store(self.db_path, readonly=not self.writes)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def code_id(self, code: str) -> int:
        """A code id as the user typed it: a number or `last`."""
        if code == "last":
            found = self.store.last_code_id()
            if found is None:
                raise SessionError("there are no codes yet; start one with `recorder` or `recorder replay FILE`")
            return found
        if not code.isdigit() or self.store.code(int(code)) is None:
            raise SessionError(f"there is no code {code!r}; `recorder list` shows the codes")
        return int(code)


pass_ctx = click.make_pass_decorator(Context)


class RecorderGroup(click.Group):
    """Turns every error a user can cause into one line on stderr and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            # One line whatever the message carries (a file name, SQLite's own text).
            click.echo(f"recorder: {printable(str(exc))}", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last guard before a traceback reaches a scribe
            click.echo(
                f"recorder: unexpected error ({type(exc).__name__}: {exc}); what was recorded is safe on disk; "
                "please report this",
                err=True,
            )
            ctx.exit(70)


@click.group(cls=RecorderGroup, invoke_without_command=True)
@click.option(
    "--db",
    "db_path",
    # Checked by the store, in one line (click's own check is a usage screen): a folder, a device or
    # another program's file is refused there before anything is opened or changed.
    type=click.Path(path_type=Path, readable=False),
    envvar="RECORDER_DB",
    help="The database file (default: recorder.db in the user data directory; env RECORDER_DB).",
)
@click.option(
    "--protocol",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A hospital's own protocol file (rule thresholds and dosing table).",
)
@click.version_option(__version__, prog_name="recorder")
@click.pass_context
def cli(ctx: click.Context, db_path: Path | None, protocol: Path | None) -> None:
    """The resuscitation recorder: timestamps IO access, drugs and fluids, and flags protocol deviations.

    Without a command it opens the scribe's screen: it resumes the open code if there is one,
    else it starts a new one (the clock runs from the moment it opens).
    """
    ctx.obj = Context(db_path or default_db(), protocol, writes=ctx.invoked_subcommand in WRITERS)
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        run_screen(ctx.obj, "auto")


def run_screen(obj: Context, mode: str, **options: Any) -> None:
    """Open the scribe's screen; textual is imported only here, so the other commands start fast."""
    from recorder.tui.app import build_app

    build_app(obj.store, obj.clock, obj.protocol, mode=mode, **options).run()


@cli.command("new")
@click.option("--age-years", type=click.FloatRange(0, 130), help="Age in years.")
@click.option("--age-months", type=click.FloatRange(0, 1560), help="Age in months (with or without years).")
@click.option("--age-days", type=click.FloatRange(0, 47500), help="Age in days, for neonates.")
@click.option("--weight-kg", type=click.FloatRange(0, 500, min_open=True), help="Weight in kg.")
@click.option(
    "--weight-source",
    type=click.Choice(["measured", "estimated", "length_tape", "stated"]),
    help="Where the weight came from (an estimate says so on screen).",
)
@click.option("--arrest/--no-arrest", default=True, show_default=True, help="In cardiac arrest at the start.")
@click.option(
    "--setting",
    type=click.Choice(["prehospital", "ed", "ward", "icu", "picu", "nicu", "delivery_room", "theatre", "other"]),
    help="Where the code happens.",
)
@pass_ctx
def new_cmd(obj: Context, arrest: bool, setting: str | None, **patient: float | str | None) -> None:
    """Open the screen straight on a new live code; patient details can be added any time later."""
    fields: dict[str, Any] = {"arrest": arrest, "patient": {k: v for k, v in patient.items() if v is not None}}
    if setting:
        fields["setting"] = setting
    run_screen(obj, "new", new_fields=fields)


@cli.command("resume")
@click.argument("code", required=False)
@pass_ctx
def resume_cmd(obj: Context, code: str | None) -> None:
    """Reopen a code after a crash or a closed terminal: the open one, or CODE (a finished one opens for review)."""
    run_screen(obj, "resume", code_id=obj.code_id(code) if code else None)


@cli.command("list")
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
        duration = _mmss(r["duration_s"]) if r["duration_s"] is not None else "-"
        counts = "/".join(str(r["flags"][sev]) for sev in SEVERITIES)
        click.echo(
            f"{r['code']:>5}  {r['start']:<25}  {duration:>8}  {r['age_band'] or '?':<8}  {counts:<11}  {r['status']}"
        )


def _mmss(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


@cli.command("replay")
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
                click.echo(f"seq {logged.record.seq}")
                sys.stdout.flush()

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
        rows.append(f"{_mmss(f.t):>7}  {f.seq:>4}  {f.severity:<8}  {f.rule:<29}  {f.line or '-':<5}  {f.message}{ack}")
    return "\n".join(rows)


@cli.command("events")
@click.argument("code")
@pass_ctx
def events_cmd(obj: Context, code: str) -> None:
    """Print a code's raw events as a scenario file (JSON Lines); CODE may be `last`."""
    click.echo(dump_records(obj.store.events(obj.code_id(code))), nl=False)


@cli.command("verify")
@click.option(
    "--print-head",
    is_flag=True,
    help="Also print each code's head hash (code, events, head): keep it in a second place as an anchor.",
)
@pass_ctx
def verify_cmd(obj: Context, print_head: bool) -> None:
    """Integrity check: SQLite integrity_check, the recorder's tables and triggers, the hash chains and payloads,
    the stored flags against their records, and kept audit rows.

    Names the first bad event of each code; exit status 1 on any fault. Notes (what cannot be checked)
    do not fail it.
    """
    problems = obj.store.verify()
    notes: list[Problem] = []
    if not problems:  # flags and rows derived from a record that is itself in doubt are not worth checking
        from recorder.audit_rows import check_kept
        from recorder.flag_check import check_flags

        given = obj.protocol if obj.protocol_path is not None else None
        for faults, found in (check_flags(obj.store, given), check_kept(obj.store, obj.clock, given)):
            problems += faults
            notes += found
    codes = obj.store.codes()
    for note in notes:
        click.echo(f"note: {printable(str(note))}")
    if print_head:
        bad = {p.code_id for p in problems}
        for code_id, events, head in obj.store.heads():
            if code_id not in bad and events:
                click.echo(f"code {code_id}  events {events}  head {head}")
    if problems:
        for problem in problems:
            click.echo(f"FAULT {problem}", err=True)
        sys.exit(1)
    events = sum(c.events for c in codes)
    click.echo(
        f"ok: {obj.db_path}: {len(codes)} codes, {events} events, hash chains intact, payloads canonical, "
        "tables and append-only triggers as the recorder made them, flags match their records, kept audit rows match"
    )


@cli.command("rules")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per rule, with its full docstring.")
def rules_cmd(as_json: bool) -> None:
    """Every protocol rule: id, severity and what it checks."""
    for rule in RULES.values():
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "rule": rule.id,
                        "severities": list(rule.severities),
                        "group": rule.group,
                        "summary": rule.summary,
                        "doc": rule.doc,
                    }
                )
            )
        else:
            click.echo(f"{rule.id:<29}  {'/'.join(rule.severities):<24}  {rule.summary}")


@cli.command("schema")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write to (default: the package's schemas/json).",
)
@pass_ctx
def schema_cmd(obj: Context, output: Path | None) -> None:
    """Write the JSON Schema files that schemas/json/ holds."""
    from recorder.private import write_private
    from schemas.jsonschema import JSON_DIR, render, schema_documents

    directory = output or JSON_DIR
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SessionError(f"cannot create the folder {directory}: {exc.strerror}; choose another -o") from None
    for name, doc in schema_documents().items():
        path = directory / name
        try:
            # Not patient data (readable by all, 0644), but written the same way: whole, never through
            # a link, never onto the database.
            write_private(path, render(doc).encode("utf-8"), protect=[obj.db_path], mode=0o644)
        except OSError as exc:
            raise SessionError(f"cannot write {path}: {exc.strerror}; choose another -o") from None
        click.echo(str(path))


def main() -> None:
    """Console-script entry point."""
    os.umask(0o077)  # whatever we create holds patient data: owner only
    cli(prog_name="recorder")


from recorder.cli_exports import audit_cmd, summary_cmd  # noqa: E402 - the commands need `cli` defined first

cli.add_command(summary_cmd)
cli.add_command(audit_cmd)

from recorder.cli_corrections import amend_cmd, void_cmd  # noqa: E402 - as above

cli.add_command(void_cmd)
cli.add_command(amend_cmd)
