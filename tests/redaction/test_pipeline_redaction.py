"""The redact stage in the real pipeline: a real Celery worker on PostgreSQL and Redis."""

from __future__ import annotations

import pytest

from docintel.documents.actions import upload_document
from docintel.redaction.models import RedactionResult
from tests.conftest import CeleryWorker, purge_broker, require_services, wait_for_status

STAGES = [
    "parse: docintel.documents.pipeline.parse.ParseStage",
    "classify: docintel.documents.pipeline.classify.ClassifyStage",
    "redact: docintel.redaction.stage.RedactStage",
]
NOTE = (
    b"DISCHARGE SUMMARY\nPatient Name: OKAFOR, CHIDI   MRN: 004821937\nDOB: 03/14/1931\n"
    b"Seen by Dr. Lindqvist. Metoprolol 25 mg BID. Follow up in 2 weeks.\n"
)


@pytest.fixture
def redact_worker(transactional_db, test_output_dir, settings):
    require_services("DATABASE_URL", "REDIS_URL")
    settings.PIPELINE_STAGES = STAGES
    purge_broker()
    worker = CeleryWorker(
        test_output_dir / "redaction-worker.log", DOCINTEL_PIPELINE_STAGES=",".join(STAGES)
    ).start()
    yield worker
    worker.stop()


def test_uploaded_note_is_redacted_by_the_worker(redact_worker):
    document, _ = upload_document([NOTE], filename="discharge.txt")
    document = wait_for_status(document, timeout=240)
    assert document.status == "done", document.stages
    assert document.stages["redact"]["status"] == "done"
    result = RedactionResult.objects.get(document=document)
    assert "OKAFOR" not in result.redacted_text and "004821937" not in result.redacted_text
    assert "Metoprolol 25 mg BID" in result.redacted_text
