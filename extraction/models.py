"""What extraction stores: custom schemas, extractions (model output as produced) and reviewers'
corrections (beside the output, never over it)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from docintel.errors import NotReady

from .json_schema import check_schema, schema_sha256


class SchemaVersion(models.Model):
    """One version of a custom extraction schema. Immutable once an extraction used it: a change is a
    new version, so every stored extraction still names the exact schema it was validated against."""

    name = models.SlugField(max_length=100)
    version = models.PositiveIntegerField()
    schema = models.JSONField(help_text="A JSON Schema (draft 2020-12) describing one JSON object")
    sha256 = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="unique_schema_version")]
        ordering = ["name", "-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = SchemaVersion.objects.filter(pk=self.pk).values_list("sha256", flat=True).first()
            if stored and stored != schema_sha256(self.schema) and self.in_use:
                raise ValidationError(f"schema {self} is used by extractions: register a new version instead")
        self.sha256 = schema_sha256(self.schema)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        check_schema(self.name, self.schema)

    @property
    def in_use(self) -> bool:
        return self.pk is not None and self.extractions.exists()


class Extraction(models.Model):
    """One run of extraction on a document. The newest per document is the current one."""

    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE, related_name="extractions")
    schema_name = models.CharField(max_length=100)
    schema_version = models.CharField(max_length=20)
    custom_schema = models.ForeignKey(SchemaVersion, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="extractions")
    data = models.JSONField(default=dict)
    grounding = models.JSONField(default=dict, help_text="JSON pointer -> [{start, end}] into document.text")
    ungrounded = models.JSONField(default=list, help_text="JSON pointers whose value is not in the text")
    confidence = models.JSONField(default=dict, help_text="JSON pointer -> 0..1")
    valid = models.BooleanField(default=False)
    model = models.CharField(max_length=200)
    escalated = models.BooleanField(default=False)
    route = models.JSONField(default=dict, help_text="chunks, backends, escalation decision and reason")
    clauses = models.JSONField(default=dict, blank=True,
                               help_text="contracts: CUAD category -> {present, evidence, value, confidence}")
    risks = models.JSONField(default=list, blank=True, help_text="contracts: raised risk flags with evidence")
    text_sha256 = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.schema_name} v{self.schema_version} of {self.document_id}"


def current_extraction(document) -> Extraction | None:
    return document.extractions.order_by("-created", "-pk").first()


def extraction_of(document) -> Extraction:
    """The document's current extraction; ``Erased`` or ``NotReady`` (not extracted yet) otherwise."""
    document.require_content()
    extraction = current_extraction(document)
    if extraction is None:
        raise NotReady(message="no extraction yet (see the document's stages)")
    return extraction


class CorrectionStatus(models.TextChoices):
    CONFIRMED = "confirmed"
    CORRECTED = "corrected"


class Correction(models.Model):
    """A reviewer's verdict on one field of an extraction; the model's output stays as it was."""

    extraction = models.ForeignKey(Extraction, on_delete=models.CASCADE, related_name="corrections")
    pointer = models.CharField(max_length=300, help_text="JSON pointer into the extraction's data")
    value = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=CorrectionStatus.choices)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="extraction_corrections")
    note = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.status} {self.pointer}"
