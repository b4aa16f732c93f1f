"""Text extraction from originals (PDF, plain text), with page offsets and warnings.

``parse_file`` is the one entry point; it raises ``ParseError`` (an ``InputError``) with a code.
PDFs are parsed in a sandboxed child process (``sandbox``) under the input limits in settings.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import ParsedText, ParseError
from .pdf import ENGINES, extract_pdf
from .plaintext import parse_text
from .sandbox import Limits, run_isolated

__all__ = ["ParseError", "ParsedText", "parse_file"]

# The share of the time limit pypdf may use before pdfium reads the remaining pages (see extract_pdf).
PYPDF_SHARE_OF_TIMEOUT = 0.5


def parse_file(path: Path, media_type: str) -> ParsedText:
    if media_type == "text/plain":
        return parse_text(Path(path).read_bytes(), settings.MAX_TEXT_CHARS)
    if media_type != "application/pdf":
        raise ParseError("unsupported_type", "only PDF and plain-text files can be parsed")
    engine = settings.PDF_ENGINE
    if engine not in ENGINES:
        raise ImproperlyConfigured(f"DOCINTEL_PDF_ENGINE must be one of {', '.join(ENGINES)}, not {engine!r}")
    limits = Limits(timeout_s=settings.PARSE_TIMEOUT_S, memory_mb=settings.PARSE_MEMORY_MB)
    result = run_isolated(extract_pdf, str(path), engine, settings.MAX_PAGES, settings.MAX_TEXT_CHARS,
                          limits.timeout_s * PYPDF_SHARE_OF_TIMEOUT, limits=limits)
    return ParsedText(**result)
