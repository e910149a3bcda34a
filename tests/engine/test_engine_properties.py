"""Properties over generated codes: incremental == full recompute; events → replay keeps the flags."""

import json

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recorder.cli import cli
from recorder.core.clock import FakeClock
from recorder.core.scenario import parse_lines, to_records
from recorder.core.session import replay
from recorder.engine import Engine, evaluate, load_protocol
from recorder.engine.timeline import effective
from recorder.store import Store
from tests.factory import codes

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _jsonl(events: list[dict]) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def _keys(flags):
    return [(f.rule, f.severity, f.seq, round(f.t, 6), f.line) for f in flags]


@SETTINGS
@given(codes(record_keeping=False))
def test_incremental_engine_equals_full_recompute(events):
    timeline = effective(to_records(parse_lines(_jsonl(events), "gen")))
    engine = Engine()
    for record in timeline:
        engine.apply(record)
    assert _keys(engine.flags) == _keys(evaluate(timeline))


@SETTINGS
@given(codes(), st.sampled_from([0, 7, 45]))
def test_session_flags_equal_a_recompute_of_the_final_timeline(tmp_path_factory, events, _seed):
    """Voids, amends and late entries through the live path end exactly where a recompute does."""
    lines = parse_lines(_jsonl(events), "gen")
    store = Store(tmp_path_factory.mktemp("p") / "p.db")
    session = replay(store, FakeClock(), lines)
    final = effective(store.events(session.code_id))
    assert _keys(session.flags()) == _keys(evaluate(final))
    store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codes())
def test_events_output_replays_to_the_same_flags(tmp_path_factory, events):
    folder = tmp_path_factory.mktemp("rt")
    source = folder / "source.jsonl"
    source.write_text(_jsonl(events))
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", str(folder / "a.db"), "replay", "--json", str(source)])
    assert first.exit_code == 0, first.output
    dumped = runner.invoke(cli, ["--db", str(folder / "a.db"), "events", "last"])
    (folder / "dump.jsonl").write_text(dumped.output)
    second = runner.invoke(cli, ["--db", str(folder / "b.db"), "replay", "--json", str(folder / "dump.jsonl")])
    assert second.exit_code == 0, second.output
    assert second.output == first.output


# ── the second edition's "unknown is not safe" ──────────────────────────────────────────────

P = load_protocol()
DOSED = sorted({row.drug for row in P.doses})
ROUTES = [None, "et", "im", "in"]
# Settings that do not imply a newborn: in the delivery room or the NICU a patient of unknown age is in
# the neonate band (rules.md v2), whose union of rows is wider than the child row.
SETTINGS_NOT_NEONATAL = [None, "ed", "ward", "picu", "prehospital", "theatre"]


def _dose_flags(patient: dict, setting: str | None, drug: str, dose: float, route: str | None, purpose: str | None):
    start = {"t": 0, "kind": "code_started", "arrest": False, "patient": patient}
    if setting is not None:
        start["setting"] = setting
    given = {"t": 30, "kind": "drug", "drug": drug, "dose": dose, "unit": P.drug_unit(drug)}
    given |= {"route": route} if route else {"line": "iv1"}
    if purpose:
        given["purpose"] = purpose
    events = [start, {"t": 10, "kind": "iv_attempt", "line": "iv1", "result": "in"}, given]
    found = evaluate(effective(to_records(parse_lines(_jsonl(events), "gen"))))
    return {(f.severity, f.seq) for f in found if f.rule == "DOSE_OUT_OF_RANGE"}


@SETTINGS
@given(
    st.sampled_from(DOSED),
    st.sampled_from(ROUTES),
    st.sampled_from([None, "io_analgesia", "arrest"]),
    st.floats(28 / 365.25 + 0.001, 17.99),
    st.floats(5, 39.9),
    st.floats(0.05, 40),
    st.sampled_from(SETTINGS_NOT_NEONATAL),
)
def test_a_childs_dose_flag_survives_removing_the_age(drug, route, purpose, age, weight, factor, setting):
    """A DOSE_OUT_OF_RANGE flag raised for a child (28 days to 17 years) of 5–39.9 kg is still raised, at the
    same severity, when the age alone is removed (the weight puts them in the child band)."""
    low = next(r.per_kg[0] for r in P.dose_rows(drug))
    dose = round(factor * low * weight, 6) or 1e-6
    with_age = _dose_flags({"age_years": age, "weight_kg": weight}, setting, drug, dose, route, purpose)
    without = _dose_flags({"weight_kg": weight}, setting, drug, dose, route, purpose)
    assert with_age <= without


@SETTINGS
@given(
    st.sampled_from(DOSED),
    st.sampled_from(ROUTES),
    st.one_of(st.none(), st.floats(28 / 365.25 + 0.001, 99)),
    st.floats(0.5, 150),
    st.floats(2.01, 30),
    st.sampled_from([None, "ed", "delivery_room", "nicu"]),
)
def test_removing_the_weight_never_silences_twice_the_max_single(drug, route, age, weight, multiple, setting):
    """A dose above twice its row's max single that is flagged with the weight known is still flagged with
    the weight unknown (the ceiling, or an adult's column: rules.md v2)."""
    rows = [r for r in P.dose_rows(drug) if r.route == route and r.max_single is not None]
    if not rows:
        return  # no row for this route: never dose-checked
    ceiling = max(r.max_single for r in rows)
    if age is not None and age >= 18:
        # An adult of unknown weight is held to the adult column's high, which can be above a child's max single
        # (atropine: 0.5 mg max single, 1 mg adult): rules.md v2's DOSE_OUT_OF_RANGE, "adults: the adult column's high".
        ceiling = max([ceiling, *(r.adult[1] for r in rows if r.adult)])
    dose = round(multiple * ceiling, 6)
    patient = {"age_years": age} if age is not None else {}
    known = _dose_flags(patient | {"weight_kg": weight}, setting, drug, dose, route, None)
    unknown = _dose_flags(patient, setting, drug, dose, route, None)
    assert unknown or not known
    if age is not None and age < 18:
        assert known and unknown  # a child's dose above twice the max single is always flagged
