"""Redaction test helpers: the engine loaded once per session (spaCy takes a while), the gold notes,
and documents to redact."""

from __future__ import annotations

import json

import pytest

from docintel.documents.models import Document
from tests.conftest import FIXTURES
from tests.factories import DocumentFactory

GOLD = FIXTURES / "clinical_notes"


@pytest.fixture(scope="session")
def engine():
    from docintel.redaction.engine import get_engine

    return get_engine()


def read_gold(split: str) -> list[dict]:
    with open(GOLD / f"{split}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="session")
def gold_notes() -> dict[str, list[dict]]:
    return {split: read_gold(split) for split in ("tune", "heldout")}


@pytest.fixture
def make_document(db):
    def make(text: str, name: str = "note.txt") -> Document:
        return DocumentFactory(filename=name, text=text)

    return make
