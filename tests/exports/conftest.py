"""The fixed codes the export tests read: recorded once per module into their own databases."""

import pytest

from schemas.code_record import CodeRecord
from tests.exports.scenarios import adult_record, child_record, new_rules_record


@pytest.fixture(scope="module")
def child(tmp_path_factory: pytest.TempPathFactory) -> CodeRecord:
    """(a) A child arrest: failed IV, failed IO, a second IO in the same tibia, unflushed drugs, a void and an amend."""
    return child_record(tmp_path_factory.mktemp("child") / "recorder.db")


@pytest.fixture(scope="module")
def adult(tmp_path_factory: pytest.TempPathFactory) -> CodeRecord:
    """(b) An adult arrest treated through a peripheral IV."""
    return adult_record(tmp_path_factory.mktemp("adult") / "recorder.db")


@pytest.fixture(scope="module")
def newrules(tmp_path_factory: pytest.TempPathFactory) -> CodeRecord:
    """(c) A code that raises each of the second edition's ten new rules once."""
    return new_rules_record(tmp_path_factory.mktemp("newrules") / "recorder.db")
