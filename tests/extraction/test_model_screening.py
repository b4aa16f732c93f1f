"""A model's clinical answers are screened like its contract answers: list items the note does not
state as such (a medication offered as an allergy, a test named in the plan offered as a result) are
dropped, through the real extractor and an OpenAI-compatible server that answers like vLLM."""

from __future__ import annotations

import json

from docintel.redaction.text import redact_text
from extraction.backends.openai_http import OpenAIBackend
from extraction.extractor import extract
from extraction.schemas import get_schema

NOTE = """PROGRESS NOTE
Visit date: 03/14/2025

Assessment: community-acquired pneumonia (J18.9).
Medications: amoxicillin 500 mg PO TID; lisinopril 10 mg PO daily.
Allergies: sulfa drugs (rash). No known allergies to latex.
Results: Hb 12.1 g/dL, WBC 14.2 x10^9/L.
Plan: repeat CRP and chest X-ray in one week.
"""


def test_allergies_and_labs_the_note_does_not_state_are_dropped(db, settings, fake_vllm):
    settings.EXTRACTION_ASK_OPEN_FIELDS_ONLY = False
    answer = {
        # amoxicillin is a medication here, not an allergy; "no known allergies" is not an allergy
        "allergies": ["sulfa drugs", "amoxicillin", "No known allergies"],
        "labs": [{"name": "Hb", "value": "12.1", "unit": "g/dL"},
                 {"name": "CRP", "value": "5", "unit": "mg/L"}],  # CRP is only planned: no result
    }
    fake_vllm.reply((200, json.dumps(answer), "stop"))
    backend = OpenAIBackend(fake_vllm.url, "m", max_prompt_chars=20000, max_retries=0)
    result = extract(NOTE, get_schema("clinical_note"), mode="model", backend=backend,
                     phi_entities=redact_text(NOTE).entity_dicts())
    assert result.data["allergies"] == ["sulfa drugs"]
    assert [lab["name"] for lab in result.data["labs"]] == ["Hb"]


def test_the_rules_keep_an_allergen_that_starts_like_a_none():
    # "Naproxen" begins with "Na": a too-loose "no allergy" pattern once dropped it (n/?a)
    found = extract("Allergies: naproxen (rash), penicillin.\n", get_schema("clinical_note"), mode="rules",
                    phi_entities=[])
    assert found.data["allergies"] == ["naproxen", "penicillin"]
