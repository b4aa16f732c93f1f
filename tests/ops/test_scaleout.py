"""Scale-out shape: one queue per stage (workers sized per stage), and the optional read replica that
serves document lists and audit pages while everything else stays on the primary."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings

from docintel.broker import MAINTENANCE_QUEUE, route_task, stage_queue
from tests.ops.conftest import TEMPLATE, base_environment, drill_environment
from tests.ops.services import (
    PG_BIN,
    PrivatePostgres,
    all_settled,
    as_postgres,
    celery_worker,
    document_rows,
    finished_exactly_once,
    free_port,
    manage,
    wait_until,
    web_server,
)
from tests.ops.test_drills import ingest, write_notes


def test_each_stage_has_its_own_queue(settings):
    settings.STAGE_QUEUES = {"classify": "parse"}  # an operator may share a queue between light stages
    run_stage = "docintel.documents.tasks.run_stage"
    assert route_task(run_stage, ("doc-id", "extract"), {}, {}) == {"queue": "extract"}
    assert route_task(run_stage, ("doc-id", "classify"), {}, {}) == {"queue": "parse"}
    assert route_task("docintel.documents.tasks.requeue_orphaned_stages", (), {}, {}) == {
        "queue": MAINTENANCE_QUEUE}
    assert stage_queue("redact") == "redact"


def test_declared_queues_follow_the_stage_list():
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert {"parse", "classify", "redact", "extract", MAINTENANCE_QUEUE} <= declared


@pytest.mark.drill
def test_workers_sized_per_stage_each_take_only_their_queue(drill_database, private_redis, drill_dir,
                                                            drill_logs):
    data = drill_dir / "data"
    env = drill_environment(drill_database, private_redis.url(), data)
    parse_worker = celery_worker(env, drill_logs / "queue-parse.log", "parse@queues", queues="parse")
    try:
        ingest(env, write_notes(drill_dir / "in", 2))

        def parsed_and_waiting() -> bool:
            rows = document_rows(drill_database)
            return len(rows) == 2 and all(s["parse"]["status"] == "done" and s["slow"]["status"] == "queued"
                                          for _, _, s in rows)

        wait_until(parsed_and_waiting, 60, "parse done and slow waiting in its own queue")
        rest = celery_worker(env, drill_logs / "queue-rest.log", "rest@queues",
                             queues="slow,classify,maintenance")
        try:
            wait_until(lambda: all_settled(drill_database), 90, "the other stages")
        finally:
            rest.stop()
    finally:
        parse_worker.stop()
    assert finished_exactly_once(drill_database) == []
    for _, _, stages in document_rows(drill_database):
        assert stages["parse"]["worker"] == "parse@queues" and stages["classify"]["worker"] == "rest@queues"


@pytest.mark.drill
def test_lists_and_audit_pages_read_from_the_replica(private_postgres, drill_dir, drill_logs):
    """A real streaming replica. With replay paused, a new document is on the primary only: the list
    (replica) does not show it yet, the document's own page (primary) does."""
    primary_url = private_postgres.create_database("replicated", template=TEMPLATE)
    env = base_environment(DATABASE_URL=primary_url, DOCINTEL_DATA_DIR=str(drill_dir / "data"),
                           DOCINTEL_PIPELINE_STAGES="parse: docintel.documents.pipeline.parse.ParseStage")
    replica_base = Path(tempfile.mkdtemp(prefix="docintel-replica-"))
    shutil.chown(replica_base, "postgres")
    replica = PrivatePostgres(replica_base)
    subprocess.run(as_postgres([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1",
                                "-p", str(private_postgres.port), "-U", "postgres", "-D", str(replica.data),
                                "-R", "-X", "stream", "--checkpoint=fast"]),
                   check=True, capture_output=True, timeout=120)
    replica.socket_dir.mkdir()
    shutil.chown(replica.socket_dir, "postgres")
    replica.start()
    port = free_port()
    env.update(DOCINTEL_DATABASE_REPLICA_URL=replica.url("replicated"), DOCINTEL_ALLOWED_HOSTS="127.0.0.1")
    token = manage(env, "issue_token", "replica-reader", "--role", "admin").stdout.strip()
    server = web_server(env, drill_logs / "replica-web.log", f"127.0.0.1:{port}")
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Token {token}"},
                       timeout=30)
    try:
        wait_until(lambda: _status(api, "/healthz") == 200, 60, "the server")
        (first,) = ingest(env, write_notes(drill_dir / "in", 1))
        wait_until(lambda: _listed(api) == {first}, 30, "the replica to catch up")
        with psycopg.connect(replica.url("replicated"), autocommit=True) as connection:
            connection.execute("SELECT pg_wal_replay_pause()")
        (second,) = ingest(env, write_notes(drill_dir / "more", 2)[1:])  # note-0 is the first one again
        assert api.get(f"/api/v1/documents/{second}/").status_code == 200  # the primary has it
        assert _listed(api) == {first}  # the list comes from the paused replica
        with psycopg.connect(replica.url("replicated"), autocommit=True) as connection:
            connection.execute("SELECT pg_wal_replay_resume()")
        wait_until(lambda: _listed(api) == {first, second}, 30, "the replica to replay")
    finally:
        server.stop()
        replica.stop()
        shutil.rmtree(replica_base, ignore_errors=True)


def _status(api: httpx.Client, path: str) -> int:
    try:
        return api.get(path).status_code
    except httpx.HTTPError:
        return 0


def _listed(api: httpx.Client) -> set[str]:
    response = api.get("/api/v1/documents/")
    response.raise_for_status()
    return {d["id"] for d in response.json()["results"]}
