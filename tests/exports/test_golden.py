"""Every export format against its golden file, for the child (a), adult (b) and new-rules (c) codes.

Update after a deliberate change with `uv run pytest tests/exports --snapshot-update`, and read the diff.
"""

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension

from exports.audit import audit_rows, combine
from exports.formats import AUDIT_FORMATS, SUMMARY_FORMATS


def _extension(suffix: str) -> type[SingleFileSnapshotExtension]:
    # One file per golden, named by its format, so a reviewer can open the HTML in a browser.
    return type(f"Golden{suffix.title()}", (SingleFileSnapshotExtension,), {"file_extension": suffix})


SUFFIX = {"md": "md", "html": "html", "json": "json", "fhir": "fhir.json"}


@pytest.mark.parametrize("fmt", list(SUMMARY_FORMATS))
@pytest.mark.parametrize("scenario", ["child", "adult", "newrules"])
def test_summary_golden(request, snapshot, scenario, fmt):
    record = request.getfixturevalue(scenario)
    assert SUMMARY_FORMATS[fmt].render(record) == snapshot(extension_class=_extension(SUFFIX[fmt]))


@pytest.mark.parametrize("fmt", list(AUDIT_FORMATS))
def test_audit_golden(snapshot, child, adult, newrules, fmt):
    files = AUDIT_FORMATS[fmt].render(combine([audit_rows(child), audit_rows(adult), audit_rows(newrules)]))
    assert sorted(files) == sorted(f"{t}.{fmt}" for t in ("codes", "attempts", "drugs", "flags"))
    for name, data in sorted(files.items()):
        assert data == snapshot(name=name, extension_class=_extension(fmt))
