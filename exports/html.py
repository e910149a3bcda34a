"""The code summary as one self-contained page: inline CSS, no scripts, an SVG timeline; prints on A4 or Letter."""

import re
from collections.abc import Iterator
from html import escape
from itertools import chain, islice
from operator import itemgetter

from exports.derive import SummaryParts
from exports.sections import Facts, RowCells, Section, Table, first_rows, sections
from exports.svg_timeline import timeline_svg
from schemas.code_record import CodeRecord
from schemas.formatting import t_plus

# No paper size: the printer's own (A4 or Letter) is used. The first page, header and timeline, is
# landscape so the timeline prints large enough to read at the debrief; the tables follow in portrait,
# laid out for the narrower of the two papers (A4), so nothing is cut on either.
CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 13px/1.4 Helvetica, Arial, sans-serif; color: #212121; margin: 24px auto; max-width: 1180px;
       padding: 0 16px; }
h1 { font-size: 21px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 22px 0 6px; padding-bottom: 3px; border-bottom: 2px solid #1565c0; }
h3 { font-size: 12.5px; margin: 12px 0 4px; color: #424242; }
.banner { display: flex; flex-wrap: wrap; gap: 4px 22px; padding: 10px 12px; background: #f3f6fb;
          border: 1px solid #cfd8e6; border-radius: 4px; }
.banner div { min-width: 150px; }
.banner dt { font-size: 10.5px; text-transform: uppercase; letter-spacing: .04em; color: #616161; }
.banner dd { margin: 0; font-weight: bold; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; }
dl.facts dt { color: #616161; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; font-size: 12px; }
th, td { border: 1px solid #d0d0d0; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eceff1; font-weight: bold; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.critical td { background: #fdecea; }
tr.critical td:first-child { border-left: 4px solid #c62828; font-weight: bold; }
tr.warning td { background: #fff6e5; }
tr.warning td:first-child { border-left: 4px solid #e08a00; }
tr.info td:first-child { border-left: 4px solid #1e6fb8; }
tr.withdrawn td { color: #757575; font-style: italic; }
tr.alert td { color: #b71c1c; font-weight: bold; }
tr.failed td { color: #616161; }
tr.late td { font-style: italic; }
p.empty { color: #757575; margin: 4px 0 8px; }
figure { margin: 10px 0 0; }
figcaption { font-size: 11.5px; color: #616161; margin-top: 2px; }
.kpis { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.kpi { border: 1px solid #cfd8e6; border-radius: 4px; padding: 5px 10px; min-width: 120px; }
.kpi b { display: block; font-size: 16px; }
.kpi span { font-size: 10.5px; color: #616161; text-transform: uppercase; letter-spacing: .04em; }
footer { margin-top: 24px; font-size: 11px; color: #757575; }
@page { margin: 14mm 12mm 12mm;
  @top-left { font: bold 8pt Helvetica, Arial, sans-serif; color: #212121; vertical-align: bottom; }
  @top-right { font: 8pt Helvetica, Arial, sans-serif; color: #424242; vertical-align: bottom; text-align: right; } }
@page overview { size: landscape; margin: 12mm 10mm 10mm; }
@media print {
  .overview { page: overview; }
  /* The overview fits one landscape page of either paper: A4 is the shorter (188 mm inside margins). */
  h1 { font-size: 15pt; margin: 0 0 2mm; }
  .banner { padding: 2mm 3mm; gap: 1mm 6mm; }
  .overview h2 { margin: 3mm 0 1.5mm; }
  .kpis { margin: 1.5mm 0; gap: 2mm; }
  .kpi { padding: 1mm 3mm; }
  .kpi b { font-size: 12pt; }
  figure { margin: 0; }
  figure svg { max-height: 100mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
  h2 { font-size: 11.5pt; break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  table { font-size: 8pt; }
  thead { display: table-header-group; }
  tr, figure, .banner, dl.facts { break-inside: avoid; page-break-inside: avoid; }
}
""".strip()


def render_html(record: CodeRecord) -> bytes:
    return "".join(html_chunks(record)).encode("utf-8")


def html_chunks(record: CodeRecord) -> Iterator[str]:
    """The page in pieces, a table row at a time: a long code's timeline is written as it is made."""
    summary, parts = sections(record)
    header, rest = parts[0], parts[1:]
    title = f"Resuscitation record — code {summary.header.code_id}, {summary.header.start:%Y-%m-%d %H:%M}"
    yield (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>\n{CSS}\n{page_heads(summary, header)}\n</style>\n</head>\n<body>\n"
    )
    yield f'<div class="overview"><header><h1>{escape(title)}</h1>{_banner(header)}</header>{_figure(summary)}</div>'
    for section in rest:
        yield "\n"
        yield from _section(section)
    yield (
        "\n<footer>Identified record: it belongs in the patient's chart. Times are T+ from the code's start and clock "
        f"time at UTC{summary.header.start.strftime('%z')[:3]}:{summary.header.start.strftime('%z')[3:]}. "
        "Generated by the resuscitation recorder.</footer>"
    )
    yield "\n</body>\n</html>\n"


def page_heads(summary: SummaryParts, header: Section) -> str:
    """The running head of every printed page: the patient band, the code and (in CSS) page N of M.

    Margin boxes take text only from CSS, so the words go in as CSS strings: every character but a
    letter, digit or space is a hex escape, so that nothing a person typed can end the string, the
    rule or the <style> element, and each still prints as itself.
    """
    facts = header.blocks[0]
    assert isinstance(facts, Facts)
    patient = dict(facts.items)["Patient"]
    code = f"Resuscitation code {summary.header.code_id}, {summary.header.start:%Y-%m-%d %H:%M} · page "
    pages = f'{css_string(code)} counter(page) " of " counter(pages)'
    return f"@page {{ @top-left {{ content: {css_string(patient)}; }} @top-right {{ content: {pages}; }} }}"


def css_string(text: str) -> str:
    """`text` as a quoted CSS string that reads back as written and cannot end early."""
    # The space after each escape ends it (and is not shown): "a, b" is "a\\2c  b".
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text) + '"'


def _banner(section: Section) -> str:
    facts = section.blocks[0]
    assert isinstance(facts, Facts)
    cells = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in facts.items)
    return f'<dl class="banner">{cells}</dl>'


def _figure(s: SummaryParts) -> str:
    i = s.intervals
    kpis = [
        ("first IO attempt", t_plus(i.first_io_attempt_s) if i.first_io_attempt_s is not None else "—"),
        ("first confirmed IO", t_plus(i.first_confirmed_io_s) if i.first_confirmed_io_s is not None else "—"),
        ("first epinephrine", t_plus(i.first_epinephrine_s) if i.first_epinephrine_s is not None else "—"),
        ("ROSC", t_plus(i.rosc_s) if i.rosc_s is not None else "—"),
        ("IO attempts", str(i.io_attempts)),
        ("flags", str(len(s.flags))),
    ]
    boxes = "".join(f'<div class="kpi"><span>{escape(k)}</span><b>{escape(v)}</b></div>' for k, v in kpis)
    return (
        '<section class="timeline"><h2 id="timeline-figure">Timeline</h2>'
        f'<div class="kpis">{boxes}</div>'
        f"<figure>{timeline_svg(s)}<figcaption>Time runs left to right from the start of the code. "
        "Each access line has its own lane; drugs, fluids and flags (numbered as in Deviations) below. "
        "Shaded: arrest (hatched) and ROSC; in the rhythm lane, shocks (ϟ, dashed when synchronized) and the spans "
        "with no compressions (CPR stopped).</figcaption></figure></section>"
    )


def _section(section: Section) -> Iterator[str]:
    yield f'<section id="{section.anchor}"><h2>{escape(section.title)}</h2>'
    for block in section.blocks:
        if isinstance(block, Facts):
            yield _facts(block)
        else:
            yield from _table(block)
    yield "</section>"


def _facts(facts: Facts) -> str:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts.items)
    return f'<dl class="facts">{rows}</dl>'


# Rows written out at a time: a long code's table is still written as it is made, without a hand-off per row.
ROWS_AT_A_TIME = 64


def _table(table: Table) -> Iterator[str]:
    caption = f"<h3>{escape(table.caption)}</h3>" if table.caption else ""
    rows = first_rows(table)
    if rows is None:
        yield f'{caption}<p class="empty">{escape(table.empty)}</p>'
        return
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    yield f"{caption}<table><thead><tr>{head}</tr></thead><tbody>"
    while True:
        batch = list(islice(rows, ROWS_AT_A_TIME))  # taken in C, not a row at a time
        if len(batch) < ROWS_AT_A_TIME:
            yield _rows(batch) + "</tbody></table>"
            return
        yield _rows(batch)


def _rows(batch: list[RowCells]) -> str:
    """Rows as HTML, each cell escaped, a time's cell (one that starts "T+") classed: what writing each cell
    on its own writes.

    A batch whose cells and tones hold nothing to escape (most of a long code's) is written as it stands;
    any other a row at a time, escaping the cells that need it. Whether there is anything is asked of the
    batch's text joined, once for each character (a search for one character is a memchr, where counting
    them, or a pattern, goes a character at a time).
    """
    text = "".join(chain.from_iterable(map(_CELLS, batch))) + "".join(filter(None, map(_TONE, batch)))
    if "<" in text or ">" in text or '"' in text or "&" in text or "'" in text:
        html = _escaped_rows(batch)
    else:
        parts: list[str] = []
        add = parts.append
        for cells, tone in batch:
            if not cells:
                add(f'<tr class="{tone}"></tr>' if tone else "<tr></tr>")
                continue
            add(f'<tr class="{tone}"><td>' if tone else "<tr><td>")
            add("</td><td>".join(cells))
            add("</td></tr>")
        html = "".join(parts)
    # Every cell a plain <td> so far; a time's gets its class here, in one replace: "<td>T+" can only be a
    # cell's start, a cell's own "<" being escaped.
    return html.replace("<td>T+", '<td class="time">T+')


_CELLS, _TONE = itemgetter(0), itemgetter(1)


def _escaped_rows(batch: list[RowCells]) -> str:
    """The rows of a batch that has something to escape: a row's cells searched in one go, and only a row
    that has some escaped cell by cell."""
    special = _SPECIAL.search
    parts: list[str] = []
    add = parts.append
    for cells, tone in batch:
        if special("".join(cells)):
            cells = tuple(escape(c) if special(c) else c for c in cells)
        if not cells:
            add(f'<tr class="{tone}"></tr>' if tone else "<tr></tr>")
            continue
        add(f'<tr class="{tone}"><td>' if tone else "<tr><td>")
        add("</td><td>".join(cells))
        add("</td></tr>")
    return "".join(parts)


# What html.escape replaces: most cells (times, numbers, words) hold none, and a search is cheaper than its five
# replacements (a long code's table has hundreds of thousands of cells).
_SPECIAL = re.compile("[&<>\"']")
