"""The redact stage stores one result per document with an audit event (no PHI in it), and the
redacted PDF holds none of the redacted text."""

from __future__ import annotations

import io
import json

from pypdf import PdfReader

from audit.models import AuditEvent
from docintel.redaction.models import RedactionResult
from docintel.redaction.pdf import redacted_pdf_bytes
from docintel.redaction.stage import RedactStage

NOTE = (
    "DISCHARGE SUMMARY\nPatient Name: OKAFOR, CHIDI\nMRN: 004821937   DOB: 03/14/1931\n"
    "Mr. Okafor, a 93-year-old man, was seen by Dr. Lindqvist. Wife Ngozi Okafor (617-555-0144).\n"
    "Lives at 40 Orchard Hill Rd, Amherst, MA 01002. Zoë Åkesson (interpreter) attended.\n"
    "Metoprolol 25 mg BID; BP 128/76; follow up in 2 weeks.\n"
)
PHI = [
    "OKAFOR",
    "Okafor",
    "CHIDI",
    "004821937",
    "03/14/1931",
    "93-year",
    "Lindqvist",
    "Ngozi",
    "617-555-0144",
    "40 Orchard Hill Rd",
    "Amherst",
    "01002",
    "Zoë",
    "Åkesson",
]


def test_stage_stores_one_result_and_audits_counts_only(engine, make_document):
    document = make_document(NOTE)
    RedactStage().run(document)
    RedactStage().run(document)  # a worker may run a stage twice: same single row

    result = RedactionResult.objects.get(document=document)
    assert RedactionResult.objects.filter(document=document).count() == 1
    assert [value for value in PHI if value in result.redacted_text] == []
    assert "Metoprolol 25 mg BID; BP 128/76" in result.redacted_text
    for entity in result.entities:
        assert NOTE[entity["start"] : entity["end"]].strip()

    events = AuditEvent.objects.filter(action="document.redacted", document_id=document.pk)
    assert events.count() == 2
    details = json.loads(events.last().details)
    assert details["counts"]["NAME"] >= 5 and details["recognizer_version"]
    serialized = events.last().details
    assert [value for value in PHI if value in serialized] == []


def test_redacted_pdf_contains_no_redacted_text(engine, make_document):
    document = make_document(NOTE)
    RedactStage().run(document)
    data = redacted_pdf_bytes(document)
    assert data.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "[NAME]" in text and "Metoprolol 25 mg BID" in text
    assert [value for value in PHI if value in text] == []
    assert document.filename not in text


def test_pdf_before_redaction_is_a_clear_error(make_document):
    import pytest

    from docintel.errors import NotReady

    with pytest.raises(NotReady) as error:
        redacted_pdf_bytes(make_document("nothing yet"))
    assert error.value.code == "not_ready" and error.value.http_status == 409
