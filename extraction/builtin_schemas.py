"""The built-in extraction schemas (contract §3b: top-level property names are a contract).

Every property is required and nullable, so a model always answers every field and a missing fact is
``null`` or ``[]``. Every leaf is a string: a value is a piece of the document as written (dates
normalised to ISO), which is what grounding can check against the text.
"""

from __future__ import annotations

ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
BUILTIN_VERSION = "1"


def _text(description: str) -> dict:
    return {"type": ["string", "null"], "description": description}


def _date(description: str) -> dict:
    return {"type": ["string", "null"], "pattern": ISO_DATE, "description": f"{description} (YYYY-MM-DD)"}


def _records(fields: dict[str, str], max_items: int, description: str) -> dict:
    return {
        "type": "array",
        "description": description,
        "maxItems": max_items,
        "items": {
            "type": "object",
            "properties": {name: _text(text) for name, text in fields.items()},
            "required": list(fields),
            "additionalProperties": False,
        },
    }


def _object(title: str, properties: dict) -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


CONTRACT = _object("contract", {
    "document_name": _text("title of the agreement as written at its top"),
    "document_type": _text("kind of agreement as written, e.g. License Agreement, Amendment"),
    "parties": {
        "type": "array",
        "description": "the contracting parties, as named in the preamble",
        "maxItems": 8,
        "items": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "legal name as written"},
                "role": _text("role or defined term as written, e.g. Licensor, Distributor"),
            },
            "required": ["name", "role"],
            "additionalProperties": False,
        },
    },
    "agreement_date": _date("date the agreement was signed or dated"),
    "effective_date": _date("date the agreement takes effect"),
    "expiration_date": _date("date the initial term ends"),
    "governing_law": _text("jurisdiction whose law governs, as written, e.g. Delaware"),
    "renewal_term": _text("renewal clause"),
    "notice_period_to_terminate_renewal": _text("notice needed to stop renewal"),
    "termination_for_convenience": _text("clause allowing termination without cause"),
    "payment_terms": _text("payment clause"),
    "liability_cap": _text("limitation of liability clause"),
    "confidentiality": _text("confidentiality clause"),
    "assignment": _text("assignment clause"),
    "non_compete": _text("non-compete clause"),
    "exclusivity": _text("exclusivity clause"),
})

CLINICAL_NOTE = _object("clinical_note", {
    "note_type": _text("kind of note, e.g. Discharge Summary, Progress Note"),
    "encounter_date": _date("date of the encounter"),
    "diagnoses": _records({"description": "diagnosis as written", "icd10": "ICD-10 code if written"}, 20,
                          "diagnoses"),
    "medications": _records({"name": "drug", "dose": "dose with unit", "route": "route",
                             "frequency": "how often"}, 30, "medications"),
    "allergies": {"type": "array", "items": {"type": "string"}, "maxItems": 20,
                  "description": "allergies as written"},
    "procedures": {"type": "array", "items": {"type": "string"}, "maxItems": 20,
                   "description": "procedures as written"},
    "vitals": _records({"name": "vital sign", "value": "value", "unit": "unit"}, 20, "vital signs"),
    "labs": _records({"name": "test", "value": "value", "unit": "unit"}, 40, "laboratory results"),
    "follow_up": _text("follow-up plan"),
})

BUILTIN_SCHEMAS: dict[str, dict] = {"contract": CONTRACT, "clinical_note": CLINICAL_NOTE}
