"""The printed HTML summary: every page carries the patient band, the code and page N of M, as plain text."""

import re
import shutil
import subprocess

import pytest

from exports.html import css_string, render_html
from tests.exports.scenarios import read, record
from tests.hostile import ACCEPTED, REFUSED

HOSTILE_NAME = '</style><script>alert(1)</script>"; } body { display: none } /*'


def style_of(page: str) -> str:
    (style,) = re.findall(r"<style>(.*?)</style>", page, re.S)
    return style


def heads(page: str) -> dict[str, str]:
    """What each top margin box of the running head says (the generic @page's, read as CSS would)."""
    rule = re.search(r"@page \{ @top-left \{ content: (.*?); \} @top-right \{ content: (.*?); \} \}", style_of(page))
    assert rule is not None
    return {"left": rule[1], "right": rule[2]}


def css_text(value: str) -> str:
    """A quoted CSS string's text: hex escapes read back, and the one space that ends each dropped."""
    assert value[0] == value[-1] == '"'
    return re.sub(r"\\([0-9a-fA-F]{1,6}) ?", lambda m: chr(int(m[1], 16)), value[1:-1])


def test_the_running_head_names_the_patient_the_code_and_page_n_of_m(child):
    page = render_html(child).decode("utf-8")
    head = heads(page)
    assert css_text(head["left"]) == "Ada Example, MRN MRN-4411, born 2021-11-20, female, age 4 y"  # the banner's
    code, counters = head["right"].split('" ', 1)
    assert css_text(code + '"') == "Resuscitation code 1, 2026-03-02 14:05 · page "
    assert counters == 'counter(page) " of " counter(pages)'
    # Nothing that would reach outside the file from the CSS.
    assert not re.search(r"url\(|@import|https?:", style_of(page))


@pytest.mark.parametrize("text", [HOSTILE_NAME, *ACCEPTED, *REFUSED])
def test_any_text_is_one_css_string_that_reads_back(text):
    quoted = css_string(text)
    # Only letters, digits, spaces and escapes between the quotes: no quote, brace, < or newline.
    assert re.fullmatch(r'"(?:[^\W_]| |\\[0-9a-f]{1,6} )*"', quoted)
    assert css_text(quoted) == text


def test_a_hostile_name_stays_text_in_the_printed_head(tmp_path):
    events = [
        {"t": 0, "kind": "code_started", "at": "2026-04-01T10:00:00+00:00", "arrest": True},
        {"t": 5, "kind": "patient_updated", "patient": {"name": HOSTILE_NAME, "mrn": "{0} $(rm -rf /)"}},
    ]
    db = tmp_path / "recorder.db"
    page = render_html(read(db, record(db, events, "badc0de000000001"))).decode("utf-8")
    assert page.count("</style>") == 1 and "<script>" not in page
    assert css_text(heads(page)["left"]).startswith(f"{HOSTILE_NAME}, MRN {{0}} $(rm -rf /), ")


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("pdftotext")), reason="needs chromium, poppler")
def test_chromium_prints_the_running_head_on_every_page(child, tmp_path):
    """Headless Chromium, as a person printing to PDF: each page's text starts with its head."""
    html = tmp_path / "summary.html"
    html.write_bytes(render_html(child))
    pdf = tmp_path / "summary.pdf"
    printing = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"]
    subprocess.run(
        [*printing, f"--print-to-pdf={pdf}", str(html)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = text.rstrip("\f").split("\f")
    assert len(pages) > 2
    for n, content in enumerate(pages, 1):
        first = content.strip().splitlines()[0]
        assert first.startswith("Ada Example, MRN MRN-4411, born 2021-11-20, female, age 4 y")
        assert first.endswith(f"Resuscitation code 1, 2026-03-02 14:05 · page {n} of {len(pages)}")
