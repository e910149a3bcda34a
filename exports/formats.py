"""The registry of export formats: name → the pure function that renders it, imported when first used."""

from collections.abc import Callable
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


@dataclass(frozen=True)
class SummaryFormat:
    """`recorder summary --format NAME`: one code to one file."""

    name: str
    suffix: str
    target: str
    help: str

    def render(self, record: "CodeRecord") -> bytes:
        return _load(self.target)(record)


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
        SummaryFormat("md", ".md", "exports.markdown:render_markdown", "Markdown, for pasting into the notes"),
        SummaryFormat("html", ".html", "exports.html:render_html", "one self-contained page with the SVG timeline"),
        SummaryFormat("json", ".json", "exports.summary_json:render_json", "the summary as data"),
        SummaryFormat("fhir", ".json", "exports.fhir:render_fhir", "a FHIR R4B Bundle (collection) for the EHR"),
    )
}
AUDIT_FORMATS: dict[str, AuditFormat] = {
    f.name: f for f in (AuditFormat("csv", "exports.audit:audit_csv"), AuditFormat("json", "exports.audit:audit_json"))
}
