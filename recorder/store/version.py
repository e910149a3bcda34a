"""The schema version this recorder writes and the triggers that keep its record append-only.

Apart from the migrations themselves, so that opening an up-to-date database needs no sqlite-utils.
"""

SCHEMA_VERSION = 6
"""The schema this recorder writes; a database carrying a higher one is refused."""

APPEND_ONLY_TRIGGERS = (
    "events_no_update",
    "events_no_delete",
    "flags_no_update",
    "flags_no_delete",
    "event_clock_no_update",
    "event_clock_no_delete",
    "legacy_hashes_no_update",
    "legacy_hashes_no_delete",
    "protocols_no_update",
    "protocols_no_delete",
    "flag_basis_no_update",
    "flag_basis_no_delete",
)


def parse_version(value: object) -> int | None:
    """A stored schema version as the recorder writes it (a whole number in ASCII digits), else None."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None
