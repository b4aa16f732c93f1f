"""Parse stage: the original's text, page offsets and warnings onto the document, recorded as
``document.parsed`` (counts and the text's hash, never the text) in the same transaction. Pages without
a text layer stay empty, named in the ``no_text_layer`` warning, for the ``ocr`` stage."""

from __future__ import annotations

import hashlib

from django.db import transaction

from audit.actions import record_event
from docintel.documents import storage
from docintel.parsing import parse_file

from .base import Stage


class ParseStage(Stage):
    name = "parse"

    def run(self, document) -> None:
        parsed = parse_file(storage.path_for(document.sha256), document.media_type)
        with transaction.atomic():
            document.text = parsed.text
            document.page_offsets = parsed.page_offsets
            document.pages = parsed.pages
            document.warnings = parsed.warnings
            document.layout = parsed.layout
            document.save(update_fields=["text", "page_offsets", "pages", "warnings", "layout", "updated"])
            record_event("document.parsed", document=document, purpose="processing", details={
                "pages": parsed.pages, "chars": len(parsed.text),
                "text_sha256": hashlib.sha256(parsed.text.encode()).hexdigest(),
                "warnings": sorted({warning["code"] for warning in parsed.warnings})})
