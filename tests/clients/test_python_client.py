"""The whole journey of an integrator through a Python client that openapi-python-client generates from
``manage.py spectacular`` at test time, against a live server and the real pipeline. Every call goes
through the generated code and every answer is parsed by it: no request in this file is hand-written.
"""

from __future__ import annotations

import importlib
import json
import time
import uuid

import pytest

from tests.conftest import FIXTURES

from .conftest import WEBHOOK_SECRET, verify_webhook_from_docs

pytestmark = [pytest.mark.llm, pytest.mark.timeout(1500)]

SAMPLE_NOTE = FIXTURES / "samples" / "synthetic-discharge-note.txt"
PROCESSING_S = 1200


def operation(client_package, tag: str, name: str):
    return importlib.import_module(f"{client_package.__name__}.api.{tag}.{name}")


def test_python_client_journey(python_client, live_server, tokens, processing, webhook_receiver):
    package = python_client
    models = importlib.import_module(f"{package.__name__}.models")
    types = importlib.import_module(f"{package.__name__}.types")
    documents = lambda name: operation(package, "documents", name)  # noqa: E731
    audit = lambda name: operation(package, "audit", name)  # noqa: E731

    def as_role(role: str):
        return package.AuthenticatedClient(base_url=live_server.url, token=tokens[role], prefix="Token",
                                           raise_on_unexpected_status=True)

    clerk, reviewer, compliance = as_role("clerk"), as_role("reviewer"), as_role("compliance")

    # Upload with an idempotency key and a webhook; the same request again returns the same document.
    def upload():
        with SAMPLE_NOTE.open("rb") as handle:
            body = models.DocumentUploadRequest(
                file=types.File(payload=handle, file_name=SAMPLE_NOTE.name, mime_type="text/plain"),
                kind=models.KindEnum.CLINICAL_NOTE, webhook_url=webhook_receiver.url)
            return documents("documents_create").sync_detailed(
                client=clerk, body=body, idempotency_key="python-journey-1")

    first = upload()
    assert first.status_code == 202 and isinstance(first.parsed, models.UploadAccepted), first.content
    again = upload()
    assert isinstance(again.parsed, models.UploadAccepted)
    assert again.parsed.id == first.parsed.id and again.parsed.created is False
    document_id = first.parsed.id

    # Wait by polling with If-None-Match (304 while nothing changed) ...
    etag = None
    deadline = time.monotonic() + PROCESSING_S
    while True:
        response = documents("documents_retrieve").sync_detailed(document_id, client=clerk,
                                                                 if_none_match=etag or types.UNSET)
        if response.status_code == 304:
            assert response.parsed is None
        else:
            assert response.status_code == 200 and isinstance(response.parsed, models.Document)
            etag = response.headers["etag"]
            if response.parsed.status.value in ("done", "failed"):
                break
        assert time.monotonic() < deadline, "the document did not settle"
        time.sleep(1)
    detail = response.parsed
    assert detail.status.value == "done", detail.to_dict()["stages"]
    # A document that settles between two polls changes at every poll, so the polls may see no 304: the
    # settled document asked for again with its ETag must.
    assert documents("documents_retrieve").sync_detailed(
        document_id, client=clerk, if_none_match=etag).status_code == 304

    # ... and by the webhook, signed as docs/API.md says and verified with its snippet.
    delivered = webhook_receiver.wait_for(1, timeout=60)[0]
    verify = verify_webhook_from_docs()
    assert verify(WEBHOOK_SECRET.encode(), delivered["headers"]["X-Docintel-Webhook-Signature"],
                  delivered["body"])
    assert not verify(b"another secret", delivered["headers"]["X-Docintel-Webhook-Signature"],
                      delivered["body"])
    assert json.loads(delivered["body"])["id"] == str(document_id)
    for _ in range(50):  # the attempt is recorded once the receiver's answer is back
        hooks = documents("documents_webhooks_list").sync(document_id, client=clerk)
        if hooks[0].state.value != "pending":
            break
        time.sleep(0.2)
    assert [hook.state.value for hook in hooks] == ["delivered"]
    assert hooks[0].attempts[0].status_code == 204

    # The list, the extraction and the redacted text, each a named component of the schema.
    listed = documents("documents_list").sync(client=clerk)
    assert isinstance(listed, models.PaginatedDocumentList) and listed.count == 1
    assert listed.results[0].id == document_id
    extraction = documents("documents_extraction_retrieve").sync(document_id, client=clerk)
    assert isinstance(extraction, models.Extraction)
    assert extraction.schema == "clinical_note" and extraction.schema_version
    assert extraction.model and extraction.review.state.value == "unreviewed"
    redacted = documents("documents_redacted_retrieve").sync(document_id, client=clerk)
    assert isinstance(redacted, models.RedactedText)
    assert "HARGROVE" not in redacted.redacted_text
    assert all(isinstance(entity, models.Entity) for entity in redacted.entities)

    # A reviewer corrects a field; the extraction shows it beside the model's value.
    pointer = next(p for p, spans in extraction.grounding.additional_properties.items())
    correction = documents("documents_corrections_create").sync(
        document_id, client=reviewer,
        body=models.NewCorrectionRequest(pointer=pointer, value="corrected through the API",
                                         decision=models.DecisionEnum.CORRECT))
    assert isinstance(correction, models.Correction) and correction.status.value == "corrected"
    corrected = documents("documents_extraction_retrieve").sync(document_id, client=reviewer)
    assert [c.pointer for c in corrected.corrections] == [pointer]
    assert corrected.review.state.value != "unreviewed"

    # Compliance reads the audit trail: events of this document, chain status, an export.
    # One query per action: every poll above is a read of the document, and so an event of its own.
    for action in ("document.uploaded", "document.viewed", "extraction.corrected"):
        events = audit("audit_events_list").sync(client=compliance, document=document_id, action=action,
                                                 page_size=1)
        assert isinstance(events, models.PaginatedAuditEventList)
        assert [event.action for event in events.results] == [action]
        assert all(isinstance(event, models.AuditEvent) for event in events.results)
    status = audit("audit_status_retrieve").sync(client=compliance)
    assert isinstance(status, models.AuditLogStatus) and status.ok
    export = audit("audit_export_retrieve").sync_detailed(
        client=compliance, format_=models.AuditExportRetrieveFormat.JSONL)
    assert export.status_code == 200 and isinstance(export.parsed, types.File)
    lines = [json.loads(line) for line in export.parsed.payload.read().splitlines()]
    assert lines and {"seq", "action", "hash"} <= set(lines[0])

    # A documented 404, parsed into the error envelope.
    missing = documents("documents_retrieve").sync_detailed(uuid.uuid4(), client=clerk)
    assert missing.status_code == 404 and isinstance(missing.parsed, models.Error)
    assert missing.parsed.error.code == "not_found"
