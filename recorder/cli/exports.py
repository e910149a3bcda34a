"""`recorder summary` and `recorder audit`: the exports, written where the user says and readable by them only."""

import gc
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from exports.formats import AUDIT_FORMATS, SUMMARY_FORMATS
from recorder.cli.group import Context, pass_ctx
from recorder.cli.output import Output, private_dir, write_private
from recorder.cli.params import code_argument
from recorder.errors import RecorderError
from recorder.store import Store

if TYPE_CHECKING:
    from schemas.audit import AuditExport, Kpis

# The exports themselves are imported in the commands that use them: every `recorder` start (the
# bedside screen's included) loads this module, and should not wait for fhir.resources.


@contextmanager
def out_of_collection() -> Iterator[None]:
    """While a one-shot export reads and writes, the cyclic collector keeps out of it.

    What was there before (the modules the command imported, the most of it) is moved out of the collector's
    sight (gc.freeze): a full collection while a 5,000-event code was read walked every module's objects too,
    15-20 ms each time one came (20-35 ms of CPU in a fresh process's summary; 4-7 ms frozen). Its automatic
    passes wait until the end (gc.disable): what a summary or an audit makes lives on or is freed by its last
    reference, never left in a cycle (3 objects of a 5,000-event summary; tests/test_export_garbage.py), so
    the passes, over objects that all live on, were 4 % of a summary for nothing. Given back after, as they
    were (a caller in a process that goes on, the tests', keeps its collector)."""
    was = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was:
            gc.enable()


class ExportError(RecorderError):
    """A mistake in an export command's input: one line on stderr, exit status 2, like every user error."""


class DateParam(click.ParamType):
    """A calendar date, YYYY-MM-DD."""

    name = "YYYY-MM-DD"
    _SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            if not self._SHAPE.match(value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date; give it as YYYY-MM-DD", param, ctx)


@click.command("summary")
@code_argument()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(SUMMARY_FORMATS)),
    default="md",
    show_default=True,
    help="; ".join(f"{f.name}: {f.help}" for f in SUMMARY_FORMATS.values()) + ".",
)
@click.option(
    "-o",
    "--output",
    type=Output(dir_okay=False),
    help="Write to this file (mode 0600: it identifies the patient) instead of standard output (`-`).",
)
@click.option(
    "--recompute",
    is_flag=True,
    help="Work the flags out with this recorder's rules edition; by default a code recorded under an earlier "
    "edition shows the flags kept with it.",
)
@pass_ctx
def summary_cmd(obj: Context, code: str, fmt: str, output: Path | None, recompute: bool) -> None:
    """The code summary for the chart and the debrief (exports.md §1); CODE may be `last`.

    Identified: it names the patient and belongs in their record.
    """
    from recorder.core.code_record import build_code_record
    from recorder.core.session import Session

    with out_of_collection():
        # Not whole: the session keeps the newest records and reads the rest back a page at a time, and the
        # document is written as it is made, so a million-event code is summarised in bounded memory (issue 11).
        session = Session.read(
            obj.store, obj.clock, obj.code_id(code), obj.protocol, recompute=recompute, fold_once=True
        )
        chunks = SUMMARY_FORMATS[fmt].chunks(build_code_record(session))
        if output is None:
            for chunk in chunks:
                click.echo(chunk, nl=False)
            return
        write_private(output, chunks, [obj.db_path])
    click.echo(f"wrote {output}", err=True)


@click.command("audit")
@click.option(
    "--db",
    "dbs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A database to read; repeat for several (default: the global --db).",
)
@click.option("--since", type=DateParam(), help="Only codes that started on or after this date.")
@click.option("--until", type=DateParam(), help="Only codes that started on or before this date.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*AUDIT_FORMATS, "sqlite"]),
    default="csv",
    show_default=True,
    help="csv or json: a file per table in the folder -o; sqlite: one database, the file -o "
    "(for `datasette FILE -m docs/datasette.yml`).",
)
@click.option(
    "--rederive",
    is_flag=True,
    help="Work every code out again from its record instead of reading the rows kept when it ended.",
)
@click.option(
    "-o",
    "--output",
    type=Output(),
    default=Path("audit"),
    show_default=True,
    help="The folder for codes, attempts, drugs and flags (created 0700; files 0600); with --format sqlite, "
    "the database file (0600) [default: audit.db]; `-` with --format json: the whole export as one JSON "
    "document on standard output (audit.schema.json), the KPI table on stderr.",
)
@pass_ctx
def audit_cmd(
    obj: Context,
    dbs: tuple[Path, ...],
    since: date | None,
    until: date | None,
    fmt: str,
    rederive: bool,
    output: Path | None,
) -> None:
    """De-identified quality-audit export over one or more databases, with a KPI table (exports.md §2).

    No names, MRNs, dates of birth or free text; the year is the only date; times are seconds
    from each code's start. Each ended code's rows were kept in its database when it ended, and are
    read as they are; other codes are worked out from their records (and kept for next time).
    """
    from exports.audit import kpis

    if since and until and since > until:
        raise ExportError(f"--since {since} is after --until {until}; swap them")
    paths = list(dbs) or [obj.db_path]
    database = fmt == "sqlite"
    if database and click.get_current_context().get_parameter_source("output") is ParameterSource.DEFAULT:
        output = Path("audit.db")
    if output is None and fmt != "json":
        if database:
            raise ExportError("--format sqlite cannot go to standard output (-o -): give a file name, e.g. -o audit.db")
        raise ExportError(
            f"-o -: the {fmt} audit is one file per table; give a folder, or --format json for one document "
            "on standard output"
        )
    if database:
        assert output is not None
        _check_database_output(output)
    elif output is not None and output.exists() and not output.is_dir():
        raise ExportError(f"{output} is a file, not a folder; choose another -o")
    # The reading and the writing of the files out of the collector's way: what the reading made lives until the
    # files are written, and a pass between the two walked every row of it (6 ms of 1,000 codes).
    with out_of_collection():
        stores = []
        try:
            for path in paths:  # read-only: an audit never creates, changes or chmods a database
                stores.append(Store(path, readonly=True))
            if output is not None and not database:
                private_dir(output)  # before the reading: a folder we cannot make should not cost the wait
            export = _read(obj, stores, since, until, rederive)
        finally:
            for store in stores:
                store.close()
        if output is None:  # -o -: the data on standard output, so the table a person reads goes to stderr
            from exports.audit import audit_document

            click.echo(audit_document(export).decode("utf-8"), nl=False)
            click.echo(kpi_table(kpis(export), len(paths)), err=True)
            return
        if database:
            from recorder.store.audit_sqlite import audit_sqlite

            write_private(output, audit_sqlite(export), [*paths, obj.db_path])
            click.echo(f"wrote {output}", err=True)
            click.echo(kpi_table(kpis(export), len(paths)))
            return
        files = AUDIT_FORMATS[fmt].render(export)
        for name, data in files.items():
            write_private(output / name, data, [*paths, obj.db_path])
        click.echo(f"wrote {', '.join(files)} to {output}", err=True)
        click.echo(kpi_table(kpis(export), len(paths)))


def _check_database_output(output: Path) -> None:
    """-o for the audit database: a file name (checked before the reading, which can take a while)."""
    if output.is_dir():
        raise ExportError(f"{output} is a folder; --format sqlite writes one file: give its name, e.g. -o audit.db")
    if not output.parent.is_dir():
        raise ExportError(f"cannot write {output}: the folder {output.parent} does not exist; choose another -o")


def _read(obj: Context, stores: list[Store], since: date | None, until: date | None, rederive: bool) -> "AuditExport":
    from recorder.core.audit_rows import read_audit

    total = sum(store.code_count() for store in stores)
    with click.progressbar(length=total, label="Reading codes", file=sys.stderr) as bar:
        return read_audit(stores, obj.clock, obj.protocol, since, until, tick=lambda: bar.update(1), rederive=rederive)


def kpi_table(k: "Kpis", databases: int) -> str:
    """The KPIs as a plain table for the terminal."""
    from schemas.formatting import duration, number, t_plus

    def seconds(value: float | None) -> str:
        return "—" if value is None else f"{t_plus(value)} ({number(value, 1)} s)"

    def interval(value: float | None) -> str:
        """Not from the start: from the first shockable rhythm (so no T+)."""
        return "—" if value is None else f"{duration(value)} ({number(value, 1)} s)"

    def codes(n: int) -> str:
        return f"{n} code{'' if n == 1 else 's'}"

    pct = "—"
    if k.io_first_attempt_success_pct is not None:
        share = f"{k.io_first_attempt_successes} of {k.io_first_attempt_known}"
        pct = f"{number(k.io_first_attempt_success_pct, 1)} % ({share})"
    rows = [
        ("codes", f"{k.codes} from {databases} database{'s' if databases != 1 else ''}"),
        ("codes with an IO attempt", str(k.codes_with_io)),
        ("IO first-attempt success", pct),
        ("median time to first IO attempt", seconds(k.median_t_first_io_attempt_s)),
        ("median time to confirmed IO", seconds(k.median_t_first_confirmed_io_s)),
        ("median time to first epinephrine", seconds(k.median_t_first_epinephrine_s)),
        ("median VF/pVT to first shock", interval(k.median_shockable_to_first_shock_s)),
        (
            "doses given with weight unknown",
            f"{k.doses_weight_unknown} in {codes(k.codes_with_doses_weight_unknown)}",
        ),
    ]
    width = max(len(r[0]) for r in rows + [(rule, "") for rule in k.flags_per_code]) + 2
    out = [f"{'KPI':<{width}}value"]
    out += [f"{name:<{width}}{value}" for name, value in rows]
    out.append("flags per code, by rule" + ("" if k.flags_per_code else ": none"))
    out += [f"  {rule:<{width - 2}}{number(n, 2)}" for rule, n in k.flags_per_code.items()]
    return "\n".join(out)
