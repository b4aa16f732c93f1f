"""Redaction of PHI/PII (contract §3): Presidio with docintel's own recognizers.

``text.redact_text`` redacts a string; ``actions.redact_document`` stores a document's redaction with its
audit event; ``stage.RedactStage`` is the pipeline's stage; ``pdf.redacted_pdf_bytes`` renders the
released PDF.
"""
