"""Each code's de-identified audit rows: derived when it ends, kept in its database, read by audits.

Working out a code's audit rows means reading the whole code through the session and the engine
(about 13 ms for 200 events). Done once, when the code ends, an audit of months of codes reads rows
as fast as SQLite gives them (benchmarks/bench_exports.py). Kept rows are derived data, never the
record: they stand only while the code's head hash and the key they were derived under (recorder
version, audit columns, protocol) are current; otherwise the audit derives them again and keeps them.
"""

import gc
import hashlib
import json
import multiprocessing
import multiprocessing.util
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import ValidationError

from exports.audit import combine
from recorder import __version__
from recorder.core.clock import Clock
from recorder.core.flag_check import kept_protocol, protocol_basis
from recorder.engine import Protocol, load_protocol
from recorder.store import Problem, Store, StoreError
from schemas.audit import AuditExport

if TYPE_CHECKING:
    from recorder.core.session import Session

# The session and the rows' derivation are imported where a code is derived: an audit of kept
# rows reads none of them (a tenth of its time was importing them; benchmarks/bench_exports.py).


@lru_cache(maxsize=1)
def _columns() -> str:
    """The audit's tables and columns as this recorder writes them."""
    return json.dumps(AuditExport.model_json_schema(), sort_keys=True)


def audit_key(protocol: Protocol) -> str:
    """What kept rows must have been derived under to be read as they are: this recorder's version,
    the audit's columns and the protocol whose rules raised the flags."""
    # The protocol's canonical JSON (sorted keys): the same for the file read and for its kept copy.
    return _audit_key(protocol_basis(protocol).text)


def _audit_key(protocol_text: str) -> str:
    text = "\n".join((__version__, _columns(), protocol_text))
    return hashlib.sha256(text.encode()).hexdigest()


def derive(session: "Session") -> tuple[date, AuditExport]:
    """A code's audit rows, and the day it started in its own offset (the audit's --since/--until)."""
    from recorder.core.code_audit import code_audit_rows

    return session.started_at.date(), code_audit_rows(session)


def keep(session: "Session") -> None:
    """Keep the audit rows of an ended code, as it stands now (raises StoreError if it cannot)."""
    head = session.store.head_hash(session.code_id)
    day, rows = derive(session)
    key = audit_key(session.protocol)
    session.store.keep_audit_rows(
        [(session.code_id, head or "", key, day.isoformat(), rows.model_dump_json())], _kept_protocol(session.protocol)
    )


def _kept_protocol(protocol: Protocol) -> tuple[str, str]:
    """(sha256, text) of the protocol, kept beside rows derived under it: `verify` checks them under it."""
    basis = protocol_basis(protocol)
    return basis.protocol, basis.text


def _kept(found: tuple[str, str] | None) -> tuple[date, AuditExport] | None:
    """Kept rows as (day, rows), or None when there are none, or none that read back."""
    if found is None:
        return None
    try:
        return date.fromisoformat(found[0]), AuditExport.model_validate_json(found[1])
    except (ValueError, ValidationError):
        return None  # damaged: derived again from the record


def read_audit(
    stores: Iterable[Store],
    clock: Clock,
    protocol: Protocol,
    since: date | None = None,
    until: date | None = None,
    tick: Callable[[], None] | None = None,
    rederive: bool = False,
) -> AuditExport:
    """The audit over every code of these databases that started between `since` and `until`.

    Kept rows are read as they are; the other codes are read whole and their rows derived (spread over
    the machine's cores when there are many), and an ended code's rows are kept for the next audit when
    its database can be written (a read-only copy is audited all the same). `rederive` reads every code
    whole, as if nothing were kept.
    """
    key = audit_key(protocol)
    parts: list[AuditExport] = []
    for store in stores:
        kept = {} if rederive else store.kept_audit_rows(key)
        found: dict[int, tuple[date, AuditExport] | None] = {}
        for info in store.codes():
            if info.events:
                found[info.id] = _kept(kept.get(info.id))
                if found[info.id] is not None and tick is not None:
                    tick()
        keeper = _Keeper(store, key, _kept_protocol(protocol))
        try:
            derived = _derive_codes(
                store, clock, protocol, [i for i, rows in found.items() if rows is None], tick, keeper.add
            )
            keeper.flush()
        finally:
            keeper.close()
        for code_id, rows in found.items():
            if rows is None:
                _, day, export, _, _ = derived[code_id]
                rows = (day, export)
            day, export = rows
            if not ((since and day < since) or (until and day > until)):
                parts.append(export)
    return combine(parts)


# A code derived: (head hash, start day, rows, the rows' JSON as kept, whether the code has ended).
_Derived = tuple[str, date, AuditExport, str, bool]
# The same as a worker process sends it back: the rows as their JSON.
_Sent = tuple[str, str, str, bool]


class _Keeper:
    """Derived rows kept as they come, a batch at a time, while the workers derive the codes after them: the
    writes and their sync to disk are out of the audit's way but for the last batch's (they were about 50 ms
    after the last code of 1,000). Only an ended code's: an open one changes with every entry, and is derived
    again each audit. A store opened read-only keeps them through a writer opened once on the very file it
    read (a recorder database: never created, never another file); one that cannot be written (a read-only
    copy, a full disk) keeps none, and its audit stands: the next one derives these rows again."""

    BATCH = 64  # codes a transaction: a few each audit, each a few ms

    def __init__(self, store: Store, key: str, protocol: tuple[str, str] | None) -> None:
        self.store, self.key, self.protocol = store, key, protocol
        self.pending: list[tuple[int, str, str, str, str]] = []
        self.writer: Store | None = None
        self.failed = False

    def add(self, code_id: int, derived: _Derived) -> None:
        head, day, _, text, ended = derived
        if ended and not self.failed:
            self.pending.append((code_id, head, self.key, day.isoformat(), text))
            if len(self.pending) >= self.BATCH:
                self.flush()

    def flush(self) -> None:
        """Keep the rows not kept yet."""
        if not self.pending or self.failed:
            return
        try:
            if not self.store.readonly:
                self.store.keep_audit_rows(self.pending, self.protocol)
            else:
                if self.writer is None:
                    self.writer = self.store.writer()
                self.writer.keep_audit_rows(self.pending, self.protocol)
        except StoreError:
            self.failed = True
        self.pending = []

    def close(self) -> None:
        """Close the writer it opened (what is pending is dropped: `flush` first to keep it)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


# Codes a worker process must have to be worth its start (a fork and a connection: a few ms).
MIN_CODES_PER_WORKER = 16
# Codes a chunk at most: a worker takes the next chunk when it is done with one, so that at the end one is
# never left with more than a chunk (about 0.1 s of 200-event codes) while the other cores wait. A chunk costs
# a message each way and nothing else: each worker reads through one connection for all of its chunks.
CODES_PER_CHUNK = 16


def _derive_one(store: Store, clock: Clock, protocol: Protocol, code_id: int) -> _Derived:
    from recorder.core import audit_read
    from recorder.core.session import Session

    # Most codes: read leaving out the events that change none of their rows (notes; vitals without an
    # infusion): the same rows (tests/test_audit_read.py) for a fraction of the reading and the fold. Its first
    # query reads the head hash too, before the events: rows never outlive them.
    found = audit_read.derive(store, protocol, code_id)
    if found is not None:
        day, rows, ended, head = found
        return head or "", day, rows, rows.model_dump_json(), ended
    head = store.head_hash(code_id) or ""  # read before the events: rows never outlive them
    # Folded once over the final timeline: the same flags as folding it entry by entry
    # (test_session_checkpoints), without the refolds of back-dated entries and corrections.
    session = Session.read(store, clock, code_id, protocol, fold_once=True)
    day, rows = derive(session)
    return head, day, rows, rows.model_dump_json(), session.ended


def _derive_codes(
    store: Store,
    clock: Clock,
    protocol: Protocol,
    code_ids: list[int],
    tick: Callable[[], None] | None,
    done: Callable[[int, _Derived], None] | None = None,
) -> dict[int, _Derived]:
    """Each code's rows worked out from its record: in worker processes, one a core, when there are enough
    codes and the machine has cores to spare; in this process otherwise, and for any code a worker could not
    do (so that its error is this process's, as it would have been). `done(code id, derived)` as each is."""
    out: dict[int, _Derived] = {}
    if not code_ids:
        return out
    # Imported once, here, before any worker is forked from this process: not once in each.
    import recorder.core.audit_read  # noqa: F401

    for chunk, sent in _in_workers(store, clock, protocol, code_ids):
        for code_id, item in zip(chunk, sent or [None] * len(chunk), strict=True):
            if item is None:
                out[code_id] = _derive_one(store, clock, protocol, code_id)
            else:
                head, day, text, ended = item
                # Read back as kept rows are: the very rows the JSON was made from (test_audit_rows).
                out[code_id] = (head, date.fromisoformat(day), AuditExport.model_validate_json(text), text, ended)
            if done is not None:
                done(code_id, out[code_id])
            if tick is not None:
                tick()
    return out


def _workers(codes: int) -> int:
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1  # a fresh interpreter per worker costs more than the codes it would take
    return max(1, min(os.cpu_count() or 1, codes // MIN_CODES_PER_WORKER))


# What a forked worker derives with: the parent's store (it opens its own reader on the same file), clock
# and protocol, set just before the workers are forked.
_job: tuple[Store, Clock, Protocol] | None = None


def _in_workers(
    store: Store, clock: Clock, protocol: Protocol, code_ids: list[int]
) -> Iterator[tuple[list[int], list[_Sent | None] | None]]:
    """(chunk of code ids, what a worker made of each: None for a code this process must do), in order."""
    global _job
    workers = _workers(len(code_ids))
    if workers < 2:
        yield code_ids, None
        return
    size = min(CODES_PER_CHUNK, -(-len(code_ids) // workers))
    chunks = [code_ids[i : i + size] for i in range(0, len(code_ids), size)]
    _job = (store, clock, protocol)
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker) as pool:
            yield from zip(chunks, pool.imap(_derive_chunk, chunks), strict=True)
            # The workers end of themselves, each closing its connection (_worker_reader); leaving the `with`
            # before (an error, Ctrl-C) ends them at once, their connections with them.
            pool.close()
            pool.join()
    finally:
        _job = None


def _start_worker() -> None:
    """Ctrl-C is the parent's to handle: a worker ends with the pool, without a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What the worker was forked with (the imported modules, the protocol) lives as long as it does: out of
    # the collector's sight, a collection does not walk it (nor write to its pages, copying them from the
    # parent's): the collections of 100 codes derived took 24 ms instead of 47, about 2 % of the deriving.
    gc.freeze()
    # Nor does the collector run by itself: it still took 2 % of a worker's CPU (a collection of the youngest
    # objects about every code), for about three small cycles a code to free. A worker collects once a chunk
    # (_derive_chunk), a few hundredths of a millisecond with the rest frozen.
    gc.disable()


# A worker's own connection to the file, opened with its first chunk and closed when the worker ends.
_reader: Store | None = None


def _worker_reader(store: Store) -> Store | None:
    """In a worker: its reader (never the parent's connection: SQLite's is not to be used across a fork), or
    None when it cannot open one."""
    global _reader
    if _reader is None:
        try:
            _reader = store.reader()
        except StoreError:
            return None
        if _reader is not None:
            # Run as the worker ends of itself (the pool closed, not terminated), as atexit is not in a child.
            multiprocessing.util.Finalize(None, _reader.close, exitpriority=0)
    return _reader


def _derive_chunk(code_ids: list[int]) -> list[_Sent | None] | None:
    """In a worker: each code's rows, or None for one it could not derive (the parent does it again)."""
    assert _job is not None
    store, clock, protocol = _job
    reader = _worker_reader(store)
    if reader is None:
        return None
    out: list[_Sent | None] = []
    for code_id in code_ids:
        try:
            head, day, _, text, ended = _derive_one(reader, clock, protocol, code_id)
        except Exception:  # noqa: BLE001 - the parent derives it again and reports what it meets
            out.append(None)
            continue
        out.append((head, day.isoformat(), text, ended))
    gc.collect()  # the chunk's few cycles (_start_worker)
    return out


def check_kept(store: Store, clock: Clock, given: Protocol | None = None) -> tuple[list[Problem], list[Problem]]:
    """(faults, notes): kept rows that an audit would read as they are but that differ from their code's record now.

    Rows are derived data with no anchor of their own: whoever can edit the file can edit them. This
    works every such code out again (`recorder verify`), as an audit with --rederive would, under the
    protocol the rows were derived under: each kept protocol, the default one, or `given`.
    """
    candidates: dict[str, Protocol] = {}
    for protocol in [load_protocol(), *([given] if given is not None else [])]:
        candidates[audit_key(protocol)] = protocol
    for sha256, text in store.protocols().items():
        try:
            protocol = kept_protocol(sha256, text)
        except (ValueError, LookupError):
            # Changed, or no longer accepted by this recorder (an earlier edition's protocol): rows derived
            # under it are noted below.
            continue
        candidates.setdefault(audit_key(protocol), protocol)
        # Rows kept under a protocol written before a table moved (drug classes): keyed by its kept text.
        candidates.setdefault(_audit_key(text), protocol)
    from recorder.core.session import Session

    session_read = Session.read
    faults: list[Problem] = []
    notes: list[Problem] = []
    for code_id, key, day_text, data in store.current_audit_rows():
        derived_under = candidates.get(key)
        if derived_under is None:
            notes.append(
                Problem(
                    code_id,
                    None,
                    "its kept audit rows were derived by another recorder version or under a protocol not kept here: "
                    "not checked (`recorder --protocol FILE verify` checks them under a hospital's own)",
                )
            )
            continue
        kept = _kept((day_text, data))
        day, rows = derive(session_read(store, clock, code_id, derived_under, fold_once=True))
        if kept != (day, rows):
            faults.append(
                Problem(
                    code_id,
                    None,
                    "its kept audit rows differ from its record; `recorder audit --rederive` works them out again",
                )
            )
    return faults, notes
