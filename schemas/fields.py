"""Constrained field types shared by the event models: times, amounts, ids and text."""

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo

from schemas.plausible import entering

# Numbers are strict: "12" or true is a typo, not a dose.
Seconds = Annotated[float, Field(strict=True, ge=0, le=10_000_000)]
NonNegative = Annotated[float, Field(strict=True, ge=0, le=1_000_000)]
Seq = Annotated[int, Field(strict=True, ge=1)]

IO_LINE = r"^io[1-9][0-9]{0,3}$"
IV_LINE = r"^iv[1-9][0-9]{0,3}$"
UVC_LINE = r"^uvc[1-9][0-9]{0,3}$"
ANY_LINE = r"^(io|iv|uvc)[1-9][0-9]{0,3}$"
INFUSION = r"^inf[1-9][0-9]{0,3}$"
RULE = r"^[A-Z][A-Z0-9_]{1,63}$"
# "8.4%", "0.1 mg/mL", or a ratio (second edition): "1:1000" = 1 mg/mL, "1:10000" or "1:10,000" = 0.1 mg/mL.
CONCENTRATION = (
    r"^([0-9]+(\.[0-9]+)?\s*(%|(mg|mcg|g|mEq|mmol|units)/mL)"
    r"|1\s*:\s*([1-9][0-9]*|[1-9][0-9]{0,2}(,[0-9]{3})+))$"
)

# What each pattern means, for the error a scribe or a file author reads.
PATTERN_HINTS = {
    IO_LINE: "an IO line id, like io1",
    IV_LINE: "an IV line id, like iv1",
    UVC_LINE: "a UVC line id, like uvc1",
    ANY_LINE: "a line id, like io1, iv1 or uvc1",
    INFUSION: "an infusion id, like inf1",
    RULE: "a rule id in capitals, like DRUG_NOT_FLUSHED",
    CONCENTRATION: 'a concentration like "8.4%", "0.1 mg/mL" or "1:10000"',
}

IoLineId = Annotated[str, Field(pattern=IO_LINE)]
IvLineId = Annotated[str, Field(pattern=IV_LINE)]
UvcLineId = Annotated[str, Field(pattern=UVC_LINE)]
LineId = Annotated[str, Field(pattern=ANY_LINE)]
InfusionId = Annotated[str, Field(pattern=INFUSION)]
RuleIdText = Annotated[str, Field(pattern=RULE)]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# What a person types into new free text is checked when it is entered (the validation context of
# parse_event, schemas/plausible.py); what a record already holds is read as it was stored, so an older code
# that holds one of these characters still loads, replays and verifies, and the screen shows it
# escaped. Classes by code point and by Unicode category, each with the words a scribe reads.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def _what(ch: str) -> str | None:
    """The kind of invisible character `ch` is, or None for one that may stand in free text."""
    code = ord(ch)
    if ch in _BIDI:
        return "an invisible text-direction control"
    if ch in _ZERO_WIDTH:
        return "an invisible zero-width character"
    category = unicodedata.category(ch)
    if category == "Cc":
        return "a control character" if code < 0x80 else "an invisible (C1) control character"
    if category in ("Zl", "Zp"):
        return "a line or paragraph separator"
    if category == "Cf":
        return "an invisible formatting character"
    return None  # (a lone surrogate never gets this far: pydantic refuses it as no valid string)


def _refuse(text: str, allowed: str) -> None:
    for ch in text:
        if ch in allowed or ch.isprintable():
            continue
        name = unicodedata.name(ch, "")
        named = f"U+{ord(ch):04X}" + (f" ({name})" if name else "")
        if ch in "\n\t":
            raise ValueError(f"is one line: contains a {'line break' if ch == chr(10) else 'tab'} {named}; retype it")
        what = _what(ch)
        if what is not None:
            raise ValueError(f"contains {what} {named}; retype it as plain text")


def _checker(allowed: str) -> Callable[[str, ValidationInfo], str]:
    def check(text: str, info: ValidationInfo) -> str:
        control = _CONTROL.search(text)
        if control:  # always: no record ever held one
            raise ValueError(f"contains a control character U+{ord(control[0]):04X}; retype it as plain text")
        if entering(info) and not text.isprintable():
            _refuse(text, allowed)
        return text

    return check


# A note may run over lines; the other free-text fields (a name, a reason, a site) are one line.
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    AfterValidator(_checker("\n\t")),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_checker("")),
]
# "8.4%", "10 %", "0.1 mg/mL", "1 mEq/mL", "1:10000"
Concentration = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        pattern=CONCENTRATION,
    ),
]
