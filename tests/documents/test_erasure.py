"""GDPR erasure: the document's data and key go, the log keeps the fact, and the chain still verifies."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.actions import read_sensitive, record_event
from audit.models import AuditEvent, DocumentKey
from docintel.documents import storage
from docintel.documents.erasure import erase_document
from docintel.documents.models import Document
from docintel.errors import InputError
from docintel.redaction.models import RedactionResult
from extraction.models import Extraction
from tests.audit.conftest import verify_json

pytestmark = pytest.mark.django_db

CONTENT = b"Discharge summary. Patient: Jane Q. Public, MRN 7654321."


@pytest.fixture
def stored_document(db):
    sha, size, _ = storage.store_chunks([CONTENT])
    document = Document.objects.create(filename="jane_public_discharge.txt", sha256=sha, size=size,
                                       media_type="text/plain", text=CONTENT.decode(), page_offsets=[0])
    record_event("document.uploaded", document=document, details={"sha256": sha})
    record_event("model.inference", document=document, purpose="extraction",
                 details={"model": "smollm2-135m", "output_sha256": "ab" * 32},
                 sensitive={"data": {"patient": "Jane Q. Public", "mrn": "7654321"}})
    return document


def test_erasure_destroys_the_key_and_data_and_the_chain_still_verifies(stored_document, user_with_roles,
                                                                       django_capture_on_commit_callbacks):
    admin = user_with_roles("dpo", "admin")
    inference = AuditEvent.objects.get(action="model.inference", document_id=stored_document.pk)
    assert read_sensitive(inference)["data"]["patient"] == "Jane Q. Public"
    sha = stored_document.sha256

    assert storage.path_for(sha).exists()
    RedactionResult.objects.create(document=stored_document, redacted_text="Patient: [NAME]",
                                   entities=[{"type": "NAME", "start": 28, "end": 42}])
    Extraction.objects.create(document=stored_document, schema_name="clinical_note", schema_version="1",
                              data={"note_type": "discharge"}, model="smollm2-135m", text_sha256="0" * 64)
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the erasure commits
        erased = erase_document(stored_document, actor=admin, reason="GDPR art. 17 request 2026-114")

    assert erased.is_erased and erased.text == "" and erased.page_offsets == []
    assert "jane" not in erased.filename.lower() and erased.sha256 != sha
    assert not storage.path_for(sha).exists()
    assert not RedactionResult.objects.filter(document=erased).exists()
    assert not Extraction.objects.filter(document=erased).exists()
    assert read_sensitive(AuditEvent.objects.get(seq=inference.seq)) is None  # sealed for good
    assert DocumentKey.objects.get(document_id=stored_document.pk).wrapped_key is None
    event = AuditEvent.objects.get(action="document.erased")
    assert event.actor_username == "dpo" and event.details_dict["reason"] == "GDPR art. 17 request 2026-114"
    assert verify_json()["ok"]


def test_events_after_erasure_carry_no_payload_and_no_new_key(stored_document):
    erase_document(stored_document, actor=None, reason="request 7")
    late = record_event("model.inference", document=stored_document, sensitive={"patient": "Jane"})
    assert late.sensitive == "" and late.details_dict["sensitive_withheld"] == "document_erased"
    assert DocumentKey.objects.get(document_id=stored_document.pk).wrapped_key is None


def test_erasure_is_idempotent_and_needs_a_reason(stored_document):
    with pytest.raises(InputError):
        erase_document(stored_document, actor=None, reason="  ")
    erase_document(stored_document, actor=None, reason="request 8")
    erase_document(stored_document, actor=None, reason="request 8")
    assert AuditEvent.objects.filter(action="document.erased").count() == 1


def test_the_erase_document_command(stored_document):
    call_command("erase_document", str(stored_document.pk), "--reason", "request 9")
    stored_document.refresh_from_db()
    assert stored_document.is_erased
    with pytest.raises(CommandError):
        call_command("erase_document", "not-a-uuid", "--reason", "x")


def test_the_admin_action_asks_for_a_reason_then_erases(stored_document, client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="an admin password 42")
    client.force_login(admin)
    changelist = "/admin/documents/document/"
    selected = {"action": "erase_documents", "_selected_action": [str(stored_document.pk)]}
    confirm = client.post(changelist, selected)
    assert confirm.status_code == 200 and b"reason" in confirm.content
    stored_document.refresh_from_db()
    assert not stored_document.is_erased
    done = client.post(changelist, {**selected, "reason": "GDPR request 2026-115"})
    assert done.status_code == 302
    stored_document.refresh_from_db()
    assert stored_document.is_erased
    assert AuditEvent.objects.get(action="document.erased").actor_username == "root"
