"""Extractions as records in the contract's ``extract`` output format (§4).

``grounding`` maps the JSON pointer of every non-empty value to its spans in the document text; a value
the text does not support maps to ``[]`` (and is listed in ``ungrounded``): reported, never presented
as grounded.
"""

from __future__ import annotations

import csv
import io
import json

from docintel.csv_safety import neutral_row

from . import pointers
from .grounding import leaves
from .models import Extraction
from .schemas import get_schema


def _grounding(data: dict, schema: dict, grounding: dict, ungrounded: list[str]) -> dict:
    spans = {pointer: list(grounding.get(pointer, [])) for pointer, _, _ in leaves(data, schema)}
    spans.update({pointer: [] for pointer in ungrounded})
    return dict(sorted(spans.items()))


def result_record(record_id: str, result) -> dict:
    """The §4 record of an ``ExtractionResult`` (what ``manage.py extract`` prints)."""
    return {
        "id": record_id, "schema": result.schema.name, "schema_version": result.schema.version,
        "data": result.data,
        "grounding": _grounding(result.data, result.schema.schema, result.grounding, result.ungrounded),
        "valid": result.valid, "model": result.model, "escalated": result.escalated,
        "text_sha256": result.text_sha256, **_review(result.clauses, result.risks),
    }


def _review(clauses: dict, risks: list) -> dict:
    """The clause review (§8) and its risk flags, for contracts (other schemas have none)."""
    return {"clauses": clauses, "risks": risks} if clauses else {}


def extraction_record(extraction: Extraction, with_corrections: bool = True) -> dict:
    """The §4 record of a stored extraction (API, web), plus ``ungrounded``, ``confidence`` and, with
    ``with_corrections``, the reviewers' ``corrections`` (the model's ``data`` is never changed)."""
    schema = get_schema(extraction.schema_name, extraction.schema_version)
    record = {
        "id": str(extraction.document_id), "schema": extraction.schema_name,
        "schema_version": extraction.schema_version, "data": extraction.data,
        "grounding": _grounding(extraction.data, schema.schema, extraction.grounding, extraction.ungrounded),
        "valid": extraction.valid, "model": extraction.model, "escalated": extraction.escalated,
        "text_sha256": extraction.text_sha256,
        "ungrounded": extraction.ungrounded, "confidence": extraction.confidence,
        "created": extraction.created.isoformat(), **_review(extraction.clauses, extraction.risks),
    }
    if with_corrections:
        record["corrections"] = [{
            "pointer": c.pointer, "value": c.value, "status": c.status, "note": c.note,
            "corrected_by": c.corrected_by.get_username() if c.corrected_by else None,
            "created": c.created.isoformat(),
        } for c in extraction.corrections.select_related("corrected_by")]
    return record


def extraction_csv(record: dict) -> str:
    """One row per field of an ``extraction_record``: the model's value, the reviewer's value when
    corrected, and its grounding. A document's text may hold "=HYPERLINK(…)": every cell goes through
    ``docintel.csv_safety`` so that no spreadsheet runs it."""
    corrections = {c["pointer"]: c for c in record.get("corrections", [])}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["field", "value", "model_value", "review", "grounded", "spans"])
    for pointer, value in pointers.fields(record.get("data") or {}):
        correction = corrections.get(pointer, {})
        final = correction.get("value", value)
        spans = record.get("grounding", {}).get(pointer, [])
        writer.writerow(neutral_row([
            pointer, value_text(final), value_text(value), correction.get("status", ""),
            "yes" if spans else "no", " ".join(f"{s['start']}-{s['end']}" for s in spans),
        ]))
    for name, finding in (record.get("clauses") or {}).items():  # the clause review, one row per category
        pointer = f"/clauses/{pointers.escape(name)}/present"
        correction = corrections.get(pointer, {})
        state = {True: "present", False: "absent", None: "uncertain"}
        spans = finding.get("evidence") or []
        writer.writerow(neutral_row([
            f"clause: {name}", state.get(correction.get("value", finding["present"]), "uncertain"),
            state[finding["present"]], correction.get("status", ""), "yes" if spans else "no",
            " ".join(f"{s['start']}-{s['end']}" for s in spans),
        ]))
    return out.getvalue()


def value_text(value) -> str:
    """A field's value as a person reads it: text as is, nothing for null, anything else as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
