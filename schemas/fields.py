"""Constrained field types shared by the event models: times, amounts, ids and text."""

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

# Numbers are strict: "12" or true is a typo, not a dose.
Seconds = Annotated[float, Field(strict=True, ge=0, le=10_000_000)]
Positive = Annotated[float, Field(strict=True, gt=0, le=1_000_000)]
NonNegative = Annotated[float, Field(strict=True, ge=0, le=1_000_000)]
Seq = Annotated[int, Field(strict=True, ge=1)]

IO_LINE = r"^io[1-9][0-9]{0,3}$"
IV_LINE = r"^iv[1-9][0-9]{0,3}$"
UVC_LINE = r"^uvc[1-9][0-9]{0,3}$"
ANY_LINE = r"^(io|iv|uvc)[1-9][0-9]{0,3}$"
INFUSION = r"^inf[1-9][0-9]{0,3}$"
RULE = r"^[A-Z][A-Z0-9_]{1,63}$"
CONCENTRATION = r"^[0-9]+(\.[0-9]+)?\s*(%|(mg|mcg|g|mEq|units)/mL)$"

# What each pattern means, for the error a scribe or a file author reads.
PATTERN_HINTS = {
    IO_LINE: "an IO line id, like io1",
    IV_LINE: "an IV line id, like iv1",
    UVC_LINE: "a UVC line id, like uvc1",
    ANY_LINE: "a line id, like io1, iv1 or uvc1",
    INFUSION: "an infusion id, like inf1",
    RULE: "a rule id in capitals, like DRUG_NOT_FLUSHED",
    CONCENTRATION: 'a concentration like "8.4%" or "0.1 mg/mL"',
}

IoLineId = Annotated[str, Field(pattern=IO_LINE)]
IvLineId = Annotated[str, Field(pattern=IV_LINE)]
UvcLineId = Annotated[str, Field(pattern=UVC_LINE)]
LineId = Annotated[str, Field(pattern=ANY_LINE)]
InfusionId = Annotated[str, Field(pattern=INFUSION)]
RuleId = Annotated[str, Field(pattern=RULE)]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _printable(text: str) -> str:
    if _CONTROL.search(text):
        raise ValueError("contains control characters; type plain text")
    return text


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    AfterValidator(_printable),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
# "8.4%", "10 %", "0.1 mg/mL", "1 mEq/mL"
Concentration = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        pattern=CONCENTRATION,
    ),
]
