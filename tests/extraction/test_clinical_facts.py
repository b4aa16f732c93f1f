"""Clinical notes: no direct identifier in any extracted value (checked against the redaction engine on
every fixture note of the four labelled sets), the encounter date is never the date of birth, and
clinical facts keep their parts (asserted on the tune sets only: notes_c.jsonl and notes_d.jsonl were
held out, see fixtures/clinical_extraction/README.md)."""

from __future__ import annotations

import json

import pytest

from docintel.redaction.text import redact_many
from extraction.evaluation import phi_leaks, score_clinical
from extraction.extractor import extract
from extraction.phi import ICD10_CODE, scrub
from extraction.schemas import get_schema
from tests.conftest import FIXTURES


def _read(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "clinical_extraction" / name).read_text().splitlines()]


TUNE = {"notes.jsonl": _read("notes.jsonl"), "notes_b.jsonl": _read("notes_b.jsonl")}
NOTES = [*TUNE["notes.jsonl"], *TUNE["notes_b.jsonl"], *_read("notes_c.jsonl"), *_read("notes_d.jsonl")]
OTHER_NOTES = [FIXTURES / "extraction" / "clinical_note.txt",
               FIXTURES / "samples" / "synthetic-discharge-note.txt"]


@pytest.fixture(scope="module")
def extracted(django_db_setup, django_db_blocker):
    schema = get_schema("clinical_note")
    texts = [note["text"] for note in NOTES] + [path.read_text(encoding="utf-8") for path in OTHER_NOTES]
    with django_db_blocker.unblock():  # the redaction rules an admin may edit live in the database
        redactions = redact_many(texts)
    return [(text, redaction, extract(text, schema, mode="rules", phi_entities=redaction.entity_dicts()))
            for text, redaction in zip(texts, redactions, strict=True)]


def _identifiers(text: str, redaction) -> list[str]:
    """What the engine found, less dates and the diagnosis codes it took for identifiers (a code names a
    condition: extraction.phi keeps it in an icd10 field)."""
    return [text[e.start:e.end] for e in redaction.entities
            if e.type != "DATE" and not ICD10_CODE.fullmatch(text[e.start:e.end])]


@pytest.mark.django_db
def test_no_value_holds_an_identifier_the_redaction_engine_found(extracted):
    for text, redaction, result in extracted:
        assert phi_leaks(result.data, _identifiers(text, redaction)) == []


@pytest.mark.django_db
def test_no_value_holds_the_fixture_identifiers_and_encounter_is_not_birth(extracted):
    for note, (_, _, result) in zip(NOTES, extracted, strict=False):
        assert phi_leaks(result.data, note["phi"]) == [], note["id"]
        assert result.data["encounter_date"] != note["birth_date"], note["id"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(TUNE))
def test_facts_of_the_labelled_notes(extracted, name):
    results = {note["id"]: result for note, (_, _, result) in zip(NOTES, extracted, strict=False)}
    totals: dict[str, list[int]] = {}
    for note in TUNE[name]:
        for measure, (right, total) in score_clinical(results[note["id"]].data, note).items():
            counts = totals.setdefault(measure, [0, 0])
            counts[0] += right
            counts[1] += total
    share = {m: r / t for m, (r, t) in totals.items() if t}
    assert share["encounter_date"] >= 0.9 and share["encounter_not_birth_date"] == 1.0
    assert share["diagnoses.recall"] >= 0.9 and share["diagnoses.icd10"] == 1.0
    assert share["labs.recall"] >= 0.9 and share["labs.unit"] == 1.0
    assert share["medications.recall"] >= 0.9 and share["medications.precision"] >= 0.9
    assert share["medications.dose"] == 1.0 and share["medications.route"] == 1.0
    assert share["medications.frequency"] >= 0.9


def test_a_value_with_an_identifier_is_cleaned_or_refused():
    schema = get_schema("clinical_note").schema
    text = "Patient Ruth Nakamura, MRN 38-732072. Diagnosis: Atrial fibrillation (I48.91)."
    entities = [{"type": "NAME", "start": 8, "end": 21}, {"type": "MRN", "start": 27, "end": 36}]
    data = {"note_type": "Ruth Nakamura", "encounter_date": None,
            "follow_up": "call Ruth about MRN 38-732072",
            "diagnoses": [{"description": "Ruth Nakamura", "icd10": None},
                          {"description": "Atrial fibrillation", "icd10": "I48.91"}],
            "medications": [], "allergies": [], "procedures": [], "vitals": [], "labs": []}
    scrubbed = scrub(data, schema, text, entities)
    assert scrubbed.data["note_type"] is None
    assert scrubbed.data["follow_up"] == "call about MRN"
    assert scrubbed.data["diagnoses"] == [{"description": "Atrial fibrillation", "icd10": "I48.91"}]


def test_a_diagnosis_code_the_engine_took_for_an_identifier_is_kept_but_not_a_name_in_its_place():
    schema = get_schema("clinical_note").schema
    text = "Problem: Type 1 diabetes mellitus   Code: E10.9   Status: Active. Seen by Ruth Nakamura."
    code = text.index("E10.9")
    name = text.index("Ruth Nakamura")
    entities = [{"type": "OTHER_ID", "start": code, "end": code + 5},
                {"type": "NAME", "start": name, "end": name + 13}]
    data = {"note_type": None, "encounter_date": None, "follow_up": None,
            "diagnoses": [{"description": "Type 1 diabetes mellitus", "icd10": "E10.9"},
                          {"description": "Hyperkalaemia", "icd10": "Ruth Nakamura"}],
            "medications": [], "allergies": [], "procedures": [], "vitals": [], "labs": []}
    scrubbed = scrub(data, schema, text, entities)
    assert scrubbed.data["diagnoses"] == [{"description": "Type 1 diabetes mellitus", "icd10": "E10.9"},
                                          {"description": "Hyperkalaemia", "icd10": None}]


@pytest.mark.llm
@pytest.mark.django_db
def test_the_embedded_model_does_not_put_the_patient_into_the_bundled_discharge_note():
    text = (FIXTURES / "samples" / "synthetic-discharge-note.txt").read_text(encoding="utf-8")
    redaction = redact_many([text])[0]
    result = extract(text, get_schema("clinical_note"), mode="hybrid", phi_entities=redaction.entity_dicts())
    assert phi_leaks(result.data, _identifiers(text, redaction)) == []
    births = [e for e in redaction.entities if "birth" in text[max(0, e.start - 20):e.start].lower()
              or "dob" in text[max(0, e.start - 10):e.start].lower()]
    assert all(text[e.start:e.end] not in str(result.data["encounter_date"]) for e in births)
