"""Classify stage: decide whether an ``auto`` document is a contract or a clinical note.

Rules first: the vocabulary of the two kinds barely overlaps, so counting signal words is reliable and
costs nothing; a tie falls back to ``contract``, the kind whose schema holds no PHI-specific fields.
"""

from __future__ import annotations

import re

from django.db import transaction

from audit.actions import record_event
from docintel.documents.models import DocumentKind

from .base import Stage

CLINICAL_WORDS = re.compile(
    r"\b(patient|diagnos\w*|medications?|allerg\w*|mg|blood pressure|bp|hpi|assessment|plan|"
    r"history of present illness|chief complaint|discharge|admission|mrn|physical exam|vitals?|"
    r"prescribed|dose|icd-?10|labs?|follow[- ]up|clinic|pt)\b",
    re.IGNORECASE,
)
CONTRACT_WORDS = re.compile(
    r"\b(agreement|party|parties|hereby|hereinafter|whereas|governing law|terminat\w*|indemnif\w*|"
    r"licensee|licensor|confidential\w*|warrant\w*|liabilit\w*|shall|effective date|in witness whereof)\b",
    re.IGNORECASE,
)


def classify_text(text: str) -> str:
    sample = text[:20000]
    clinical = len(CLINICAL_WORDS.findall(sample))
    contract = len(CONTRACT_WORDS.findall(sample))
    return DocumentKind.CLINICAL_NOTE if clinical > contract else DocumentKind.CONTRACT


class ClassifyStage(Stage):
    name = "classify"

    def run(self, document) -> None:
        if document.kind == DocumentKind.AUTO:
            with transaction.atomic():
                document.kind = classify_text(document.text)
                document.save(update_fields=["kind", "updated"])
                record_event("document.classified", document=document, purpose="processing",
                             details={"kind": document.kind, "by": "rules"})
