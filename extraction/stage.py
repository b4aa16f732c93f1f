"""Extract stage: schema-guided, grounded extraction of the document's text (the ``extraction`` app).

The schema is the document's ``schema_name``, else the built-in schema of its kind. Running twice gives
one extraction: a current extraction of the same text and schema is kept. A model server that is down
raises ``ServiceUnavailable``, so the stage is retried with backoff and fails with that reason.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist

from docintel.documents.pipeline.base import Stage
from docintel.errors import InputError

from .actions import store_extraction
from .extractor import extract
from .inference import sha256_text
from .models import current_extraction
from .schemas import get_schema


class ExtractStage(Stage):
    name = "extract"

    def run(self, document) -> None:
        schema_name = document.schema_name or document.kind
        if schema_name in ("", "auto"):
            raise InputError("no_schema", "the document has no kind or schema to extract")
        schema = get_schema(schema_name)
        current = current_extraction(document)
        if (current is not None and current.text_sha256 == sha256_text(document.text)
                and (current.schema_name, current.schema_version) == (schema.name, schema.version)):
            return
        result = extract(document.text, schema, page_offsets=document.page_offsets,
                         redacted_text=_redacted_text(document), phi_entities=lambda: _entities(document),
                         document=document)
        store_extraction(document, result)


def _redacted_text(document) -> str | None:
    """The redact stage's output, when there is one (models that may not read the original need it)."""
    try:
        return document.redaction.redacted_text
    except (ObjectDoesNotExist, AttributeError):
        return None


def _entities(document) -> list[dict] | None:
    """Where the redact stage found identifiers (None when it has not run)."""
    try:
        return document.redaction.entities
    except (ObjectDoesNotExist, AttributeError):
        return None
