"""The document pipeline through its real parts: the store, the stage task, retries, a real worker."""

from __future__ import annotations

import time

import pytest

from docintel.documents import storage
from docintel.documents.actions import retry_document, upload_document
from docintel.documents.models import Document
from docintel.documents.pipeline.state import orphaned_stages
from docintel.errors import InputError
from docintel.task_runner import wait_idle
from tests.conftest import CeleryWorker, purge_broker, require_services, wait_for_status
from tests.documents import stages as test_stages

PARSE = "parse: docintel.documents.pipeline.parse.ParseStage"
CLASSIFY = "classify: docintel.documents.pipeline.classify.ClassifyStage"
SLOW = "slow: tests.documents.stages.SlowStage"
FLAKY = "flaky: tests.documents.stages.FlakyServiceStage"

NOTE = b"Patient seen in clinic. Assessment and plan: continue medications, follow up in 2 weeks.\n"


@pytest.fixture
def in_process(settings, transactional_db):
    """The embedded default's task runner, whatever the environment configures."""
    settings.TASKS_IN_PROCESS = True
    settings.PIPELINE_STAGES = [PARSE, CLASSIFY]
    return settings


def upload(data: bytes, name: str = "note.txt", **kwargs) -> Document:
    document, _ = upload_document([data], filename=name, **kwargs)
    return document


def test_upload_stores_original_content_addressed_and_deduplicates(in_process):
    first, created = upload_document([NOTE], filename="a.txt")
    again, created_again = upload_document([NOTE[:10], NOTE[10:]], filename="b.txt")
    assert created and not created_again
    assert again.pk == first.pk
    path = storage.path_for(first.sha256)
    assert path.read_bytes() == NOTE
    assert path.parent.name == first.sha256[:2]
    wait_idle(60)


def test_in_process_runner_takes_a_document_through_every_stage(in_process):
    document = upload(NOTE)
    assert wait_idle(120)
    document = wait_for_status(document, timeout=60)
    assert document.status == "done", document.stages
    assert document.kind == "clinical_note"
    assert document.text.startswith("Patient seen in clinic")
    for name in ("parse", "classify"):
        stage = document.stages[name]
        assert stage["status"] == "done" and stage["seconds"] >= 0 and stage["started"] and stage["finished"]


def test_bad_input_fails_the_stage_with_a_reason_and_no_retry_loop(in_process):
    document = upload(b"%PDF-1.7\nthis is not really a pdf", name="broken.pdf")
    wait_idle(120)
    document = wait_for_status(document, timeout=60)
    assert document.status == "failed"
    parse = document.stages["parse"]
    assert parse["status"] == "failed" and parse["code"] and parse["reason"]
    assert "Traceback" not in parse["reason"]
    assert document.stages["classify"]["status"] == "queued"  # never ran on a broken file


@pytest.mark.parametrize(
    ("data", "code"), [(b"", "empty_file"), (b"\x00\x01binary\x00" * 10, "unsupported_type")]
)
def test_unusable_uploads_are_refused_before_storing(in_process, data, code):
    with pytest.raises(InputError) as error:
        upload(data, name="x.bin")
    assert error.value.code == code
    assert not Document.objects.exists()


def test_oversized_upload_is_refused_and_nothing_is_kept(in_process):
    in_process.MAX_UPLOAD_MB, in_process.MAX_UPLOAD_BYTES = 1, 1024 * 1024
    store = storage.path_for("0" * 64).parent.parent
    before = set(store.rglob("*"))
    with pytest.raises(InputError) as error:
        upload_document([b"a" * 600_000, b"b" * 600_000], filename="big.txt")
    assert error.value.code == "file_too_large"
    assert set(store.rglob("*")) - before == set()  # no original, no half-written temporary file


def test_service_outage_fails_after_bounded_retries_then_succeeds_on_retry(in_process):
    in_process.PIPELINE_STAGES = [PARSE, FLAKY]
    in_process.STAGE_MAX_RETRIES = 2
    in_process.STAGE_RETRY_BACKOFF_S = 0
    test_stages.marker("service-down").touch()
    document = upload(NOTE)
    wait_idle(120)
    document = wait_for_status(document, timeout=60)
    flaky = document.stages["flaky"]
    assert document.status == "failed"
    assert flaky["code"] == "llm_unavailable" and "did not answer" in flaky["reason"]
    assert test_stages.count("flaky-attempts") == 3  # the first try and two retries, no more

    test_stages.marker("service-down").unlink()
    assert retry_document(document)
    wait_idle(120)
    document = wait_for_status(document, timeout=60)
    assert document.status == "done"
    assert document.stages["parse"]["attempts"] == 1  # finished stages are not run again


def test_a_worker_killed_mid_stage_loses_nothing_and_finishes_once(
    transactional_db, test_output_dir, settings
):
    """SIGKILL a real Celery worker in the middle of a stage; a new worker finishes the document once."""
    require_services("DATABASE_URL", "REDIS_URL")
    stages = [PARSE, SLOW, CLASSIFY]
    settings.PIPELINE_STAGES = stages
    # The broker's visibility timeout stays at its default (an hour): recovery must not wait for it.
    env = {"DOCINTEL_PIPELINE_STAGES": ",".join(stages), "DOCINTEL_TEST_SLOW_STAGE_S": "8"}
    purge_broker()
    log = test_output_dir / "celery-worker-killed.log"
    first = CeleryWorker(log, **env).start()
    try:
        document = upload(NOTE)
        deadline = time.monotonic() + 60
        while test_stages.count("slow-started") < 1:
            assert time.monotonic() < deadline, "the slow stage never started"
            time.sleep(0.1)
        first.kill()
    finally:
        first.stop()
    document.refresh_from_db()
    assert document.stages["slow"]["status"] == "running"
    assert test_stages.count("slow-finished") == 0

    second = CeleryWorker(log, **env).start()
    try:
        document = wait_for_status(document, timeout=120)
    finally:
        second.stop()
    assert document.status == "done", document.stages
    assert test_stages.count("slow-started") == 2
    assert test_stages.count("slow-finished") == 1
    assert document.stages["slow"]["attempts"] == 2
    assert document.stages["classify"]["attempts"] == 1


def test_stages_whose_heartbeat_stopped_are_found(in_process):
    document = upload(NOTE)
    wait_idle(60)
    document.refresh_from_db()
    stale = {"status": "running", "worker": "celery@gone", "heartbeat": "2020-01-01T00:00:00+00:00"}
    document.stages = {**document.stages, "classify": stale}
    document.status = "running"
    document.save()
    assert orphaned_stages() == [(str(document.pk), "classify")]
    assert orphaned_stages(worker="celery@gone") == [(str(document.pk), "classify")]
    assert orphaned_stages(worker="celery@other") == []
