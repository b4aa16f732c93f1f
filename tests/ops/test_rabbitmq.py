"""RabbitMQ as the broker (``DOCINTEL_BROKER_URL=amqp://…``): quorum queues, publisher confirms, and a
task whose worker died redelivered as soon as the connection drops (no visibility timeout to wait for).

Uses the machine's RabbitMQ on a vhost of its own (``DOCINTEL_TEST_AMQP_URL``; CI creates it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from urllib.parse import unquote, urlsplit

import pytest

from tests.ops.conftest import CLASSIFY, PARSE, drill_environment
from tests.ops.services import (
    ROOT,
    all_settled,
    celery_worker,
    document_rows,
    finished_exactly_once,
    manage,
    wait_until,
)
from tests.ops.test_drills import audit_verifies, ingest, runs, write_notes

pytestmark = [pytest.mark.drill, pytest.mark.timeout(300)]


@pytest.fixture
def amqp_url() -> str:
    url = os.environ.get("DOCINTEL_TEST_AMQP_URL", "")
    if not url:
        message = "needs DOCINTEL_TEST_AMQP_URL (a RabbitMQ vhost for tests)"
        if os.environ.get("DOCINTEL_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


def purge(env: dict) -> None:
    subprocess.run([sys.executable, "-m", "celery", "-A", "docintel", "purge", "-f"], cwd=ROOT, env=env,
                   capture_output=True, timeout=60, check=False)


def queue_types(amqp_url: str) -> dict[str, str]:
    vhost = unquote(urlsplit(amqp_url).path.lstrip("/")) or "/"
    listing = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "type"],
                             capture_output=True, text=True, check=True, timeout=60).stdout
    return dict(line.split("\t")[:2] for line in listing.splitlines() if "\t" in line)


def test_a_killed_workers_task_is_redelivered_at_once(amqp_url, drill_database, drill_dir, drill_logs):
    data = drill_dir / "data"
    # The stale sweep would only step in after two minutes: the redelivery must not need it.
    env = drill_environment(drill_database, amqp_url, data, DOCINTEL_TEST_SLOW_STAGE_S="6",
                            DOCINTEL_STAGE_STALE_AFTER_S="120")
    purge(env)
    first = celery_worker(env, drill_logs / "amqp-worker-1.log", "first@amqp")
    (document_id,) = ingest(env, write_notes(drill_dir / "in", 1))
    wait_until(lambda: runs(data, "slow-started")[document_id] == 1, 60, "the slow stage to start")
    first.signal(signal.SIGKILL)
    first.stop()
    killed_at = time.monotonic()
    second = celery_worker(env, drill_logs / "amqp-worker-2.log", "second@amqp")
    try:
        wait_until(lambda: all_settled(drill_database), 90, "the document to settle", 0.5)
    finally:
        second.stop()
    assert time.monotonic() - killed_at < 60  # redelivered, not swept after the stale timeout
    assert finished_exactly_once(drill_database) == []
    (row,) = document_rows(drill_database)
    assert row[2]["slow"]["attempts"] == 2 and row[2]["slow"]["worker"] == "second@amqp"
    assert audit_verifies(env)
    types = queue_types(amqp_url)
    assert {types.get(q) for q in ("parse", "slow", "classify", "maintenance")} == {"quorum"}


def test_retries_after_a_service_error_wait_their_countdown_on_quorum_queues(amqp_url, drill_database,
                                                                           drill_dir, drill_logs):
    """A countdown on a quorum queue needs RabbitMQ's native delayed delivery (Celery sets it up)."""
    data = drill_dir / "data"
    flaky = "flaky: tests.documents.stages.FlakyServiceStage"
    env = drill_environment(drill_database, amqp_url, data,
                            DOCINTEL_PIPELINE_STAGES=f"{PARSE},{flaky},{CLASSIFY}",
                            DOCINTEL_STAGE_MAX_RETRIES="2", DOCINTEL_STAGE_RETRY_BACKOFF_S="1")
    purge(env)
    (data / "test-stage-service-down").touch()
    worker = celery_worker(env, drill_logs / "amqp-retry-worker.log", "retry@amqp")
    try:
        ingest(env, write_notes(drill_dir / "in", 1))
        wait_until(lambda: all_settled(drill_database), 90, "the document to settle", 0.5)
    finally:
        worker.stop()
    (row,) = document_rows(drill_database)
    assert row[1] == "failed" and row[2]["flaky"]["code"] == "llm_unavailable"
    assert len((data / "test-stage-flaky-attempts").read_text().split()) == 3  # first try + two retries
    assert manage(env, "audit_verify").returncode == 0
