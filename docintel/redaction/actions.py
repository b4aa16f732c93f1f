"""Storing a document's redaction: the one place that writes ``RedactionResult`` (with its audit event)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from audit.actions import record_event
from docintel.documents.models import DocumentKind

from .models import RedactionResult
from .recognizers import RECOGNIZER_VERSION
from .text import load_rules, redact_text


def profile_for(document) -> str:
    return profile_for_kind(document.kind)


def profile_for_kind(kind: str) -> str:
    """Contracts keep company names and defined terms readable; clinical notes get the high-recall
    clinical profile; anything else the deployment's choice (``DOCINTEL_REDACTION_PROFILE``)."""
    if kind == DocumentKind.CONTRACT:
        return "contract"
    if kind == DocumentKind.CLINICAL_NOTE:
        return "clinical"
    return settings.REDACTION_PROFILE


def redact_document(document, *, mode: str | None = None) -> RedactionResult:
    """Redact ``document.text`` and store (or replace) its result; running twice gives the same row."""
    mode = mode or settings.REDACTION_MODE
    profile = profile_for(document)
    redaction = redact_text(document.text or "", mode=mode, rules=load_rules(profile))
    with transaction.atomic():
        result, _ = RedactionResult.objects.update_or_create(
            document=document,
            defaults={
                "redacted_text": redaction.redacted_text,
                "entities": redaction.entity_dicts(),
                "mode": mode,
                "recognizer_version": RECOGNIZER_VERSION,
            },
        )
        # Counts per type only: the entities' text is PHI and stays out of the audit details.
        record_event(
            "document.redacted",
            document=document,
            details={
                "counts": redaction.counts(),
                "entities": len(redaction.entities),
                "mode": mode,
                "profile": profile,
                "recognizer_version": RECOGNIZER_VERSION,
            },
        )
    return result
