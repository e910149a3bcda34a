"""A code's audit rows read leaving out the events that cannot change them: the audit's workers' read."""

from collections.abc import Mapping
from datetime import date

from recorder.core.code_audit import READS, AuditRead, rows_of
from recorder.core.record_log import RecordLog
from recorder.engine import RULES, RULES_EDITION, Protocol
from recorder.engine.care import _FOLDED
from recorder.engine.live_fold import _NOTED, LiveFold
from recorder.engine.state import _HANDLERS, INERT_WITHOUT
from recorder.store import Store
from schemas.audit import AuditExport
from schemas.events import KIND_MODEL, RECORD_KEEPING, CodeStarted
from schemas.records import LATE_ENTRY_S, EventRecord


def _read_kinds() -> frozenset[str]:
    """The kinds something reads besides the state's handlers: a rule's check, a fold beside the handlers, the
    facts the LiveFold notes, the lines (any kind naming one), the timeline's record keeping and the rows."""
    ruled = {kind for info in RULES.values() for kind in info.kinds}
    lines = {kind for kind, model in KIND_MODEL.items() if "line" in model.model_fields}
    return frozenset(ruled | _FOLDED | _NOTED | lines | RECORD_KEEPING | READS)


def _inert() -> dict[str, frozenset[str]]:
    """Kind → the kinds without which a code's events of that kind change none of its audit rows but for their
    lateness and their time (empty: in any code). Worked out from the engine's own tables, so that a rule, a
    handler or a fold that comes to read a kind takes it off."""
    read = _read_kinds()
    out = {kind: frozenset[str]() for kind in KIND_MODEL if kind not in read and kind not in _HANDLERS}
    out.update({kind: unless for kind, unless in INERT_WITHOUT.items() if kind not in read})
    return out


INERT: Mapping[str, frozenset[str]] = _inert()
# The kinds besides INERT's whose presence decides what a read may leave out (left_out_of): counted by the store.
_DECIDING = frozenset({"void", "amend"}.union(*INERT.values()))


def left_out_of(kinds: frozenset[str]) -> frozenset[str]:
    """The kinds a read of a code whose events are of `kinds` may leave out; none when it has a void or an amend
    (what they change is worked out from the events they name, whatever their kind: the full read does it)."""
    if "void" in kinds or "amend" in kinds:
        return frozenset()
    return frozenset(kind for kind in kinds & INERT.keys() if not INERT[kind] & kinds)


def read_rows(store: Store, protocol: Protocol, code_id: int) -> tuple[AuditRead, bool, str] | None:
    """What the code's audit rows are made from, whether it has ended and its head hash as it was before its
    events were read, read leaving out the events that change none of them; None when nothing can be left out,
    or the code is one this read is not sure of (flags kept under another rules edition, no code_started first):
    Session.read then reads it whole.

    The rows are those of the whole read (tests/test_audit_read.py): an event left out raises no flag and changes
    no state, no line and no fact the rows read; its lateness is counted from the store, and the time it passes
    is passed to the engine after the last event folded (Engine.pass_to, through LiveFold.tick): a deadline due
    before it fires, as folding it would have fired it. One left out between two folded events lets the next one
    fire what it would have fired: the same flags (a flag's t and seq are its deadline's).

    A row left out is not read (recorder/store/left_out.py), so damage in it stops no audit (`recorder verify`
    reads every row); it is read all the same when it may have been entered late or has times not in the store's
    form (so a time that does not read stops the audit with the store's error, as the whole read). Of the latest
    in time only the time is read, and the row too when that is no time.
    """
    basis = store.audit_basis(code_id)
    if basis is None:
        return None
    audit_id, rules, start, head = basis
    if start is None or start.tzinfo is None:
        return None  # no UTC time to count from (no event 1, or one without an offset): a damaged file
    if rules is not None and rules != RULES_EDITION:
        return None  # its flags are those kept with it: Session.read knows
    found = store.kind_rows(code_id, INERT.keys(), LATE_ENTRY_S, start, counted=_DECIDING)
    leave = left_out_of(frozenset(found))
    if not leave:
        return None
    records = RecordLog(store, code_id)
    fold = LiveFold(protocol, records)
    first: EventRecord | None = None
    for page in store.pages_without(code_id, leave, start):
        if first is None and page:
            first = page[0]
            if first.seq != 1 or not isinstance(first.event, CodeStarted):
                return None  # a damaged file: Session.read says what it makes of it
        # What Session's reading does with each page, but the ledger's (its seqs would not be the code's).
        records.extend(page)
        fold.keep_all(page)
    if first is None:
        return None
    fold.refold()
    to_read = [seq for k in leave for seq in found[k].to_read]
    left = store.events_at(code_id, to_read) if to_read else {}
    # Counted as the rows count the events they read (code_audit.rows_of): `late_by` (no amend in the code).
    late = sum(1 for record in left.values() if record.late_by > LATE_ENTRY_S)
    # The latest of those left out: its t (the store's, from its time), or that of one read (a time not in the
    # store's form may be later than the latest in it).
    passed = [t for k in leave if (t := found[k].latest_t) is not None] + [record.t for record in left.values()]
    if passed:
        fold.tick(max(passed))
    at = first.typed(CodeStarted).at
    read = AuditRead(
        fold=fold,
        records=records,
        flags=fold.acknowledged(fold.flags),
        audit_id=audit_id,
        # Session.started_at's: the code's start in its own offset.
        started_at=first.occurred_at.astimezone(at.tzinfo if at is not None else None),
        voids=0,
        amends=0,
        late_left_out=late,
    )
    return read, fold.ended, head


def derive(store: Store, protocol: Protocol, code_id: int) -> tuple[date, AuditExport, bool, str] | None:
    """The code's audit rows as read_rows reads it, the day it started (in its own offset), whether it has
    ended and the head hash it was read at; None: read it whole (audit_rows.derive)."""
    found = read_rows(store, protocol, code_id)
    if found is None:
        return None
    read, ended, head = found
    return read.started_at.date(), rows_of(read), ended, head
