"""The rule engine: effective timeline → clinical state → protocol-deviation flags (pure: no I/O, no clock)."""

from recorder.engine.doses import propose_dose
from recorder.engine.engine import Engine, evaluate
from recorder.engine.protocol import Protocol, ProtocolError, load_protocol, parse_protocol
from recorder.engine.registry import RULES, RULES_EDITION, RuleInfo
from recorder.engine.state import Arrest, Due, FlushDue, Infusion, LineState, State

__all__ = [
    "RULES",
    "RULES_EDITION",
    "Arrest",
    "Due",
    "Engine",
    "FlushDue",
    "Infusion",
    "LineState",
    "Protocol",
    "ProtocolError",
    "RuleInfo",
    "State",
    "evaluate",
    "load_protocol",
    "parse_protocol",
    "propose_dose",
]
