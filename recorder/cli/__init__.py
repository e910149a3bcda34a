"""The `recorder` command: the click group, with each module's commands added to it here (no module imports back)."""

from recorder.cli.checks import rules_cmd, schema_cmd, verify_cmd
from recorder.cli.corrections import amend_cmd, void_cmd
from recorder.cli.exports import audit_cmd, summary_cmd
from recorder.cli.group import Context, cli, default_db, main
from recorder.cli.records import events_cmd, list_codes, replay_cmd
from recorder.cli.screen import new_cmd, resume_cmd, watch_cmd
from recorder.cli.serve import seat_cmd, serve_cmd

for _command in (
    new_cmd,
    resume_cmd,
    list_codes,
    replay_cmd,
    events_cmd,
    verify_cmd,
    rules_cmd,
    schema_cmd,
    summary_cmd,
    audit_cmd,
    void_cmd,
    amend_cmd,
    watch_cmd,
    serve_cmd,
    seat_cmd,
):
    cli.add_command(_command)

__all__ = ["Context", "cli", "default_db", "main"]
