"""The `recorder` command: capture, replay, inspection and integrity of the code record."""

import json
import os
import sys
from pathlib import Path
from typing import Any

import click
import platformdirs

from recorder import __version__
from recorder.clock import SystemClock
from recorder.engine import RULES, Protocol, ProtocolError, load_protocol
from recorder.scenario import ScenarioError, dump_records, read_scenario
from recorder.session import Logged, Session, SessionError, replay
from recorder.store import Store, StoreError
from schemas.patient import Patient, age_band
from schemas.records import Flag
from schemas.vocabulary import SEVERITIES

USER_ERRORS = (StoreError, SessionError, ScenarioError, ProtocolError)


def default_db() -> Path:
    """`recorder.db` in the user data directory, unless RECORDER_DB says otherwise."""
    return Path(platformdirs.user_data_dir("recorder", appauthor=False)) / "recorder.db"


class Context:
    """What every command shares: the database path, opened only when a command needs it."""

    def __init__(self, db_path: Path, protocol_path: Path | None) -> None:
        self.db_path = db_path
        self.protocol_path = protocol_path
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
        if self._store is None:
            self._store = Store(self.db_path)
        return self._store

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
            click.echo(f"recorder: {exc}", err=True)
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
    type=click.Path(dir_okay=False, path_type=Path),
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

    Without a command it shows this help and the codes in the database.
    """
    ctx.obj = Context(db_path or default_db(), protocol)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
        click.echo()
        ctx.invoke(list_codes)


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per code.")
@pass_ctx
def list_codes(obj: Context, as_json: bool) -> None:
    """Codes in the database: id, start, duration, patient band, open/ended."""
    rows = [_code_row(obj, info.id) for info in obj.store.codes() if info.events]
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


def _code_row(obj: Context, code_id: int) -> dict[str, Any]:
    session = Session.read(obj.store, obj.clock, code_id, obj.protocol)
    timeline = session.timeline()
    patient = Patient()
    for record in timeline:
        if record.kind in ("code_started", "patient_updated"):
            patient = patient.merged(record.event.patient)  # type: ignore[attr-defined]
    ended = next((r for r in timeline if r.kind == "code_ended"), None)
    flags = session.flags()
    start = session.records[0].occurred_at.astimezone()
    return {
        "code": code_id,
        "start": start.isoformat(timespec="seconds"),
        "duration_s": ended.t if ended else None,
        "age_band": age_band(patient.age),
        "status": f"ended ({ended.event.outcome})" if ended else "open",  # type: ignore[attr-defined]
        "events": len(session.records),
        "flags": {sev: sum(1 for f in flags if f.severity == sev) for sev in SEVERITIES},
    }


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
    exit status 2, and nothing is stored.
    """
    lines = read_scenario(file, known_rules=RULES)
    if until is not None:
        cut = next((i for i, line in enumerate(lines) if line.event.t > until), len(lines))
        lines = lines[: max(cut, 1)]

    def committed(logged: Logged) -> None:
        if echo:
            click.echo(f"seq {logged.record.seq}")
            sys.stdout.flush()

    session = replay(obj.store, obj.clock, lines, protocol=obj.protocol, on_commit=committed)
    flags = session.flags()
    if as_json:
        for flag in flags:
            click.echo(json.dumps(flag.as_json(), ensure_ascii=False))
        return
    click.echo(f"code {session.code_id}: {len(session.records)} events stored, {len(flags)} flags")
    if flags:
        click.echo(_flag_table(flags))


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
@pass_ctx
def verify_cmd(obj: Context) -> None:
    """Integrity check: SQLite integrity_check, the append-only triggers and the hash chain.

    Names the first bad event of each code; exit status 1 on any fault.
    """
    problems = obj.store.verify()
    codes = obj.store.codes()
    if problems:
        for problem in problems:
            click.echo(f"FAULT {problem}", err=True)
        sys.exit(1)
    events = sum(c.events for c in codes)
    click.echo(
        f"ok: {obj.db_path}: {len(codes)} codes, {events} events, hash chains intact, append-only triggers present"
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
def schema_cmd(output: Path | None) -> None:
    """Write the JSON Schema files that schemas/json/ holds."""
    from schemas.jsonschema import JSON_DIR, write_schemas

    for path in write_schemas(output or JSON_DIR):
        click.echo(str(path))


def main() -> None:
    """Console-script entry point."""
    os.umask(0o077)  # whatever we create holds patient data: owner only
    cli(prog_name="recorder")
