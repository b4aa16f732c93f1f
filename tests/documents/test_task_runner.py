"""The embedded default's task runner: an upload returns before any stage runs, stages run on the
runner's own thread, and that thread (with the processes and threads it starts) runs at a lower
scheduling priority than request threads, so that stages do not starve the web server."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from docintel.accounts.models import ApiToken
from docintel.documents.models import Document
from docintel.documents.pipeline.base import Stage
from docintel.task_runner import wait_idle
from tests.factories import make_user, text_file

WHERE = "where: tests.documents.test_task_runner.WhereStage"


def record() -> Path:
    return Path(settings.DATA_DIR) / "test-stage-where"


class WhereStage(Stage):
    """Notes the thread it runs on and that thread's niceness; waits for the test's go-ahead."""

    go = threading.Event()

    def run(self, document) -> None:
        thread = threading.get_native_id()
        record().write_text(f"{threading.current_thread().name} {os.getpriority(os.PRIO_PROCESS, thread)}")
        WhereStage.go.wait(30)


@pytest.fixture
def where(settings, transactional_db):
    settings.TASKS_IN_PROCESS = True
    settings.PIPELINE_STAGES = [WHERE]
    record().unlink(missing_ok=True)
    WhereStage.go.clear()
    yield settings
    WhereStage.go.set()
    wait_idle(60)


def test_an_upload_returns_while_its_first_stage_waits_on_the_runner_thread(where):
    user = make_user("clerk")
    _, key = ApiToken.issue(user, "t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post("/api/v1/documents/", {"file": text_file()}, format="multipart")
    # The stage is still waiting for the go-ahead, so the request cannot have run it.
    assert response.status_code == 202 and response.json()["status"] == "queued"
    WhereStage.go.set()
    assert wait_idle(60)
    name, nice = record().read_text().split()
    assert name.startswith("docintel-task") and name != threading.current_thread().name
    request_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert int(nice) == min(19, request_nice + settings.TASK_NICE)
    assert Document.objects.get(pk=response.json()["id"]).status == "done"
