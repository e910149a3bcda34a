"""The store: the only code that writes SQL. Append-only events with a hash chain; sqlite-utils migrates."""

from recorder.store.database import Basis, CodeLocked, Problem, Store, StoreError

__all__ = ["Basis", "CodeLocked", "Problem", "Store", "StoreError"]
