"""What the front ends do when a code they record has ended: keep its audit rows (Session's on_end)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recorder.core.session import Session


def keep_audit_rows(session: "Session") -> None:
    """Keep an ended code's audit rows, as it stands after each event (raises StoreError if it cannot).

    The CLI and the screen pass this to the sessions they write with; the exports it needs load only
    once a code has ended (launch does not pay for them), and the session itself never imports them.
    """
    from recorder.core.audit_rows import keep

    keep(session)
