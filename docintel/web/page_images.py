"""Page images on the document page: each page as it will be released (redacted spans blacked out),
with the grounding of extracted fields drawn over it, next to the text view.

The images and boxes come from the original in the sandboxed child (``docintel.parsing.blackout`` and
``geometry``), like every read of an uploaded file. Boxes are fractions of the page, drawn as SVG
rectangles (attributes, no inline style or script: the CSP allows neither) with the same ``mark
grounding`` class and ``data-fields`` as the text view's marks, so document.js highlights both.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.urls import reverse

from docintel.documents import storage
from docintel.parsing.blackout import blacked_out_pages
from docintel.parsing.geometry import boxes_by_key
from docintel.parsing.sandbox import Limits, run_isolated
from docintel.redaction.pdf import PAGE_MEDIA_TYPES

REVIEW_DPI = 100
MAX_PAGES_SHOWN = 50
GROUNDING_ALT = "; highlighted areas are sources of extracted fields"


def _limits(pages: int = 1) -> Limits:
    return Limits(timeout_s=settings.PARSE_TIMEOUT_S + 2 * pages, memory_mb=settings.PARSE_MEMORY_MB)


def page_views(document, redaction, fields: list[dict]) -> list[dict]:
    """Per page: its image URL, alt text and the grounding rectangles (percent of the page)."""
    if document.media_type not in PAGE_MEDIA_TYPES or redaction is None or not document.pages:
        return []
    count = min(document.pages, MAX_PAGES_SHOWN)
    keyed = {field["id"]: [(span["start"], span["end"]) for span in field["spans"]] for field in fields
             if field["spans"]}
    boxes = run_isolated(boxes_by_key, str(storage.path_for(document.sha256)), document.media_type,
                         document.text, document.page_offsets, document.layout, keyed,
                         limits=_limits(count)) if keyed else {}
    pages = []
    for number in range(1, count + 1):
        rectangles = [{"field": key, "x": round(x0 * 100, 3), "y": round(y0 * 100, 3),
                       "width": round((x1 - x0) * 100, 3), "height": round((y1 - y0) * 100, 3)}
                      for key, by_page in boxes.items() for x0, y0, x1, y1 in by_page.get(str(number), [])]
        pages.append({"number": number, "rectangles": rectangles,
                      "url": reverse("document-page-image", args=[document.pk, number]),
                      "alt": f"Page {number} of {document.pages} as it will be released: redacted text is "
                             f"blacked out{GROUNDING_ALT if rectangles else ''}."})
    return pages


def page_jpeg(document, redaction, number: int) -> bytes:
    """Page ``number`` with the redacted spans blacked out, as JPEG."""
    spans = [(entity["start"], entity["end"]) for entity in redaction.entities]
    rendered = run_isolated(blacked_out_pages, str(storage.path_for(document.sha256)), document.media_type,
                            document.text, document.page_offsets, document.layout, spans,
                            settings.MAX_IMAGE_PIXELS, settings.MAX_PAGES, REVIEW_DPI, number,
                            limits=_limits())
    return base64.b64decode(rendered["pages"][0]["jpeg"])
