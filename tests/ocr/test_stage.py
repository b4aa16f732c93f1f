"""The ``ocr`` stage in the pipeline (in-process runner: the same task code a Celery worker runs), and
the API's redacted PDF of a scan."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader

from docintel.documents.actions import upload_document
from docintel.parsing.fidelity import word_similarity
from docintel.parsing.ocr import installed_languages
from docintel.task_runner import wait_idle
from tests.conftest import wait_for_status

pytestmark = pytest.mark.skipif("eng" not in installed_languages(),
                                reason="Tesseract's English data is not installed (.ci/run installs it)")
STAGES = ["parse: docintel.documents.pipeline.parse.ParseStage",
          "ocr: docintel.documents.pipeline.ocr.OcrStage",
          "classify: docintel.documents.pipeline.classify.ClassifyStage",
          "redact: docintel.redaction.stage.RedactStage"]


@pytest.fixture
def pipeline(settings, transactional_db):
    settings.TASKS_IN_PROCESS = True
    settings.PIPELINE_STAGES = STAGES
    return settings


def processed(data: bytes, name: str):
    document, _ = upload_document([data], filename=name)
    assert wait_idle(180)
    return wait_for_status(document, timeout=120)


def test_a_scanned_image_goes_through_ocr_and_on_to_redaction(pipeline, scans, reference, api_for, users,
                                                                client):
    page = Image.open(scans["fax.tif"])
    png = io.BytesIO()
    page.save(png, "PNG", dpi=page.info["dpi"])
    document = processed(png.getvalue(), "fax-page.png")
    assert document.status == "done", document.stages
    assert document.stages["ocr"]["status"] == "done"
    assert word_similarity(document.text, reference) >= 0.9
    assert document.kind == "clinical_note"
    assert document.layout["ocr_pages"] == [1]
    assert [w for w in document.warnings if w["code"] == "ocr" and w["page"] == 1]
    assert document.redaction.entities

    client = api_for("admin")
    response = client.get(f"/api/v1/documents/{document.pk}/redacted.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.content))
    assert len(pdf.pages) == 1 and "/XObject" in pdf.pages[0]["/Resources"]  # the page is a picture

    client.force_login(users["admin"])
    page = client.get(f"/documents/{document.pk}/")
    assert page.status_code == 200 and b"Pages as released" in page.content
    assert b"as it will be released: redacted text is blacked out" in page.content  # the image's alt text
    image = client.get(f"/documents/{document.pk}/pages/1.jpg")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert client.get(f"/documents/{document.pk}/pages/2.jpg").status_code == 404


def test_a_text_document_skips_the_ocr_stage(pipeline):
    document = processed(b"Patient seen in clinic. Assessment and plan: follow up in 2 weeks.\n", "note.txt")
    assert document.status == "done", document.stages
    assert document.stages["ocr"]["status"] == "skipped"
