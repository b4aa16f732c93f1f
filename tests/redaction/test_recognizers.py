"""Each entity type of contract §3 on realistic text, hard negatives left alone, offsets into the original."""

from __future__ import annotations

from itertools import pairwise

import pytest

from docintel.redaction.engine import Rules
from docintel.redaction.entities import ENTITY_TYPES
from docintel.redaction.text import redact_text

RULES = Rules(threshold=0.35)

# (text, the PHI in it, its type): one realistic line per form the recognizers must handle.
FOUND = [
    ("Patient Name: HOLLOWAY, EDITH   DOB: 03/14/1931", "HOLLOWAY", "NAME"),
    ("Patient Name: HOLLOWAY, EDITH   DOB: 03/14/1931", "EDITH", "NAME"),
    ("Seen by Dr. Okonkwo from cardiology.", "Okonkwo", "NAME"),
    ("Discharged home with daughter Keisha Mensah.", "Keisha", "NAME"),
    ("Electronically signed by: Ellen Marsh, DO", "Marsh", "NAME"),
    ("this is dr patel dictating on maria lopez medical record number 4821937", "lopez", "NAME"),
    ("Lives at 40 Orchard Hill Rd, Amherst, MA 01002-2213.", "40 Orchard Hill Rd", "ADDRESS"),
    ("Lives at 40 Orchard Hill Rd, Amherst, MA 01002-2213.", "Amherst", "ADDRESS"),
    ("Lives at 40 Orchard Hill Rd, Amherst, MA 01002-2213.", "01002-2213", "ADDRESS"),
    ("Admitted on March 3rd, discharged 2024-03-09.", "March 3rd", "DATE"),
    ("DOB 14.08.1956", "14.08.1956", "DATE"),
    ("Collected 02-MAR-2022 07:45", "02-MAR-2022", "DATE"),
    ("Pleasant 97 y/o woman with delirium.", "97", "AGE_OVER_89"),
    ("Resident Age: 102", "102", "AGE_OVER_89"),
    ("She is ninety-three years old.", "ninety-three", "AGE_OVER_89"),
    ("Send the documents to Hans Müller, Hauptstraße 5, 10115 Berlin.", "Hauptstraße 5", "ADDRESS"),
    ("Transferred from Boston Medical Center overnight.", "Boston Medical Center", "ADDRESS"),
    ("Call her at (413) 555-0187 with results.", "(413) 555-0187", "PHONE"),
    ("Tel 617-555-0100  Fax 617-555-0199", "617-555-0199", "FAX"),
    ("Records to rosa.delgado77@gmail.com per release.", "rosa.delgado77@gmail.com", "EMAIL"),
    ("SSN: 078-05-1120", "078-05-1120", "SSN"),
    ("MRN: 004821937", "004821937", "MRN"),
    ("Medical Record No.: M0028814", "M0028814", "MRN"),
    ("Medicare MBI: 1EG4-TE5-MK73", "1EG4-TE5-MK73", "HEALTH_PLAN_ID"),
    ("Aetna member ID W284410937, group number 0088213", "W284410937", "HEALTH_PLAN_ID"),
    ("Account #: 7734-0021-88", "7734-0021-88", "ACCOUNT_NUMBER"),
    ("Referring NPI 1245319599", "1245319599", "LICENSE_NUMBER"),
    ("Prescriber DEA AB1234563", "AB1234563", "LICENSE_NUMBER"),
    ("Vehicle VIN 1HGCM82633A004352, license plate 7ABC123", "1HGCM82633A004352", "VEHICLE_ID"),
    ("Vehicle VIN 1HGCM82633A004352, license plate 7ABC123", "7ABC123", "VEHICLE_ID"),
    ("Pacemaker serial number PJN123456S interrogated.", "PJN123456S", "DEVICE_ID"),
    (
        "Results at https://portal.mercyhealth.org/patients/448213 today.",
        "https://portal.mercyhealth.org/patients/448213",
        "URL",
    ),
    ("Connected from IP 73.21.188.9 for the visit.", "73.21.188.9", "IP_ADDRESS"),
    ("Fingerprint enrollment ID FP-0048213 for the app.", "FP-0048213", "BIOMETRIC_ID"),
    ("Specimen accession # S23-44871 sent.", "S23-44871", "OTHER_ID"),
    ("Refund to IBAN GB82 WEST 1234 5698 7654 32 please.", "GB82 WEST 1234 5698 7654 32", "IBAN"),
    ("NHS number 943 476 5919", "943 476 5919", "NATIONAL_ID"),
    ("Steuer-ID 65929970489", "65929970489", "NATIONAL_ID"),
    ("NIR 2 55 08 14 168 025 38", "2 55 08 14 168 025 38", "NATIONAL_ID"),
    ("Card on file 4532 0151 1283 0366 exp 08/27", "4532 0151 1283 0366", "CREDIT_CARD"),
]


@pytest.mark.parametrize(("text", "phi", "kind"), FOUND, ids=[f"{k}:{p}" for _, p, k in FOUND])
def test_each_form_is_found_with_its_type(engine, text, phi, kind):
    redaction = redact_text(text, rules=RULES)
    start = text.index(phi)
    covering = [e for e in redaction.entities if e.start <= start and e.end >= start + len(phi)]
    assert covering, f"{phi!r} not redacted: {redaction.redacted_text!r}"
    assert covering[0].type == kind
    assert phi not in redaction.redacted_text


def test_every_contract_type_is_covered_by_the_cases():
    assert {kind for _, _, kind in FOUND} == set(ENTITY_TYPES)


HARD_NEGATIVES = [
    "metoprolol tartrate 25 mg PO BID; oxycodone/acetaminophen 5/325 1 tab q4h PRN",
    "BP 132/84, HR 78, RR 16, Temp 98.6 F, SpO2 97% on RA.",
    "Hgb 11.2 g/dL, WBC 8.4, Plt 231, Na 138, K 4.1, Cr 1.02, A1c 7.4%.",
    "ICD-10: I10, E11.9, N18.3. CPT 99214, 93000.",
    "Pain 3/10, improved from 7/10. Grade 2/6 systolic murmur.",
    "See section 4.2 and 3.1.7 of the protocol.",
    "Hx of appendectomy in 1998 and CABG x3 in 2011.",
    "The patient is a 67-year-old man; his 45-year-old brother is well. Age 89.",
    "INR 2.3 (goal 2-3). Weight 82.4 kg. MMSE 24/30. QTc 452 ms.",
    # British spelling of medical words the clinical list holds in American spelling
    "Assessment: Hyperkalaemia; Hypokalaemia; Oedema of both ankles; Diarrhoea; Haematoma at the cannula.",
]


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives_are_left_alone(engine, text):
    redaction = redact_text(text, rules=RULES)
    assert redaction.entities == [], [text[e.start : e.end] for e in redaction.entities]
    assert redaction.redacted_text == text


def test_offsets_point_into_the_original_text(engine):
    text = "Ünïcode first: Patient: Zoë Ångström 🙂, MRN 12345678, seen 03/14/2023 by Dr. Øyvind Berg."
    redaction = redact_text(text, rules=RULES)
    values = {text[e.start : e.end] for e in redaction.entities}
    assert {"12345678", "03/14/2023"} <= values
    for entity in redaction.entities:
        assert text[entity.start : entity.end] == text[entity.start : entity.end].strip()
        assert entity.recognizer and 0 < entity.score <= 1


def test_overlapping_spans_merge_without_leaking(engine):
    # A phone-shaped NHS number: both recognizers fire; one span, typed by the more certain one.
    text = "NHS No: 943 476 5919 (call 617-555-0100)"
    redaction = redact_text(text, rules=RULES)
    spans = [(e.start, e.end) for e in redaction.entities]
    assert spans == sorted(spans) and all(a[1] <= b[0] for a, b in pairwise(spans))
    assert redaction.entities[0].type == "NATIONAL_ID"
    assert "943" not in redaction.redacted_text


def test_long_texts_are_cut_into_chunks_with_offsets_kept(engine, monkeypatch):
    """spaCy refuses texts over 1,000,000 characters: NER runs on chunks, offsets map back."""
    monkeypatch.setattr(engine.nlp_engine, "chunk_chars", 300)
    line = "Follow-up visit; metoprolol 25 mg BID continued, BP 128/76.\n"
    text = line * 20 + "Maria Lopez is a retired teacher who enjoys gardening.\n" + line * 20
    redaction = redact_text(text, rules=RULES)
    start = text.index("Maria")
    assert any(e.start == start and e.type == "NAME" for e in redaction.entities)
    assert "Lopez" not in redaction.redacted_text
    assert redaction.redacted_text.count("metoprolol 25 mg BID") == 40
