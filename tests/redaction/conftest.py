"""Redaction test helpers: the engine loaded once per session (spaCy takes a while), the gold notes,
and documents to redact."""

from __future__ import annotations

import hashlib
import json

import pytest

from docintel.documents.models import Document
from tests.conftest import FIXTURES

GOLD = FIXTURES / "clinical_notes"


@pytest.fixture(scope="session")
def engine():
    from docintel.documents.redaction.engine import get_engine

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
        sha256 = hashlib.sha256(name.encode() + text.encode()).hexdigest()
        return Document.objects.create(
            filename=name, sha256=sha256, size=len(text), media_type="text/plain", text=text, page_offsets=[0]
        )

    return make
