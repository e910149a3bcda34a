"""`recorder verify`, `recorder rules` and `recorder schema`: the record's integrity, and what the recorder knows."""

import json
import sys
from pathlib import Path

import click

from recorder.cli.group import Context, pass_ctx
from recorder.cli.output import Output, OutputError, write_private
from recorder.engine import RULES
from recorder.store import Problem
from schemas.events import printable


@click.command("verify")
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
        from recorder.core.audit_rows import check_kept
        from recorder.core.flag_check import check_flags

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


@click.command("rules")
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


# The schema files by the name `recorder schema NAME` takes: event.schema.json is "event".
SCHEMA_NAMES = ("event", "patient", "flag", "summary", "audit")


@click.command("schema")
@click.argument("names", nargs=-1, type=click.Choice(SCHEMA_NAMES), metavar="[NAME]...")
@click.option(
    "-o",
    "--output",
    type=Output(file_okay=False),
    help="A folder to write NAME.schema.json files into; without it (or with `-`), standard output.",
)
@pass_ctx
def schema_cmd(obj: Context, names: tuple[str, ...], output: Path | None) -> None:
    """Print the JSON Schema documents of the event vocabulary and the exports (NAME: event, patient, flag,
    summary, audit; all by default), or write them into a folder with -o (`schemas/json/` holds the published
    copy: `recorder schema -o schemas/json` from the source tree renews it).
    """
    from schemas.jsonschema import render, schema_documents

    documents = {name: doc for name, doc in schema_documents().items() if not names or name.split(".")[0] in names}
    if output is None:  # never a default folder: installed, the package's own would be site-packages
        for doc in documents.values():
            click.echo(render(doc), nl=False)
        return
    directory = output
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {directory}: {exc.strerror}; choose another -o") from None
    for name, doc in documents.items():
        path = directory / name
        # Not patient data (readable by all, 0644), but written the same way: whole, never through
        # a link, never onto the database.
        write_private(path, render(doc).encode("utf-8"), [obj.db_path], mode=0o644)
        click.echo(str(path))
