"""What the team display shows, from a followed session: the screen's timers and the arrest's own clocks.

Pure and textual-free like board.py, whose rows, timers and banner it reuses; it adds only what a team
watches that the scribe's screen leaves to the flags: a CPR pause and a shockable rhythm waiting for a
shock (the engine's own deadlines), and the time since the last rhythm check.
"""

from dataclasses import dataclass

from recorder.core.session import Session
from recorder.engine import Protocol
from recorder.engine.clinical_view import ClinicalView
from recorder.tui import board
from recorder.tui.board import Level, Timer
from schemas.formatting import t_plus as code_time
from schemas.formatting import words
from schemas.records import EventRecord


@dataclass(frozen=True)
class Status:
    """The code's clock and standing, for the top of the display."""

    code_id: int
    clock: float  # code time now, or when it ended
    ended: bool
    words: str  # IN ARREST · ROSC · not in arrest · CODE ENDED — died


@dataclass(frozen=True)
class Landmarks:
    """What the display reads from the timeline itself. Worked out when entries arrive, not at every tick of
    the clock: on a long code that would read its rhythm checks back from the store four times a second."""

    end: EventRecord | None  # the code_ended that stands
    last_rhythm: EventRecord | None  # the latest rhythm check of the arrest in progress


def landmarks(session: Session) -> Landmarks:
    """The end and the current arrest's latest rhythm check, as the timeline stands now."""
    # The last code_ended stands (an earlier one was voided, or the end was amended).
    ends = list(session.iter_timeline(kinds={"code_ended"})) if session.ended else []
    end = ends[-1] if ends else None
    arrest, last = session.state.arrest, None
    if arrest is not None:
        for record in session.iter_timeline(kinds={"rhythm"}):  # oldest first
            if record.t >= arrest.t:
                last = record
    return Landmarks(end, last)


def care_timers(state: ClinicalView, now: float) -> list[Timer]:
    """The engine's open CPR-pause and unshocked-rhythm deadlines (CPR_PAUSE_LONG, VF_NO_SHOCK) as timers."""
    care = state.care
    if care is None or state.arrest is None:
        return []
    out = []
    level: Level
    for due in care.pauses:
        if due.open:
            level = "over" if now > due.at else "due"
            out.append(Timer("CPR paused", now - due.since, level, f"restart by {code_time(due.at)}"))
    for due in care.unshocked:
        if due.open:
            rhythm = words(state.arrest.rhythm or "shockable rhythm")
            level = "over" if now > due.at else "due"
            out.append(Timer(f"{rhythm} not shocked", now - due.since, level, f"shock by {code_time(due.at)}"))
    return out


def rhythm_timer(state: ClinicalView, last: EventRecord | None, now: float) -> Timer | None:
    """Time since the rhythm was last checked in this arrest (since the arrest began, if not yet).

    The protocol sets no interval for a rhythm check, so the timer only counts: it is never coloured as
    on time or late (its level stays "ok", which the display draws without a colour).
    """
    arrest = state.arrest
    if arrest is None:
        return None
    if last is None:
        return Timer("No rhythm check yet", now - arrest.t, "ok", f"arrest since {code_time(arrest.t)}")
    rhythm = getattr(last.event, "rhythm", "")
    return Timer("Since rhythm check", now - last.t, "ok", f"{words(rhythm)} at {code_time(last.t)}")


def team_timers(session: Session, now: float, protocol: Protocol, marks: Landmarks | None = None) -> list[Timer]:
    """Adrenaline, flushes (the screen's own timers), then CPR pause, unshocked rhythm and rhythm check."""
    state = session.state
    out = board.timers(state, now, protocol) + care_timers(state, now)
    rhythm = rhythm_timer(state, (marks or landmarks(session)).last_rhythm, now)
    if rhythm is not None:
        out.append(rhythm)
    return out


def status(session: Session, now: float, marks: Landmarks | None = None) -> Status:
    """The code clock (stopped at the end once the code has ended) and the code's standing."""
    state = session.state
    if session.ended:
        end = (marks or landmarks(session)).end
        outcome = getattr(end.event, "outcome", None) if end is not None else None
        said = f"CODE ENDED — {words(outcome)}" if outcome else "CODE ENDED"
        return Status(session.code_id, end.t if end is not None else now, True, said)
    if state.arrest is not None:
        said = "IN ARREST"
    elif state.arrests:
        said = "ROSC"
    else:
        said = "not in arrest"
    return Status(session.code_id, now, False, said)
