"""The de-identified audit as one SQLite database (`recorder audit --format sqlite`), for Datasette and SQL.

The four tables of exports.md §2 with the same columns and rows as the CSV and JSON files, tied to
`codes` by foreign keys and indexed for the questions asked of them; the age bands as a table of
their own (in age order); and a view for each question of the terminal's KPI table. Nothing goes in
that the CSV does not hold: the rows come from the same de-identified models (schemas/audit.py).
Here and not in exports/, which may not import sqlite-utils, because every line of SQL lives in the store.
"""

import sqlite3
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel
from sqlite_utils import Database

from schemas.audit import AuditExport
from schemas.patient import AGE_BANDS

# Child tables: each row belongs to one code (codes.audit_id), in the order the CSV gives them.
CHILDREN = ("attempts", "drugs", "flags")
# What an audit is filtered and grouped by (Datasette's facets): an index each.
INDEXES: dict[str, list[tuple[str, ...]]] = {
    "codes": [("year",), ("age_band",), ("setting",), ("outcome",)],
    "attempts": [("audit_id",), ("type", "site")],
    "drugs": [("audit_id",), ("drug",)],
    "flags": [("audit_id",), ("rule",)],
}


def _median(column: str, table: str = "codes", by: str | None = None) -> str:
    """SQL for the median of a column's known values (the mean of the two middle ones when their count is even),
    as statistics.median gives it (exports/audit.py kpis); per `by` when given, for a correlated subquery."""
    where = f"{column} IS NOT NULL" + (f" AND {by} IS c.{by}" if by else "")
    return (
        f"(SELECT avg(v) FROM (SELECT {column} AS v, row_number() OVER (ORDER BY {column}) AS i, count(*) OVER () AS n "
        f"FROM {table} WHERE {where}) WHERE i IN ((n + 1) / 2, (n + 2) / 2))"
    )


# Each view answers one question of the KPI table (exports.md §2), over the rows above only.
VIEWS: dict[str, str] = {
    "code_overview": (
        "SELECT c.audit_id, c.year, c.age_band, c.setting, c.arrest, c.first_rhythm, c.outcome, c.duration_s, "
        "c.io_attempts, c.io_first_attempt_success, c.t_first_io_attempt_s, c.t_first_confirmed_io_s, "
        "c.t_first_epinephrine_s, c.t_rosc_s, c.flags_critical + c.flags_warning + c.flags_info AS flags "
        "FROM codes c LEFT JOIN age_bands b ON b.band = c.age_band "
        "ORDER BY c.year, b.rank NULLS LAST, c.audit_id"
    ),
    "kpis": (
        "SELECT count(*) AS codes, "
        "coalesce(sum(io_attempts > 0), 0) AS codes_with_io, "
        "count(io_first_attempt_success) AS io_first_attempt_known, "
        "coalesce(sum(io_first_attempt_success), 0) AS io_first_attempt_successes, "
        "100.0 * sum(io_first_attempt_success) / count(io_first_attempt_success) AS io_first_attempt_success_pct, "
        f"{_median('t_first_io_attempt_s')} AS median_t_first_io_attempt_s, "
        f"{_median('t_first_confirmed_io_s')} AS median_t_first_confirmed_io_s, "
        f"{_median('t_first_epinephrine_s')} AS median_t_first_epinephrine_s, "
        f"{_median('shockable_to_first_shock_s')} AS median_shockable_to_first_shock_s, "
        "coalesce(sum(doses_weight_unknown), 0) AS doses_weight_unknown, "
        "coalesce(sum(doses_weight_unknown > 0), 0) AS codes_with_doses_weight_unknown "
        "FROM codes"
    ),
    "io_first_attempt_by_age_band": (
        "SELECT c.age_band, count(*) AS codes, coalesce(sum(c.io_attempts > 0), 0) AS codes_with_io, "
        "count(c.io_first_attempt_success) AS first_attempt_known, "
        "coalesce(sum(c.io_first_attempt_success), 0) AS first_attempt_successes, "
        "round(100.0 * sum(c.io_first_attempt_success) / count(c.io_first_attempt_success), 1) "
        "AS first_attempt_success_pct "
        "FROM codes c LEFT JOIN age_bands b ON b.band = c.age_band "
        "GROUP BY c.age_band ORDER BY min(b.rank) NULLS LAST"
    ),
    "time_to_first_epinephrine_by_age_band": (
        "SELECT c.age_band, count(*) AS codes, "
        "count(c.t_first_epinephrine_s) AS codes_given_epinephrine, "
        f"{_median('t_first_epinephrine_s', by='age_band')} AS median_t_first_epinephrine_s, "
        "min(c.t_first_epinephrine_s) AS min_t_first_epinephrine_s, "
        "max(c.t_first_epinephrine_s) AS max_t_first_epinephrine_s "
        "FROM codes c LEFT JOIN age_bands b ON b.band = c.age_band "
        "GROUP BY c.age_band ORDER BY min(b.rank) NULLS LAST"
    ),
    "flags_per_code_by_rule": (
        "SELECT rule, count(*) AS flags, count(DISTINCT audit_id) AS codes_flagged, "
        "count(*) * 1.0 / (SELECT count(*) FROM codes) AS flags_per_code "
        "FROM flags GROUP BY rule ORDER BY rule"
    ),
}


def _sqlite_type(annotation: Any) -> type:
    """The column type for a field of the audit models: int (bool too), float or str."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return _sqlite_type(args[0])
    if typing.get_origin(annotation) is Literal or not isinstance(annotation, type):
        return str
    if issubclass(annotation, bool | int):
        return int
    return float if issubclass(annotation, float) else str


def _columns(model: type[BaseModel]) -> dict[str, type]:
    return {name: _sqlite_type(field.annotation) for name, field in model.model_fields.items()}


def _not_null(model: type[BaseModel]) -> set[str]:
    """Columns whose field can never be None."""
    return {
        name
        for name, field in model.model_fields.items()
        if type(None) not in typing.get_args(field.annotation) and field.annotation is not type(None)
    }


def audit_sqlite(export: AuditExport) -> bytes:
    """The audit as the bytes of one SQLite database (written whole by the caller: recorder/core/private.py)."""
    conn = sqlite3.connect(":memory:")
    try:
        db = Database(conn)
        db.execute("PRAGMA foreign_keys = ON")
        db.table("age_bands").insert_all(
            [{"band": band, "rank": rank} for rank, (_, band) in enumerate(AGE_BANDS, 1)], pk="band"
        )
        model = AuditExport.model_fields["codes"].annotation.__args__[0]  # type: ignore[union-attr]
        db.table("codes").create(
            _columns(model),
            pk="audit_id",
            not_null=_not_null(model),
            foreign_keys=[("age_band", "age_bands", "band")],
        )
        db.table("codes").insert_all((row.model_dump(mode="json") for row in export.codes), batch_size=500)
        for table in CHILDREN:
            model = AuditExport.model_fields[table].annotation.__args__[0]  # type: ignore[union-attr]
            db.table(table).create(
                {"id": int, **_columns(model)},
                pk="id",
                not_null=_not_null(model),
                foreign_keys=[("audit_id", "codes", "audit_id")],
            )
            rows = getattr(export, table)
            db.table(table).insert_all(
                ({"id": n, **row.model_dump(mode="json")} for n, row in enumerate(rows, 1)), batch_size=500
            )
        for table, indexes in INDEXES.items():
            for columns in indexes:
                db.table(table).create_index(list(columns))
        for name, sql in VIEWS.items():
            db.create_view(name, sql)
        conn.commit()
        return conn.serialize()
    finally:
        conn.close()
