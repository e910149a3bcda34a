"""Hostile text in the Markdown and HTML summaries: rendered, it reads as written and acts as nothing.

The Markdown is rendered with markdown-it (CommonMark with tables, as GitHub and most note systems
render it): no HTML, image or link may come out of a person's words, and every word must still read.
"""

import html
import re

import pytest
from markdown_it import MarkdownIt

from exports.formats import SUMMARY_FORMATS
from exports.markdown import _cell
from recorder.core.clock import FakeClock
from recorder.core.code_record import build_code_record
from recorder.core.session import Session
from recorder.store import Store
from schemas.events import KIND_MODEL
from tests.hostile import ACCEPTED, REFUSED

CHILD = {"arrest": True, "setting": "ed", "patient": {"age_years": 2, "weight_kg": 12, "weight_source": "length_tape"}}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A code with every hostile string in every free-text field the summary prints."""
    store = Store(tmp_path_factory.mktemp("hostile") / "recorder.db")
    clock = FakeClock()
    session = Session.start(store, clock, **CHILD)
    session.log({"kind": "patient_updated", "patient": {"name": ACCEPTED[0], "mrn": ACCEPTED[1]}})
    for i, text in enumerate(ACCEPTED):
        clock.advance(10)
        line = f"io{i + 1}"
        session.log({"kind": "io_attempt", "site": "sternum", "by": text})
        session.log({"kind": "io_result", "line": line, "result": "failed", "reason": text})
        session.log({"kind": "iv_attempt", "result": "in", "site": text})
        session.log({"kind": "note", "text": text})
        logged = session.log({"kind": "drug", "drug": "other", "name": text, "dose": 1, "unit": "mg", "route": "im"})
        session.log({"kind": "note", "text": "to void"})
        session.log({"kind": "void", "target": logged.record.seq + 1, "reason": text})
    for text in REFUSED:
        if "\x1b" not in text:  # stored as an older recorder stored it, before the entry checks
            session.log_event(KIND_MODEL["note"].model_validate({"kind": "note", "t": session.now(), "text": text}))
    session.log({"kind": "code_ended", "outcome": "died"})
    record = build_code_record(session)
    store.close()
    return record


def rendered_markdown(record) -> str:
    md = SUMMARY_FORMATS["md"].render(record).decode("utf-8")
    return MarkdownIt("commonmark").enable("table").render(md)


def words_of(page: str) -> str:
    """What a reader sees of rendered HTML: the text, tags gone, entities read, spaces single."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_markdown_summary_renders_no_html_image_or_link_from_free_text(hostile):
    page = rendered_markdown(hostile)
    for tag in ("<script", "<img", "<a ", "<em>", "<strong>bold", "<code>", "<del>", "<h1>not", "<iframe"):
        assert tag not in page, tag
    tags = set(re.findall(r"<([a-z0-9]+)", page))
    assert tags <= {"h1", "h2", "p", "ul", "li", "strong", "table", "thead", "tbody", "tr", "th", "td"}, tags


def test_markdown_summary_shows_every_hostile_string_as_written(hostile):
    text = words_of(rendered_markdown(hostile))
    for value in ACCEPTED:
        assert " ".join(value.split()) in text, value


def test_markdown_table_rows_keep_their_cells(hostile):
    md = SUMMARY_FORMATS["md"].render(hostile).decode("utf-8")
    for table in re.split(r"\n\n", md):
        rows = [r for r in table.splitlines() if r.startswith("|")]
        if rows:
            widths = {len(re.findall(r"(?<!\\)\|", r)) for r in rows}
            assert len(widths) == 1, table  # a pipe in free text never adds a cell


@pytest.mark.parametrize("value", ACCEPTED)
def test_each_markdown_cell_reads_back_as_written(value):
    page = MarkdownIt("commonmark").enable("table").render(f"| a |\n|---|\n| {_cell(value)} |\n")
    assert words_of(page) == "a " + " ".join(value.split())
    assert "<td>" in page and "<img" not in page and "<a " not in page


def test_html_summary_escapes_free_text(hostile):
    page = SUMMARY_FORMATS["html"].render(hostile).decode("utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page and 'href="javascript' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_older_invisible_characters_still_summarise(hostile):
    md = SUMMARY_FORMATS["md"].render(hostile).decode("utf-8")
    for text in REFUSED:
        if "\x1b" not in text:
            assert _cell(text.replace("\u2028", " ").replace("\u2029", " ").replace("\x85", " ")) in md
