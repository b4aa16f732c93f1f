"""State changes of extraction, each with its audit event in the same transaction (one function each)."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction

from audit.actions import record_event
from docintel.errors import InputError

from . import pointers
from .json_schema import SchemaRef
from .models import Correction, CorrectionStatus, Extraction
from .schemas import get_schema


def store_extraction(document, result) -> Extraction:
    """Keep an ``ExtractionResult`` as the document's newest (current) extraction, with its event."""
    with transaction.atomic():
        extraction = Extraction.objects.create(
            document=document, schema_name=result.schema.name, schema_version=result.schema.version,
            custom_schema_id=result.schema.custom_id, data=result.data, grounding=result.grounding,
            ungrounded=result.ungrounded, confidence=result.confidence, valid=result.valid,
            model=result.model, escalated=result.escalated, route=result.route,
            clauses=result.clauses, risks=result.risks, text_sha256=result.text_sha256,
        )
        record_event("extraction.stored", document=document, purpose="processing", details={
            "extraction_id": extraction.pk, "schema": result.schema.name,
            "schema_version": result.schema.version, "model": result.model, "valid": result.valid,
            "escalated": result.escalated, "fields_ungrounded": len(result.ungrounded),
            "text_sha256": result.text_sha256})
        return extraction


def _resolve(data, pointer: str) -> tuple[Any, str | int]:
    """The container holding ``pointer``'s value and its key; InputError when there is no such field."""
    if not pointer.startswith("/"):
        raise InputError("bad_pointer", "a field is named by a JSON pointer such as /governing_law")
    names = pointers.parts(pointer)
    container = data
    for index, part in enumerate(names):
        key: str | int = int(part) if isinstance(container, list) and part.isdigit() else part
        last = index == len(names) - 1
        try:
            if last:
                if isinstance(container, list) and not (isinstance(key, int) and key < len(container)):
                    raise IndexError
                if isinstance(container, dict) and key not in container:
                    raise KeyError
                return container, key
            container = container[key]
        except (KeyError, IndexError, TypeError):
            break
    raise InputError("unknown_field", f"the extraction has no field {pointer}")


def _corrected_data(schema: SchemaRef, data: dict, pointer: str, value) -> None:
    patched = copy.deepcopy(data)
    container, key = _resolve(patched, pointer)
    container[key] = value
    problems = schema.errors(patched)
    if problems:
        raise InputError("invalid_correction", f"the corrected value breaks the schema at {problems[0]}")


CLAUSES = "/clauses/"
CLAUSE_PARTS = ("present", "value", "evidence")


def _clause_correction(pointer: str, value):
    """A reviewer's verdict on a clause: ``present`` is true, false or null (uncertain); ``evidence`` a
    list of {start, end}; ``value`` any JSON."""
    part = pointers.parts(pointer)[-1]
    if part not in CLAUSE_PARTS:
        raise InputError("unknown_field", f"a clause is corrected by its {', '.join(CLAUSE_PARTS)}")
    if part == "present" and value not in (True, False, None):
        raise InputError("invalid_correction", "a clause's presence is true, false or null")
    if part == "evidence" and not (isinstance(value, list) and all(
            isinstance(span, dict) and isinstance(span.get("start"), int) and isinstance(span.get("end"), int)
            and 0 <= span["start"] < span["end"] for span in value)):
        raise InputError("invalid_correction", "evidence is a list of {start, end} character offsets")
    return value


def correct_field(extraction: Extraction, pointer: str, value=None, *, actor, confirm: bool = False,
                  note: str = "") -> Correction:
    """Record a reviewer's correction (or confirmation) of one field, beside the model's output.

    The extraction's ``data`` stays as the model produced it; ``extraction_record`` shows both. A
    clause of the review is corrected the same way, by ``/clauses/<category>/present`` (or ``value``,
    ``evidence``), the category escaped as a JSON pointer key (``Rofr~1Rofo~1Rofn``).
    Callers check the reviewer role (docintel.accounts.roles) before calling.
    """
    if pointer.startswith(CLAUSES):
        container, key = _resolve({"clauses": extraction.clauses}, pointer)
        previous = container[key]
        value = previous if confirm else _clause_correction(pointer, value)
    else:
        container, key = _resolve(extraction.data, pointer)
        previous = container[key]
        if confirm:
            value = previous
        else:
            schema = get_schema(extraction.schema_name, extraction.schema_version)
            _corrected_data(schema, extraction.data, pointer, value)
    status = CorrectionStatus.CONFIRMED if confirm else CorrectionStatus.CORRECTED
    with transaction.atomic():
        correction = Correction.objects.create(extraction=extraction, pointer=pointer, value=value,
                                               status=status, corrected_by=actor, note=note)
        record_event("extraction.corrected", document=extraction.document, actor=actor, purpose="review",
                     details={"extraction_id": extraction.pk, "correction_id": correction.pk,
                              "pointer": pointer, "status": status},
                     sensitive={"value": value, "model_value": previous, "note": note})
    return correction
