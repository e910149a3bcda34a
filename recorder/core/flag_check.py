"""Each code's stored flag history against the flags its record gives, under the rules and protocol that raised them.

The flags are kept beside the record, not in its hash chain. Working them out again from the record
ties the two together: someone who rewrites the chain (it is unkeyed: see RELIABILITY.md) and forgets
the flags table, or who inserts a flag row, is found. Which rules edition and protocol raised a code's
flags is kept with them (flag_basis, protocols), so a later edition of the rules never makes an old
code fail: an edition this recorder does not have is a note, not a fault.
"""

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from recorder.engine import RULES, RULES_EDITION, Engine, Protocol, kept_protocol_model, load_protocol
from recorder.engine.timeline import effective
from recorder.store import Basis, Problem, Store, StoreError
from recorder.store.chain import canonical
from schemas.records import EventRecord, Flag


@dataclass(frozen=True)
class Edition:
    """One edition of the rules this recorder can work flags out with: its engine and its protocol model."""

    engine: Callable[[Any], Any]  # protocol → an engine of that edition (apply, flags, state, copy, advance)
    protocol: Callable[[dict[str, Any]], Any]  # a kept protocol's JSON → that edition's protocol
    default: Callable[[], Any]  # the protocol that edition shipped


def _first_edition() -> Edition:
    # Loaded only for a code recorded under it: the frozen first edition costs nothing at launch otherwise.
    from recorder.engine.first_edition import engine, protocol

    return Edition(engine.Engine, protocol.Protocol.model_validate, protocol.load_protocol)


# The editions this recorder has: a later edition adds its own and keeps the earlier ones, so that the
# flags kept with an old code are still checked by the rules that raised them.
EDITIONS: dict[str, Callable[[], Edition]] = {
    RULES_EDITION: lambda: Edition(Engine, kept_protocol_model, load_protocol),
    "1": _first_edition,
}

# A crash between an event and its flags leaves the flags of the last events unkept (`resume` keeps
# them): that many events after the flags' latest write are looked for, no more.
LAG_LIMIT = 32

_bases: dict[int, tuple[Protocol, Basis]] = {}


def protocol_basis(protocol: Protocol) -> Basis:
    """The basis kept with the flags raised under `protocol` by these rules (worked out once per protocol)."""
    found = _bases.get(id(protocol))
    if found is None or found[0] is not protocol:
        text = canonical(protocol.model_dump(mode="json"))
        found = (protocol, Basis(RULES_EDITION, hashlib.sha256(text.encode()).hexdigest(), text))
        _bases[id(protocol)] = found  # the protocol is kept too: its id is not reused while it is here
    return found[1]


def kept_protocol(sha256: str, text: str, model: Callable[[dict[str, Any]], Any] = kept_protocol_model) -> Any:
    """A protocol kept in a database (read by `model`, this edition's by default); ValueError if its text is not
    the one its sha256 names, LookupError if `model` does not accept it."""
    if hashlib.sha256(text.encode()).hexdigest() != sha256:
        raise ValueError("its text does not match its sha256 (changed)")
    try:
        return model(json.loads(text))
    except ValidationError as exc:
        raise LookupError(f"this recorder does not accept it any more ({exc.error_count()} problems)") from None


_Key = tuple[str, int, str, float, str | None, str]


def _key(flag: Flag) -> _Key:
    return (flag.rule, flag.seq, flag.severity, flag.t, flag.line, flag.message)


def check_flags(store: Store, given: Protocol | None = None) -> tuple[list[Problem], list[Problem]]:
    """(faults, notes) over every code: its stored flags against those its record gives.

    `given` is the protocol of `--protocol`, tried for codes recorded before the protocol was kept.
    """
    faults: list[Problem] = []
    notes: list[Problem] = []
    protocols = store.protocols()
    default = load_protocol()
    for info in store.codes():
        if not info.events:
            continue
        try:
            records = store.events(info.id)
        except StoreError as exc:  # its chain holds, yet the recorder cannot read it
            faults.append(Problem(info.id, None, str(exc).split(";")[0].removeprefix(f"code {info.id} ")))
            continue
        fault, note = _check_code(store, info.id, records, protocols, default, given)
        if fault:
            faults.append(Problem(info.id, None, fault))
        if note:
            notes.append(Problem(info.id, None, note))
    return faults, notes


def _check_code(
    store: Store,
    code_id: int,
    records: list[EventRecord],
    protocols: dict[str, str],
    default: Protocol,
    given: Protocol | None,
) -> tuple[str | None, str | None]:
    history = store.flag_rows(code_id)
    head = records[-1].seq
    basis = store.flag_basis(code_id)
    if basis is None:
        if history:
            return "its flags are kept without the rules and protocol that raised them", None
        basis = (RULES_EDITION, None, 0)  # the recorder stopped before its first flag write: none kept
    rules, sha, marked = basis
    if rules not in EDITIONS:
        return None, f"its flags were raised by rules edition {rules}, which this recorder does not have: not checked"
    edition = EDITIONS[rules]()
    shape = _shape(history, head)
    if shape:
        return shape, None
    stored = _final(history)
    if sha is None:
        # Kept before the recorder noted the protocol: the default one, or the --protocol given.
        # A hospital's --protocol FILE is read by this edition's model: it applies to codes of this edition.
        own = default if rules == RULES_EDITION else edition.default()
        candidates = [own] + ([given] if given is not None and rules == RULES_EDITION else [])
        if any(_matches(stored, records, p, edition.engine) for p in candidates):
            return None, None
        if not history:
            return None, "no flags were kept for it (it was recorded before the recorder kept them): not checked"
        if rules != RULES_EDITION:
            # --protocol FILE is a protocol of this edition: it cannot stand for an earlier edition's.
            return None, (
                f"its flags were kept under rules edition {rules} before the recorder noted their protocol, and "
                "are not that edition's default protocol's: not checked"
            )
        return None, (
            "its flags were kept before the recorder noted their protocol and are not the default protocol's: "
            "`recorder --protocol FILE verify` checks them under a hospital's own"
        )
    if sha not in protocols:
        return "the protocol that raised its flags is not kept", None
    try:
        protocol = kept_protocol(sha, protocols[sha], edition.protocol)
    except LookupError as exc:
        return None, f"the protocol that raised its flags cannot be read again ({exc}): not checked"
    except ValueError as exc:
        return f"the protocol kept with its flags cannot be used ({exc})", None
    engine = edition.engine
    if _matches(stored, records, protocol, engine):
        return None, None
    # The flags were up to date at their latest write (a code's end is always one): only events after it
    # may lack theirs, after a crash between an event and its flags.
    floor = max([marked, *(at for at, _, _ in history)])
    for cut in range(head - 1, max(floor, head - 1 - LAG_LIMIT, 0), -1):
        if _matches(stored, records[:cut], protocol, engine):
            return None, (
                f"its stored flags stop at event {cut}: the recorder stopped before keeping the flags of the "
                f"events after it; `recorder resume {code_id}` keeps them"
            )
    return _difference(stored, records, protocol, engine), None


def _shape(history: list[tuple[int, str, Flag]], head: int) -> str | None:
    """What is wrong with the history as a history: each flag raised before it is withdrawn, in event order."""
    last: dict[tuple, str] = {}
    at_before = 0
    for at_seq, change, flag in history:
        if at_seq < at_before or at_seq > head or flag.seq > head or flag.rule not in RULES:
            return f"its stored flag {flag.rule} on event {flag.seq} is not where the recorder would keep it"
        if change not in ("raised", "withdrawn") or last.get(flag.key, "withdrawn") == change:
            return f"its stored flag {flag.rule} on event {flag.seq} is {change} twice in a row"
        last[flag.key] = change
        at_before = at_seq
    return None


def _final(history: list[tuple[int, str, Flag]]) -> set[_Key]:
    latest: dict[tuple, tuple[str, Flag]] = {}
    for _, change, flag in history:
        latest[flag.key] = (change, flag)
    return {_key(flag) for change, flag in latest.values() if change == "raised"}


def _given(records: list[EventRecord], protocol: Any, engine: Callable[[Any], Any]) -> tuple[set, set]:
    """The flags the record gives, and those a live screen may have fired since its last event (open codes)."""
    fold = engine(protocol)
    for record in effective(records):
        fold.apply(record)
    flags = {_key(f) for f in fold.flags}
    if fold.state.ended:
        return flags, set()
    later = fold.copy()
    return flags, {_key(f) for f in later.advance(math.inf)}


def _matches(stored: set[_Key], records: list[EventRecord], protocol: Any, engine: Callable) -> bool:
    flags, live = _given(records, protocol, engine)
    return flags <= stored and stored - flags <= live


def _difference(stored: set[_Key], records: list[EventRecord], protocol: Any, engine: Callable) -> str:
    flags, live = _given(records, protocol, engine)
    extra = sorted(stored - flags - live)
    missing = sorted(flags - stored)
    parts = [f"kept but not given: {k[0]} on event {k[1]}" for k in extra[:3]]
    parts += [f"given but not kept: {k[0]} on event {k[1]}" for k in missing[:3]]
    if not parts:  # same keys, another content
        parts = ["a kept flag's time, line or message differs"]
    return "its stored flags are not those its record gives under the rules and protocol that raised them (" + (
        "; ".join(parts) + ")"
    )
