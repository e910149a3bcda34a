"""The code summary as Markdown, for pasting into the notes."""

import re

from exports.sections import Facts, Table, sections
from schemas.code_record import CodeRecord


def render_markdown(record: CodeRecord) -> bytes:
    _, parts = sections(record)
    out: list[str] = []
    for i, section in enumerate(parts):
        title = _cell(section.title if i else "Resuscitation record: " + section.title)
        out.append(f"{'#' if i == 0 else '##'} {title}")
        out.append("")
        for block in section.blocks:
            out.extend(_block(block))
            out.append("")
    return ("\n".join(out).rstrip() + "\n").encode("utf-8")


def _block(block: Facts | Table) -> list[str]:
    if isinstance(block, Facts):
        return [f"- **{_cell(label)}**: {_cell(value)}" for label, value in block.items]
    lines = [f"**{_cell(block.caption)}**", ""] if block.caption else []
    if not block.rows:
        return [*lines, _cell(block.empty)]
    lines.append("| " + " | ".join(_cell(h) for h in block.headers) + " |")
    lines.append("|" + "---|" * len(block.headers))
    for row in block.rows:
        cells = [_cell(c) for c in row.cells]
        if row.tone in ("critical", "alert"):
            # Markdown has no colour: what the HTML shows in red is bold here.
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


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
