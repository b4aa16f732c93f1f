"""The schema registry: built-in schemas keep the contract's property names; custom schemas are valid
JSON Schemas, versioned, and immutable once an extraction used them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from docintel.errors import InputError
from extraction.actions import store_extraction
from extraction.extractor import extract
from extraction.models import SchemaVersion
from extraction.schemas import get_schema, register_schema
from tests.factories import DocumentFactory

CONTRACT_FIELDS = ["document_name", "document_type", "parties", "agreement_date", "effective_date",
                   "expiration_date", "governing_law", "renewal_term", "notice_period_to_terminate_renewal",
                   "termination_for_convenience", "payment_terms", "liability_cap", "confidentiality",
                   "assignment", "non_compete", "exclusivity"]
NOTE_FIELDS = ["note_type", "encounter_date", "diagnoses", "medications", "allergies", "procedures", "vitals",
               "labs", "follow_up"]
INVOICE = {"type": "object", "properties": {"invoice_number": {"type": ["string", "null"]},
                                            "due_date": {"type": ["string", "null"], "format": "date"}},
           "required": ["invoice_number", "due_date"], "additionalProperties": False}


@pytest.mark.parametrize(("name", "fields"), [("contract", CONTRACT_FIELDS), ("clinical_note", NOTE_FIELDS)])
def test_builtin_schemas_have_exactly_the_contract_property_names(name, fields):
    schema = get_schema(name)
    assert list(schema.schema["properties"]) == fields
    assert schema.errors(schema.empty()) == []  # every fact missing is a valid answer
    assert schema.errors({**schema.empty(), "surprise": 1})  # and nothing else is


def test_clinical_note_schema_has_no_direct_identifiers():
    names = str(get_schema("clinical_note").schema).lower()
    for identifier in ("patient_name", "mrn", "ssn", "address", "phone", "date_of_birth"):
        assert identifier not in names


@pytest.mark.django_db
def test_custom_schemas_are_validated_and_versioned():
    with pytest.raises(ValidationError):
        register_schema("invoice", {"type": "object", "properties": {"x": {"type": "no-such-type"}}})
    with pytest.raises(ValidationError):
        register_schema("contract", INVOICE)  # built-in names are taken
    first = register_schema("invoice", INVOICE)
    assert register_schema("invoice", INVOICE).pk == first.pk  # the same schema is not a new version
    changed = {**INVOICE, "properties": {**INVOICE["properties"], "total": {"type": ["string", "null"]}}}
    second = register_schema("invoice", changed)
    assert (first.version, second.version) == (1, 2)
    assert get_schema("invoice").version == "2"
    assert get_schema("invoice", "1").schema == INVOICE
    with pytest.raises(InputError):
        get_schema("no_such_schema")


@pytest.mark.django_db
def test_a_custom_schema_used_by_an_extraction_cannot_change_or_go():
    row = register_schema("invoice", INVOICE)
    document = DocumentFactory(filename="i.txt", text="Invoice INV-7 due March 3, 2021", kind="contract")
    schema = get_schema("invoice")
    extraction = store_extraction(document, extract(document.text, schema, mode="rules"))
    assert (extraction.custom_schema_id, extraction.schema_version) == (row.pk, "1")
    row.schema = {**INVOICE, "title": "edited"}
    with pytest.raises(ValidationError):
        row.save()
    with pytest.raises(ProtectedError):
        SchemaVersion.objects.get(pk=row.pk).delete()
    assert SchemaVersion.objects.get(pk=row.pk).schema == INVOICE
