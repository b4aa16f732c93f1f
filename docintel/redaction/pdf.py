"""The redacted copy of a document as PDF.

PDFs and images keep each page's look: every page is rendered (pypdfium2) or decoded, the boxes of
every redacted span are painted black on the pixels (character boxes for a text layer, OCR word boxes
for scans: ``docintel.parsing.blackout``), and the pages are written as images only, so nothing under
a box survives: no text, no fonts, no metadata of the original. An invisible text layer (searchable,
selectable) is made from the redacted text only, each redacted span replaced by its type.
Text and Word files have no page look to keep: their copy is typeset from the redacted text.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from django.conf import settings
from fpdf import FPDF

from docintel.documents import storage
from docintel.parsing.blackout import blacked_out_pages
from docintel.parsing.media_types import IMAGE_MEDIA_TYPES, PDF
from docintel.parsing.sandbox import Limits, run_isolated

from .models import redaction_of

PAGE_MEDIA_TYPES = IMAGE_MEDIA_TYPES | {PDF}
RENDER_SECONDS_PER_PAGE = 2  # on top of the parse time limit; a page at 200 dpi takes well under 1 s

# DejaVu (Debian's fonts-dejavu-core) covers most scripts; without it, the built-in Helvetica covers
# Latin-1 only and other characters become "?" (never dropped silently into a blank).
UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def render_text_pdf(text: str, *, title: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("docintel")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    font = next((path for path in UNICODE_FONTS if path.exists()), None)
    if font:
        pdf.add_font("body", fname=str(font))
        pdf.set_font("body", size=10)
    else:
        pdf.set_font("Helvetica", size=10)
        text = text.encode("latin-1", errors="replace").decode("latin-1")
        title = title.encode("latin-1", errors="replace").decode("latin-1")
    text = "".join(ch if ch in "\n" or ch.isprintable() else " " for ch in text.replace("\t", "    "))
    pdf.multi_cell(0, 5, title + "\n\n")
    pdf.multi_cell(0, 5, text)
    return bytes(pdf.output())


def redacted_pdf_bytes(document) -> bytes:
    """The redacted copy of ``document`` as PDF (``NotReady`` until its redact stage has run)."""
    result = redaction_of(document)
    title = f"Redacted copy of document {document.pk}"
    if document.media_type not in PAGE_MEDIA_TYPES:
        return render_text_pdf(result.redacted_text, title=title)
    return render_page_pdf(storage.path_for(document.sha256), document.media_type, document.text,
                           document.page_offsets, document.layout, result.entities, title=title)


def render_page_pdf(path: Path, media_type: str, text: str, page_offsets: list[int], layout: dict,
                    entities: list[dict], *, title: str, text_layer: bool = True) -> bytes:
    """An image-only PDF of the original's pages with ``entities`` (offsets into ``text``) blacked out."""
    spans = [(entity["start"], entity["end"]) for entity in entities]
    limits = Limits(timeout_s=settings.PARSE_TIMEOUT_S + RENDER_SECONDS_PER_PAGE * max(1, len(page_offsets)),
                    memory_mb=settings.PARSE_MEMORY_MB)
    rendered = run_isolated(blacked_out_pages, str(path), media_type, text, page_offsets, layout, spans,
                            settings.MAX_IMAGE_PIXELS, settings.MAX_PAGES, limits=limits)
    page_texts = redacted_page_texts(text, page_offsets, entities) if text_layer else []
    pdf = FPDF(unit="pt")
    pdf.set_title(title)
    pdf.set_creator("docintel")
    pdf.set_auto_page_break(auto=False)
    pdf.set_font("Helvetica", size=6)
    for index, page in enumerate(rendered["pages"]):
        pdf.add_page(format=(page["width"], page["height"]))
        pdf.image(io.BytesIO(base64.b64decode(page["jpeg"])), x=0, y=0, w=page["width"], h=page["height"])
        if index < len(page_texts) and page_texts[index].strip():
            pdf.text_mode = "INVISIBLE"
            pdf.set_xy(0, 0)
            pdf.multi_cell(page["width"], 7, _latin1(page_texts[index]))
            pdf.text_mode = "FILL"
    return bytes(pdf.output())


def redacted_page_texts(text: str, page_offsets: list[int], entities: list[dict]) -> list[str]:
    """Each page's text with every redacted span replaced by ``[TYPE]`` (nothing of the span is kept)."""
    ends = [start - 2 for start in page_offsets[1:]] + [len(text)]
    ordered = sorted(entities, key=lambda entity: entity["start"])
    pages = []
    for start, end in zip(page_offsets, ends, strict=True):
        parts, position = [], start
        for entity in ordered:
            low, high = max(entity["start"], start), min(entity["end"], end)
            if low >= high or low < position:
                position = max(position, high)
                continue
            parts.append(text[position:low])
            parts.append(f"[{entity['type']}]")
            position = high
        parts.append(text[position:max(position, end)])
        pages.append("".join(parts))
    return pages


def _latin1(text: str) -> str:
    """The core font's characters; others become "?" (the layer is for search, the image is the page)."""
    return text.encode("latin-1", errors="replace").decode("latin-1")
