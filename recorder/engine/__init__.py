"""The rule engine: effective timeline → clinical state → protocol-deviation flags (pure: no I/O, no clock)."""

from recorder.engine.doses import Advice, Expected, dose_advice, expected_dose
from recorder.engine.engine import Engine, evaluate
from recorder.engine.protocol import Protocol, ProtocolError, kept_protocol_model, load_protocol, parse_protocol
from recorder.engine.registry import RULES_EDITION, RuleInfo
from recorder.engine.rulebook import RULE_MODULES, RULES
from recorder.engine.state import Arrest, Due, FlushDue, Infusion, LineState, State

__all__ = [
    "RULES",
    "RULES_EDITION",
    "RULE_MODULES",
    "Advice",
    "Arrest",
    "Due",
    "Engine",
    "Expected",
    "FlushDue",
    "Infusion",
    "LineState",
    "Protocol",
    "ProtocolError",
    "RuleInfo",
    "State",
    "dose_advice",
    "evaluate",
    "expected_dose",
    "kept_protocol_model",
    "load_protocol",
    "parse_protocol",
]
