"""The registry of export formats: name → the pure function that renders it, imported when first used."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemas.audit import AuditExport
    from schemas.code_record import CodeRecord


def _load(target: str) -> Callable[..., Any]:
    # By name, so that listing the formats (the CLI does at every start, the bedside screen included)
    # does not import fhir.resources and the renderers.
    module, name = target.split(":")
    return getattr(import_module(module), name)


# Characters gathered before a piece of a streamed document is handed on (to a file, to standard output).
CHUNK = 1 << 16


@dataclass(frozen=True)
class SummaryFormat:
    """`recorder summary --format NAME`: one code to one file."""

    name: str
    suffix: str
    target: str
    help: str
    # A renderer that yields the document in pieces (str): a long code is written as it is made.
    stream: str | None = None

    def render(self, record: "CodeRecord") -> bytes:
        return _load(self.target)(record)

    def chunks(self, record: "CodeRecord") -> Iterator[bytes]:
        """The document in pieces of about CHUNK bytes, encoded: what `render` gives, joined."""
        if self.stream is None:
            yield self.render(record)
            return
        pending: list[str] = []
        size = 0
        for piece in _load(self.stream)(record):
            pending.append(piece)
            size += len(piece)
            if size >= CHUNK:
                yield "".join(pending).encode("utf-8")
                pending, size = [], 0
        if pending:
            yield "".join(pending).encode("utf-8")


@dataclass(frozen=True)
class AuditFormat:
    """`recorder audit --format NAME`: many codes' rows to one file per table."""

    name: str
    target: str

    def render(self, export: "AuditExport") -> dict[str, bytes]:
        return _load(self.target)(export)


SUMMARY_FORMATS: dict[str, SummaryFormat] = {
    f.name: f
    for f in (
        SummaryFormat(
            "md",
            ".md",
            "exports.markdown:render_markdown",
            "Markdown, for pasting into the notes",
            "exports.markdown:markdown_chunks",
        ),
        SummaryFormat(
            "html",
            ".html",
            "exports.html:render_html",
            "one self-contained page with the SVG timeline",
            "exports.html:html_chunks",
        ),
        SummaryFormat(
            "json",
            ".json",
            "exports.summary_json:render_json",
            "the summary as data",
            "exports.summary_json:json_chunks",
        ),
        SummaryFormat("fhir", ".json", "exports.fhir:render_fhir", "a FHIR R4B Bundle (collection) for the EHR"),
    )
}
AUDIT_FORMATS: dict[str, AuditFormat] = {
    f.name: f for f in (AuditFormat("csv", "exports.audit:audit_csv"), AuditFormat("json", "exports.audit:audit_json"))
}
