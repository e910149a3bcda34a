"""The forms as data, without a screen: every answer a form stores is one the scribe saw or gave."""

from recorder.tui.forms import forms
from recorder.tui.pickers import Field

FORMS = forms(["io1", "iv1"], ["inf1"], "io1")


def test_every_field_is_well_formed() -> None:
    for form in FORMS.values():
        for f in form.fields:
            assert isinstance(f.choices, tuple), (form.kind, f.name, f.choices)  # a default passed as choices
            if f.kind == "choice":
                assert f.choices, (form.kind, f.name)
                assert f.default is None or f.default in f.choices, (form.kind, f.name)


def test_yes_no_answers_are_shown_or_asked_never_assumed() -> None:
    for form in FORMS.values():
        for f in form.fields:
            if f.kind == "bool":
                assert f.default is not None or f.required or f.required_if is not None, (form.kind, f.name)


def test_the_flush_shows_easy_yes_and_no_extravasation() -> None:
    fields = {f.name: f for f in FORMS["flush"].fields}
    assert (fields["easy"].default, fields["easy"].required) == (True, True)
    assert (fields["extravasation"].default, fields["extravasation"].required) == (False, True)


def test_pressure_held_and_labelled_io_are_asked_for_an_io_line_only() -> None:
    for kind, name in (("line_removed", "pressure_held"), ("sample", "labelled_io")):
        f: Field = next(f for f in FORMS[kind].fields if f.name == name)
        assert f.default is None
        assert f.required_if({"line": "io1"}) and not f.required_if({"line": "iv1"})
