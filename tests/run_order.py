"""The suite's running order: the browser tests first on a worker of their own, ahead of the rest's CPU."""

import os

import pytest

BROWSER = "browser"  # the xdist group of tests/browser (its modules carry the mark): one worker runs them in turn
NICER = 10  # the niceness of every test but the browser tests, in a worker of a parallel run

_niced = False


def order(items: list[pytest.Item]) -> None:
    """Longest first (stable, so the same order in every worker): the browser tests, then the `slow` ones.

    A long test started last runs alone while the other worker idles (the taps test's 4 minutes did). With
    `--dist loadgroup` the browser group, the largest work unit, goes to the first worker at once whatever
    the order; the `slow` tests then start before the short ones on the other.
    """
    items.sort(key=_rank)


def _rank(item: pytest.Item) -> int:
    if item.get_closest_marker("xdist_group"):
        return 0
    return 1 if item.get_closest_marker("slow") else 2


def yield_cpu(item: pytest.Item) -> None:
    """In a worker of a parallel run, every test but a browser test runs (with all it starts) at a lower priority.

    The browser tests' checks of real time (the team display within a second of a commit; the taps test's
    code, whose flags depend on how long it took) then hold beside the other worker's tests, Pilot's short
    idle slices included: the kernel gives the browser, the served recorder and its seats the CPU first.
    Niceness can only go up, so a worker lowers itself once, at its first test that is not a browser test;
    the browser group is its worker's first work unit, so it runs before that.
    """
    global _niced
    if _niced or "PYTEST_XDIST_WORKER" not in os.environ:
        return  # one process, nothing of the suite's own beside the browser tests
    if any(mark.args[:1] == (BROWSER,) for mark in item.iter_markers("xdist_group")):
        return
    os.nice(NICER)
    _niced = True
