"""The benchmarks run: each one on a tiny input prints valid JSON (timings are not tested here)."""

import json
import shutil

import pytest

from benchmarks import audit_floor, bench_engine, bench_exports, bench_keys, bench_logging, bench_startup, run
from recorder.core import audit_rows
from recorder.store import Store


def output(capsys, main, *args: str) -> dict:
    main(list(args))
    result = json.loads(capsys.readouterr().out)
    assert result["machine"]["nproc"] >= 1
    assert isinstance(result["met"], bool)
    return result


def test_logging(capsys):
    # The run itself checks that the plain loop wrote the recorder's very rows (bench_logging.rows_of).
    result = output(capsys, bench_logging.main, "--events", "40", "--repeats", "1")
    assert result["events"] == 40 and result["ratio"] > 0
    assert result["commits"] >= 40  # one durable commit an event at least, on each side
    assert result["recorder_cpu_per_event_ms"] > 0 and result["plain_cpu_per_event_ms"] > 0
    assert result["ratio_to_events_only"] > 0


def test_engine(capsys):
    result = output(capsys, bench_engine.main, "--small", "10", "--large", "60", "--window", "20", "--repeats", "1")
    assert result["engine_ratio"] > 0 and result["session_ratio"] > 0


def test_keys(capsys):
    result = output(capsys, bench_keys.main, "--events", "60,90", "--keys", "3")
    assert [size["events_before"] for size in result["sizes"]] == [60, 90]
    for size in result["sizes"]:
        assert size["recorder"]["on_screen"]["p99_ms"] > 0 and size["bare_textual"]["handled"]["p50_ms"] > 0
        assert size["ratio_p99"] > 0 and isinstance(size["met"], bool)
    assert result["budget_p99_ratio"] == 2.0


@pytest.mark.slow
def test_startup(capsys):
    result = output(capsys, bench_startup.main, "--repeats", "1", "--modes", "warm", "--no-warmup")
    assert result["warm"]["first_frame_s"] > 0 and result["warm"]["version_s"] > 0


@pytest.mark.slow
def test_exports(capsys):
    args = ("--summary-events", "40", "--codes", "3", "--events", "20", "--repeats", "1")
    result = output(capsys, bench_exports.main, *args)
    assert result["summary_html"]["total_s"] > 0
    if shutil.which("sqlite3"):
        assert result["audit"]["ratio"] > 0 and (
            "audit_peak_mib" in result["audit"] or "peak_memory" in result["audit"]
        )
        assert result["audit"]["python_floor_s"] > 0 and result["audit"]["first_audit_to_floor_ratio"] > 0
    else:
        assert "sqlite3" in result["audit"]["error"]


def test_the_audit_stages(capsys):
    result = output(capsys, bench_exports.main, "--parts", "stages", "--codes", "2", "--events", "20", "--repeats", "1")
    stages = result["audit_stages"]
    assert set(stages["cpu_us_per_event"]) == set(stages["ratio_to_rows"])
    assert {"rows", "session_read", "engine_fold", "audit_rows"} <= set(stages["cpu_us_per_event"])


def test_run_collects_one_json_object(capsys):
    run.main(["--only", "logging", "--events", "20", "--repeats", "1"])
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"machine", "met", "logging"} and result["logging"]["events"] == 20


def test_run_refuses_an_unknown_benchmark(capsys):
    with pytest.raises(SystemExit):
        run.main(["--only", "nope"])


def test_memory(capsys, tmp_path):
    from benchmarks import bench_memory

    result = output(capsys, bench_memory.main, "--events", "300", "--dir", str(tmp_path))
    assert result["replay"]["exit"] == 0 and result["summary"]["exit"] == 0
    assert result["replay"]["peak_rss_mb"] > 0 and result["summary"]["peak_rss_mb"] > 0


def test_memory_of_the_summary_alone(capsys, tmp_path):
    from benchmarks import bench_memory

    args = ("--events", "300", "--dir", str(tmp_path), "--summary-only", "--format", "html")
    result = output(capsys, bench_memory.main, *args)
    assert result["summary"]["exit"] == 0 and result["summary"]["peak_rss_mb"] > 0
    assert result["summary"]["format"] == "html" and result["summary"]["output_mb"] >= 0


@pytest.mark.slow
def test_serve(capsys):
    from tests.browser.served import chromium

    if chromium() is None:
        pytest.skip("no chromium on this machine (/usr/bin/chromium): bench_serve drives Debian's `chromium`")
    from benchmarks import bench_serve

    result = output(capsys, bench_serve.main, "--events", "20", "--keys", "2", "--rounds", "1")
    assert result["keys"] == 2 and result["served_recorder"]["p50_ms"] > 0
    assert result["taps"] == 2 and result["served_recorder_tap"]["p50_ms"] > 0
    assert result["served_bare_textual"]["p99_ms"] > 0 and result["terminal_recorder"]["p99_ms"] > 0


def test_the_audit_floor_reads_as_the_audit_does():
    """The floor imports nothing of the recorder's (its import would be timed too): what it copies stays the same."""
    assert audit_floor.CODES_PER_CHUNK == audit_rows.CODES_PER_CHUNK
    assert audit_floor.MIN_CODES_PER_WORKER == audit_rows.MIN_CODES_PER_WORKER
    assert audit_floor.SELECT == Store._SELECT_EVENTS + "ORDER BY e.seq"
