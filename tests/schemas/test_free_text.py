"""Free text in the models: invisible and control characters refused at entry with the field and the
character named; legitimate Unicode accepted; what a record already holds still read."""

import re

import pytest

from recorder.core.scenario import ScenarioError, parse_lines
from schemas.events import EVENT_ADAPTER, EventError, parse_event
from tests.hostile import ACCEPTED, REFUSED

# Every free-text field, as an event that holds `value` in it.
FIELDS = {
    "text": lambda v: {"kind": "note", "t": 1, "text": v},
    "name": lambda v: {"kind": "drug", "t": 1, "drug": "other", "name": v, "dose": 1, "unit": "mg", "route": "im"},
    "reason": lambda v: {"kind": "void", "t": 1, "target": 2, "reason": v},
    "by": lambda v: {"kind": "io_attempt", "t": 1, "line": "io1", "site": "sternum", "by": v},
    "site": lambda v: {"kind": "iv_attempt", "t": 1, "line": "iv1", "result": "in", "site": v},
    "patient.name": lambda v: {"kind": "patient_updated", "t": 1, "patient": {"name": v}},
    "patient.mrn": lambda v: {"kind": "code_started", "t": 0, "arrest": True, "patient": {"mrn": v}},
}
CLASSES = {
    "C1 control": ("a\x9bb", "invisible (C1) control character U+009B"),
    "bidi override": ("a\u202eb", "text-direction control U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    "bidi isolate": ("a\u2067b", "text-direction control U+2067 (RIGHT-TO-LEFT ISOLATE)"),
    "bidi mark": ("a\u200fb", "text-direction control U+200F (RIGHT-TO-LEFT MARK)"),
    "arabic letter mark": ("a\u061cb", "text-direction control U+061C (ARABIC LETTER MARK)"),
    "zero width space": ("a\u200bb", "zero-width character U+200B (ZERO WIDTH SPACE)"),
    "zero width joiner": ("a\u200db", "zero-width character U+200D (ZERO WIDTH JOINER)"),
    "word joiner": ("a\u2060b", "zero-width character U+2060 (WORD JOINER)"),
    "byte order mark": ("a\ufeffb", "zero-width character U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
    "line separator": ("a\u2028b", "line or paragraph separator U+2028 (LINE SEPARATOR)"),
    "paragraph separator": ("a\u2029b", "line or paragraph separator U+2029 (PARAGRAPH SEPARATOR)"),
    "soft hyphen": ("a\u00adb", "invisible formatting character U+00AD (SOFT HYPHEN)"),
    "C0 control": ("a\x1b[2Jb", "control character U+001B"),
}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("case", CLASSES)
def test_each_refused_class_names_the_field_and_the_character(field, case):
    value, words = CLASSES[case]
    with pytest.raises(EventError) as caught:
        parse_event(FIELDS[field](value))
    message = str(caught.value)
    assert message.startswith(f"{field}: contains ") and words in message and "\n" not in message
    assert message.endswith("retype it as plain text")


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", ACCEPTED)
def test_legitimate_text_is_accepted_as_written(field, value):
    event = parse_event(FIELDS[field](value))
    got = event.patient if field.startswith("patient.") else event
    assert getattr(got, field.removeprefix("patient.")) == value.strip()


@pytest.mark.parametrize("value", REFUSED)
def test_the_hostile_list_is_refused_in_a_note(value):
    with pytest.raises(EventError, match=re.escape(REFUSED[value])):
        parse_event(FIELDS["text"](value))


def test_a_note_may_hold_line_breaks_and_tabs_a_one_line_field_may_not():
    assert parse_event(FIELDS["text"]("first\nsecond\tthird")).text == "first\nsecond\tthird"
    for field in ("name", "reason", "by", "site", "patient.name"):
        for ch, what in (("\n", "line break U+000A"), ("\t", "tab U+0009")):
            with pytest.raises(EventError, match=re.escape(f"{field}: is one line: contains a {what}; retype it")):
                parse_event(FIELDS[field](f"a{ch}b"))


def test_an_amend_meets_the_same_checks_as_an_entry():
    from recorder.core.ledger import Ledger

    ledger = Ledger()
    for event in ({"kind": "code_started", "t": 0, "arrest": True}, {"kind": "note", "t": 1, "text": "x"}):
        ledger.add(parse_event(event))
    amend = parse_event({"kind": "amend", "t": 2, "target": 2, "changes": {"text": "a\u202eb"}, "reason": "typo"})
    with pytest.raises(EventError, match=r"^changes: text: contains an invisible text-direction control U\+202E"):
        ledger.check(amend)


def test_a_replayed_file_is_refused_on_the_line_that_holds_one():
    text = '{"t": 0, "kind": "code_started", "arrest": true}\n{"t": 5, "kind": "note", "text": "evil\\u202etxt"}\n'
    with pytest.raises(ScenarioError, match=r"^f\.jsonl:2: text: contains an invisible text-direction control U\+202E"):
        parse_lines(text, "f.jsonl")


@pytest.mark.parametrize("value", [v for v in REFUSED if "\x1b" not in v])
def test_what_a_record_already_holds_is_still_read(value):
    # The store reads events back without the entry context: an older record still loads.
    event = EVENT_ADAPTER.validate_python(FIELDS["text"](value))
    assert event.text == value.strip()
