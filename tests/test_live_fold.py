"""The session's one fold: a refold compares flags by identity first, and the record builder reads the fold."""

from unittest.mock import patch

from recorder.core.code_record import build_code_record
from recorder.core.session import Session
from recorder.engine import State
from schemas.records import Flag
from tests.factory import scenario
from tests.test_session_checkpoints import START, log_all


def test_a_refold_hashes_only_the_flags_it_did_not_keep(store):
    """A back-dated entry refolds from the last checkpoint; the flags of the prefix are the very objects
    the checkpoint kept. Hashing every flag before and after each refold made a long replay quadratic."""
    session = log_all(store, scenario(1_300, at=START), every=10_000)
    flags = session.fold.flags
    assert len(flags) >= 10
    hashed = 0
    plain_hash = Flag.__hash__

    def counting(flag: Flag) -> int:
        nonlocal hashed
        hashed += 1
        return plain_hash(flag)

    last = session.timeline()[-1]
    with patch.object(Flag, "__hash__", counting):
        # Back-dated a second before the last entry: a refold of the tail only.
        logged = session.log({"kind": "vitals", "hr": 120}, t=last.t - 1)
    assert logged.withdrawn == [] and session.fold.flags[: len(flags) - 2] == flags[: len(flags) - 2]
    assert hashed < len(flags) // 2, f"{hashed} flags hashed for a refold of the tail of {len(flags)}"


def test_the_code_record_is_read_from_the_sessions_fold_not_folded_again(store):
    """code_record takes when each line was confirmed, the dose totals, the flushes, the weights and the
    first epinephrine bolus from the fold that raised the flags: it builds no engine state of its own."""
    session = log_all(store, scenario(300, at=START), every=10_000)
    read = Session.read(store, session.clock.clock, session.code_id)
    with patch.object(State, "apply", side_effect=AssertionError("build_code_record folded the code again")):
        record = build_code_record(read)
    assert record.dose_totals and any(line.confirmed_t is not None for line in record.lines)
    assert record.dose_totals == read.fold.dose_totals
    # And what derive once re-decided: each drug's flush, the weight at each moment, the first bolus.
    assert record.flushes and record.flushes == read.fold.flushes
    assert record.patient_at and record.patient_at == read.fold.patient_at
    assert record.first_epinephrine_t is not None and record.first_epinephrine_t == read.fold.first_epinephrine_t
