"""Failure drills on real services: each starts its own PostgreSQL, Redis and workers, injects a failure
while documents are in flight, and checks that every document ends ``done``, every stage finished
exactly once in the audit log, no stage body ran twice where it must not, and ``audit_verify`` passes.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.ops.conftest import drill_environment
from tests.ops.services import (
    Network,
    PrivateRedis,
    all_settled,
    can_build_networks,
    celery_beat,
    celery_worker,
    document_rows,
    finished_exactly_once,
    manage,
    wait_until,
)

pytestmark = [pytest.mark.drill, pytest.mark.timeout(400)]


def write_notes(directory: Path, count: int) -> list[Path]:
    directory.mkdir(exist_ok=True)
    paths = []
    for i in range(count):
        path = directory / f"note-{i}.txt"
        path.write_text(f"Follow-up visit {i}. Assessment and plan: continue current medications, "
                        f"review in {i + 2} weeks.\n")
        paths.append(path)
    return paths


def ingest(env: dict, paths: list[Path]) -> list[str]:
    result = manage(env, "ingest", *map(str, paths), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line)["id"] for line in result.stdout.splitlines() if line.startswith("{")]


def runs(data_dir: Path, name: str) -> Counter:
    """How many times the test stage's body started or finished, per document (tests.documents.stages)."""
    path = data_dir / f"test-stage-{name}"
    return Counter(path.read_text().split()) if path.exists() else Counter()


def audit_verifies(env: dict) -> bool:
    result = manage(env, "audit_verify", "--json")
    return json.loads(result.stdout or "{}").get("ok") is True


def test_broker_restarts_empty_while_documents_are_queued(drill_database, private_redis, drill_dir,
                                                          drill_logs):
    """Redis without persistence dies and comes back empty: the queued messages are gone. The sweep
    re-queues the queued stages whose message the broker no longer holds; each stage runs once."""
    data = drill_dir / "data"
    env = drill_environment(drill_database, private_redis.url(), data)
    worker = celery_worker(env, drill_logs / "broker-restart-worker.log", "worker@broker-restart")
    beat = celery_beat(env, drill_logs / "broker-restart-beat.log", drill_dir / "beat-schedule")
    try:
        ids = ingest(env, write_notes(drill_dir / "in", 5))
        # One slow stage runs; the others wait in Redis behind it.
        wait_until(lambda: sum(runs(data, "slow-started").values()) >= 1, 60, "the first slow stage")
        private_redis.restart_empty()
        wait_until(lambda: all_settled(drill_database), 180, "every document to settle", 1)
    finally:
        beat.stop()
        worker.stop()
    assert finished_exactly_once(drill_database) == []
    assert sorted(runs(data, "slow-finished")) == sorted(ids)
    assert set(runs(data, "slow-finished").values()) == {1}  # no stage body ran twice
    assert audit_verifies(env)


def test_postgres_restarts_while_stages_run(private_postgres, drill_database, private_redis, drill_dir,
                                            drill_logs):
    """The database goes away mid-stage and comes back: workers reconnect, the stage that was running
    records its end once, nothing is stuck and nothing runs twice."""
    data = drill_dir / "data"
    env = drill_environment(drill_database, private_redis.url(), data, DOCINTEL_TEST_SLOW_STAGE_S="4")
    worker = celery_worker(env, drill_logs / "pg-restart-worker.log", "worker@pg-restart")
    beat = celery_beat(env, drill_logs / "pg-restart-beat.log", drill_dir / "beat-schedule")
    try:
        ids = ingest(env, write_notes(drill_dir / "in", 3))
        wait_until(lambda: sum(runs(data, "slow-started").values()) >= 1, 60, "the first slow stage")
        private_postgres.restart("fast")  # every connection is cut, as in a failover or a restart
        wait_until(lambda: all_settled(drill_database), 180, "every document to settle", 1)
    finally:
        beat.stop()
        worker.stop()
    assert finished_exactly_once(drill_database) == []
    assert runs(data, "slow-started") == Counter({i: 1 for i in ids})  # no stage started twice
    assert audit_verifies(env)


@pytest.mark.skipif(not can_build_networks(), reason="needs root and iproute2 (network namespaces)")
def test_a_worker_host_disappears_mid_stage(private_postgres, drill_dir, drill_logs):
    """A worker host loses its network in the middle of a stage (its processes keep running, like a host
    behind a dead switch port). After the stale timeout the sweep re-queues the stage, the other host
    finishes it; when the lost host comes back, its late finish is refused (fenced by the run id)."""
    data = drill_dir / "data"
    net = Network().up()
    redis = PrivateRedis(drill_dir / "redis", host=net.gateway).start()
    try:
        local = private_postgres.create_database(f"drill_netns_{net.tag}", template="docintel_template")
        database = local.replace("127.0.0.1", net.gateway)  # how the namespace hosts reach it
        env = drill_environment(database, redis.url(), data, DOCINTEL_TEST_SLOW_STAGE_S="15")
        hosts = {"a": net.add_host("a"), "b": net.add_host("b")}
        workers = {name: celery_worker(env, drill_logs / f"host-{name}-worker.log", f"worker@host-{name}",
                                       netns=namespace) for name, namespace in hosts.items()}
        beat = celery_beat(env, drill_logs / "hosts-beat.log", drill_dir / "beat-schedule")
        try:
            (document_id,) = ingest(env, write_notes(drill_dir / "in", 1))

            def slow_running_on() -> str:
                for _, _, stages in document_rows(database):
                    slow = stages.get("slow", {})
                    if slow.get("status") == "running":
                        return slow.get("worker", "")
                return ""

            holder = wait_until(slow_running_on, 60, "the slow stage to start").split("@host-")[-1]
            lost = hosts[holder]
            net.cut(lost)
            cut_at = time.monotonic()
            wait_until(lambda: all_settled(database), 120, "the other host to finish the document", 1)
            took = time.monotonic() - cut_at
            net.reconnect(lost)  # the lost host comes back and tries to record its own, late, finish
            time.sleep(20)
        finally:
            beat.stop()
            for worker in workers.values():
                worker.stop()
    finally:
        net.teardown()
        redis.kill()
    env["DATABASE_URL"] = database = local  # the bridge is gone
    assert finished_exactly_once(database) == []
    (row,) = document_rows(database)
    assert row[2]["slow"]["attempts"] == 2 and row[2]["slow"]["worker"] != f"worker@host-{holder}"
    assert runs(data, "slow-started")[document_id] == 2
    assert took >= 6  # not before the stale timeout: a slow host is not a lost host
    assert audit_verifies(env)
