"""A database's schema as `verify` compares it: tables' columns, indexes, and triggers' and views' SQL, normalized."""

import re
import sqlite3
from functools import lru_cache
from typing import NamedTuple

# A string or quoted identifier, a word, or one punctuation character: SQL as tokens, so that spacing
# and the case of keywords do not count, and everything else (a `WHEN 0`, another message) does.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\[[^\]]*\]|`[^`]*`|\w+|[^\s\w]")


def normalized(sql: str | None) -> str:
    """SQL with its spacing and keyword case made one: `CREATE  trigger` and `create TRIGGER` are the same."""
    tokens = _TOKEN.findall(sql or "")
    return " ".join(t if t[0] == "'" else t.lower().strip('"[]`') for t in tokens)


class Schema(NamedTuple):
    tables: dict[str, tuple[tuple, ...]]  # name → (column, declared type, not null, default, pk) each
    indexes: dict[str, frozenset[tuple]]  # table → {(columns, unique, partial)}
    triggers: dict[str, tuple[str, str]]  # name → (table, normalized SQL)
    views: dict[str, str]  # name → normalized SQL


def schema_of(conn: sqlite3.Connection) -> Schema:
    """The schema of the database on `conn` (tables whose names begin with sqlite_ are SQLite's own)."""
    master = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    tables: dict[str, tuple[tuple, ...]] = {}
    indexes: dict[str, frozenset[tuple]] = {}
    triggers: dict[str, tuple[str, str]] = {}
    views: dict[str, str] = {}
    for kind, name, table, sql in master:
        if kind == "table" and not name.startswith("sqlite_"):
            info = conn.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
            tables[name] = tuple((c[1], (c[2] or "").upper(), c[3], c[4], c[5]) for c in info)
            found = set()
            for _, index, unique, _, partial in conn.execute(f"PRAGMA index_list({_quote(name)})").fetchall():
                columns = tuple(c[2] for c in conn.execute(f"PRAGMA index_info({_quote(index)})").fetchall())
                found.add((columns, unique, partial))
            indexes[name] = frozenset(found)
        elif kind == "trigger":
            triggers[name] = (table, normalized(sql))
        elif kind == "view":
            views[name] = normalized(sql)
    return Schema(tables, indexes, triggers, views)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@lru_cache(maxsize=1)
def expected() -> Schema:
    """The schema the migrations build: what every recorder database of this version must have."""
    from sqlite_utils import Database

    from recorder.store.migrations import migrations

    conn = sqlite3.connect(":memory:")
    migrations.apply(Database(conn))
    try:
        return schema_of(conn)
    finally:
        conn.close()


def differences(conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """What differs from the schema the migrations build: in the recorder's own tables; in the triggers and views."""
    want, have = expected(), schema_of(conn)
    found: list[str] = []
    for table, columns in want.tables.items():
        if table.startswith("_sqlite"):
            continue  # sqlite-utils' own record of the migrations: its shape is that library's, not ours
        if table not in have.tables:
            found.append(f"the table {table} is missing")
        elif have.tables[table] != columns:
            found.append(f"the table {table} does not have the recorder's columns")
        elif not want.indexes[table] <= have.indexes[table]:
            found.append(f"an index of the table {table} is missing or changed")
    tables, found = found, []
    for name, (table, sql) in want.triggers.items():
        if name not in have.triggers:
            found.append(f"the append-only trigger {name} is missing")
        elif have.triggers[name] != (table, sql):
            found.append(f"the append-only trigger {name} is not the recorder's (its SQL was changed)")
    for name, (table, _) in have.triggers.items():
        if name not in want.triggers:
            found.append(f"the trigger {name} on {table} is not the recorder's")
    # A changed view shows whoever reads the database by it (Datasette, SQL) another record than the events;
    # a view of someone's own beside ours is theirs to keep.
    for name, sql in want.views.items():
        if name not in have.views:
            found.append(f"the view {name} is missing")
        elif have.views[name] != sql:
            found.append(f"the view {name} is not the recorder's (its SQL was changed)")
    return tables, found
