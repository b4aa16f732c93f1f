"""OCR stage: pages without a text layer (scans, faxes, image files) read by Tesseract.

Between ``parse`` and ``classify``, so that everything after it reads one text. Skipped for documents
with no such page. Idempotent: it works from the original and the parse stage's record of which pages
need reading (``no_text_layer`` ``"pages"``), which it replaces; a second run finds none left and
changes nothing. Operators may route its Celery task to a queue of its own (OCR is the slow stage).
"""

from __future__ import annotations

import hashlib

from django.db import transaction

from audit.actions import record_event
from docintel.documents import storage
from docintel.parsing import ParsedText, ocr_file
from docintel.parsing.base import pages_needing_ocr

from .base import Stage


class OcrStage(Stage):
    name = "ocr"

    def applies_to(self, document) -> bool:
        return bool(pages_needing_ocr(document.warnings))

    def run(self, document) -> None:
        parsed = ParsedText(document.text, document.page_offsets, document.warnings, document.layout)
        read = ocr_file(storage.path_for(document.sha256), document.media_type, parsed)
        with transaction.atomic():
            document.text = read.text
            document.page_offsets = read.page_offsets
            document.warnings = read.warnings
            document.layout = read.layout
            document.save(update_fields=["text", "page_offsets", "warnings", "layout", "updated"])
            # Like document.parsed: which pages were read and the text's hash, never the text.
            record_event("document.ocr_read", document=document, purpose="processing", details={
                "pages": [w.get("page") for w in read.warnings if w.get("code") == "ocr"],
                "chars": len(read.text), "text_sha256": hashlib.sha256(read.text.encode()).hexdigest()})
