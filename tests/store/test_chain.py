"""The chain's hash is one fixed scheme: what the writer splices together is what canonical JSON gives.

Algorithm 2 names the code's number (code_id) and the algorithm inside each hash; algorithm 1 (kept
for the hashes of codes written before it) is checked against its first reference too.
"""

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recorder.store.chain import (
    NotCanonical,
    appended_hash,
    canonical,
    check_canonical,
    event_hash,
    head_prefix,
    legacy_event_hash,
)

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


def reference(row: dict, audit_id: str, prev: str, chain: int = 2) -> str:
    """The scheme as first written: sha256 of the canonical JSON of the whole record (algorithm 2 adds two keys)."""
    content = {
        **({"chain": 2, "code_id": row["code_id"]} if chain == 2 else {}),
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
        "code_id": seq % 7 + 1,
        "seq": seq,
        "kind": kind,
        "payload": text,
        "occurred_at": "2026-03-02T14:05:00.000001+00:00",
        "recorded_at": "2026-03-02T14:05:01.500000+00:00",
        "schema_version": 1,
    }
    # canonical() is json.dumps with the chain's options, whatever the value.
    assert text == json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    expected = reference(row, audit_id, prev)
    assert event_hash(row, audit_id, prev, text) == expected  # the writer, splicing its own text
    # The store's append, from the code's prefix made once.
    prefix = head_prefix(audit_id, row["code_id"])
    assert appended_hash(prefix, kind, row["occurred_at"], text, prev, row["recorded_at"], 1, seq) == expected
    assert event_hash(row, audit_id, prev) == expected  # verify, from the stored text
    # A payload stored in the earlier spelling (spaces after separators) hashes the same.
    spaced = dict(row, payload=json.dumps(payload, sort_keys=True, ensure_ascii=False))
    assert event_hash(spaced, audit_id, prev) == expected
    assert legacy_event_hash(row, audit_id, prev) == reference(row, audit_id, prev, chain=1)


def test_the_code_number_and_the_algorithm_are_in_the_hash():
    row = {
        "code_id": 1,
        "seq": 1,
        "kind": "note",
        "payload": '{"text":"x"}',
        "occurred_at": "2026-03-02T14:05:00.000000+00:00",
        "recorded_at": "2026-03-02T14:05:00.000000+00:00",
        "schema_version": 1,
    }
    other = dict(row, code_id=2)
    assert event_hash(row, "a1", "") != event_hash(other, "a1", "")
    assert legacy_event_hash(row, "a1", "") == legacy_event_hash(other, "a1", "")  # why algorithm 2 exists
    assert event_hash(row, "a1", "") != legacy_event_hash(row, "a1", "")


@pytest.mark.parametrize(
    ("text", "first_spelling", "why"),
    [
        ('{"dose":0.2,"dose":2}', False, "twice"),
        ('{"dose": 0.2}', False, "canonical"),
        ('{"b":1,"a":2}', False, "canonical"),
        ('{"text":"\\u00e9"}', False, "canonical"),
        ('{"dose":NaN}', False, "NaN"),
        ('{"a":{"x":1,"x":1}}', True, "twice"),
        ('{"dose":0.2} ', True, "canonical"),
    ],
)
def test_a_payload_not_in_its_one_spelling_is_refused(text, first_spelling, why):
    with pytest.raises(NotCanonical, match=why):
        check_canonical(text, first_spelling=first_spelling)


def test_the_canonical_spelling_and_for_old_events_the_first_one_pass():
    check_canonical('{"a":2,"b":[1,"é"]}')
    check_canonical('{"a": 2, "b": [1, "é"]}', first_spelling=True)
    with pytest.raises(NotCanonical):
        check_canonical('{"a": 2, "b": [1, "é"]}')


def test_canonical_refuses_what_json_cannot_hold_and_leaves_no_state_behind():
    """The encoder is built once (no circular-reference bookkeeping): a refusal leaves the next call as it was."""
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical({"dose": float("nan")})
    with pytest.raises(TypeError, match="not JSON serializable"):
        canonical({"when": object()})
    shared = [1]
    assert canonical({"a": shared, "b": shared}) == '{"a":[1],"b":[1]}'
    assert canonical("é\n") == '"é\\n"' and canonical(None) == "null"
