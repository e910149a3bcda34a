"""The de-identified quality audit (exports.md §2): rows per code, the CSV and JSON files, and the KPIs."""

import csv
import io
import json
import math
import statistics
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel

from schemas.audit import AuditAttempt, AuditCode, AuditDrug, AuditExport, AuditFlag, Kpis

if TYPE_CHECKING:
    from schemas.code_record import CodeRecord
    from schemas.records import Flag
    from schemas.summary import FlagRow

# The summary's parts are imported by audit_rows, the one function here that reads a code: combining, writing
# and summing up kept rows (most audits) needs none of them.

TABLES = ("codes", "attempts", "drugs", "flags")


def whole_s(t: float | None) -> int | None:
    """Whole seconds from the start (half up): the audit's only kind of time."""
    return None if t is None else math.floor(t + 0.5)


def audit_rows(record: "CodeRecord") -> AuditExport:
    """One code's rows. Built field by field from the summary: nothing identifying has a column to go in.

    Only the summary's parts the rows read are worked out: its one pass, the drugs, and counts of the record
    keeping and late entries, not the listed sections. The definition of the rows: an audit and the live recorder
    derive them from the code's session in one pass instead (recorder/core/code_audit.py), which
    tests/test_code_audit.py holds equal to this.
    """
    from exports.derive import SummaryParts, doses_weight_unknown, shockable_to_first_shock_s
    from schemas.events import RhythmNoted
    from schemas.patient import age_band

    s = SummaryParts(record)
    h, i = s.header, s.intervals
    drug_rows = list(s.drugs())
    aid = record.audit_id
    weight = whole_s(h.patient.weight_kg)
    first_rhythm = record.arrests[0].first_rhythm if record.arrests else None
    if first_rhythm is None:
        first_rhythm = next((rec.event.rhythm for rec in record.timeline if isinstance(rec.event, RhythmNoted)), None)
    severities = Counter(f.severity for f in s.flags)
    code = AuditCode(
        audit_id=aid,
        year=h.start.year,
        age_band=age_band(h.age_years),
        weight_kg=weight,
        setting=h.setting,
        arrest=h.arrest,
        first_rhythm=first_rhythm,
        outcome=h.outcome,
        duration_s=whole_s(h.duration_s),
        io_attempts=i.io_attempts,
        io_first_attempt_success=i.io_first_attempt_success,
        io_lines_confirmed=i.io_lines_confirmed,
        t_first_access_attempt_s=whole_s(i.first_access_attempt_s),
        t_first_working_access_s=whole_s(i.first_working_access_s),
        t_first_io_attempt_s=whole_s(i.first_io_attempt_s),
        t_first_confirmed_io_s=whole_s(i.first_confirmed_io_s),
        t_first_drug_s=whole_s(i.first_drug_s),
        t_first_epinephrine_s=whole_s(i.first_epinephrine_s),
        t_rosc_s=whole_s(i.rosc_s),
        iv_attempts_before_io=i.iv_attempts_before_io,
        drugs_given=len(drug_rows),
        drugs_unflushed=sum(1 for d in drug_rows if d.unflushed),
        flags_critical=severities["critical"],
        flags_warning=severities["warning"],
        flags_info=severities["info"],
        voids=sum(1 for _ in record.records.of("void")),
        amends=sum(1 for _ in record.records.of("amend")),
        late_entries=s.late_count(),
        shockable_to_first_shock_s=whole_s(shockable_to_first_shock_s(record)),
        doses_weight_unknown=doses_weight_unknown(drug_rows),  # the same count as drugs.csv weight_known false
    )
    attempts = [attempt_row(aid, line) for line in s.lines]
    drugs = [
        AuditDrug(
            audit_id=aid,
            t_s=whole_s(d.t),
            drug=d.drug,  # `other` keeps no name: what the scribe typed is free text
            dose=d.dose,
            unit=d.unit,
            # Per the rounded weight of codes.csv, so the exact weight cannot be worked back.
            dose_per_kg=round(d.dose / weight, 4) if weight else None,
            route=d.route,
            line=d.line,
            concentration=d.concentration,
            purpose=d.purpose,
            flushed=d.flushed,
            flush_after_s=whole_s(d.flush_after_s),
            flush_ml=d.flush_ml,
            unflushed=d.unflushed,
            weight_known=d.weight_kg is not None,
        )
        for d in drug_rows
    ]
    flags = [flag_row(aid, f) for f in s.flags]
    return AuditExport(codes=[code], attempts=attempts, drugs=drugs, flags=flags)


class LineFacts(Protocol):
    """What an attempt's row reads of a line: the summary's AccessLine, or recorder/core/code_audit.py's own.
    (Read-only: either kind of line will do.)"""

    @property
    def line(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def site(self) -> str | None: ...
    @property
    def side(self) -> str | None: ...
    @property
    def device(self) -> str | None: ...
    @property
    def needle_mm(self) -> float | None: ...
    @property
    def result(self) -> str | None: ...
    @property
    def confirmed_t(self) -> float | None: ...
    @property
    def complications(self) -> list[str]: ...
    @property
    def t(self) -> float: ...


def attempt_row(aid: str, line: LineFacts) -> AuditAttempt:
    """A line's row in attempts.csv: what of it an audit may hold."""
    return AuditAttempt(
        audit_id=aid,
        line=line.line,
        type=line.kind,
        # An IO site is from the vocabulary; an IV's site is free text, so only its side stays.
        site=line.site if line.kind == "io" else None,
        side=line.side,
        device=line.device,
        needle_mm=line.needle_mm,
        result=line.result,
        confirmed=line.confirmed_t is not None if line.kind == "io" else None,
        complications=";".join(line.complications),
        t_s=whole_s(line.t),
    )


def flag_row(aid: str, f: "FlagRow | Flag") -> AuditFlag:
    """A flag's row in flags.csv."""
    return AuditFlag(
        audit_id=aid, t_s=whole_s(f.t), rule=f.rule, severity=f.severity, line=f.line, acknowledged=f.acknowledged
    )


def combine(parts: Iterable[AuditExport]) -> AuditExport:
    """Many codes' rows as one audit, ordered by audit id (random: the order gives nothing away)."""
    codes: dict[str, AuditExport] = {}
    for part in parts:
        for code in part.codes:
            # The same database given twice, or a copy of it: a code counts once.
            codes.setdefault(code.audit_id, part)
    order = sorted(codes)
    return AuditExport(
        codes=[c for a in order for c in codes[a].codes],
        attempts=[x for a in order for x in codes[a].attempts],
        drugs=[x for a in order for x in codes[a].drugs],
        flags=[x for a in order for x in codes[a].flags],
    )


def audit_csv(export: AuditExport) -> dict[str, bytes]:
    """codes.csv, attempts.csv, drugs.csv, flags.csv: a header row of the model's fields, then one row each."""
    files = {}
    for table in TABLES:
        rows: list[BaseModel] = getattr(export, table)
        model = AuditExport.model_fields[table].annotation.__args__[0]  # type: ignore[union-attr]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(list(model.model_fields))
        # A row's fields as held (every one a plain value, in the model's order): what model_dump gives, without
        # making a dict per row of thousands.
        writer.writerows([_csv_value(v) for v in row.__dict__.values()] for row in rows)
        files[f"{table}.csv"] = out.getvalue().encode("utf-8")
    return files


def audit_json(export: AuditExport) -> dict[str, bytes]:
    """codes.json … flags.json: each a JSON array of its table's rows (schemas/json/audit.schema.json)."""
    data = export.model_dump(mode="json")
    return {
        f"{table}.json": (json.dumps(data[table], indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        for table in TABLES
    }


def audit_document(export: AuditExport) -> bytes:
    """The whole export as one JSON document (schemas/json/audit.schema.json): `recorder audit --format json -o -`."""
    return (json.dumps(export.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _csv_value(value: object) -> str:
    if type(value) is str:
        return value  # most cells: the others in the order they come
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def kpis(export: AuditExport) -> Kpis:
    """The terminal's KPIs over an audit."""
    codes = export.codes
    known = [c.io_first_attempt_success for c in codes if c.io_first_attempt_success is not None]
    rules = Counter(f.rule for f in export.flags)

    def median(values: list[int | None]) -> float | None:
        present = [v for v in values if v is not None]
        return float(statistics.median(present)) if present else None

    return Kpis(
        codes=len(codes),
        codes_with_io=sum(1 for c in codes if c.io_attempts),
        io_first_attempt_known=len(known),
        io_first_attempt_successes=sum(known),
        io_first_attempt_success_pct=100.0 * sum(known) / len(known) if known else None,
        median_t_first_io_attempt_s=median([c.t_first_io_attempt_s for c in codes]),
        median_t_first_confirmed_io_s=median([c.t_first_confirmed_io_s for c in codes]),
        median_t_first_epinephrine_s=median([c.t_first_epinephrine_s for c in codes]),
        median_shockable_to_first_shock_s=median([c.shockable_to_first_shock_s for c in codes]),
        doses_weight_unknown=sum(c.doses_weight_unknown for c in codes),
        codes_with_doses_weight_unknown=sum(1 for c in codes if c.doses_weight_unknown),
        flags_per_code={rule: n / len(codes) for rule, n in sorted(rules.items())} if codes else {},
    )
