"""`recorder void` and `recorder amend`: a code's record corrected later, as record keeping with a reason."""

import json
from typing import Any

import click
from pydantic import ValidationError

from exports.describe import describe
from recorder.cli.group import Context, pass_ctx
from recorder.cli.params import code_argument
from recorder.core.end_hooks import keep_audit_rows
from recorder.core.session import Logged, Session, SessionError
from recorder.core.spoken_time import SpokenTimeError, parse_spoken_time
from schemas.events import KIND_MODEL, explain
from schemas.formatting import t_plus
from schemas.records import EventRecord

_YES_NO = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}


def _reason(reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise SessionError("give --reason TEXT: why the record is corrected (it is kept with the correction)")
    return reason.strip()


def _target(obj: Context, code: str, seq: str) -> tuple[Session, EventRecord]:
    """The code (read, not yet written) and its event SEQ as it stands now (amends applied)."""
    code_id = obj.code_id(code)
    if not seq.isdigit():
        raise SessionError(f"SEQ {seq}: not an event number; `recorder events {code_id}` lists the events")
    session = Session.read(obj.store, obj.clock, code_id, obj.protocol)
    n = int(seq)
    if not 1 <= n <= len(session.records):
        raise SessionError(
            f"code {code_id} has no event {n} (it has 1–{len(session.records)}); `recorder events {code_id}` lists them"
        )
    standing = next((r for r in session.timeline() if r.seq == n), None)
    return session, standing or session.records[n - 1]


def _writer(obj: Context, session: Session) -> Session:
    """The code opened to record into, as `recorder resume` opens it: locked, its stored flags up to date."""
    return Session.resume(obj.store, obj.clock, session.code_id, obj.protocol, on_end=keep_audit_rows)


def _words(record: EventRecord) -> str:
    return f"#{record.seq} ({t_plus(record.t)} {describe(record.event)})"


def _said(logged: Logged) -> None:
    """What the correction did to the flags, after what it recorded."""
    for flags, what in ((logged.withdrawn, "withdrawn"), (logged.raised, "raised")):
        if flags:
            click.echo(f"  flags {what}: " + ", ".join(f"{f.rule} (#{f.seq}, {f.severity})" for f in flags))


@click.command("void")
@code_argument()
@click.argument("seq")
@click.option("--reason", metavar="TEXT", help="Why the event is voided (required); kept with the void.")
@pass_ctx
def void_cmd(obj: Context, code: str, seq: str, reason: str | None) -> None:
    """Void event SEQ of CODE (`last`: the latest code) with a reason, e.g. after the code's end.

    Nothing is removed: a void is appended to the hash-chained record, and the event is shown struck
    through in the summary. The screen does the same with Del (live and in review).
    """
    why = _reason(reason)
    session, target = _target(obj, code, seq)
    writer = _writer(obj, session)
    logged = writer.void(target.seq, why)
    click.echo(f"code {session.code_id}: #{logged.record.seq} voids {_words(target)} — reason: {why}")
    _said(logged)
    if session.ended and not writer.ended:  # the end itself was voided
        click.echo(f"  the code is open again: `recorder resume {session.code_id}` goes on recording it")


@click.command("amend")
@code_argument()
@click.argument("seq")
@click.argument("changes", nargs=-1, metavar="FIELD=VALUE...")
@click.option("--reason", metavar="TEXT", help="Why the event is amended (required); kept with the amend.")
@pass_ctx
def amend_cmd(obj: Context, code: str, seq: str, changes: tuple[str, ...], reason: str | None) -> None:
    """Amend event SEQ of CODE (`last`: the latest code): each FIELD=VALUE replaces what it holds, with a reason.

    t=… is a time as people say it: seconds from the start (90), mm:ss (1:30, T+1:30), a clock time.
    A value is checked as a new entry's would be (e.g. dose=0.1, rhythm=pea, easy=no,
    patient={"weight_kg": 13}); the amend is appended to the hash-chained record, the original kept.
    The screen does the same with m.
    """
    why = _reason(reason)
    if not changes:
        raise SessionError("give at least one field=value to change, e.g. dose=0.1 (`recorder events CODE` shows them)")
    session, target = _target(obj, code, seq)
    typed = _typed_changes(session, target, changes)
    writer = _writer(obj, session)
    logged = writer.amend(target.seq, typed, why)
    now = next(r for r in writer.timeline() if r.seq == target.seq)
    was = target.event.model_dump(mode="json")
    said = ", ".join(
        f"t {t_plus(target.t)} → {t_plus(value)}" if name == "t" else f"{name} {_show(was.get(name))} → {_show(value)}"
        for name, value in typed.items()
    )
    click.echo(
        f"code {session.code_id}: #{logged.record.seq} amends #{target.seq}: {said}; "
        f"now {t_plus(now.t)} {describe(now.event)} — reason: {why}"
    )
    _said(logged)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


def _typed_changes(session: Session, target: EventRecord, pairs: tuple[str, ...]) -> dict[str, Any]:
    """FIELD=VALUE pairs as the event's own types, each checked against the event's kind."""
    kind = target.kind
    model = KIND_MODEL[kind]
    fields = [name for name in model.model_fields if name != "kind"]
    current = target.event.model_dump(mode="json", exclude_none=True)
    changes: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise SessionError(f"{pair!r}: give field=value, e.g. dose=0.1")
        if name not in fields:
            raise SessionError(
                f"#{target.seq} is an event of kind {kind}, which has no field {name}; its fields: {', '.join(fields)}"
            )
        changes[name] = _time(session, raw) if name == "t" else _value(model, current, name, raw)
    if all(current.get(name) == value for name, value in changes.items()):
        raise SessionError(f"#{target.seq} already holds {', '.join(pairs)}: nothing to amend")
    return changes


def _time(session: Session, raw: str) -> float:
    """t= as people say it (recorder/core/spoken_time.py): 90, 1:30, T+1:30, a clock time 14:06:30, never after now."""
    try:
        return parse_spoken_time(raw, now=session.now(), start=session.clock.start)
    except SpokenTimeError as exc:
        raise SessionError(f"t={raw}: {exc}") from None


def _value(model: Any, current: dict[str, Any], name: str, raw: str) -> Any:
    """`raw` as the field's type: yes/no, a number, a JSON object, or the text itself, whichever the field takes."""
    candidates: list[Any] = []
    if raw.strip().lower() in _YES_NO:
        candidates.append(_YES_NO[raw.strip().lower()])
    try:
        candidates.append(json.loads(raw))
    except ValueError:
        pass
    candidates.append(raw)
    first: ValidationError | None = None
    for value in candidates:
        try:
            event = model.model_validate({**current, name: value})
        except ValidationError as exc:
            first = first or exc
            continue
        return event.model_dump(mode="json")[name]
    raise SessionError(f"{name}={raw}: {explain(first)}" if first else f"{name}={raw}: not a value it takes")
