"""The `recorder` command: the click group, with each module's commands named to it here (no module imports back)."""

from recorder.cli.group import Context, cli, default_db, main

# Each command by name, imported only when it runs (or is listed, or completed): the screen's launch does not
# load the exports, the checks or the corrections (benchmarks/bench_startup.py; tests/test_imports.py).
cli.lazy.update(
    {
        "new": "recorder.cli.screen:new_cmd",
        "resume": "recorder.cli.screen:resume_cmd",
        "watch": "recorder.cli.screen:watch_cmd",
        "list": "recorder.cli.records:list_codes",
        "replay": "recorder.cli.records:replay_cmd",
        "events": "recorder.cli.records:events_cmd",
        "verify": "recorder.cli.checks:verify_cmd",
        "rules": "recorder.cli.checks:rules_cmd",
        "schema": "recorder.cli.checks:schema_cmd",
        "summary": "recorder.cli.exports:summary_cmd",
        "audit": "recorder.cli.exports:audit_cmd",
        "void": "recorder.cli.corrections:void_cmd",
        "amend": "recorder.cli.corrections:amend_cmd",
        "serve": "recorder.cli.serve:serve_cmd",
        "serve-seat": "recorder.cli.serve:seat_cmd",
    }
)

__all__ = ["Context", "cli", "default_db", "main"]
