"""The per-code hash chain: canonical JSON of each event, hashed with its parent's hash."""

import hashlib
import json
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

GENESIS = ""


# One encoder built once: json.dumps builds a new one per call when given options (it is on the
# logging path, once per event).
canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
"""One spelling for one value: sorted keys, no spaces, UTF-8 as is."""


def event_hash(row: dict[str, Any], audit_id: str, prev_hash: str, payload_text: str | None = None) -> str:
    """The hash of an events row: its recorded content, its code and its parent.

    What is hashed is the canonical JSON of {code, kind, occurred_at, payload, prev, recorded_at,
    schema_version, seq}. `payload_text` is the payload's canonical JSON when the caller has it (the
    writer stores exactly that); it is spliced in rather than parsed and encoded again — the same bytes.
    """
    if payload_text is None:
        payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        payload_text = canonical(payload)
    # Keys in sorted order, as canonical() would write them; strings and integers spelled by the
    # encoder's own functions (the same bytes, without an encoder call each).
    text = (
        f'{{"code":{_value(audit_id)},"kind":{_value(row["kind"])},'
        f'"occurred_at":{_value(row["occurred_at"])},"payload":{payload_text},"prev":{_value(prev_hash)},'
        f'"recorded_at":{_value(row["recorded_at"])},"schema_version":{_value(row["schema_version"])},'
        f'"seq":{_value(row["seq"])}}}'
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _value(value: Any) -> str:
    """canonical(value), quicker for the str and int an events row holds."""
    if type(value) is str:
        return encode_basestring(value)
    if type(value) is int:
        return int.__repr__(value)
    return canonical(value)
