"""The resuscitation recorder: capture, store, rules and the scribe's screen."""

from typing import Any


def __getattr__(name: str) -> Any:
    """`recorder.__version__`: the version lives in pyproject.toml alone, read from the installed metadata.

    Read when first asked for (the audit's kept rows, `--version`), not at every start: importlib.metadata
    costs tens of milliseconds.
    """
    if name == "__version__":
        from importlib.metadata import version

        globals()["__version__"] = found = version("resus-recorder")
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
