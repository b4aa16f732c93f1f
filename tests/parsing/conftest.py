"""Fixtures for the parser's tests: the CUAD contract excerpt and the generated hostile PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.parsing.hostile import write_all

CONTRACTS = FIXTURES / "contracts"
CONTRACT_IDS = sorted(path.stem for path in (CONTRACTS / "pdf").glob("*.pdf"))


@pytest.fixture(scope="session")
def hostile_files(tmp_path_factory) -> dict[str, Path]:
    return write_all(tmp_path_factory.mktemp("hostile"))
