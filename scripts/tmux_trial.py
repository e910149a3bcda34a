"""The issue-12/13 trial in a real terminal: a toddler arrest keyed into `recorder` inside tmux, at 120x40 and 80x24.

    uv run python scripts/tmux_trial.py [--keep] [--sizes 120x40,80x24]

Each step is sent as one burst (tmux writes all its keys at once, faster than any scribe types), the
screen is read back with `tmux capture-pane`, and the script checks that: every step stored exactly
the event it should (read back with `recorder events`), a tenfold IO adrenaline and a shock into
asystole show their critical flag in the open dialog before Enter (issue 13), Esc then a key typed
together lands as both,
every key of the key bar is visible on the live screen, no stray `▊` is left on it, the code ends in
review mode, and `recorder verify` passes. The database is in a temporary folder (RECORDER_DB); nothing
else is touched. Exit status 0 when every check passed, 1 otherwise; tmux must be installed.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# (what the scribe does, the keys as tmux names them, the event kinds it stores). A step that stores
# nothing names instead what must be on the screen before Enter (a flag in the open dialog), then
# Esc closes the dialog: "shown before Enter" as the scribe sees it.
TRIAL = [
    ("start: in arrest", ["Enter"], ["code_started"]),
    ("rhythm: asystole", ["r", "1"], ["rhythm"]),
    ("CPR started", ["c"], ["cpr_started"]),
    ("IV failed", ["v", "x"], ["iv_attempt"]),
    ("IO left proximal tibia", ["i", "1", "l", "Enter"], ["io_attempt"]),
    ("the IO failed", ["x"], ["io_result"]),
    ("IO again in the same bone", ["i", "2", "l", "Enter"], ["io_attempt"]),
    ("the IO is in", ["y"], ["io_result"]),
    ("weight by tape, age unknown", ["p", "?12t", "Enter"], ["patient_updated"]),
    ("ET adrenaline at the proposed dose (t: the route ET, 1.2 mg)", ["e", "t", "Enter"], ["drug"]),
    ("IO adrenaline typed as 1.2 mg: the critical before Enter", ["e", "1.2"], "DOSE_OUT_OF_RANGE"),
    ("the age: 2 years", ["p", "2y", "Enter"], ["patient_updated"]),
    ("aspiration: marrow", ["a", "y"], ["aspiration"]),
    ("flush", ["f", "Enter"], ["flush"]),
    ("adrenaline", ["e", "Enter"], ["drug"]),
    ("calcium", ["d", "calc", "Enter", "Enter"], ["drug"]),
    ("then bicarbonate", ["d", "bicarb", "Enter", "Enter"], ["drug"]),
    ("a shock into asystole: the critical before Enter", ["s"], "SHOCK_NON_SHOCKABLE"),
    ("shock at the proposed 2 J/kg (24 J)", ["s", "Enter"], ["shock"]),
    ("a note begun, Esc, then c at once", ["n", "oops", "Escape", "c"], ["cpr_stopped"]),
    ("ROSC", ["o", "r"], ["rosc"]),
    ("a wrong note", ["n", "wrong patient", "Enter"], ["note"]),
    ("correction: void it", ["Home", "DC", "wrong patient", "Enter"], ["void"]),
]
END = ("end of the code: ROSC", ["o", "e", "r"], ["code_ended"])
STRAY = "▊"  # drawn by an Input's border in a form; on the bare live screen it is a leftover


class Trial:
    def __init__(self, size: tuple[int, int], folder: Path) -> None:
        self.width, self.height = size
        self.db = folder / f"trial-{self.width}x{self.height}.db"
        self.socket = f"recorder-trial-{os.getpid()}"
        self.session = "trial"
        self.failures: list[str] = []
        self.recorder = str(Path(sys.executable).with_name("recorder"))

    def tmux(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check)
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def send(self, keys: list[str]) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)  # one write: the keys arrive as one burst

    def kinds(self) -> list[str]:
        out = subprocess.run(
            [self.recorder, "--db", str(self.db), "events", "1"], capture_output=True, text=True, check=False
        )
        return [json.loads(line)["kind"] for line in out.stdout.splitlines() if line.strip()]

    def wait_for(self, count: int) -> list[str]:
        """The stored kinds once `count` events are stored (or what there is after ~10 s)."""
        kinds: list[str] = []
        for _ in range(40):
            if f"#{count} " in self.screen() or not kinds:
                kinds = self.kinds()
                if len(kinds) >= count:
                    return kinds
            time.sleep(0.25)
        return kinds

    def wait_to_see(self, text: str) -> bool:
        """`text` is on the screen within ~10 s (printed when it is not)."""
        for _ in range(40):
            if text in self.screen():
                return True
            time.sleep(0.25)
        print(self.screen())
        return False

    def check(self, ok: bool, what: str) -> None:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures.append(what)

    def run(self) -> list[str]:
        print(f"== {self.width}x{self.height}")
        env = f"RECORDER_DB={self.db}"
        self.tmux("new-session", "-d", "-s", self.session, "-x", str(self.width), "-y", str(self.height),
                  f"env {env} {self.recorder}")  # fmt: skip
        try:
            for _ in range(80):
                if "In arrest?" in self.screen():
                    break
                time.sleep(0.25)
            expected: list[str] = []
            for what, keys, kinds in TRIAL:
                self.send(keys)
                if isinstance(kinds, str):
                    self.check(self.wait_to_see(kinds), f"{what}: {' '.join(keys)} shows {kinds}")
                    self.send(["Escape"])
                    continue
                expected += kinds
                got = self.wait_for(len(expected))
                self.check(got == expected, f"{what}: {' '.join(keys)} → {', '.join(kinds)}")
                if got != expected:
                    print("    stored:", got[len(expected) - len(kinds) :])
                    print(self.screen())
                    return self.failures
            live = self.screen()
            self.check_key_bar(live)
            self.check(STRAY not in live, f"no stray {STRAY} on the live screen")
            self.check("2 y · 12 kg (length tape)" in live, "the banner shows the patient: 2 y · 12 kg (length tape)")
            what, keys, kinds = END
            self.send(keys)
            expected += kinds
            self.check(self.wait_for(len(expected)) == expected, f"{what}: {' '.join(keys)}")
            time.sleep(0.5)
            review = self.screen()
            self.check("ended" in review.lower() or "review" in review.lower(), "the code is shown for review")
            print(review if self.failures else "", end="")
            print(live)
        finally:
            self.tmux("send-keys", "-t", self.session, "C-q", check=False)
            time.sleep(0.5)
            self.tmux("kill-server", check=False)
        verify = subprocess.run([self.recorder, "--db", str(self.db), "verify"], capture_output=True, text=True)
        self.check(verify.returncode == 0, f"recorder verify: {verify.stdout.strip() or verify.stderr.strip()}")
        return self.failures

    def check_key_bar(self, screen: str) -> None:
        from recorder.tui.key_bar import bar_items
        from recorder.tui.live import LiveScreen

        bar = screen.splitlines()[-2:]
        missing = [k + label for k, label in bar_items(LiveScreen.BINDINGS, LiveScreen.APP_KEYS)
                   if not any(k + label in row for row in bar)]  # fmt: skip
        said = f"every key of the key bar visible ({' | '.join(bar)})"
        self.check(not missing, said + (f"; missing {missing}" if missing else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="120x40,80x24", help="terminal sizes, e.g. 120x40,80x24")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases and say where")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is not installed: install it (apt-get install tmux) to run the trial", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="recorder-trial-"))
    failures: list[str] = []
    try:
        for size in args.sizes.split(","):
            width, height = (int(n) for n in size.lower().split("x"))
            failures += Trial((width, height), folder).run()
    finally:
        if args.keep:
            print(f"databases kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print("ALL CHECKS PASSED" if not failures else f"{len(failures)} CHECK(S) FAILED: {failures}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
