"""The extract stage in the real pipeline (in-process runner), corrections, export and the CLI."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from audit.models import AuditEvent
from docintel.documents.actions import retry_document, upload_document
from docintel.errors import InputError
from docintel.task_runner import wait_idle
from extraction.actions import correct_field
from extraction.export import extraction_record
from extraction.models import Extraction, current_extraction
from tests.conftest import CORPUS, FIXTURES, wait_for_status
from tests.extraction.conftest import SHORT_CONTRACT, FakeVLLM, free_port
from tests.extraction.test_http_backend import ANSWER, GOOD

STAGES = ["parse: docintel.documents.pipeline.parse.ParseStage",
          "extract: extraction.stage.ExtractStage"]
RECORD_KEYS = {"id", "schema", "schema_version", "data", "grounding", "valid", "model", "escalated",
               "text_sha256"}


@pytest.fixture
def pipeline(settings, transactional_db):
    settings.TASKS_IN_PROCESS = True
    settings.PIPELINE_STAGES = STAGES
    settings.STAGE_MAX_RETRIES = 0
    settings.LLM_MAX_RETRIES = 0
    settings.LLM_URL = f"http://127.0.0.1:{free_port()}/v1"
    settings.LLM_MODEL = "qwen3-4b"
    # These tests follow the model server's path: every field is asked (by default the model is not asked
    # for what the rules settle, which is all of this short contract).
    settings.EXTRACTION_ASK_OPEN_FIELDS_ONLY = False
    return settings


def upload_contract():
    document, _ = upload_document([SHORT_CONTRACT.encode()], filename="msa.txt", kind="contract")
    assert wait_idle(120)
    return wait_for_status(document, timeout=120)


def test_model_server_down_fails_the_stage_clearly_and_a_retry_succeeds_once_it_is_back(pipeline):
    document = upload_contract()
    assert document.status == "failed"
    stage = document.stages["extract"]
    assert stage["code"] == "model_server_unavailable" and "127.0.0.1" in stage["reason"]
    assert not Extraction.objects.filter(document=document).exists()

    port = int(pipeline.LLM_URL.rsplit(":", 1)[1].split("/")[0])
    fake = FakeVLLM(port).reply(GOOD).start()
    try:
        assert retry_document(document)
        assert wait_idle(120)
        document = wait_for_status(document, timeout=120)
    finally:
        fake.stop()
    assert document.status == "done", document.stages
    extraction = current_extraction(document)
    assert extraction.valid and extraction.schema_name == "contract" and extraction.schema_version == "1"
    # The model's answer and the deterministic extractors agree: grounded, confident.
    assert extraction.data["governing_law"] == "New York"
    assert extraction.data["expiration_date"] == "2024-03-02"  # found by the rules only
    for pointer, spans in extraction.grounding.items():
        for span in spans:
            assert document.text[span["start"]:span["end"]], pointer
    assert extraction.route["steps"][0]["source"] == "rules"
    assert extraction.route["escalation"]["reasons"] == []
    inference = AuditEvent.objects.filter(action="model.inference", document_id=document.pk)
    assert inference.count() == 1

    # Idempotent: running the stage again keeps the one extraction.
    from extraction.stage import ExtractStage

    ExtractStage().run(document)
    assert document.extractions.count() == 1


def test_corrections_sit_beside_the_model_output_and_are_audited(pipeline):
    port = int(pipeline.LLM_URL.rsplit(":", 1)[1].split("/")[0])
    fake = FakeVLLM(port).reply(GOOD).start()
    try:
        document = upload_contract()
    finally:
        fake.stop()
    extraction = current_extraction(document)
    reviewer = get_user_model().objects.create_user("rita", password="x" * 16)
    correct_field(extraction, "/governing_law", "State of New York", actor=reviewer, note="as written")
    correct_field(extraction, "/agreement_date", actor=reviewer, confirm=True)
    with pytest.raises(InputError) as bad:
        correct_field(extraction, "/agreement_date", "3 March 2021", actor=reviewer)
    assert bad.value.code == "invalid_correction"
    with pytest.raises(InputError):
        correct_field(extraction, "/no_such_field", "x", actor=reviewer)
    extraction.refresh_from_db()
    assert extraction.data["governing_law"] == "New York"  # never overwritten
    record = extraction_record(extraction)
    assert set(record) >= RECORD_KEYS
    assert [(c["pointer"], c["status"], c["corrected_by"]) for c in record["corrections"]] == [
        ("/governing_law", "corrected", "rita"), ("/agreement_date", "confirmed", "rita")]
    events = AuditEvent.objects.filter(action="extraction.corrected", document_id=document.pk)
    assert events.count() == 2 and "New York" not in events.first().details


def test_extract_command_prints_exactly_the_contract_record(capsys, db):
    call_command("extract", "--schema", "contract", "--mode", "rules", "--json",
                 str(FIXTURES / "extraction" / "short_contract.txt"),
                 str(CORPUS / "pdf" / "cuad-3816e40deb.pdf"),
                 "/nonexistent/file.pdf")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == ["short_contract", "cuad-3816e40deb", "file"]
    for record in lines[:2]:
        assert set(record) == RECORD_KEYS | {"clauses", "risks"} and record["valid"]  # §8: contracts
        assert record["schema"] == "contract" and record["model"] == "rules"
    assert lines[0]["data"]["parties"][1] == {"name": "Northwind Health LLC", "role": "Customer"}
    assert lines[0]["grounding"]["/governing_law"] and lines[1]["data"]["governing_law"] == "Pennsylvania"
    assert lines[2]["error"]["code"] == "not_found"


def test_the_model_answer_is_screened_and_ungrounded_values_are_flagged(db, fake_vllm):
    from extraction.backends.openai_http import OpenAIBackend
    from extraction.extractor import extract
    from extraction.schemas import get_schema

    made_up = {**ANSWER, "governing_law": "Services", "effective_date": "1999-01-01",
               "document_type": "Master Agreement for Services",
               "parties": [*ANSWER["parties"], {"name": "Globex Corporation", "role": "Guarantor"}]}
    fake_vllm.reply((200, json.dumps(made_up), "stop"))
    backend = OpenAIBackend(fake_vllm.url, "m", max_prompt_chars=20000, max_retries=0)
    result = extract(SHORT_CONTRACT, get_schema("contract"), mode="model", backend=backend)
    assert result.data["governing_law"] is None  # in the text, but not where a governing law is stated
    assert result.data["effective_date"] is None  # a date the text never states is dropped
    assert result.data["parties"][2]["name"] == "Globex Corporation"  # plausible, kept, but flagged:
    assert "/parties/2/name" in result.ungrounded and "/parties/2/name" not in result.grounding
    assert "/document_type" in result.ungrounded
    assert result.valid


def test_invalid_first_line_output_escalates_with_redacted_text(db, settings, fake_vllm):
    from docintel.redaction.text import redact_text
    from extraction.backends.openai_http import OpenAIBackend
    from extraction.extractor import extract
    from extraction.schemas import get_schema

    escalation = FakeVLLM().reply(GOOD).start()
    settings.ESCALATION_URL, settings.ESCALATION_MODEL = escalation.url, "qwen3-14b"
    settings.ESCALATION_SEES_ORIGINAL = False
    settings.EXTRACTION_ASK_OPEN_FIELDS_ONLY = False  # the rules settle this contract: ask the model anyway
    try:
        fake_vllm.reply((200, "I am a small model and I ramble.", "stop"))
        slm = OpenAIBackend(fake_vllm.url, "slm", max_prompt_chars=20000, max_retries=0)
        result = extract(SHORT_CONTRACT, get_schema("contract"), mode="hybrid", backend=slm,
                         redacted_text=lambda: redact_text(SHORT_CONTRACT).redacted_text)
    finally:
        escalation.stop()
    assert result.escalated and result.route["escalation"] == {
        "reasons": ["invalid_output"], "done": True, "sees": "redacted"}
    sent = escalation.requests[0]["messages"][-1]["content"]
    assert "March 3, 2021" not in sent and "[DATE]" in sent  # the larger model reads redacted text
    assert result.model == "slm+rules+qwen3-14b"
    assert result.data["governing_law"] == "New York" and result.valid
    events = AuditEvent.objects.filter(action="model.inference").order_by("seq")
    escalated = [e.details_dict for e in events if e.details_dict["escalated"]]
    assert escalated and escalated[0]["escalation_reason"] == "invalid_output"
    assert escalated[0]["route"] == "escalation" and escalated[0]["model"] == "qwen3-14b"
