"""GDPR erasure (right to be forgotten) of one document, by crypto-shredding plus deletion.

What goes: the original file, the text and page offsets, the filename, the content hash on the
document row, every output derived from the text (redaction, extractions and their corrections), and
the document's data key, which makes every encrypted payload of this document in the audit log
unreadable for good. What stays: the document row as a tombstone (id, kind, size, dates) and the audit
log itself, whose chain still verifies: erasure changes no event; it appends ``document.erased``.
"""

from __future__ import annotations

import hashlib

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from audit.actions import record_event
from audit.keys import destroy_document_key
from docintel.errors import InputError

from . import storage
from .models import Document

# Outputs derived from a document's text, by (app label, model name): looked up by name, because those
# apps sit above documents and import it, never the other way round.
DERIVED_OUTPUTS = (("redaction", "RedactionResult"), ("extraction", "Extraction"))
ERASED_FILENAME = "[erased]"


def _delete_derived(document: Document) -> dict[str, int]:
    deleted = {}
    for app_label, model_name in DERIVED_OUTPUTS:
        model = apps.get_model(app_label, model_name)
        count, _ = model.objects.filter(document_id=document.pk).delete()
        deleted[f"{app_label}.{model_name}"] = count
    return deleted


def _delete_original_unless_held(sha256: str) -> None:
    if not Document.objects.filter(sha256=sha256).exists():
        storage.delete(sha256)


def erase_document(document: Document, *, actor, reason: str) -> Document:
    """Erase ``document``; idempotent (erasing twice records nothing new). ``reason`` is kept in clear
    in the audit log: name the request (e.g. "GDPR art. 17 request 2026-114"), never the person."""
    reason = (reason or "").strip()
    if not reason:
        raise InputError("reason_required", "say why the document is erased (e.g. the request's reference)")
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.is_erased:
            return document
        original_sha256 = document.sha256
        derived = _delete_derived(document)
        # Recorded before the key goes: the event takes the log's append lock, under which data keys
        # are made, so no new key can appear for this document once it is destroyed.
        record_event("document.erased", document=document, actor=actor, purpose="gdpr_erasure",
                     details={"reason": reason[:500], "deleted_outputs": derived, "original_deleted": True})
        destroy_document_key(str(document.pk))
        document.text = ""
        document.page_offsets = []
        document.layout = {}
        document.filename = ERASED_FILENAME
        # The row's content hash goes too (the upload event keeps it); the same file uploaded again is
        # a new document.
        document.sha256 = hashlib.sha256(f"erased:{document.pk}".encode()).hexdigest()
        document.erased_at = timezone.now()
        document.save(update_fields=["text", "page_offsets", "layout", "filename", "sha256", "erased_at",
                                     "updated"])
        # The file goes once the erasure is committed (a rollback must not lose the original), and only
        # when no other document holds the same bytes: another uploader's document is theirs to keep.
        transaction.on_commit(lambda: _delete_original_unless_held(original_sha256))
    return document
