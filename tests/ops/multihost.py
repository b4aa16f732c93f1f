"""docintel on several hosts, built from network namespaces, with a worker host and a model host lost
mid-batch. Run it with ``deploy/multihost/demo.py`` (root; see ``deploy/multihost/README.md``).

Topology (one Linux machine, one namespace per host, veth links into a bridge):

    service network 10.x.y.0/24 (bridge in the root namespace): PostgreSQL and Redis on 10.x.y.1
    web      gunicorn (REST API) and celery beat (the sweeps)
    worker1  celery worker            worker2  celery worker
    model1   llama.cpp server         model2   llama.cpp server (vLLM stand-ins, same model)

The script uploads a batch through the API, pulls the cable of worker1 while it is in the middle of a
stage and of model1, waits for every document to settle, and checks that every document is ``done``,
that every stage of every document finished exactly once in the audit log, and that ``audit_verify``
passes. Everything it made (namespaces, links, processes, the private PostgreSQL and Redis, the temporary
data) is removed when it ends, whether it passed, failed or was interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.ops.services import (
    ROOT,
    Network,
    PrivatePostgres,
    PrivateRedis,
    Process,
    all_settled,
    celery_beat,
    celery_worker,
    document_rows,
    finished_exactly_once,
    manage,
    wait_until,
    web_server,
)

CORPUS = (ROOT.parent / "shared" / "corpus" / "contracts" / "pdf").resolve()
WEB_PORT = 8000
MODEL_PORT = 8001


class Interrupted(Exception):
    pass


def _on_signal(signum, frame):  # turn SIGTERM/SIGINT into an exception so that teardown runs
    raise Interrupted(f"signal {signum}")


def batch(count: int) -> list[Path]:
    """The smallest CUAD contracts (public filings, nobody here wrote them)."""
    files = sorted(CORPUS.glob("*.pdf"), key=lambda p: p.stat().st_size)
    if len(files) < count:
        raise SystemExit(f"needs {count} contracts in {CORPUS}")
    return files[:count]


def run(documents: int, logs: Path, model_hosts: int, timeout: float) -> dict:
    logs.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="docintel-multihost-"))
    os.chmod(base, 0o755)  # noqa: S103 - PostgreSQL runs as its own account below it
    net = Network()
    processes: list[Process] = []
    pg = redis = None
    report: dict = {"documents": documents, "logs": str(logs)}
    started = time.monotonic()
    try:
        net.up()
        pg = PrivatePostgres(base / "pg", host=net.gateway).start()
        database = pg.create_database("docintel")
        redis = PrivateRedis(base / "redis", host=net.gateway).start()
        web = net.add_host("web")
        workers = [net.add_host("worker1"), net.add_host("worker2")]
        models = [net.add_host(f"model{i + 1}") for i in range(model_hosts)]
        web_url = f"http://{net.hosts[web]}:{WEB_PORT}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DOCINTEL_", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": "docintel.settings", "PYTHONUNBUFFERED": "1",
            "DOCINTEL_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database, "REDIS_URL": redis.url(), "DOCINTEL_DATA_DIR": str(base / "data"),
            "DOCINTEL_ALLOWED_HOSTS": net.hosts[web],
            "DOCINTEL_LLM_URL": ",".join(f"http://{net.hosts[m]}:{MODEL_PORT}/v1" for m in models),
            "DOCINTEL_LLM_MODEL": "smollm2", "DOCINTEL_LLM_TIMEOUT_S": "90", "DOCINTEL_LLM_MAX_TOKENS": "64",
            "DOCINTEL_LLM_CHUNK_CHARS": "1500", "DOCINTEL_EXTRACTION_MAX_CHUNKS": "1",
            # Short timeouts so that the demo fits in minutes; production keeps the defaults.
            "DOCINTEL_STAGE_HEARTBEAT_S": "1", "DOCINTEL_STAGE_STALE_AFTER_S": "8",
            "DOCINTEL_ORPHAN_SWEEP_S": "5", "DOCINTEL_STAGE_LOST_AFTER_S": "20",
            "DOCINTEL_STAGE_RETRY_BACKOFF_S": "2", "DOCINTEL_MIN_FREE_DISK_MB": "1",
            "DOCINTEL_LOG_FORMAT": "json",
        }
        for step in (("init_data_dir",), ("migrate", "--noinput")):  # as the deploy guide says
            result = manage(env, *step)
            if result.returncode != 0:
                raise RuntimeError(f"manage.py {step[0]} failed: {result.stderr[-2000:]}")
        token = manage(env, "issue_token", "multihost-demo", "--role", "service").stdout.strip()

        from extraction.backends.embedded import model_path

        for model in models:
            processes.append(Process(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path()), "--host",
                 net.hosts[model], "--port", str(MODEL_PORT), "--n_ctx", "4096", "--n_threads", "1",
                 "--model_alias", "smollm2"], env, logs / f"{model.split('-')[-1]}.log", netns=model))
        processes.append(web_server(env, logs / "web.log", f"{net.hosts[web]}:{WEB_PORT}", netns=web))
        processes.append(celery_beat(env, logs / "beat.log", base / "beat-schedule", netns=web))
        for worker in workers:
            role = worker.split("-")[-1]
            processes.append(celery_worker(env, logs / f"{role}.log", f"{role}@multihost", netns=worker))

        client = httpx.Client(base_url=web_url, headers={"Authorization": f"Token {token}"}, timeout=30)

        def ready() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                return client.get("/readyz").status_code == 200
            return False

        wait_until(ready, 120, "the web host to be ready (database, broker, model servers, disk)", 1)
        report["setup_s"] = round(time.monotonic() - started, 1)

        ids = []
        for path in batch(documents):
            with open(path, "rb") as handle:
                response = client.post("/api/v1/documents/", files={"file": (path.name, handle)},
                                       data={"kind": "contract"})
            response.raise_for_status()
            ids.append(response.json()["id"])

        # Mid-batch: worker1 is in the middle of a stage; then both its cable and model1's are pulled.
        def held_by_worker1() -> list[str]:
            return [f"{doc}/{name}" for doc, _, stages in document_rows(database)
                    for name, stage in stages.items()
                    if stage.get("status") == "running" and stage.get("worker", "").startswith("worker1@")]

        wait_until(lambda: bool(held_by_worker1()), 120, "worker1 to run a stage", 0.05)
        net.cut(workers[0])
        if len(models) > 1:  # with one model host, losing it would leave nobody to answer
            net.cut(models[0])
        report["cut_at_s"] = round(time.monotonic() - started, 1)
        # What worker1 held when its cable was pulled, as the database says: those stages can no longer
        # finish there and must run again elsewhere. (A stage may commit between the poll that saw it
        # running and the cut, a stage lasts 1-2 s: then worker1 held nothing and nothing runs again.)
        report["held_by_the_lost_host"] = held_by_worker1()

        wait_until(lambda: all_settled(database), timeout, "every document to settle", 1)
        report["settled_at_s"] = round(time.monotonic() - started, 1)

        rows = document_rows(database)
        report["statuses"] = {doc: status for doc, status, _ in rows}
        report["problems"] = finished_exactly_once(database)
        report["stages_run_again_after_the_cut"] = sum(
            1 for _, _, stages in rows for stage in stages.values() if stage.get("attempts", 1) > 1)
        verify = manage(env, "audit_verify", "--json")
        report["audit_verify"] = json.loads(verify.stdout or "{}").get("ok", False)
        report["readyz_after"] = client.get("/readyz").json()
        report["ok"] = not report["problems"] and report["audit_verify"]
        return report
    finally:
        for process in reversed(processes):
            with contextlib.suppress(Exception):
                process.stop(timeout=10)
        net.teardown()
        if redis:
            redis.kill()
        if pg:
            pg.stop()
        shutil.rmtree(base, ignore_errors=True)
        report["total_s"] = round(time.monotonic() - started, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=6)
    parser.add_argument("--model-hosts", type=int, default=2, choices=(1, 2),
                        help="2: DOCINTEL_LLM_URL lists both and model1 is cut mid-batch")
    parser.add_argument("--timeout", type=float, default=400, help="seconds for the batch to settle")
    parser.add_argument("--logs", type=Path, default=ROOT / "test-output" / "multihost")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("multihost demo: needs root (network namespaces)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        report = run(args.documents, args.logs, args.model_hosts, args.timeout)
    except (Interrupted, Exception) as error:
        print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"}))
        return 1
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1
