"""The code summary as Markdown, for pasting into the notes."""

import re
from collections.abc import Iterator

from exports.sections import Facts, Table, first_rows, sections
from schemas.code_record import CodeRecord


def render_markdown(record: CodeRecord) -> bytes:
    return "".join(markdown_chunks(record)).encode("utf-8")


def markdown_chunks(record: CodeRecord) -> Iterator[str]:
    """The document a line at a time, each with its newline: a long code's timeline is written as it is made.

    A blank line is held back until something follows it, so the document ends on its last line."""
    blank = False
    for line in _lines(record):
        if not line:
            blank = True
            continue
        yield ("\n" + line + "\n") if blank else (line + "\n")
        blank = False


def _lines(record: CodeRecord) -> Iterator[str]:
    _, parts = sections(record)
    for i, section in enumerate(parts):
        title = _cell(section.title if i else "Resuscitation record: " + section.title)
        yield f"{'#' if i == 0 else '##'} {title}"
        yield ""
        for block in section.blocks:
            yield from _block(block)
            yield ""


def _block(block: Facts | Table) -> Iterator[str]:
    if isinstance(block, Facts):
        for label, value in block.items:
            yield f"- **{_cell(label)}**: {_cell(value)}"
        return
    if block.caption:
        yield f"**{_cell(block.caption)}**"
        yield ""
    rows = first_rows(block)
    if rows is None:
        yield _cell(block.empty)
        return
    yield "| " + " | ".join(_cell(h) for h in block.headers) + " |"
    yield "|" + "---|" * len(block.headers)
    for row_cells, tone in rows:
        cells = [_cell(c) for c in row_cells]
        if tone in ("critical", "alert"):
            # Markdown has no colour: what the HTML shows in red is bold here.
            cells = [f"**{c}**" if c else c for c in cells]
        yield "| " + " | ".join(cells) + " |"


# Characters a Markdown renderer acts on inside a line: HTML and entities (< > &), links and images
# ([ ] and the ! before them), emphasis and code (* _ ` ~), table cells (|), maths ($) and the
# backslash itself. Each is backslash-escaped, which CommonMark and GitHub render as the character.
# An underscore inside a word (`DRUG_NOT_FLUSHED`) never starts emphasis, so it is left as it reads.
_ACTIVE = re.compile(r"([\\`*~\[\]<>&|!$]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
# Line breaks in any of their forms would end the list item or the table row.
_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")


def _cell(text: str) -> str:
    """Words from a person or a file as literal Markdown: nothing in them becomes a link, an image, HTML,
    emphasis or a new table cell, and a line break cannot end the row."""
    return _ACTIVE.sub(r"\\\1", _BREAKS.sub(" ", text))
