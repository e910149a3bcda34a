"""Properties over generated codes: incremental == full recompute; events → replay keeps the flags."""

import json

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recorder.cli import cli
from recorder.clock import FakeClock
from recorder.engine import Engine, evaluate
from recorder.scenario import parse_lines, to_records
from recorder.session import replay
from recorder.store import Store
from recorder.timeline import effective
from tests.codes import codes

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


@SETTINGS
@given(codes(record_keeping=False), st.sampled_from([0.01, 0.5, 3, 10, 15, 40]), st.sampled_from([2, 10, 30, 80]))
def test_unknown_age_and_weight_never_invent_a_flag(events, age, weight):
    """Every flag given with age and weight unknown is also given once they are known."""
    unknown = [dict(events[0], patient={}), *events[1:]]
    known = [dict(events[0], patient={"age_years": age, "weight_kg": weight}), *events[1:]]

    def flags(evs):
        return {(f.rule, f.seq) for f in evaluate(effective(to_records(parse_lines(_jsonl(evs), "gen"))))}

    assert flags(unknown) <= flags(known)
