"""The recorder's data models: events, patient, records and flags (pydantic v2, no I/O)."""
