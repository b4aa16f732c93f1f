"""Redaction of PHI/PII (contract §3): Presidio with our own recognizers.

``redact_text(text, mode=...)`` and ``redacted_pdf_bytes(document)`` are the agreed entry points; they
import lazily so that this app package stays importable before Django's apps are ready.
"""


def redact_text(text: str, *, mode: str = "placeholder"):
    from .redact import redact_text as redact

    return redact(text, mode=mode)


def redacted_pdf_bytes(document) -> bytes:
    from .pdf import redacted_pdf_bytes as render

    return render(document)
