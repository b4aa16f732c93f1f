"""Redact stage: PHI/PII out of the parsed text (clinical notes: HIPAA Safe Harbor identifiers;
contracts: GDPR personal data such as names, e-mails, addresses and IBANs of natural persons)."""

from .base import Stage


class RedactStage(Stage):
    name = "redact"

    def applies_to(self, document) -> bool:
        return not document.is_erased

    def run(self, document) -> None:
        from docintel.documents.redaction.actions import redact_document

        redact_document(document)
