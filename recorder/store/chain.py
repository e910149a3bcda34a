"""The per-code hash chain: canonical JSON of each event, hashed with its parent's hash."""

import hashlib
import json
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

GENESIS = ""

CHAIN = 2
"""The chain algorithm this recorder writes (stored per code in codes.chain).

1: {code, kind, occurred_at, payload, prev, recorded_at, schema_version, seq}, code being the audit
id only, so two codes' numbers could be swapped unseen. 2 adds the algorithm and the code's number:
{chain, code, code_id, kind, …}. Codes of a database written before 2 are re-chained when it is
first opened; their algorithm-1 hashes are kept in legacy_hashes.
"""


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
# The C encoder JSONEncoder.encode builds on every call, built once (it is on the logging path, once per
# event): the same arguments but the circular-reference check (a JSON value read or dumped has no cycle).
_C_ENCODE = c_make_encoder(None, _ENCODER.default, encode_basestring, None, ":", ",", True, False, False)


def canonical(value: Any) -> str:
    """One spelling for one value: sorted keys, no spaces, UTF-8 as is."""
    if _C_ENCODE is None:  # a Python without the json module's C part
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


# The spelling of payloads written by the first recorder (spaces after separators); accepted only for
# events written before the chain's algorithm 2, whose hashes are kept in legacy_hashes.
_first_spelling = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False).encode


class NotCanonical(ValueError):
    """Stored JSON that is not the one spelling of one value."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        keys = [k for k, _ in pairs]
        raise NotCanonical(f"the key {next(k for k in keys if keys.count(k) > 1)!r} is there twice")
    return found


def _no_constant(name: str) -> Any:
    raise NotCanonical(f"{name} is not a JSON number")


def strict_parse(text: str) -> Any:
    """Parse stored JSON refusing what SQLite and Python would read differently (a duplicate key, NaN)."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def check_canonical(text: str, first_spelling: bool = False) -> None:
    """Raise NotCanonical (or ValueError) unless `text` is exactly the canonical JSON of what it holds.

    `first_spelling` also accepts the first recorder's spelling (events written before algorithm 2).
    """
    value = strict_parse(text)
    if canonical(value) == text or (first_spelling and _first_spelling(value) == text):
        return
    raise NotCanonical("it is not stored in its one canonical spelling")


def event_hash(row: dict[str, Any], audit_id: str, prev_hash: str, payload_text: str | None = None) -> str:
    """The hash of an events row (algorithm 2): its recorded content, its code's id and number, its parent.

    What is hashed is the canonical JSON of {chain, code, code_id, kind, occurred_at, payload, prev,
    recorded_at, schema_version, seq}; `row` carries code_id. `payload_text` is the payload's canonical
    JSON when the caller has it (the writer stores exactly that); it is spliced in rather than parsed
    and encoded again — the same bytes.
    """
    if payload_text is None:
        payload_text = _payload_text(row["payload"])
    # Keys in sorted order, as canonical() would write them; strings and integers spelled by the
    # encoder's own functions (the same bytes, without an encoder call each).
    text = (
        f'{{"chain":{CHAIN},"code":{_value(audit_id)},"code_id":{_value(row["code_id"])},"kind":{_value(row["kind"])},'
        f'"occurred_at":{_value(row["occurred_at"])},"payload":{payload_text},"prev":{_value(prev_hash)},'
        f'"recorded_at":{_value(row["recorded_at"])},"schema_version":{_value(row["schema_version"])},'
        f'"seq":{_value(row["seq"])}}}'
    )
    return hashlib.sha256(text.encode()).hexdigest()


def head_prefix(audit_id: str, code_id: int) -> str:
    """The start of every hashed text of a code's events (algorithm 2), the same for all of them: made once
    per code by the writer (see appended_hash)."""
    return f'{{"chain":{CHAIN},"code":{_value(audit_id)},"code_id":{_value(code_id)},"kind":'


def appended_hash(
    prefix: str,
    kind: str,
    occurred_at: str,
    payload_text: str,
    prev_hash: str,
    recorded_at: str,
    schema_version: int,
    seq: int,
) -> str:
    """event_hash of the row the store is appending, from its code's head_prefix: the same text, hashed.

    `occurred_at` and `recorded_at` are times as the store writes them (ISO-8601: digits, "-", ":", "T", "."
    and "+"), which JSON spells as they are between quotes: they are quoted, not escaped (once per event).
    """
    text = (
        f'{prefix}{encode_basestring(kind)},"occurred_at":"{occurred_at}","payload":{payload_text},'
        f'"prev":{encode_basestring(prev_hash)},"recorded_at":"{recorded_at}",'
        f'"schema_version":{_value(schema_version)},"seq":{_value(seq)}}}'
    )
    return hashlib.sha256(text.encode()).hexdigest()


def legacy_event_hash(row: dict[str, Any], audit_id: str, prev_hash: str, payload_text: str | None = None) -> str:
    """The hash of an events row under algorithm 1 (kept for codes written before algorithm 2)."""
    if payload_text is None:
        payload_text = _payload_text(row["payload"])
    text = (
        f'{{"code":{_value(audit_id)},"kind":{_value(row["kind"])},'
        f'"occurred_at":{_value(row["occurred_at"])},"payload":{payload_text},"prev":{_value(prev_hash)},'
        f'"recorded_at":{_value(row["recorded_at"])},"schema_version":{_value(row["schema_version"])},'
        f'"seq":{_value(row["seq"])}}}'
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _payload_text(payload: Any) -> str:
    return canonical(json.loads(payload) if isinstance(payload, str) else payload)


def _value(value: Any) -> str:
    """canonical(value), quicker for the str and int an events row holds."""
    if type(value) is str:
        return encode_basestring(value)
    if type(value) is int:
        return int.__repr__(value)
    return canonical(value)
