"""``manage.py ingest`` on the embedded default (no broker) never loses a document (issue 19).

Without ``--wait`` the command stores the documents, says they are queued for the next server or worker,
and exits at once, cleanly; the server, once it runs, finishes them. With ``--wait`` it processes them
itself and reports each one's final status. Each case runs the real commands in subprocesses on a SQLite
data directory of its own, as a batch job on a fresh install would; the pipeline is cut to parse and
classify (no model run: this is about the task runner, not the stages).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import FIXTURES, ROOT

SAMPLE = FIXTURES / "samples" / "synthetic-discharge-note.txt"
QUICK_STAGES = ("parse: docintel.documents.pipeline.parse.ParseStage,"
                "classify: docintel.documents.pipeline.classify.ClassifyStage")


@pytest.fixture
def embedded(tmp_path) -> dict[str, str]:
    """The environment of a fresh embedded install (SQLite, in-process runner), migrated."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DOCINTEL_DATA_DIR=str(tmp_path / "var"), DOCINTEL_PIPELINE_STAGES=QUICK_STAGES,
               PYTHONUNBUFFERED="1", DOCINTEL_ORPHAN_SWEEP_S="5", DOCINTEL_STAGE_LOST_AFTER_S="5")
    prepared = manage(env, "init_data_dir")
    assert prepared.returncode == 0, prepared.stderr
    migrated = manage(env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    return env


def manage(env, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def document_status(env, document_id: str) -> dict:
    script = ("import json; from docintel.documents.models import Document; "
              f"d = Document.objects.get(pk='{document_id}'); "
              "print(json.dumps({'status': d.status, 'stages': d.stages}))")
    result = manage(env, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def ingest_and_leave(env) -> dict:
    result = manage(env, "ingest", "--json", str(SAMPLE), timeout=120)
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    record = json.loads(result.stdout.strip().splitlines()[0])
    assert record["status"] == "queued"
    assert "queued" in result.stderr and "--wait" in result.stderr  # says what happens, and the option
    return record


def test_ingest_without_wait_exits_cleanly_and_leaves_the_documents_queued(embedded):
    record = ingest_and_leave(embedded)
    state = document_status(embedded, record["id"])
    assert state["status"] == "queued", state  # nothing half-run by a process that has gone
    assert {stage["status"] for stage in state["stages"].values()} == {"queued"}


def test_the_server_finishes_what_ingest_left_queued(embedded, tmp_path):
    record = ingest_and_leave(embedded)

    key = manage(embedded, "issue_token", "batch-checker", "--role", "admin").stdout.strip()
    port = free_port()
    with open(tmp_path / "server.log", "wb") as log:
        command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
        server = subprocess.Popen(command, cwd=ROOT, env=embedded, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            status = poll_until_settled(f"http://127.0.0.1:{port}/api/v1/documents/{record['id']}/", key)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert status == "done", (tmp_path / "server.log").read_text()[-3000:]


def poll_until_settled(url: str, key: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    status = "unreachable"
    while time.monotonic() < deadline:
        request = urllib.request.Request(url, headers={"Authorization": f"Token {key}"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own server
                status = json.loads(response.read())["status"]
        except OSError:
            status = "unreachable"
        if status in ("done", "failed"):
            return status
        time.sleep(1)
    return status


def test_ingest_with_wait_processes_here_and_reports_the_final_status(embedded):
    result = manage(embedded, "ingest", "--wait", "--json", str(SAMPLE), timeout=300)
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    record = json.loads(result.stdout.strip().splitlines()[-1])
    assert record["status"] == "done", record
    assert document_status(embedded, record["id"])["status"] == "done"


def test_a_missing_file_is_one_error_line_not_a_traceback(embedded):
    result = manage(embedded, "ingest", "--json", str(SAMPLE), "/no/such/file.pdf", timeout=120)
    assert result.returncode == 0  # one of two succeeded: the command as a whole did not fail
    no_traceback(result)
    records = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert {"id": "/no/such/file.pdf", "error": {"code": "not_found", "message": "no such file"}} in records
    alone = manage(embedded, "ingest", "/no/such/file.pdf", timeout=120)
    assert alone.returncode == 1
    no_traceback(alone)
