"""What redaction stores (one result per document) and the deployment's rules an admin can edit."""

from __future__ import annotations

import regex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from docintel.documents.models import Document
from docintel.errors import NotReady

from .entities import ENTITY_TYPES, count_types
from .recognizers import Recognizer

ENTITY_CHOICES = [(name, name) for name in ENTITY_TYPES]


class RedactionResult(models.Model):
    """The redacted text of a document and where each entity was (offsets into ``document.text``)."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="redaction")
    redacted_text = models.TextField()
    entities = models.JSONField(default=list, help_text='[{"type","start","end","score","recognizer"}]')
    mode = models.CharField(max_length=16, default="placeholder")
    recognizer_version = models.CharField(max_length=32, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"redaction of {self.document_id}"

    def counts(self) -> dict[str, int]:
        return count_types(entity["type"] for entity in self.entities)


def redaction_of(document: Document) -> RedactionResult:
    """The document's redaction; ``Erased`` or ``NotReady`` (its redact stage has not run) otherwise."""
    document.require_content()
    result = RedactionResult.objects.filter(document=document).first()
    if result is None:
        raise NotReady(message="the redacted text is not ready yet (see the document's stages)")
    return result


class RedactionPolicy(models.Model):
    """Overrides REDACTION_THRESHOLD for this deployment (the newest row applies)."""

    score_threshold = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Spans scored below this are kept; blank = the setting",
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "redaction policy"

    def __str__(self) -> str:
        return f"threshold {self.score_threshold}"


class AllowListEntry(models.Model):
    """A word or phrase never redacted here (a clinic's own name, a drug brand that looks like a name)."""

    term = models.CharField(max_length=200, unique=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "allow list"

    def __str__(self) -> str:
        return self.term


class DenyListEntry(models.Model):
    """A word or phrase always redacted (whole word, any case), under the given type."""

    term = models.CharField(max_length=200, unique=True)
    entity_type = models.CharField(max_length=32, choices=ENTITY_CHOICES, default="OTHER_ID")

    class Meta:
        verbose_name_plural = "deny list"

    def __str__(self) -> str:
        return self.term


class CustomRecognizer(models.Model):
    """A pattern recognizer added without code: a regex (case-insensitive) and words that raise its score."""

    name = models.CharField(max_length=100, unique=True, help_text="Reported as the span's recognizer")
    entity_type = models.CharField(max_length=32, choices=ENTITY_CHOICES)
    regex = models.CharField(max_length=500, help_text="A named group (?P<phi>...) limits the span to it")
    score = models.FloatField(default=0.6, validators=[MinValueValidator(0), MaxValueValidator(1)])
    context_words = models.CharField(max_length=500, blank=True, help_text="Comma-separated; +0.4 when near")
    enabled = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            regex.compile(self.regex)
        except regex.error as error:
            raise ValidationError({"regex": f"not a valid regular expression: {error}"}) from None

    def recognizer(self):
        attributes = {
            "entity": self.entity_type,
            "patterns": ((self.regex, self.score),),
            "context_words": tuple(w.strip() for w in self.context_words.split(",") if w.strip()),
        }
        return type("AdminPatternRecognizer", (Recognizer,), attributes)(name=self.name)
