"""The live screen's figures, computed without a screen."""

from recorder.tui import board


def _drug(session, t):
    session.log({"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1"}, t=t)


def _line_in(session):
    session.log({"kind": "io_attempt", "site": "proximal_tibia", "side": "left", "device": "ez_io"}, t=5)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=10)
    session.log({"kind": "flush", "line": "io1", "volume_ml": 3}, t=12)


def test_unflushed_drug_counts_up_and_stays_after_its_deadline(session):
    _line_in(session)
    _drug(session, 60)
    (epi, flush) = board.timers(session.state, 80, session.protocol)
    assert (epi.label, epi.level) == ("Since adrenaline", "ok")
    assert (flush.label, flush.seconds, flush.level) == ("epinephrine in io1", 20, "due")
    session.tick(95)  # DRUG_NOT_FLUSHED fires at 90
    late = board.timers(session.state, 100, session.protocol)[1]
    assert (late.label, late.seconds, late.level) == ("epinephrine in io1", 40, "over")
    session.log({"kind": "flush", "line": "io1", "volume_ml": 3}, t=101)
    assert [t.label for t in board.timers(session.state, 102, session.protocol)] == ["Since adrenaline"]


def test_adrenaline_timer_turns_due_then_over(session):
    _line_in(session)
    _drug(session, 60)
    session.log({"kind": "flush", "line": "io1", "volume_ml": 3}, t=65)
    levels = [board.timers(session.state, 60 + s, session.protocol)[0].level for s in (100, 180, 299, 301)]
    assert levels == ["ok", "due", "due", "over"]


def test_no_adrenaline_yet_in_an_arrest(session):
    (timer,) = board.timers(session.state, 200, session.protocol)
    assert (timer.label, timer.level) == ("No adrenaline yet", "due")


def test_lines_current_and_breached(session):
    _line_in(session)
    session.log({"kind": "io_attempt", "site": "distal_tibia", "side": "left"}, t=20)
    rows = board.line_rows(session.state)
    assert [(r.id, r.status) for r in rows] == [("io2", "attempting"), ("io1", "confirmed")]
    assert board.current_line(session.state) == "io1"  # the usable one
    assert board.next_line(session.state, "io1") == "io2"
    assert board.breached_sites(session.state)["proximal_tibia"] == "tibia: L io1 confirmed, L io2 attempting"


def test_patient_band():
    from schemas.patient import Patient

    assert board.patient_band(Patient()) == "age ? · weight ?"
    assert board.patient_band(Patient(age_years=2, weight_kg=12, weight_source="length_tape")) == (
        "2 y · 12 kg (length tape)"
    )
    assert board.patient_band(Patient(age_days=10, sex="female")) == "10 d · weight ? · female"
    assert board.patient_band(Patient(age_months=7)) == "7 mo · weight ?"  # age_short: as the exports spell it


def test_cpr_running_reads_newest_first_and_stops_at_the_latest_cpr_event(session):
    """The `c` key asks this per press: it must not walk a long code back to its start."""
    session.log({"kind": "cpr_started"}, t=5)
    session.log({"kind": "cpr_stopped"}, t=65)
    session.log({"kind": "cpr_started"}, t=70)
    session.log({"kind": "note", "text": "pads on"}, t=75)
    newest_first = list(reversed(session.timeline()))
    assert board.cpr_running(newest_first) is True
    assert board.cpr_running(newest_first[2:]) is False  # the stop at t=65 is the latest
    assert board.cpr_running([]) is False

    read = []

    def records():
        for record in newest_first:
            read.append(record.seq)
            yield record

    assert board.cpr_running(records()) is True
    assert read == [r.seq for r in newest_first[:2]]  # the note, then the latest start: nothing older


def test_rows_kept_by_a_screen_are_the_rows_made_afresh(session):
    """A screen keeps its lines' rows (board.LineRows) and makes again only a line that changed: after every
    entry its rows are the ones made from nothing, and another screen's rows are its own."""
    kept, other = board.LineRows(), board.LineRows()
    steps = [
        ({"kind": "io_attempt", "site": "proximal_tibia", "side": "left", "device": "ez_io"}, 5),
        ({"kind": "io_result", "line": "io1", "result": "in"}, 10),
        ({"kind": "io_attempt", "site": "distal_tibia", "side": "right"}, 20),
        ({"kind": "flush", "line": "io1", "volume_ml": 3}, 25),
        ({"kind": "io_result", "line": "io2", "result": "failed"}, 30),
    ]
    assert kept(session.state) == board.line_rows(session.state) == []
    for data, t in steps:
        before = kept(session.state)
        session.log(data, t=t)
        assert kept(session.state) == board.line_rows(session.state), data
        assert kept(session.state) != before, data  # each step changes a line: its row is made again
    assert other(session.state) == kept(session.state)
    assert other._made is not kept._made
