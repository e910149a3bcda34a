"""The code summary as Markdown, for pasting into the notes."""

from exports.sections import Facts, Table, sections
from schemas.code_record import CodeRecord


def render_markdown(record: CodeRecord) -> bytes:
    _, parts = sections(record)
    out: list[str] = []
    for i, section in enumerate(parts):
        out.append(f"{'#' if i == 0 else '##'} {section.title if i else 'Resuscitation record: ' + section.title}")
        out.append("")
        for block in section.blocks:
            out.extend(_block(block))
            out.append("")
    return ("\n".join(out).rstrip() + "\n").encode("utf-8")


def _block(block: Facts | Table) -> list[str]:
    if isinstance(block, Facts):
        return [f"- **{label}**: {_cell(value)}" for label, value in block.items]
    lines = [f"**{block.caption}**", ""] if block.caption else []
    if not block.rows:
        return [*lines, block.empty]
    lines.append("| " + " | ".join(block.headers) + " |")
    lines.append("|" + "---|" * len(block.headers))
    for row in block.rows:
        cells = [_cell(c) for c in row.cells]
        if row.tone in ("critical", "alert"):
            # Markdown has no colour: what the HTML shows in red is bold here.
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _cell(text: str) -> str:
    """Free text cannot break the table: pipes escaped, line breaks flattened."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
