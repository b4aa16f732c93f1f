"""The clause panel of the document page: risk flags and clauses beside the fields, each evidence
span one click away (the page's own highlight, no inline script), and reviewers' verdicts on clauses."""

from __future__ import annotations

import re

import pytest

from extraction.clauses.categories import CATEGORIES
from tests.factories import ExtractionFactory, make_user

TEXT = ("This Agreement may not be assigned without consent. "
        "It is governed by the laws of the State of New York.")


@pytest.fixture
def contract(db):
    clauses = {c.name: {"present": False, "evidence": [], "value": None, "confidence": 0.8}
               for c in CATEGORIES}
    clauses["Anti-Assignment"] = {"present": True, "evidence": [{"start": 0, "end": 51}], "value": None,
                                  "confidence": 0.9}
    risks = [{"flag": "anti_assignment", "reason": "assignment needs consent or notice",
              "categories": ["Anti-Assignment"], "evidence": [{"start": 0, "end": 51}], "confidence": 0.9}]
    reviewer = make_user("reviewer")
    extraction = ExtractionFactory(document__text=TEXT, document__uploaded_by=reviewer, clauses=clauses,
                                   risks=risks)
    return extraction, reviewer


def test_clauses_and_risks_beside_the_fields_with_their_evidence(client, contract):
    extraction, reviewer = contract
    client.force_login(reviewer)
    page = client.get(f"/documents/{extraction.document.pk}/").content.decode()
    assert "Clause review" in page and "Anti assignment" in page
    panel = page[page.index('id="clauses"'):]
    row = re.search(r'data-field="(c\d+)"[^>]*>\s*<span class="field-label">Anti-Assignment', panel)
    clause_id = row.group(1)
    # its evidence is marked in the text, for the page's script to highlight
    assert re.search(rf'class="mark[^"]*" data-fields="[^"]*\b{clause_id}\b', page)
    assert "<script>" not in page and "onclick" not in page


def test_a_reviewer_marks_a_clause_absent(client, contract):
    extraction, reviewer = contract
    client.force_login(reviewer)
    response = client.post(f"/documents/{extraction.document.pk}/correct/",
                           {"pointer": "/clauses/Anti-Assignment/present", "value": "false"})
    assert response.status_code == 302 and response["Location"].endswith("#clauses")
    correction = extraction.corrections.get()
    assert (correction.pointer, correction.value, correction.status) == (
        "/clauses/Anti-Assignment/present", False, "corrected")


def test_exports_carry_the_clauses_and_their_evidence(contract):
    from extraction.export import extraction_csv, extraction_record

    extraction, _ = contract
    record = extraction_record(extraction)
    assert record["clauses"]["Anti-Assignment"]["evidence"] == [{"start": 0, "end": 51}]
    assert record["risks"][0]["flag"] == "anti_assignment"
    rows = extraction_csv(record).splitlines()
    assert "clause: Anti-Assignment,present,present,,yes,0-51" in rows
