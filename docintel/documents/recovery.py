"""Finding stages whose worker died, and running them again.

The broker redelivers an unacknowledged task only after its visibility timeout (an hour by default, so
that long model calls are not handed out twice). Waiting that long after a crash is not acceptable, so
each running stage records its worker and a heartbeat, and two sweeps re-queue orphans:
- when a worker starts, stages that its previous incarnation (same node name) left running;
- periodically (Celery beat, or a thread of the web server on the embedded default), stages whose
  heartbeat stopped, whichever worker ran them.
A re-queued stage starts a new run; a late finish of the old run is ignored (tasks.py compares run ids).
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import Document, StageStatus

log = logging.getLogger(__name__)


def _beat(document_id: str, name: str, run_id: str) -> None:
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).only("stages").first()
        stage = document.stages.get(name, {}) if document else {}
        if stage.get("run_id") != run_id:
            return
        document.stages = {**document.stages, name: {**stage, "heartbeat": timezone.now().isoformat()}}
        document.save(update_fields=["stages"])


@contextmanager
def heartbeat(document_id: str, name: str, run_id: str):
    """While the block runs, refresh the stage's heartbeat every STAGE_HEARTBEAT_S seconds."""
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.wait(settings.STAGE_HEARTBEAT_S):
                _beat(document_id, name, run_id)
        except Exception as error:  # a missed heartbeat must never break the stage itself
            log.warning("heartbeat of %s/%s failed: %s", document_id, name, type(error).__name__)
        finally:
            connection.close()

    thread = threading.Thread(target=loop, name=f"heartbeat-{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def orphaned_stages(*, worker: str | None = None) -> list[tuple[str, str]]:
    """(document id, stage) pairs left running by ``worker``, or, with no worker named, by any worker
    whose heartbeat is older than STAGE_STALE_AFTER_S."""
    stale_before = timezone.now() - timedelta(seconds=settings.STAGE_STALE_AFTER_S)
    found = []
    for document in Document.objects.filter(status=StageStatus.RUNNING, erased_at=None).only("stages"):
        for name, stage in document.stages.items():
            if stage.get("status") != StageStatus.RUNNING:
                continue
            if worker is not None:
                orphaned = stage.get("worker") == worker
            else:
                beat = parse_datetime(stage.get("heartbeat") or stage.get("started") or "")
                orphaned = beat is None or beat < stale_before
            if orphaned:
                found.append((str(document.pk), name))
    return found


def requeue_orphans(*, worker: str | None = None) -> int:
    from docintel.task_runner import dispatch

    from .tasks import run_stage

    orphans = orphaned_stages(worker=worker)
    for document_id, name in orphans:
        log.warning("re-queueing stage %s of document %s: its worker stopped", name, document_id)
        dispatch(run_stage, document_id, name)
    return len(orphans)


_sweeper_started = threading.Lock()


def start_in_process_sweeper(**signal_kwargs) -> None:
    """On the embedded default the web server is the worker: sweep for orphans from a thread of it
    (what Celery beat does in production), so a restarted server finishes what it was doing.

    Started by the first request a server process handles (``request_started``), never at import:
    a server that forks its workers after loading the app (gunicorn --preload) must not share a
    thread or a database connection between them.
    """
    if not settings.TASKS_IN_PROCESS or not _sweeper_started.acquire(blocking=False):
        return

    def loop() -> None:
        while True:
            try:
                requeue_orphans()
            except Exception as error:  # the database may be migrating or busy: try again later
                log.warning("orphan sweep failed: %s", type(error).__name__)
            finally:
                connection.close()
            time.sleep(settings.ORPHAN_SWEEP_S)

    threading.Thread(target=loop, name="docintel-orphan-sweep", daemon=True).start()
