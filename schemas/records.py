"""What the store gives back: a recorded event, the effective timeline's entries, and flags."""

from datetime import datetime
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ConfigDict

from schemas.events import BaseEvent, Event
from schemas.vocabulary import Severity

E = TypeVar("E", bound=BaseEvent)
E2 = TypeVar("E2", bound=BaseEvent)
E3 = TypeVar("E3", bound=BaseEvent)
# exports.md §1.8: an event recorded more than this long after it occurred was entered late (the
# screen marks it, the summary lists it).
LATE_ENTRY_S = 60.0


class EventRecord(BaseModel):
    """One event as recorded: its place in the code, both of its times, and the event."""

    model_config = ConfigDict(frozen=True)

    code_id: int
    seq: int
    event: Event
    occurred_at: datetime
    recorded_at: datetime
    schema_version: int = 1
    # In the effective timeline: the amend events applied to this one, in order.
    amended_by: tuple[int, ...] = ()
    # The code clock's reading (monotonic, seconds since the start) when it was written; None for
    # events written before it was kept. Lateness is measured with it, not with the wall clock.
    entered_t: float | None = None

    @property
    def kind(self) -> str:
        return self.event.kind

    @property
    def t(self) -> float:
        return self.event.t

    @overload
    def typed(self, kind: type[E], /) -> E: ...
    @overload
    def typed(self, kind: type[E], kind2: type[E2], /) -> E | E2: ...
    @overload
    def typed(self, kind: type[E], kind2: type[E2], kind3: type[E3], /) -> E | E2 | E3: ...
    def typed(self, *kinds: type[BaseEvent]) -> BaseEvent:
        """The event, known to be one of `kinds` (a rule dispatched on them): the type checker sees its fields.

        A TypeError, never a wrong field read, if it is not (a rule registered for a kind it does not read).
        """
        event = self.event
        if not isinstance(event, kinds):
            raise TypeError(
                f"seq {self.seq}: a {event.kind} event where {', '.join(k.__name__ for k in kinds)} was expected"
            )
        return event

    @property
    def late(self) -> bool:
        """Entered late (exports.md §1.8): written more than LATE_ENTRY_S after it happened."""
        return self.late_by > LATE_ENTRY_S

    @property
    def late_by(self) -> float:
        """Seconds between when it happened and when it was written: on the code clock when known,
        so that a wall-clock step makes nothing look late (or on time)."""
        if self.entered_t is not None:
            return self.entered_t - self.event.t  # self.t, without the property's call (every event of an audit)
        return (self.recorded_at - self.occurred_at).total_seconds()


class Flag(BaseModel):
    """A protocol deviation the engine found, as `recorder replay --json` prints it."""

    model_config = ConfigDict(frozen=True)

    rule: str
    severity: Severity
    seq: int
    t: float
    line: str | None = None
    message: str
    acknowledged: bool = False
    reason: str | None = None

    @property
    def key(self) -> tuple[str, int, str]:
        """A rule raises at most one flag per event and severity."""
        return (self.rule, self.seq, self.severity)

    def as_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if not self.acknowledged:
            data.pop("reason")
        return data


class CodeInfo(BaseModel):
    """A code as `recorder list` shows it."""

    model_config = ConfigDict(frozen=True)

    id: int
    audit_id: str
    created_at: datetime
    ended_at: datetime | None = None
    events: int = 0
