"""The chain's hash is one fixed scheme: what the writer splices together is what canonical JSON gives."""

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from recorder.store.chain import canonical, event_hash

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def reference(row: dict, audit_id: str, prev: str) -> str:
    """The scheme as first written: sha256 of the canonical JSON of the whole record."""
    content = {
        "code": audit_id,
        "seq": row["seq"],
        "kind": row["kind"],
        "payload": json.loads(row["payload"]),
        "occurred_at": row["occurred_at"],
        "recorded_at": row["recorded_at"],
        "schema_version": row["schema_version"],
        "prev": prev,
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


@given(
    payload=st.dictionaries(TEXT, VALUES, max_size=5), audit_id=TEXT, prev=TEXT, kind=TEXT, seq=st.integers(1, 10**6)
)
def test_the_writers_hash_is_the_canonical_records_hash(payload, audit_id, prev, kind, seq):
    text = canonical(payload)
    row = {
        "seq": seq,
        "kind": kind,
        "payload": text,
        "occurred_at": "2026-03-02T14:05:00.000001+00:00",
        "recorded_at": "2026-03-02T14:05:01.500000+00:00",
        "schema_version": 1,
    }
    expected = reference(row, audit_id, prev)
    assert event_hash(row, audit_id, prev, text) == expected  # the writer, splicing its own text
    assert event_hash(row, audit_id, prev) == expected  # verify, from the stored text
    # A payload stored in the earlier spelling (spaces after separators) hashes the same.
    spaced = dict(row, payload=json.dumps(payload, sort_keys=True, ensure_ascii=False))
    assert event_hash(spaced, audit_id, prev) == expected
