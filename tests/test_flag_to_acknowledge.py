"""What `k` acknowledges: the chosen flag, else the newest unacknowledged critical, warning or info."""

from recorder.tui.board import flag_to_acknowledge, flags_by_urgency
from schemas.records import Flag


def flag(rule: str, seq: int, severity: str = "critical", acknowledged: bool = False) -> Flag:
    return Flag(rule=rule, severity=severity, seq=seq, t=float(seq * 10), message="m", acknowledged=acknowledged)


def test_the_newest_unacknowledged_critical_before_any_warning_or_info():
    flags = [
        flag("A", 2),
        flag("B", 5),
        flag("W", 9, "warning"),
        flag("I", 12, "info"),
        flag("C", 14, acknowledged=True),
    ]
    assert flag_to_acknowledge(flags) == (flag("B", 5), "the newest unacknowledged critical")
    rest = [f for f in flags if f.severity != "critical"]
    assert flag_to_acknowledge(rest) == (flag("W", 9, "warning"), "the newest unacknowledged warning")
    assert flag_to_acknowledge([flag("I", 12, "info")])[1] == "the newest unacknowledged info"


def test_an_acknowledged_flag_only_when_chosen():
    done = [flag("A", 2, acknowledged=True), flag("B", 5, "warning", acknowledged=True)]
    assert flag_to_acknowledge(done) is None
    assert flag_to_acknowledge(done, chosen=("A", 2)) == (done[0], "selected")


def test_a_choice_that_no_longer_stands_falls_back():
    flags = [flag("A", 2), flag("B", 5, "warning")]
    assert flag_to_acknowledge(flags, chosen=("Z", 7)) == (flag("A", 2), "the newest unacknowledged critical")
    assert flag_to_acknowledge(flags, chosen=("B", 5)) == (flag("B", 5, "warning"), "selected")


def test_the_default_target_is_the_top_of_the_panel_when_there_is_one():
    flags = [flag("A", 2, "warning"), flag("B", 5), flag("C", 8, acknowledged=True), flag("D", 9, "info")]
    assert flag_to_acknowledge(flags)[0] == flags_by_urgency(flags)[0]
