"""Exports: pure functions from schemas objects to bytes (code summary, audit, FHIR)."""
