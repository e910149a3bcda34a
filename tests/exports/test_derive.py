"""The figures every format reads, worked out by hand for the child (a) and adult (b) codes."""

from datetime import datetime, timedelta, timezone
from unittest.mock import patch

import pytest

from exports.derive import doses_weight_unknown, shockable_to_first_shock_s, summarise
from recorder.core.code_record import build_code_record
from recorder.core.session import Session
from recorder.engine import State
from schemas.formatting import number, t_plus
from schemas.summary import Summary
from tests.factory import read, record


@pytest.fixture(scope="module")
def s(child) -> Summary:
    return summarise(child)


def test_record_keeps_the_codes_offset_and_the_merged_patient(child):
    assert child.start == datetime(2026, 3, 2, 14, 5, tzinfo=timezone(timedelta(hours=1)))
    assert child.start.utcoffset() == timedelta(hours=1)
    p = child.patient
    # code_started gave age and weight; patient_updated added name, MRN, sex and date of birth
    assert (p.age_years, p.weight_kg, p.weight_source, p.name, p.mrn, p.sex) == (
        4,
        16,
        "length_tape",
        "Ada Example",
        "MRN-4411",
        "female",
    )
    assert child.audit_id == "c41d0000000000a1" and child.outcome == "rosc" and child.setting == "ed"
    assert len(child.records) == 50 and [r.seq for r in child.records] == list(range(1, 51))
    # the effective timeline leaves out the voided dose and every record-keeping event
    seqs = {r.seq for r in child.timeline}
    assert 26 not in seqs and not seqs & {28, 40, 49}
    assert [(f.rule, f.seq) for f in child.withdrawn_flags] == [("DOSE_OUT_OF_RANGE", 26)]


def test_key_intervals(s):
    i = s.intervals
    assert i.first_access_attempt_s == 40  # iv1
    assert i.first_io_attempt_s == 75  # io1
    assert i.first_confirmed_io_s == 130  # io2 aspirated marrow
    assert i.first_working_access_s == 130  # iv1 and io1 failed: io2 is the first that worked
    assert i.first_drug_s == 150 and i.first_epinephrine_s == 150
    assert i.rosc_s == 1050  # amended from 1080
    assert (i.io_attempts, i.io_first_attempt_success, i.io_lines_confirmed, i.iv_attempts_before_io) == (
        2,
        False,
        1,
        1,
    )


def test_lines(s):
    iv1, io1, io2 = s.lines
    assert (iv1.line, iv1.status, iv1.success, iv1.in_place_s) == ("iv1", "failed", False, None)
    assert (io1.result, io1.result_reason, io1.removed_t, io1.pressure_held) == (
        "failed",
        "through and through",
        100,
        False,
    )
    assert io1.success is False and io1.confirmed_t is None
    assert (io2.site, io2.side, io2.device, io2.needle_mm, io2.by) == ("distal_tibia", "left", "ez_io", 15, "Dr Smith")
    assert (io2.result_t, io2.confirmed_t, io2.aspirated, io2.flushed_easily) == (125, 130, True, True)
    assert io2.in_place_s == 1200 - 125  # never removed: in until the code ended
    assert io2.flushes == 12 and io2.flush_ml == 60
    assert io2.flushed_at[:3] == [135, 158, 200]  # flushes and fluids through it


def test_drug_table_flushes_and_running_totals(s):
    drugs = {(d.seq): d for d in s.drugs}
    assert len(s.drugs) == 12  # the voided 1.6 mg is not among them
    amio = drugs[22]
    assert (amio.flushed, amio.unflushed, amio.flags) == (False, True, ["DRUG_NOT_FLUSHED"])
    dextrose = drugs[38]
    # flushed at last, 160 s later: still "unflushed" — the rule's window is 30 s
    assert (dextrose.flushed, dextrose.flush_after_s, dextrose.flush_ml, dextrose.unflushed) == (True, 160, 5, True)
    first_epi = drugs[14]
    assert (first_epi.flushed, first_epi.flush_after_s, first_epi.unflushed) == (True, 8, False)
    assert first_epi.dose_per_kg == pytest.approx(0.01) and first_epi.route == "io"
    epinephrine = [d.total for d in s.drugs if d.drug == "epinephrine"]
    assert epinephrine == pytest.approx([0.16, 0.32, 0.48, 0.64])
    assert drugs[30].total == 160 and drugs[30].total_per_kg == pytest.approx(10)  # amiodarone mg, mg/kg
    # `other` drugs are totalled by name in the unit given
    assert [(d.label, d.total, d.total_unit) for d in s.drugs if d.drug == "other"] == [
        ("midazolam", 1.6, "mg"),
        ("rocuronium", 16, "mg"),
    ]


def test_fluids_in_ml_and_ml_per_kg(s):
    assert [(f.volume_ml, f.total_ml, f.total_ml_per_kg) for f in s.fluids] == [(320, 320, 20), (160, 480, 30)]
    ft = s.fluid_totals
    assert (ft.fluids_ml, ft.fluids_ml_per_kg, ft.flushes, ft.flush_ml, ft.all_ml) == (480, 30, 12, 60, 540)
    assert ft.all_ml_per_kg == pytest.approx(540 / 16)


def test_flags_record_keeping_and_late_entries(s):
    assert [(f.n, f.rule, f.severity, f.seq) for f in s.flags] == [
        (1, "IO_REMOVED_NO_PRESSURE", "info", 8),
        (2, "REPEAT_SAME_BONE", "critical", 9),
        (3, "DRUG_NOT_FLUSHED", "warning", 22),
        (4, "EPI_INTERVAL_EXCEEDED", "warning", 29),
        (5, "DRUG_NOT_FLUSHED", "warning", 38),
        (6, "IO_IN_AT_END", "info", 10),  # second edition: io2 (in at seq 10) is still in at the end
    ]
    assert s.flags[1].acknowledged and s.flags[1].reason == "only site the team could reach"
    void, amend = s.record_keeping
    assert (void.kind, void.target, void.reason, void.recorded_t) == ("void", 26, "typed 1.6 for 0.16", 600)
    assert "1.6 mg" in void.target_text
    assert (amend.kind, amend.target, [(c.field, c.old, c.new) for c in amend.changes]) == (
        "amend",
        39,
        [("t", 1080, 1050)],
    )
    # rhythm and CPR were typed at 80 and 81 s for 15 and 20 s: 65 and 61 s late; the patient's
    # details at 82 s for 30 s is 52 s — not late
    assert [(e.seq, e.delay_s) for e in s.late_entries] == [(4, 65), (5, 61)]
    rosc = next(r for r in s.timeline if r.kind == "rosc")
    assert rosc.amended_by == [40] and rosc.t == 1050
    assert [f.n for f in next(r for r in s.timeline if r.seq == 9).flags] == [2]


def test_clock_times_are_in_the_codes_offset(s):
    first_epi = next(d for d in s.drugs if d.seq == 14)
    assert first_epi.at.isoformat() == "2026-03-02T14:07:30+01:00"
    assert s.header.end.isoformat() == "2026-03-02T14:25:00+01:00" and s.header.duration_s == 1200


def test_adult_via_iv(adult):
    s = summarise(adult)
    i = s.intervals
    assert (i.first_access_attempt_s, i.first_working_access_s, i.first_io_attempt_s) == (60, 110, None)
    assert (i.io_attempts, i.io_first_attempt_success, i.iv_attempts_before_io) == (0, None, 2)
    assert [d.route for d in s.drugs] == ["iv", "iv", "iv"] and not any(d.unflushed for d in s.drugs)
    assert s.flags == [] and s.header.start.utcoffset() == timedelta(hours=-4)


def test_a_live_code_without_at_shows_the_local_zone(store, clock, monkeypatch):
    """No `at`: the start is the recorder's wall clock, shown in the zone the recorder runs in."""
    import time

    monkeypatch.setenv("TZ", "America/Chicago")
    time.tzset()
    try:
        session = Session.start(store, clock, arrest=False)
        record = build_code_record(Session.read(store, clock, session.code_id))
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
    assert record.start.utcoffset() == timedelta(hours=-6)  # 2 March: CST
    assert record.start.hour == 8 and record.start.minute == 5


@pytest.mark.parametrize(
    ("value", "text"), [(0.16, "0.16"), (160, "160"), (50, "50"), (0.5, "0.5"), (12.0, "12"), (1 / 3, "0.33")]
)
def test_numbers_as_people_write_them(value, text):
    assert number(value) == text


def test_t_plus():
    assert (t_plus(0), t_plus(75.9), t_plus(3599), t_plus(3725)) == ("T+00:00", "T+01:15", "T+59:59", "T+1:02:05")


# ── the second edition's audit KPIs ──────────────────────────────────────


def test_new_rules_code_kpis(newrules):
    """VF at T+01:40, the first unsynchronized shock after it at T+03:50; one dose before the weight."""
    assert shockable_to_first_shock_s(newrules) == 130
    assert doses_weight_unknown(summarise(newrules)) == 1


def _code(tmp_path, name: str, lines: list[dict], arrest: bool = True):
    start = {"t": 0, "kind": "code_started", "at": "2026-04-01T10:00:00+00:00", "arrest": arrest}
    db = tmp_path / f"{name}.db"
    return read(db, record(db, [start, *lines], "ab" + name.encode().hex()[:14].ljust(14, "0")))


@pytest.mark.parametrize(
    ("name", "arrest", "lines", "expected"),
    [
        # a synchronized shock does not answer VF: the interval runs to the unsynchronized one
        (
            "sync",
            True,
            [
                {"t": 20, "kind": "rhythm", "rhythm": "vf"},
                {"t": 30, "kind": "shock", "joules": 10, "synchronized": True},
                {"t": 50, "kind": "shock", "joules": 40},
            ],
            30,
        ),
        # a shock before the shockable rhythm is not its answer
        (
            "before",
            True,
            [
                {"t": 10, "kind": "shock", "joules": 40},
                {"t": 20, "kind": "rhythm", "rhythm": "pvt"},
                {"t": 65, "kind": "shock", "joules": 40},
            ],
            45,
        ),
        # the arrest with the first VF ended unshocked: no interval (VF_NO_SHOCK says so), not the next arrest's
        (
            "unshocked",
            True,
            [
                {"t": 20, "kind": "rhythm", "rhythm": "vf"},
                {"t": 60, "kind": "rosc"},
                {"t": 100, "kind": "arrest"},
                {"t": 110, "kind": "rhythm", "rhythm": "vf"},
                {"t": 120, "kind": "shock", "joules": 40},
            ],
            None,
        ),
        # outside an arrest a rhythm starts nothing
        ("no_arrest", False, [{"t": 20, "kind": "rhythm", "rhythm": "vf"}, {"t": 30, "kind": "shock"}], None),
    ],
)
def test_shockable_to_first_shock(tmp_path, name, arrest, lines, expected):
    assert shockable_to_first_shock_s(_code(tmp_path, name, lines, arrest)) == expected


# ── what the engine decided, read from the fold (issue 14) ───────────────


def test_the_summary_reads_the_folds_facts_and_folds_nothing(newrules):
    """Each dose's weight comes from the weight the fold noted (unknown at T+00:30, 14 kg from T+01:00),
    not from a patient folded again by the export; the flushes and the first epinephrine likewise."""
    from schemas.patient import Patient

    with (
        patch.object(Patient, "merged", side_effect=AssertionError("derive folded the patient again")),
        patch.object(State, "apply", side_effect=AssertionError("derive built an engine state")),
    ):
        s = summarise(newrules)
    assert [(d.t, d.weight_kg) for d in s.drugs] == [(30, None), (340, 14), (360, 14)]
    assert [(f.t, f.total_ml_per_kg) for f in s.fluids] == [(400, pytest.approx(400 / 14))]
    assert s.intervals.first_epinephrine_s == 30
    assert [(p.t, p.weight_kg, p.band) for p in newrules.patient_at] == [(0, None, "child"), (60, 14, "child")]


def test_an_im_dose_is_no_bolus_and_a_carrier_flushes(tmp_path):
    """rules.md: an epinephrine bolus is given through a line or by ET, so an IM dose (anaphylaxis before
    the arrest) is not the first epinephrine; a carrier started on a line flushes what went through it
    (a carried line counts as flushed), so the flush that follows is not the drug's."""
    record = _code(
        tmp_path,
        "im",
        [
            {"t": 10, "kind": "drug", "drug": "epinephrine", "dose": 0.3, "unit": "mg", "route": "im"},
            {"t": 20, "kind": "io_attempt", "line": "io1", "site": "proximal_tibia", "side": "left"},
            {"t": 30, "kind": "io_result", "line": "io1", "result": "in"},
            {"t": 40, "kind": "drug", "drug": "epinephrine", "dose": 1, "unit": "mg", "line": "io1"},
            {"t": 50, "kind": "infusion_started", "infusion": "inf1", "fluid": "saline", "rate": 100}
            | {"rate_unit": "mL/h", "line": "io1", "method": "pump"},
            {"t": 60, "kind": "flush", "line": "io1", "volume_ml": 10},
        ],
    )
    s = summarise(record)
    assert s.intervals.first_epinephrine_s == 40
    im, io = s.drugs
    assert (im.flushed, im.route) == (None, "im")
    assert (io.flushed, io.flush_seq, io.flush_after_s, io.flush_ml, io.unflushed) == (True, 6, 10, None, False)


def test_the_one_pass_skips_only_kinds_none_of_its_branches_takes():
    # SummaryParts._pass goes on past lateness, flags, attempts and lines only for _PASS_KINDS: every other
    # kind's event class is none of the classes its branches test, nor rosc or code_ended.
    from exports.derive import _PASS_KINDS
    from schemas.events import (
        KIND_MODEL,
        DrugGiven,
        FluidGiven,
        Flush,
        InfusionChanged,
        InfusionStarted,
        InfusionStopped,
    )

    branches = (DrugGiven, Flush, FluidGiven, InfusionStarted, InfusionChanged, InfusionStopped)
    for kind, model in KIND_MODEL.items():
        if kind not in _PASS_KINDS:
            assert not issubclass(model, branches), kind
            assert kind not in ("rosc", "code_ended")
    assert {"rosc", "code_ended"} <= _PASS_KINDS <= KIND_MODEL.keys()
