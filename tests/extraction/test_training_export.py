"""Reviewers' corrections as training data: the chat-JSONL export (redacted text, audited), the check
the GPU recipe runs on it, and few-shot turns for the next prompts of the same schema."""

from __future__ import annotations

import importlib.util
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from docintel.redaction.models import RedactionResult
from extraction.actions import correct_field
from extraction.learning import few_shot_messages
from extraction.schemas import get_schema
from tests.conftest import ROOT
from tests.factories import ExtractionFactory, make_user

TEXT = "Master Services Agreement between Acme Ltd and John Smith. Governed by the laws of Delaware."
REDACTED = "Master Services Agreement between Acme Ltd and [NAME]. Governed by the laws of Delaware."


def _check_dataset():
    path = ROOT / "deploy" / "finetune" / "check_dataset.py"
    spec = importlib.util.spec_from_file_location("check_dataset", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def corrected(db):
    extraction = ExtractionFactory(document__text=TEXT, data={**get_schema("contract").empty(),
                                                              "governing_law": "Acme"})
    RedactionResult.objects.create(document=extraction.document, redacted_text=REDACTED, entities=[])
    correct_field(extraction, "/governing_law", "Delaware", actor=make_user("reviewer"))
    return extraction


def test_export_is_chat_jsonl_of_redacted_text_and_audited(corrected, tmp_path):
    out = tmp_path / "contract.jsonl"
    call_command("export_training_set", "--schema", "contract", "--out", str(out))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 1
    messages = lines[0]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant"]
    assert "[NAME]" in messages[1]["content"] and "John Smith" not in json.dumps(lines)
    assert json.loads(messages[2]["content"])["governing_law"] == "Delaware"  # the reviewer's value
    assert _check_dataset().problems(out, get_schema("contract").schema) == []
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "extraction.training_exported" in actions and "extraction.training_set_exported" in actions


def test_original_text_needs_the_setting(corrected, tmp_path):
    with pytest.raises(CommandError):
        call_command("export_training_set", "--schema", "contract", "--out", str(tmp_path / "x.jsonl"),
                     "--original")


def test_corrections_become_few_shot_turns(corrected):
    turns = few_shot_messages(get_schema("contract"), 2)
    assert [t["role"] for t in turns] == ["user", "assistant"]
    assert "[NAME]" in turns[0]["content"]
    assert json.loads(turns[1]["content"])["governing_law"] == "Delaware"
