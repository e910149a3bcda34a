"""Shared fixtures: a private database per test, a fake clock, and valid sample events."""

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recorder.core.clock import FakeClock
from recorder.core.session import Session
from recorder.store import Store
from tests import pilot_idle, run_order

# Compiled modules are cached, by this process, its workers and every recorder a test launches: a machine that
# sets PYTHONDONTWRITEBYTECODE (this sandbox does) otherwise compiles the recorder, pydantic, click and Textual
# again in each of the suite's hundreds of subprocesses (a third of the CLI tests' time). Set before xdist
# starts its workers, which inherit it.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# tmp_path (every test's database) on a roomy tmpfs where there is one: on a disk each commit's fsync took 4-8 ms
# on the shared CI host, and a third of the store and reliability tests' time was that wait (the scenario
# read-back test makes 700 databases). What is tested is what the recorder writes and asks to be synced, never
# the disk's own speed; benchmarks/ measures that. Unset when a run chooses its own (--basetemp, the variable).
if "PYTEST_DEBUG_TEMPROOT" not in os.environ and os.path.isdir("/dev/shm"):
    shm = os.statvfs("/dev/shm")
    if shm.f_bavail * shm.f_frsize >= 2 * 2**30 and os.access("/dev/shm", os.W_OK):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = "/dev/shm"

# Set before any app runs, in every xdist worker (each loads this file).
pilot_idle.install()

# What the tests read of the shared contract, pinned to the edition the code implements (the second;
# the first edition's scenarios stay for the first-edition database tests): a clone with no shared
# folder beside it passes, and a newer edition there never fails a test.
DATA = Path(__file__).resolve().parent / "data"
SCENARIOS_V1 = DATA / "scenarios_v1"
SCENARIOS_V2 = DATA / "scenarios_v2"
RULES_V1 = DATA / "rules_v1.md"
RULES_V2 = DATA / "rules_v2.md"
EXPORTS_SPEC = DATA / "exports.md"
# The default protocol with the deadlines a code entered in real time could reach made long (its header says
# which): a code tapped in a browser gets the flags the same code gets on a fake clock, however loaded the machine.
UNHURRIED = DATA / "protocol_unhurried.toml"


@pytest.fixture(autouse=True)
def _private_db(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test ever touches a real user database: RECORDER_DB points into a temporary directory."""
    path = tmp_path_factory.mktemp("db") / "recorder.db"
    monkeypatch.setenv("RECORDER_DB", str(path))
    # Journals that cannot go beside the database go to the user's state directory: a temporary one.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()  # clock times on screen and in exports read the local zone: pin it
    return path


@pytest.fixture
def db_path(_private_db: Path) -> Path:
    return _private_db


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 14, 5, tzinfo=UTC))


@pytest.fixture
def session(store: Store, clock: FakeClock) -> Session:
    return Session.start(
        store,
        clock,
        arrest=True,
        setting="ed",
        patient={"age_years": 2, "weight_kg": 12, "weight_source": "length_tape"},
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    run_order.order(items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    run_order.yield_cpu(item)
