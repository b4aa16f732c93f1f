"""Text extraction from originals (PDF, plain text, Word, TIFF/PNG/JPEG images), with page offsets,
warnings and, for pages read by OCR, word boxes.

``detect_media_type`` tells what a file is. ``parse_file`` reads the text a file carries and names the
pages that have none (``no_text_layer`` with ``"pages"``); ``ocr_file`` reads those pages by OCR and
merges them in (the pipeline's ``ocr`` stage); ``read_document`` does both (the commands). Everything
that opens an attacker's file runs in a sandboxed child process (``sandbox``) under the input limits
in settings. This package knows nothing of documents or Django models: it turns bytes into text.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from .base import ParsedText, ParseError, no_text_layer, pages_needing_ocr
from .media_types import DOCX, IMAGE_MEDIA_TYPES, PDF, TEXT, detect_media_type
from .page_images import count_image_pages
from .pdf import extract_pdf
from .plaintext import parse_text
from .sandbox import Limits, run_isolated
from .word import extract_docx

__all__ = ["ParseError", "ParsedText", "detect_media_type", "ocr_file", "parse_file", "read_document"]

# The share of the time limit pypdf may use before pdfium reads the remaining pages (see extract_pdf).
PYPDF_SHARE_OF_TIMEOUT = 0.5


def _limits() -> Limits:
    return Limits(timeout_s=settings.PARSE_TIMEOUT_S, memory_mb=settings.PARSE_MEMORY_MB)


def parse_file(path: Path, media_type: str) -> ParsedText:
    if media_type == TEXT:
        return parse_text(Path(path).read_bytes(), settings.MAX_TEXT_CHARS)
    limits = _limits()
    if media_type == DOCX:
        return ParsedText(**run_isolated(extract_docx, str(path), settings.MAX_TEXT_CHARS,
                                         settings.DOCX_MAX_UNPACKED_MB, limits=limits))
    if media_type in IMAGE_MEDIA_TYPES:  # all pages are pictures: empty until OCR reads them
        count = run_isolated(count_image_pages, str(path), settings.MAX_IMAGE_PIXELS, settings.MAX_PAGES,
                             limits=limits)["pages"]
        numbers = list(range(1, count + 1))
        return ParsedText("\n\n" * (count - 1), [2 * i for i in range(count)],
                          [no_text_layer(numbers, count)])
    if media_type != PDF:
        raise ParseError("unsupported_type", "only PDF, plain-text, Word and image files can be parsed")
    result = run_isolated(extract_pdf, str(path), settings.PDF_ENGINE, settings.MAX_PAGES,
                          settings.MAX_TEXT_CHARS, limits.timeout_s * PYPDF_SHARE_OF_TIMEOUT, limits=limits)
    return ParsedText(**result)


def ocr_file(path: Path, media_type: str, parsed: ParsedText) -> ParsedText:
    """``parsed`` with its pages that have no text layer read by OCR (unchanged when there are none)."""
    from .scanned import merge_ocr, ocr_pages  # Tesseract loads only where OCR runs

    numbers = pages_needing_ocr(parsed.warnings)
    if not numbers:
        return parsed
    workers = min(settings.OCR_WORKERS, len(numbers))
    timeout = settings.PARSE_TIMEOUT_S + settings.OCR_PAGE_TIMEOUT_S * -(-len(numbers) // workers)
    limits = Limits(timeout_s=timeout, memory_mb=settings.PARSE_MEMORY_MB + 200 * workers,
                    cpu_s=timeout * workers)
    languages = [language for language in settings.OCR_LANGUAGES.split("+") if language]
    result = run_isolated(ocr_pages, str(path), media_type, numbers, languages, workers,
                          settings.MAX_IMAGE_PIXELS, settings.MAX_PAGES, limits=limits)
    return merge_ocr(parsed, result)


def read_document(path: Path, media_type: str) -> ParsedText:
    """Parse, then OCR where a page has no text layer: what the pipeline's parse and ocr stages store."""
    return ocr_file(path, media_type, parse_file(path, media_type))
