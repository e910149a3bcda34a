"""Benchmarks of the recorder: each script prints its figures as JSON (see BENCHMARKS.md)."""
