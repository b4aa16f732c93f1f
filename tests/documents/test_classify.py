"""The classify stage's rule: the vocabulary of contracts and clinical notes barely overlaps."""

from __future__ import annotations

from docintel.documents.models import DocumentKind
from docintel.documents.pipeline.classify import classify_text


def test_a_note_full_of_clinical_words_is_a_clinical_note():
    note = ("Chief complaint: chest pain. HPI: 67-year-old patient, BP 150/90. Medications: aspirin 81 mg. "
            "Assessment and plan: follow-up in clinic in 2 weeks.")
    assert classify_text(note) == DocumentKind.CLINICAL_NOTE


def test_an_agreement_is_a_contract():
    agreement = ("This Agreement is entered into by and between the parties. WHEREAS the Licensor shall "
                 "grant a licence; the governing law is Delaware; either party may terminate. "
                 "IN WITNESS WHEREOF the parties hereby sign.")
    assert classify_text(agreement) == DocumentKind.CONTRACT


def test_a_tie_or_an_empty_text_falls_back_to_contract_whose_schema_holds_no_phi_fields():
    assert classify_text("") == DocumentKind.CONTRACT
    assert classify_text("patient agreement") == DocumentKind.CONTRACT


def test_only_the_first_20000_characters_count():
    text = "agreement " * 2000 + "patient diagnosis medication " * 5000
    assert classify_text(text) == DocumentKind.CONTRACT
