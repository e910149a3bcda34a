"""The JSON Schema files in schemas/json/ are what the models generate today."""

from click.testing import CliRunner

from recorder.cli import cli
from schemas.jsonschema import JSON_DIR, render, schema_documents


def test_published_schemas_are_current():
    for name, doc in schema_documents().items():
        path = JSON_DIR / name
        assert path.exists(), f"{name} missing: run `uv run recorder schema -o schemas/json`"
        assert path.read_text(encoding="utf-8") == render(doc), (
            f"{name} is stale: run `uv run recorder schema -o schemas/json`"
        )


def test_schema_command_writes_the_files(tmp_path):
    result = CliRunner().invoke(cli, ["schema", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(schema_documents())
    assert (tmp_path / "event.schema.json").read_text() == (JSON_DIR / "event.schema.json").read_text()
