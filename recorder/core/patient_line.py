"""The patient in one line as a scribe says it ("2y 12kg tape", "7mo", "45y 80kg est"): parsed, checked, said back."""

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from schemas.patient import Patient
from schemas.plausible import entry_context

# The unit a scribe types after a number → the patient field it fills (weeks are kept as days).
AGE_UNITS = {
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), ("age_years", 1)),
    **dict.fromkeys(("m", "mo", "mos", "mth", "mths", "month", "months"), ("age_months", 1)),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), ("age_days", 7)),
    **dict.fromkeys(("d", "day", "days"), ("age_days", 1)),
}
WEIGHT_UNITS = ("kg", "k", "kgs")
# Where the weight came from, in the words (and first letters) people use → the vocabulary's names.
SOURCES = {
    **dict.fromkeys(("t", "tape", "broselow", "b", "lt", "length", "length_tape"), "length_tape"),
    **dict.fromkeys(("e", "est", "estimate", "estimated", "guess"), "estimated"),
    **dict.fromkeys(("s", "scale", "meas", "measured", "weighed"), "measured"),
    **dict.fromkeys(("st", "stated", "said", "parent", "parents"), "stated"),
}
SOURCE_WORDS = {"length_tape": "tape", "estimated": "estimated", "measured": "measured", "stated": "stated"}
AGE_WORDS = {"age_years": "year", "age_months": "month", "age_days": "day"}
UNKNOWN = ("?", "unknown", "unk", "na")
HINT = "e.g. 2y 12kg tape · 7mo · 10d · 45y 80kg est · 12kg broselow · unknown age 12t"

TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>[a-z_]*)|(?P<word>[a-z_?]+))", re.IGNORECASE)


class PatientLineError(ValueError):
    """The line cannot be read; the message says why and how to write it."""


@dataclass(frozen=True)
class PatientLine:
    """What one line said: an age (one field), a weight and its source; `age_unknown` when said so."""

    fields: dict[str, Any] = field(default_factory=dict)
    age_unknown: bool = False

    def words(self) -> str:
        """Said back before Enter: `age 2 years · 12 kg (tape)`."""
        parts = []
        age = next(((k, v) for k, v in self.fields.items() if k in AGE_WORDS), None)
        if age is not None:
            name, value = age
            unit = AGE_WORDS[name] + ("" if value == 1 else "s")
            parts.append(f"age {value:g} {unit}")
        elif self.age_unknown:
            parts.append("age unknown")
        if "weight_kg" in self.fields:
            source = self.fields.get("weight_source")
            parts.append(f"{self.fields['weight_kg']:g} kg ({SOURCE_WORDS[source] if source else 'source not said'})")
        return " · ".join(parts)


def parse_patient_line(text: str) -> PatientLine:
    """Read an age, a weight and its source from one line; PatientLineError says what is wrong."""
    fields: dict[str, Any] = {}
    age_unknown = False
    pending: str | None = None  # a bare number: a weight only once "kg" or a source follows it

    def put(name: str, value: Any, said: str) -> None:
        taken = "age" if name in AGE_WORDS else name
        if any((k in AGE_WORDS if taken == "age" else k == name) for k in fields) or (taken == "age" and age_unknown):
            raise PatientLineError(f"{said!r}: the {words_of(taken)} is given twice; give it once")
        fields[name] = value

    def weight(number: str, source: str | None, said: str) -> None:
        put("weight_kg", to_number(number), said)
        if source is not None:
            fields["weight_source"] = source

    text = text.strip()
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            bad = text[position:].strip().split()[0] if text[position:].strip() else text[position:]
            raise PatientLineError(f"{bad!r} is not an age, a weight or its source ({HINT})")
        position = match.end()
        said = match.group(0).strip()
        if pending is not None and match.group("word") is None:
            raise bare(pending)
        if match.group("num") is not None:
            number, unit = match.group("num"), match.group("unit").lower()
            if not unit:
                pending = number
            elif unit in AGE_UNITS:
                name, scale = AGE_UNITS[unit]
                put(name, to_number(number) * scale, said)
            elif unit in WEIGHT_UNITS:
                weight(number, None, said)
            elif unit in SOURCES or (unit.startswith("kg") and unit[2:] in SOURCES):
                weight(number, SOURCES[unit.removeprefix("kg") if unit not in SOURCES else unit], said)
            else:
                raise PatientLineError(
                    f"{said!r}: {unit!r} is not a unit (y, mo, w, d for the age; kg for the weight; "
                    "tape, est, scale, stated for where the weight came from)"
                )
            continue
        word = match.group("word").lower()
        if pending is not None:
            if word in WEIGHT_UNITS or word in SOURCES:
                weight(pending, SOURCES.get(word), f"{pending} {word}")
                pending = None
                continue
            raise bare(pending)
        if word in UNKNOWN:
            if any(k in AGE_WORDS for k in fields):
                raise PatientLineError(f"{said!r}: an age is given and said unknown; give one or the other")
            age_unknown = True
        elif word == "age":
            continue  # "unknown age", "age unknown": the word itself says nothing more
        elif word in SOURCES:
            if "weight_kg" not in fields or "weight_source" in fields:
                raise PatientLineError(f"{said!r}: a source goes after its weight, once (e.g. 12kg tape)")
            fields["weight_source"] = SOURCES[word]
        else:
            raise PatientLineError(f"{said!r} is not an age, a weight or its source ({HINT})")
    if pending is not None:
        raise bare(pending)
    if not fields:
        if age_unknown:
            raise PatientLineError("the age is unknown until it is given: nothing to record yet (add a weight?)")
        raise PatientLineError(f"nothing to record: type an age or a weight ({HINT})")
    try:
        Patient.model_validate(fields, context=entry_context())  # the limits of an entry, said here
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]).replace("_", " ")
        raise PatientLineError(f"{where}: {error['msg'].removeprefix('Value error, ')}".strip(": ")) from None
    return PatientLine(fields, age_unknown)


def to_number(text: str) -> float:
    return float(text.replace(",", "."))


def bare(number: str) -> PatientLineError:
    return PatientLineError(
        f"{number!r} alone: write {number}y, {number}mo or {number}d for an age, {number}kg for a weight"
    )


def words_of(name: str) -> str:
    return {"weight_kg": "weight", "weight_source": "weight source"}.get(name, name)
