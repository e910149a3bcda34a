"""The live screen's key map and the app's keys on its bar (textual only: the first frame draws them)."""

from dataclasses import replace

from textual.binding import Binding, BindingType

# Short descriptions: each is a label on the key bar, which shows every key at 80 columns; the
# tooltip is the help's longer word.
_KEYS: list[Binding] = [
    Binding("i", "io", "IO", tooltip="IO attempt: 1–7 site, l/r side, Enter"),
    Binding("v", "iv", "IV", tooltip="IV attempt: y in / x failed"),
    Binding("y", "line_result('in')", "in", tooltip="the current line is in"),
    Binding("x", "line_result('failed')", "fail", tooltip="the current line failed"),
    Binding("a", "aspiration", "asp", tooltip="aspiration of the current IO line: y marrow / n nothing"),
    Binding("f", "flush", "flush", tooltip="flush of the current line: Enter logs the minimum volume"),
    Binding("d", "drug", "drug", tooltip="drug: type to filter, Enter picks, Enter logs the proposed dose"),
    Binding("e", "drug('epinephrine')", "adr", tooltip="the drug picker on epinephrine: e Enter"),
    Binding("b", "form('fluid')", "fluid", tooltip="fluid bolus"),
    Binding("n", "note", "note"),
    Binding("r", "rhythm", "rhythm", tooltip="rhythm: 1–8"),
    Binding("c", "cpr", "CPR", tooltip="CPR started / stopped"),
    Binding("s", "form('shock')", "shock", tooltip="shock: the protocol's J/kg energy for the weight proposed, Enter"),
    Binding("p", "patient", "patient", tooltip="age, weight and its source in one line: p 2y12t Enter"),
    Binding("o", "circulation", "ROSC/end", tooltip="o r ROSC · o a arrest again · o e end of the code (outcome)"),
    Binding("l", "next_line", "line", tooltip="the next line becomes the current one"),
    Binding("minus", "late", "earlier", tooltip="the next entry happened 30 s / 1 min / 2 min ago"),
    Binding("k", "acknowledge", "ack", tooltip="acknowledge the highlighted flag (critical first), with a reason"),
    Binding("delete", "void", "void", tooltip="void the event selected in the timeline (↑↓), with a reason"),
    Binding("m", "amend", "amend", tooltip="amend the event selected in the timeline, with a reason"),
    Binding("enter", "start(True)", "Start: in arrest", show=False),
    Binding("0", "start(False)", "Start: not in arrest", show=False),
    Binding("question_mark", "app.help", "help", tooltip="this key map"),
]
# Keys a widget of the live screen binds too (the flags list selects with Enter): offered to the focused
# widget first, as Textual does.
WIDGET_KEYS = frozenset({"enter"})
# Every other key is taken by the screen as it arrives (a priority binding), instead of being handed to the
# focused widget and passed up through each container to the app before its binding runs: a message and a
# turn of each widget's queue at every step, with the app following the key up (recorder/tui/key_order.py),
# was a third of a key's own time and most of its wait (benchmarks/bench_keys.py). No widget of the live
# screen binds any of them (tests/tui/test_keys.py).
LIVE_KEYS: list[BindingType] = [b if b.key in WIDGET_KEYS else replace(b, priority=True) for b in _KEYS]
# The app's own keys, on the bar after the screen's (ctrl+p and ctrl+q are bound by the app).
APP_KEYS = [("^p", "more"), ("^q", "quit")]
