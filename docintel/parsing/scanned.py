"""Pages without a usable text layer, read by OCR: which pages, the sandboxed run, and the merge.

Parsing leaves such a page empty and names it in its ``no_text_layer`` warning (``"pages": [...]``);
``ocr_pages`` then reads exactly those pages (an image file's pages are all such pages) in the
sandboxed child, in parallel threads, and ``merge_ocr`` puts their text into the document: the same
page offsets, normalised text and warnings as any parse, so redaction, extraction and grounding work
unchanged. Word boxes go into ``ParsedText.layout`` with offsets into the whole text.

Warnings (contract §8): each page read by OCR gets ``{"code": "ocr", "message", "page",
"confidence"}``; when no engine is installed, one ``ocr_unavailable`` and the pages stay empty.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pypdfium2

from .base import ParsedText, ParseError, no_text_layer, pages_needing_ocr, warning
from .media_types import IMAGE_MEDIA_TYPES, PDF
from .normalize import PAGE_SEPARATOR, assemble
from .ocr import OcrPage, OcrUnavailable, TesseractEngine, read_pages
from .page_images import image_pages, pdf_page_for_ocr


def ocr_pages(path: str, media_type: str, numbers: list[int], languages: list[str], workers: int,
              max_pixels: int, max_pages: int) -> dict:
    """OCR of pages ``numbers`` of the file, run inside the sandboxed child; a dict for the pipe:
    ``{"pages": {"<n>": OcrPage.as_dict()}}``, or ``{"unavailable": "<sentence>"}``."""
    try:
        engine = TesseractEngine(languages)
    except OcrUnavailable as error:
        return {"unavailable": str(error)}
    wanted = set(numbers)
    data = Path(path).read_bytes()
    placements: dict[int, tuple[float, float, float, float]] = {}
    order: list[int] = []

    def images():
        for number, page in _page_images(data, media_type, wanted, max_pixels, max_pages):
            placements[number] = page.placement
            order.append(number)
            yield page.image, page.dpi

    results = read_pages(engine, images(), workers)
    pages = {str(number): result.placed(*placements[number]).as_dict()
             for number, result in zip(order, results, strict=True)}
    return {"pages": pages}


def _page_images(data: bytes, media_type: str, wanted: set[int], max_pixels: int, max_pages: int):
    if media_type in IMAGE_MEDIA_TYPES:
        for number, page in enumerate(image_pages(data, max_pixels=max_pixels, max_pages=max_pages), start=1):
            if number in wanted:
                yield number, page
        return
    if media_type != PDF:
        raise ParseError("unsupported_type", "only PDF and image files have pages to read by OCR")
    try:
        document = pypdfium2.PdfDocument(data, password="")
    except pypdfium2.PdfiumError:  # pypdf recovered its text but pdfium cannot render it: nothing to read
        return
    try:
        for number in sorted(wanted):
            if number <= len(document) and _has_pictures(document, number - 1):
                yield number, pdf_page_for_ocr(document, number - 1)
    finally:
        document.close()


def _has_pictures(document: pypdfium2.PdfDocument, index: int) -> bool:
    """Only a page holding a picture can be a scan; a thin text page without one keeps its text."""
    page = document[index]
    try:
        return any(True for _ in page.get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE], max_depth=3))
    finally:
        page.close()


def split_pages(parsed: ParsedText) -> list[str]:
    """The text of each page (the inverse of ``normalize.assemble``)."""
    starts = parsed.page_offsets
    ends = [start - len(PAGE_SEPARATOR) for start in starts[1:]] + [len(parsed.text)]
    return [parsed.text[start:max(start, end)] for start, end in zip(starts, ends, strict=True)]


def merge_ocr(parsed: ParsedText, result: dict) -> ParsedText:
    """``parsed`` with the OCR'd pages' text, word boxes and warnings in; the other pages unchanged."""
    if "unavailable" in result:
        note = warning("ocr_unavailable", f"{result['unavailable']}: pages without a text layer stay empty")
        kept = [item for item in parsed.warnings if item.get("code") != "ocr_unavailable"]
        return replace(parsed, warnings=[*kept, note])
    read = {int(number): OcrPage(**page) for number, page in result.get("pages", {}).items()}
    texts = split_pages(parsed)
    for number, page in read.items():
        texts[number - 1] = page.text
    text, offsets = assemble(texts)
    layout_pages = {}
    for key, page in parsed.layout.get("pages", {}).items():  # read before: its words move with its page
        shift = offsets[int(key) - 1] - parsed.page_offsets[int(key) - 1]
        layout_pages[key] = {**page,
                             "words": [[s + shift, e + shift, *rest] for s, e, *rest in page["words"]]}
    for number, page in read.items():
        start = offsets[number - 1]
        layout_pages[str(number)] = {
            "confidence": page.confidence, "quarter_turns": page.quarter_turns, "skew": page.skew,
            "words": [[start + s, start + e, *rest] for s, e, *rest in page.words]}
    still_empty = [n for n in pages_needing_ocr(parsed.warnings) if not texts[n - 1].strip()]
    warnings = [item for item in parsed.warnings if item.get("code") != "no_text_layer"]
    if still_empty:
        warnings.append(no_text_layer(still_empty, len(texts)))
    for number in sorted(read):
        page = read[number]
        warnings.append({**warning("ocr", f"page {number} was read by OCR (mean word confidence "
                                   f"{page.confidence:.2f}); check names and numbers against the image"),
                         "page": number, "confidence": page.confidence})
    layout = {"ocr_pages": sorted({*parsed.layout.get("ocr_pages", []), *read}), "pages": layout_pages}
    return ParsedText(text, offsets, warnings, layout)
