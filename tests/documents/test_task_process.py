"""On the embedded default a web server runs the pipeline's stages in a process of its own per worker
(``DOCINTEL_TASK_PROCESS``, set by deploy/gunicorn.conf.py), not in a thread that shares the worker's
GIL with its requests. A real gunicorn with the shipped configuration, a real upload through the API,
the stages run to the end in the runner process, and the runner is started again if it dies."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTE = b"Discharge note\nVisit date: 03/14/2025\nAssessment: community-acquired pneumonia (J18.9).\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Child processes of ``pid``, whichever of its threads started them."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(found)


def _python_children(pid: int) -> list[int]:
    """Those children that are Python interpreters (not the parse sandbox's short-lived ones, which
    have exited by the time a document is done)."""
    return [child for child in _children(pid) if "spawn" in Path(f"/proc/{child}/cmdline").read_text()]


def _upload(base: str, token: str, body: bytes, name: str) -> str:
    response = httpx.post(f"{base}/api/v1/documents/", files={"file": (name, body, "text/plain")},
                          headers={"Authorization": f"Token {token}"}, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def _settled(base: str, token: str, document_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document = httpx.get(f"{base}/api/v1/documents/{document_id}/",
                             headers={"Authorization": f"Token {token}"}, timeout=30).json()
        if document["status"] in ("done", "failed"):
            return document
        time.sleep(0.5)
    raise AssertionError(f"document {document_id} did not settle in {timeout} s")


@pytest.fixture
def server(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "DOCINTEL_BROKER_URL", "DOCINTEL_LLM_URL")}
    env.update(DOCINTEL_DATA_DIR=str(tmp_path / "data"), DOCINTEL_WEB_WORKERS="1",
               DJANGO_SETTINGS_MODULE="docintel.settings",
               # parse, classify and redact: the model stage is not what this is about
               DOCINTEL_PIPELINE_STAGES=",".join([
                   "parse: docintel.documents.pipeline.parse.ParseStage",
                   "ocr: docintel.documents.pipeline.ocr.OcrStage",
                   "classify: docintel.documents.pipeline.classify.ClassifyStage",
                   "redact: docintel.redaction.stage.RedactStage"]))
    manage = [sys.executable, "manage.py"]
    for command in (["init_data_dir"], ["migrate", "--noinput"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    token = subprocess.run([*manage, "issue_token", "feeder", "--role", "service"], cwd=ROOT, env=env,
                           check=True, capture_output=True, text=True, timeout=120).stdout.strip()
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                                "--bind", f"127.0.0.1:{port}", "docintel.wsgi:application"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/healthz", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.3)
    try:
        yield process, base, token
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_a_web_servers_stages_run_in_a_runner_process_which_comes_back_if_killed(server):
    process, base, token = server
    document = _settled(base, token, _upload(base, token, NOTE, "note-1.txt"))
    assert document["status"] == "done", document
    (worker,) = _children(process.pid)
    runners = _python_children(worker)
    assert len(runners) == 1, runners  # the stages ran in a process of the worker's, not in its threads
    os.kill(runners[0], signal.SIGKILL)
    time.sleep(1)
    document = _settled(base, token, _upload(base, token, NOTE + b"Second visit.\n", "note-2.txt"))
    assert document["status"] == "done", document  # a new runner took the next document
    assert _python_children(worker) and _python_children(worker) != runners
