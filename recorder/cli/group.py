"""The `recorder` click group: what every command shares, and the one place where an error becomes one line."""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from recorder.core.clock import SystemClock
from recorder.errors import RecorderError, one_line

# The session, the engine (the protocol's pydantic models) and the store are imported when a command first
# needs them, not with the group: `recorder --version`, `--help` and the screen's first frame go without
# what they do not use (benchmarks/bench_startup.py; tests/test_launch_imports.py holds it).
if TYPE_CHECKING:
    from recorder.engine import Protocol
    from recorder.store import Store


def default_db() -> Path:
    """`recorder.db` in the user data directory, unless RECORDER_DB says otherwise."""
    import platformdirs  # only when no --db or RECORDER_DB names the file

    return Path(platformdirs.user_data_dir("recorder", appauthor=False)) / "recorder.db"


# The screen (no command) and the commands that record: only these create the database or write to it.
# Every other command opens it read-only (creating, changing and chmod'ing nothing).
WRITERS = frozenset({None, "new", "resume", "replay", "void", "amend", "serve-seat"})
# The commands that open the scribe's screen (no command is the screen too): their first frame comes first.
SCREENS = frozenset({None, "new", "resume"})


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
            from recorder.engine import load_protocol

            self._protocol = load_protocol(self.protocol_path)
        return self._protocol

    @property
    def store(self) -> Store:
        """The database, read-only unless the command records (WRITERS)."""
        if self._store is None:
            from recorder.store import Store

            self._store = Store(self.db_path, readonly=not self.writes)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def code_id(self, code: str) -> int:
        """A code id as the user typed it: a number or `last`; a missing one names the database searched."""
        from recorder.core.session import SessionError

        if code == "last":
            found = self.store.last_code_id()
            if found is None:
                raise SessionError(
                    f"there are no codes in {self.db_path} yet; start one with `recorder` or `recorder replay FILE`"
                )
            return found
        if not code.isdigit() or self.store.code(int(code)) is None:
            raise SessionError(f"there is no code {code!r} in {self.db_path}; `recorder list` shows the codes")
        return int(code)


pass_ctx = click.make_pass_decorator(Context)


def fail(message: str, code: int) -> NoReturn:
    """The end of every failed run: `recorder: message` as one line on stderr, and the exit status."""
    click.echo(f"recorder: {one_line(message)}", err=True)
    sys.exit(code)


def stdout_closed() -> None:
    """The reader of standard output went away (`| head -1`): what is still to be written goes nowhere.

    Python would otherwise report the closed pipe again when it flushes standard output at exit.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind sys.stdout (a test runner's buffer)
        pass


def _usage(exc: click.UsageError) -> str:
    """Click's usage error (a typo'd command, an unknown flag, a bad value) as one line with where to look."""
    text = exc.format_message().strip()
    # The command as the user typed it, however the program was started (`python -m recorder`, a test runner).
    words = exc.ctx.command_path.split(maxsplit=1) if exc.ctx is not None else []
    where = f"{words[1]}: " if len(words) > 1 else ""
    path = f"recorder {words[1]}" if len(words) > 1 else "recorder"
    # Click's "Did you mean 'list'?" stays a question: only a full stop gives way to the pointer to the help.
    joint = " " if text.endswith("?") else "; "
    return f"{where}{text.rstrip('.')}{joint}see `{path} --help`"


class RecorderGroup(click.Group):
    """The group whose `main` turns every way a run can fail into one line on stderr and an exit status.

    A RecorderError: its message, its exit code (2). A usage error (typo'd command, unknown flag, bad value):
    one line, exit 2. A closed standard output (`| head -1`): nothing more, exit 0. Anything else: the last
    guard before a traceback reaches a scribe, exit 70.

    Its commands are named in `lazy` ("name" -> "module:attribute", filled by recorder/cli/__init__.py) and
    imported when one is run, listed or completed: a run imports the module of its own command only.
    """

    lazy: dict[str, str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise TypeError(f"{self.lazy[cmd_name]} is not the command {cmd_name!r}")
            self.add_command(command)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.lazy:
            # Not a command (a typo): click suggests from the commands it holds, so it is given them all.
            self.every_command()
        return super().resolve_command(ctx, args)

    def every_command(self) -> dict[str, click.Command]:
        """Every command, each imported (the tests read them all: help, options, the module each lives in)."""
        for name in self.lazy:
            self.get_command(click.Context(self), name)
        return dict(self.commands)

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:  # a caller that handles the errors itself
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except RecorderError as exc:
            fail(exc.message, exc.exit_code)
        except click.UsageError as exc:
            fail(_usage(exc), 2)
        except click.ClickException as exc:
            fail(exc.format_message(), exc.exit_code)
        except click.Abort:  # Ctrl-C, or the end of input at a prompt
            fail("interrupted; what was already stored stays as it is", 1)
        except Exception as exc:  # noqa: BLE001 - the last guard before a traceback reaches a scribe
            what = f"{type(exc).__name__}: {exc}"
            fail(f"unexpected error ({what}); what was recorded is safe on disk; please report this", 70)
        # Without standalone mode click returns a command's value, or the status of ctx.exit(n).
        sys.exit(status if isinstance(status, int) else 0)

    # A closed pipe is caught where output is written (the group's own --help while the command line is
    # read; every command when invoked), not in `main`: click's own main would turn it into exit status 1.

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            stdout_closed()
            raise click.exceptions.Exit(0) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            stdout_closed()
            ctx.exit(0)


def touch_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--touch/--no-touch`: the touch layout (large buttons, nothing that needs Ctrl, Esc or arrows), or the
    keyboard's; neither given, a browser no wider than a tablet gets the touch layout."""
    return click.option(
        "--touch/--no-touch",
        default=None,
        help="Large buttons for a touch screen (default: in a browser as narrow as a tablet).",
    )(command)


@click.group(
    cls=RecorderGroup,
    invoke_without_command=True,
    # Click's own completion; the CODE arguments offer the database's code ids (recorder/cli/params.py).
    epilog='Shell completion: eval "$(_RECORDER_COMPLETE=bash_source recorder)" in ~/.bashrc '
    "(zsh_source in ~/.zshrc; fish_source for fish); CODE completes to the codes in the database.",
)
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
@touch_option
# The version lives in pyproject.toml only: click reads the installed package's metadata when asked.
@click.version_option(package_name="resus-recorder", prog_name="recorder")
@click.pass_context
def cli(ctx: click.Context, db_path: Path | None, protocol: Path | None, touch: bool | None) -> None:
    """The resuscitation recorder: timestamps IO access, drugs and fluids, and flags protocol deviations.

    Without a command it opens the scribe's screen: it resumes the open code if there is one,
    else it starts a new one (the clock runs from the moment it opens).
    """
    if ctx.invoked_subcommand not in SCREENS:
        gc.enable()  # paused by `main` for the screen's launch only: every other command collects as ever
    ctx.obj = Context(db_path or default_db(), protocol, writes=ctx.invoked_subcommand in WRITERS)
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        run_screen(ctx.obj, "auto", touch=touch)


def run_screen(obj: Context, mode: str, *, at_once: bool = False, **options: Any) -> None:
    """Open the scribe's screen; textual is imported only here, so the other commands start fast.

    At a terminal its first frame comes first: the store, the protocol and the code are opened right after
    it is drawn (recorder/tui/opening.py), and whatever stops them is raised here, once the terminal is
    given back, as the same one line it always was. Opened before the screen instead: `at_once` (a
    browser's tab, whose caller catches CodeLocked to show the team display), the touch layout (the
    opening screen has the keyboard's), and where nobody sees a frame (a pipe, a script).
    """
    from recorder.tui.app import RecorderApp, build_app

    if at_once or options.get("touch") or not at_a_terminal():
        gc.enable()  # no first frame ahead of the code (see `main`)
        build_app(obj.store, obj.clock, obj.protocol, mode=mode, **options).run()
        return
    app = RecorderApp.opening(
        lambda: (obj.store, obj.protocol), obj.clock, mode=mode, db_path=str(obj.db_path), **options
    )
    app.run()
    app.raise_failure()


def at_a_terminal() -> bool:
    """Whether the screen would be seen: Textual reads the keys from stdin and draws on stderr."""
    return all(stream is not None and stream.isatty() for stream in (sys.__stdin__, sys.__stderr__))


def main() -> None:
    """Console-script entry point (and `python -m recorder`)."""
    os.umask(0o077)  # whatever we create holds patient data: owner only
    # The cyclic collector paused until the screen's first frame (RecorderApp.on_ready resumes it): a launch
    # makes no garbage worth its passes, only the modules and widgets it keeps, and Python's collections
    # over them cost the first frame about 7% of its CPU (benchmarks/bench_startup.py). Any other command
    # resumes it at once (`cli`); so does the end of the run, however it ends.
    gc.disable()
    try:
        cli(prog_name="recorder")
    finally:
        # What the run made is the process's end to free: frozen, none of it is walked by the collections Python
        # makes as it shuts down (30 ms of every command's wall time, 60 to 100 after an audit of 1,000 codes:
        # BENCHMARKS.md, sixteenth round). Objects are still freed as ever; only the collector no longer looks.
        gc.freeze()
        gc.enable()
