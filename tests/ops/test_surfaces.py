"""Operators' surfaces: /healthz, /readyz (against a real database that goes down), /metrics, JSON logs."""

from __future__ import annotations

import json
import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from audit.actions import record_event
from docintel.documents.actions import upload_document
from docintel.ops.logformat import DocintelJsonFormatter
from docintel.task_runner import wait_idle
from tests.conftest import wait_for_status
from tests.ops.conftest import base_environment
from tests.ops.services import free_port, wait_until, web_server

NOTE = b"Clinic letter. Assessment: stable. Plan: continue current treatment and review in a month.\n"


class ModelsEndpoint:
    """An OpenAI-compatible server's ``GET /v1/models``: all a readiness probe asks of a model server."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                body = b'{"object": "list", "data": [{"id": "smollm2"}]}'
                self.send_response(200 if self.path == "/v1/models" else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def model_endpoint():
    endpoint = ModelsEndpoint()
    yield endpoint
    endpoint.stop()


def test_healthz_answers_whatever_the_host_header(db):
    response = Client(HTTP_HOST="10.9.8.7:8000").get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert Client().post("/healthz").status_code == 405


def test_readyz_names_each_check(db, settings, model_endpoint):
    settings.LLM_URL = f"{model_endpoint.url},http://127.0.0.1:{free_port()}/v1"  # one replica of two down
    settings.MIN_FREE_DISK_MB = 1
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "broker", "model_servers", "disk"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "1 of 2 up" in body["checks"]["model_servers"]["detail"]


def test_readyz_is_unready_when_no_model_server_answers_or_the_disk_is_short(db, settings):
    settings.LLM_URL = f"http://127.0.0.1:{free_port()}/v1"
    settings.MIN_FREE_DISK_MB = 10**9
    response = Client().get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["model_servers"]["ok"] is False and "no server answers" in checks["model_servers"]["detail"]
    assert checks["disk"]["ok"] is False
    assert checks["database"]["ok"] is True


@pytest.mark.drill
def test_readyz_turns_unready_while_the_database_is_down(private_postgres, drill_dir, drill_logs):
    """A real server on a private PostgreSQL: ready, then 503 naming the database while it is stopped,
    ready again once it is back (persistent connections are health-checked, not trusted)."""
    database = private_postgres.create_database("readyz")
    port = free_port()
    env = base_environment(DATABASE_URL=database, DOCINTEL_DATA_DIR=str(drill_dir / "data"),
                           DOCINTEL_MIN_FREE_DISK_MB="1")
    server = web_server(env, drill_logs / "readyz.log", f"127.0.0.1:{port}")
    url = f"http://127.0.0.1:{port}/readyz"

    def status() -> int:
        try:
            return httpx.get(url, timeout=10).status_code
        except httpx.HTTPError:
            return 0

    try:
        wait_until(lambda: status() == 200, 60, "the server to be ready")
        private_postgres._pg_ctl("stop", "-m", "fast", "-w")
        response = httpx.get(url, timeout=15)
        assert response.status_code == 503
        database_check = response.json()["checks"]["database"]
        assert database_check["ok"] is False and database_check["detail"].startswith("default:")
        assert httpx.get(url.replace("readyz", "healthz"), timeout=5).status_code == 200  # alive, not ready
        private_postgres._start()
        wait_until(lambda: status() == 200, 30, "the server to be ready again")
    finally:
        server.stop()
        if not private_postgres.accepting():
            private_postgres._start()


def test_metrics_are_restricted_to_the_monitoring_system(db, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1/32"]
    settings.METRICS_TOKEN = "scrape-secret-1234567890"
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 403
    assert Client(REMOTE_ADDR="10.1.2.3").get(
        "/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-1234567890").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample of Prometheus text, found by name and labels (in any order)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    raise AssertionError(f"{name}{labels} not in the metrics")


def test_metrics_count_documents_stages_failures_and_model_calls(transactional_db, settings):
    settings.TASKS_IN_PROCESS = True
    settings.PIPELINE_STAGES = ["parse: docintel.documents.pipeline.parse.ParseStage",
                                "classify: docintel.documents.pipeline.classify.ClassifyStage"]
    document, _ = upload_document([NOTE], filename="letter.txt")
    broken, _ = upload_document([b"%PDF-1.7\nnot really a pdf"], filename="broken.pdf")
    wait_idle(120)
    wait_for_status(document, timeout=60)
    wait_for_status(broken, timeout=60)
    record_event("model.inference", document=document, purpose="extraction", details={
        "model": "smollm2", "backend_url_name": "gpu-1:8000", "prompt_tokens": 900,
        "completion_tokens": 120, "latency_ms": 1500})

    text = Client().get("/metrics").content.decode()
    assert metric(text, "docintel_documents", status="done") == 1
    assert metric(text, "docintel_documents", status="failed") == 1
    assert metric(text, "docintel_stage_duration_seconds_count", stage="parse", outcome="done") == 1
    assert metric(text, "docintel_stage_duration_seconds_count", stage="classify", outcome="done") == 1
    assert metric(text, "docintel_stage_failures_total", stage="parse", code="pdf_corrupt") == 1
    assert metric(text, "docintel_model_request_duration_seconds_count", model="smollm2",
                  server="gpu-1:8000") == 1
    assert metric(text, "docintel_model_tokens_total", model="smollm2", kind="prompt") == 900
    assert metric(text, "docintel_model_tokens_total", model="smollm2", kind="completion") == 120
    assert metric(text, "docintel_broker_up", kind="in-process") == 1

    # A second scrape folds only what is new: counters do not double.
    again = Client().get("/metrics").content.decode()
    assert metric(again, "docintel_model_tokens_total", model="smollm2", kind="prompt") == 900


def test_json_logs_withhold_exception_messages():
    formatter = DocintelJsonFormatter()
    try:
        raise ValueError("Patient Jane Roe, MRN 1234567")  # what a library might put in a message
    except ValueError:
        record = logging.getLogger("docintel").makeRecord(
            "docintel", logging.ERROR, __file__, 1, "stage %s of document %s crashed", ("parse", "d-1"),
            sys.exc_info())
    line = json.loads(formatter.format(record))
    assert line["message"] == "stage parse of document d-1 crashed"
    assert line["level"] == "ERROR" and line["logger"] == "docintel" and "time" in line and "host" in line
    assert "ValueError" in line["exc_info"] and "Jane" not in json.dumps(line)
