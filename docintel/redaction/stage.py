"""Redact stage: PHI/PII out of the parsed text (clinical notes: HIPAA Safe Harbor identifiers;
contracts: GDPR personal data such as names, e-mails, addresses and IBANs of natural persons)."""

from docintel.documents.pipeline.base import Stage

from .actions import redact_document


class RedactStage(Stage):
    name = "redact"

    def applies_to(self, document) -> bool:
        return not document.is_erased

    def run(self, document) -> None:
        redact_document(document)
