"""Reliability harnesses for the recorder: crash (kill -9) testing and a long scenario generator.

Run the long crash test with `uv run python -m reliability.crash --kills 500`; the short versions
of everything here run in the test suite under tests/reliability/.
"""
