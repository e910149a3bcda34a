"""`recorder serve` as a person starts it: the address with its token, the warning off loopback, a taken port."""

import socket
import subprocess
import sys
from pathlib import Path

from tests.browser.served import free_port


def started(db: Path, *args: str, opened: int | None = None) -> tuple[list[str], str, int | None]:
    """What serve printed on start (stdout lines up to the address), its stderr, and its exit status if it ended;
    with `opened`, that port is connected to the moment serve says Ctrl+C stops it, once (no retry)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "recorder", "--db", str(db), "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Ctrl+C"):
            break
    if opened is not None:
        socket.create_connection(("127.0.0.1", opened), timeout=5).close()
    process.send_signal(2)
    _, err = process.communicate(timeout=20)
    return lines, err, process.returncode


def test_default_is_loopback_with_a_token(db_path: Path):
    """The address is said once serve listens (opened at once, it answers), and Ctrl+C stops it then (said
    before, a Ctrl+C at once could come before aiohttp took the signal over, and be lost)."""
    port = free_port()
    lines, err, _ = started(db_path, "--port", str(port), opened=port)
    url = next(line.split(" ", 1)[1].strip() for line in lines if line.startswith("open "))
    assert url.startswith(f"http://127.0.0.1:{port}/?token=") and len(url.split("token=")[1]) >= 40
    assert "warning" not in err
    again, _, _ = started(db_path, "--port", str(free_port()))
    assert next(line for line in again if line.startswith("open ")).split("token=")[1] != url.split("token=")[1]


def test_host_warns_it_is_reachable(db_path: Path):
    _, err, _ = started(db_path, "--host", "0.0.0.0", "--port", str(free_port()))
    assert "warning: listening on 0.0.0.0" in err and "TLS reverse proxy" in err


def test_public_url_is_the_address_printed(db_path: Path):
    lines, _, _ = started(db_path, "--port", str(free_port()), "--public-url", "https://resus.ward.example/")
    assert any(line.startswith("open https://resus.ward.example/?token=") for line in lines)


def test_a_taken_port_is_one_line(db_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "recorder", "--db", str(db_path), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "choose another --port" in done.stderr, done.stderr
