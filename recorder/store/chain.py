"""The per-code hash chain: canonical JSON of each event, hashed with its parent's hash."""

import hashlib
import json
from typing import Any

GENESIS = ""


def canonical(data: Any) -> str:
    """One spelling for one value: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def event_hash(row: dict[str, Any], audit_id: str, prev_hash: str) -> str:
    """The hash of an events row: its recorded content, its code and its parent."""
    content = {
        "code": audit_id,
        "seq": row["seq"],
        "kind": row["kind"],
        "payload": json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"],
        "occurred_at": row["occurred_at"],
        "recorded_at": row["recorded_at"],
        "schema_version": row["schema_version"],
        "prev": prev_hash,
    }
    return hashlib.sha256(canonical(content).encode()).hexdigest()
