"""SQL telling a stored event row the store reads back the fast way from one it may not: rows a reader may leave out."""

from dataclasses import dataclass

from recorder.store import trusted

# A reader may leave a row of some kind out (Store.pages_leaving_out) only if reading it could not have failed:
# a row read back fails (a StoreError naming it: "code N event S cannot be read...") when a time does not parse,
# its payload is not JSON or not of its kind's shape and validation refuses it. Rows the SQL below cannot vouch
# for are read as ever, so a damaged one still stops the reading with the same error at the same row (an event of
# a kind left out changes nothing else, read or not). It vouches for what trusted.stored_page takes without
# asking anything more: an integer schema version, an elapsed time that is NULL or a real, both times written as
# Store writes them (UTC ISO-8601 with microseconds: a real date and time), and a JSON object holding only its
# kind's fields, each of a JSON type trusted.event takes for it, the required ones present.

# The JSON types (SQLite's json_type names) a field's stored Python types are.
_JSON_TYPE = {str: ("text",), bool: ("true", "false"), type(None): ("null",), int: ("integer",)}
# An integer in a float field is made a float (canonical JSON writes 120.0 as 120): one of any length would
# overflow there, and is left to the general way.
_WHOLE = "(j.type = 'integer' AND length(j.atom) <= 15)"


def _field_plain(name: str, types: tuple[type, ...], floats: frozenset[str]) -> str | None:
    """json_each's row `j` is field `name` with a value trusted.event takes as it is; None for a field whose
    values it never takes as they are (a list, an object)."""
    tests: list[str] = []
    for t in types:
        if t is float:
            tests.append("j.type = 'real'")
            if name in floats:
                tests.append(_WHOLE)
        elif t in _JSON_TYPE:
            tests.append("j.type IN (" + ", ".join(f"'{n}'" for n in _JSON_TYPE[t]) + ")")
        else:
            return None
    return f"(j.key = '{name}' AND ({' OR '.join(tests)}))"


def payload_plain(kind: str) -> str | None:
    """SQL true of a row of `kind` whose payload trusted.stored_page rebuilds as it is (`e.payload`), or None for a
    kind whose rows it never vouches for (stored_page validates them, or their fields are not plain values)."""
    found = trusted.KINDS.get(kind)
    if found is None or not trusted._frozen(found.cls):
        return None
    fields = []
    for name, types in found.fields.items():
        if name in ("kind", "t"):
            continue  # columns, never in a payload the store wrote (a payload holding one is validated)
        test = _field_plain(name, types, found.floats)
        if test is None:
            return None
        fields.append(test)
    required = [f"json_type(e.payload, '$.{n}') IS NOT NULL" for n in sorted(found.required - {"kind", "t"})]
    # json_each reads malformed JSON as an error: it is asked only of an object.
    return _all(
        "typeof(e.payload) = 'text'",
        "json_valid(e.payload)",
        "json_type(e.payload) = 'object'",
        *required,
        f"NOT EXISTS (SELECT 1 FROM json_each(e.payload) j WHERE NOT ({' OR '.join(fields) or '0'}))",
    )


def _all(*tests: str) -> str:
    """SQL true when every test is (NULL counts as false), asking each only while the ones before held: an AND in
    a result column asks both sides."""
    return "CASE " + " ".join(f"WHEN NOT coalesce({t}, 0) THEN 0" for t in tests) + " ELSE 1 END"


def _time_plain(column: str) -> list[str]:
    """SQL tests that `column` is a time as Store.iso writes it (YYYY-MM-DDTHH:MM:SS.ffffff+00:00) and that
    datetime.fromisoformat takes: one SQLite reads (julianday: digits where they go, a month, minute and second
    in range) without carrying a day or an hour over (it reads Feb 30 or 24:00 as the next day, Python refuses)."""
    c = column
    return [
        f"typeof({c}) = 'text'",
        f"length({c}) = 32",
        f"substr({c}, 27) = '+00:00' AND substr({c}, 20, 1) = '.' AND substr({c}, 11, 1) = 'T'",
        f"substr({c}, 1, 4) <> '0000' AND substr({c}, 12, 2) < '24'",
        f"julianday({c}) IS NOT NULL",
        f"CASE WHEN substr({c}, 9, 2) <= '28' THEN 1 ELSE date(substr({c}, 1, 10), '+0 days') = substr({c}, 1, 10) END",
    ]


def rows_plain(kinds: list[str]) -> str | None:
    """SQL true of a row (events `e` joined with event_clock `m`) of one of `kinds` that trusted.stored_page reads
    back as it is, so that reading it could not fail; None when it vouches for no row of any of these kinds."""
    cases = [(k, payload_plain(k)) for k in kinds if k.isidentifier()]
    cases = [(k, test) for k, test in cases if test is not None]
    if not cases:
        return None
    return _all(
        # The other kinds' rows (most of what the rules read) are asked nothing more.
        "CASE e.kind " + " ".join(f"WHEN '{k}' THEN {test}" for k, test in cases) + " ELSE 0 END",
        "typeof(e.schema_version) = 'integer' AND (m.elapsed IS NULL OR typeof(m.elapsed) = 'real')",
        *_time_plain("e.occurred_at"),
        f"CASE WHEN e.recorded_at = e.occurred_at THEN 1 ELSE {_all(*_time_plain('e.recorded_at'))} END",
    )


@dataclass(frozen=True)
class KindRows:
    """A code's rows of one kind, as Store.kind_rows tells them."""

    count: int
    doubtful: int  # rows this SQL cannot vouch for (a reader leaves the kind out only when there are none)
    latest: int | None  # the seq of the latest in time
    maybe_late: list[int]  # seqs that may have been entered late (a prefilter good to a second: check each)
