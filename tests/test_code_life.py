"""A code's life has rules: nothing after its end but record keeping; a voided end reopens the code;
an amend is checked by the same ledger as the event it changes."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from recorder.cli import cli
from recorder.core.ledger import Ledger
from recorder.core.scenario import ScenarioError, parse_lines
from recorder.core.session import Session, SessionError
from recorder.store import Store
from recorder.tui.app import build_app
from schemas.events import parse_event

IO = {"kind": "io_attempt", "site": "proximal_tibia", "side": "left"}
EPI = {"kind": "drug", "drug": "epinephrine", "dose": 0.12, "unit": "mg", "line": "io1", "purpose": "arrest"}


def run(*args: str, db: Path):
    return CliRunner().invoke(cli, ["--db", str(db), *args])


def ended_code(session: Session) -> int:
    """io1 in, a dose, the end at T+120: returns the end's seq."""
    session.log(IO, t=30)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=40)
    session.log(EPI, t=60)
    return session.end("died", t=120).record.seq


# ── nothing after the end but record keeping ───────────────────────────────


@pytest.mark.parametrize(
    "event",
    [
        EPI,  # a drug after death: it would raise flags about a patient no longer treated
        {"kind": "note", "text": "family arrived"},
        {"kind": "code_ended", "outcome": "rosc"},  # a second end would move the end time
        {"kind": "rhythm", "rhythm": "asystole"},
    ],
    ids=["drug", "note", "second end", "rhythm"],
)
def test_nothing_clinical_is_logged_after_the_end(store, clock, session, event):
    end = ended_code(session)
    before = store.code(session.code_id).ended_at
    flags = session.flags()
    with pytest.raises(SessionError, match=f"the code ended at event {end}; only a void, amend or acknowledge"):
        session.log(event, t=130)
    assert store.code(session.code_id).ended_at == before
    assert len(store.events(session.code_id)) == end
    assert session.flags() == flags


def test_record_keeping_after_the_end_is_allowed(store, clock, session):
    end = ended_code(session)
    session.amend(end, {"outcome": "transferred"}, "he went to PICU, not died")
    flag = session.flags()[0]
    session.acknowledge(flag.rule, flag.seq, "handed over with the line")
    session.void(4, "given by the other team, charted there")
    assert session.ended
    assert [r.kind for r in store.events(session.code_id)][end:] == ["amend", "acknowledge", "void"]


def test_a_replay_with_an_event_after_the_end_is_refused_whole(tmp_path, db_path):
    lines = [
        {"t": 0, "kind": "code_started", "at": "2026-03-02T14:05:00+00:00", "arrest": True},
        {"t": 60, "kind": "code_ended", "outcome": "died"},
        {"t": 70, "kind": "drug", "drug": "naloxone", "dose": 0.4, "unit": "mg", "route": "in"},
    ]
    path = tmp_path / "after.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = run("replay", str(path), db=db_path)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert f"{path}:3: kind: the code ended at event 2" in result.output
    assert Store(db_path).codes() == []


def test_the_end_cannot_be_back_dated_before_what_the_code_holds(session):
    session.log({"kind": "note", "text": "pupils fixed"}, t=100)
    with pytest.raises(SessionError, match=r"t: the code cannot end before event 2 \(T\+01:40"):
        session.end("died", t=90)
    assert not session.ended
    assert session.end("died", t=100).record.t == 100


# ── a voided end reopens the code ─────────────────────────────────────────


def test_a_voided_end_reopens_the_code_for_good(store, clock, session, db_path):
    end = ended_code(session)
    code_id = session.code_id
    session.void(end, "ended by mistake: ROSC was brief, still coding")
    assert not session.ended
    assert store.code(code_id).ended_at is None
    assert store.open_code_id() == code_id
    listed = run("list", "--json", db=db_path)
    assert json.loads(listed.output.splitlines()[0])["status"] == "open"
    store.close()
    # Resumable: by a new recorder, on the screen (live, not the read-only review) and by the session.
    clock.advance(30)
    again_store = Store(db_path)
    app = build_app(again_store, clock, mode="resume", code_id=code_id)
    assert app.session is not None and app.review_session is None
    assert app.session.log(EPI).record.seq == end + 2
    second = app.session.end("rosc")
    assert again_store.code(code_id).ended_at == second.record.occurred_at
    assert again_store.open_code_id() is None
    again_store.close()
    verified = run("verify", db=db_path)
    assert verified.exit_code == 0, verified.output


def test_an_open_code_whose_end_was_voided_passes_verify(store, session, db_path):
    end = ended_code(session)
    session.void(end, "not yet")
    store.close()
    verified = run("verify", db=db_path)
    assert verified.exit_code == 0, verified.output


def test_a_void_of_the_end_in_a_replay_leaves_the_code_open_and_resumable(tmp_path, db_path, clock):
    lines = [
        {"t": 0, "kind": "code_started", "at": "2026-03-02T14:05:00+00:00", "arrest": True},
        {"t": 60, "kind": "code_ended", "outcome": "died"},
        {"t": 70, "kind": "void", "target": 2, "reason": "pressed end by mistake"},
        {"t": 80, "kind": "note", "text": "still coding"},
    ]
    path = tmp_path / "reopened.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert run("replay", str(path), db=db_path).exit_code == 0
    store = Store(db_path)
    assert store.code(1).ended_at is None and store.open_code_id() == 1
    assert not Session.read(store, clock, 1).ended
    store.close()
    assert run("verify", db=db_path).exit_code == 0


# ── amends are checked with the same ledger ───────────────────────────────


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"rule": "NO_SUCH_RULE"}, "rule: NO_SUCH_RULE is not a rule"),
        ({"target": 99}, "target: there is no event 99 before the acknowledgement"),
        ({"target": 6}, "target: there is no event 6 before the acknowledgement"),  # itself
    ],
    ids=["unknown rule", "missing event", "itself"],
)
def test_an_amended_acknowledgement_must_point_at_a_rule_and_an_event(store, session, changes, reason):
    session.log(IO, t=30)
    session.log({"kind": "io_result", "line": "io1", "result": "in"}, t=40)
    session.log(EPI, t=60)
    session.log({"kind": "drug", "drug": "naloxone", "dose": 0.4, "unit": "mg", "line": "io1"}, t=62)
    flag = session.flags()[0]
    ack = session.acknowledge(flag.rule, flag.seq, "flushed, not charted").record.seq
    assert ack == 6
    with pytest.raises(SessionError, match=reason):
        session.amend(ack, changes, "typo")
    assert [r.kind for r in store.events(session.code_id)][-1] == "acknowledge"


def test_an_amend_cannot_move_the_end_before_an_event_nor_an_event_after_the_end(session):
    end = ended_code(session)
    with pytest.raises(SessionError, match=r"t: the code cannot end before event 4 \(T\+01:00"):
        session.amend(end, {"t": 50}, "ended earlier")
    with pytest.raises(SessionError, match=r"t: event 4 would come after the end of the code \(T\+02:00"):
        session.amend(4, {"t": 150}, "given later")
    # inside the code's life both are fine
    session.amend(end, {"t": 110}, "ended a little earlier")
    session.amend(4, {"t": 100}, "given later")


def test_replay_checks_amends_like_the_live_session():
    lines = [
        {"t": 0, "kind": "code_started", "arrest": True},
        {"t": 10, "kind": "note", "text": "x"},
        {"t": 20, "kind": "acknowledge", "rule": "EPI_TOO_SOON", "target": 2, "reason": "ok"},
        {"t": 30, "kind": "amend", "target": 3, "changes": {"rule": "NOT_A_RULE"}, "reason": "typo"},
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    with pytest.raises(ScenarioError, match="f:4: rule: NOT_A_RULE is not a rule"):
        parse_lines(text, "f", known_rules={"EPI_TOO_SOON"})


def test_the_ledger_reopens_with_a_voided_end():
    ledger = Ledger()
    for data in (
        {"t": 0, "kind": "code_started", "arrest": True},
        {"t": 5, "kind": "code_ended", "outcome": "died"},
        {"t": 6, "kind": "void", "target": 2, "reason": "mistake"},
        {"t": 7, "kind": "note", "text": "still going"},
        {"t": 8, "kind": "code_ended", "outcome": "rosc"},
    ):
        event = parse_event(data)
        ledger.check(event)
        ledger.add(event)
    assert ledger.ended == 5
