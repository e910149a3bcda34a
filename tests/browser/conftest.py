"""Fixtures of the browser tests: `recorder serve` on a private database, and Chromium on it behind the guard."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.served import Served, Tab, browser_context, chromium


@pytest.fixture
def served(db_path: Path) -> Iterator[Served]:
    """`recorder serve` on a free port of 127.0.0.1 and the test's own database; stopped after the test."""
    server = Served(db_path)
    try:
        yield server
    finally:
        err = server.stop()
        assert server.token not in err, "the token reached the server's log"


@pytest.fixture
def browser() -> Iterator[Any]:
    """A Chromium context (fresh profile, 1024x768); any request to another host than this machine FAILS the test.

    Skipped only where no Chromium can be found (.ci/run installs Debian's `chromium` where it can).
    """
    if chromium() is None:
        pytest.skip("no chromium on this machine (/usr/bin/chromium): the browser tests need Debian's `chromium`")
    with browser_context() as (context, guard):
        yield context
        assert not guard.outside, f"the page asked another host: {guard.outside}"


@pytest.fixture
def tab(browser: Any) -> Any:
    """A function that opens a new tab on a URL and waits for a text on its screen."""

    def opened(url: str, wait_for: str | None = None, timeout: float = 20) -> Tab:
        return Tab(browser.new_page()).open(url, wait_for=wait_for, timeout=timeout)

    return opened
