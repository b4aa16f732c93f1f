"""Text extraction from originals (PDF, plain text), with page offsets and warnings.

``detect_media_type`` tells what a file is; ``parse_file`` is the one entry point that reads it and
raises ``ParseError`` (an ``InputError``) with a code. PDFs are parsed in a sandboxed child process
(``sandbox``) under the input limits in settings. This package knows nothing of documents or Django
models: it turns bytes into text.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from .base import ParsedText, ParseError
from .media_types import PDF, TEXT, detect_media_type
from .pdf import extract_pdf
from .plaintext import parse_text
from .sandbox import Limits, run_isolated

__all__ = ["ParseError", "ParsedText", "detect_media_type", "parse_file"]

# The share of the time limit pypdf may use before pdfium reads the remaining pages (see extract_pdf).
PYPDF_SHARE_OF_TIMEOUT = 0.5


def parse_file(path: Path, media_type: str) -> ParsedText:
    if media_type == TEXT:
        return parse_text(Path(path).read_bytes(), settings.MAX_TEXT_CHARS)
    if media_type != PDF:
        raise ParseError("unsupported_type", "only PDF and plain-text files can be parsed")
    limits = Limits(timeout_s=settings.PARSE_TIMEOUT_S, memory_mb=settings.PARSE_MEMORY_MB)
    result = run_isolated(extract_pdf, str(path), settings.PDF_ENGINE, settings.MAX_PAGES,
                          settings.MAX_TEXT_CHARS, limits.timeout_s * PYPDF_SHARE_OF_TIMEOUT, limits=limits)
    return ParsedText(**result)
