"""The document: an uploaded original, its extracted text, and where it stands in the pipeline."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from docintel.errors import Erased


class DocumentKind(models.TextChoices):
    AUTO = "auto", "Detect automatically"
    CONTRACT = "contract", "Contract"
    CLINICAL_NOTE = "clinical_note", "Clinical note"


class StageStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


# A document's overall status stops changing at one of these (until someone retries it).
SETTLED_STATUSES = (StageStatus.DONE, StageStatus.FAILED)


class Document(models.Model):
    """One uploader's document: an original (stored once per content, by sha256) and the state of its
    processing. Two people uploading the same bytes have two documents (``actions.upload_document``).

    ``stages`` maps a stage name to ``{"status", "code", "reason", "started", "finished", "seconds",
    "attempts"}``; ``status`` is the overall status derived from it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    filename = models.CharField(max_length=255)
    kind = models.CharField(max_length=32, choices=DocumentKind.choices, default=DocumentKind.AUTO)
    schema_name = models.CharField(max_length=100, blank=True, help_text="Extraction schema; blank = by kind")
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    media_type = models.CharField(max_length=100)
    pages = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=StageStatus.choices, default=StageStatus.QUEUED)
    stages = models.JSONField(default=dict, blank=True)
    # Parse output: the full text and where each page starts in it (Python string offsets).
    text = models.TextField(blank=True)
    page_offsets = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # Pages read by OCR: word boxes with offsets into ``text`` (docintel.parsing.ParsedText.layout).
    layout = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)
    erased_at = models.DateTimeField(null=True, blank=True, help_text="Set when erased for GDPR")

    class Meta:
        ordering = ["-created"]
        constraints = [
            # The same person uploading the same bytes gets the same document, never a second one.
            models.UniqueConstraint(fields=["uploaded_by", "sha256"],
                                    condition=models.Q(uploaded_by__isnull=False),
                                    name="one_document_per_uploader_and_content"),
        ]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.id})"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def is_settled(self) -> bool:
        return self.status in SETTLED_STATUSES

    def require_content(self) -> None:
        """Raise ``Erased`` when the document's content and outputs are gone (GDPR erasure)."""
        if self.is_erased:
            raise Erased(message="this document was erased; only its audit trail remains")

    def stage(self, name: str) -> dict:
        return self.stages.get(name, {"status": StageStatus.QUEUED})
