"""The store: the only code that writes SQL. Append-only events with a hash chain; sqlite-utils migrates."""

from recorder.store.database import Basis, Chained, CodeLocked, Problem, Store, StoreError

__all__ = ["Basis", "Chained", "CodeLocked", "Problem", "Store", "StoreError"]
