"""A document's outputs as people and programs receive them (API responses, web pages, downloads).

Each read is audited here: ``document.viewed`` for a page or response, ``document.downloaded`` for a
file. The outputs themselves belong to the redaction and extraction apps; this only fetches them.
"""

from __future__ import annotations

import csv
import io
import json

from audit.actions import record_event
from docintel.errors import DocintelError


class NotReady(DocintelError):
    default_code = "not_ready"
    http_status = 409


class Erased(DocintelError):
    default_code = "erased"
    http_status = 410


def _available(document) -> None:
    if document.is_erased:
        raise Erased("erased", "this document was erased; only its audit trail remains")


def redaction_of(document):
    _available(document)
    from docintel.documents.redaction.models import RedactionResult

    result = RedactionResult.objects.filter(document=document).first()
    if result is None:
        raise NotReady("not_ready", "the redacted text is not ready yet (see the document's stages)")
    return result


def extraction_of(document):
    _available(document)
    from extraction.models import current_extraction

    extraction = current_extraction(document)
    if extraction is None:
        raise NotReady("not_ready", "no extraction yet (see the document's stages)")
    return extraction


def extraction_record(document) -> dict:
    from extraction.export import extraction_record as record

    return record(extraction_of(document), with_corrections=True)


def redacted_pdf(document) -> bytes:
    redaction_of(document)
    from docintel.documents.redaction import redacted_pdf_bytes

    return redacted_pdf_bytes(document)


def flatten(value, pointer: str = ""):
    """Yield (json pointer, leaf value) pairs."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flatten(item, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list) and value and any(isinstance(item, dict | list) for item in value):
        for index, item in enumerate(value):
            yield from flatten(item, f"{pointer}/{index}")
    else:
        yield pointer, value


def extraction_csv(record: dict) -> str:
    """One row per field: the model's value, the reviewer's value when corrected, and grounding."""
    corrections = {c["pointer"]: c for c in record.get("corrections", [])}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["field", "value", "model_value", "review", "grounded", "spans"])
    for pointer, value in flatten(record.get("data") or {}):
        correction = corrections.get(pointer, {})
        final = correction.get("value", value)
        spans = record.get("grounding", {}).get(pointer, [])
        writer.writerow([
            pointer, cell(final), cell(value), correction.get("status", ""), "yes" if spans else "no",
            " ".join(f"{s['start']}-{s['end']}" for s in spans),
        ])
    return out.getvalue()


def cell(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def record_read(document, actor, what: str, *, via: str, download: bool = False) -> None:
    record_event("document.downloaded" if download else "document.viewed", document=document, actor=actor,
                 purpose="document access", details={"what": what, "via": via})
