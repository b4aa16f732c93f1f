"""The pipeline's Celery tasks: run a stage of a document, then queue the next; and the sweeps that
re-queue stages whose worker died.

Arguments are ids only. ``run_stage`` is safe to run twice: a stage already done is skipped, and only
the run that marks a stage done queues the next one, so a redelivered message never forks the pipeline.
Every change of a stage's state goes through ``pipeline.state``.

Why sweeps: the broker redelivers an unacknowledged task only after its visibility timeout (an hour by
default, so that long model calls are not handed out twice). Waiting that long after a crash is not
acceptable, so each running stage records its worker and a heartbeat, and two sweeps re-queue orphans:
when a worker starts, what its previous incarnation (same node name) left running; periodically (Celery
beat, or a thread of the web server on the embedded default), stages whose heartbeat stopped.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import connection

from docintel.errors import DocintelError
from docintel.task_runner import dispatch

from .models import StageStatus
from .pipeline import state
from .pipeline.base import get_stage, next_stage_name

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_stage(self, document_id: str, name: str) -> None:
    document, run_id = state.begin(document_id, name, self.request.hostname or "in-process")
    if document is None:
        return
    if not run_id:  # already done by an earlier delivery: make sure the pipeline moved on
        following = next_stage_name(name)
        under_way = {*state.FINISHED, StageStatus.RUNNING}
        if following and document.stage(following).get("status") not in under_way:
            dispatch(run_stage, document_id, following)
        return
    stage = get_stage(name)
    started = time.monotonic()
    try:
        if not stage.applies_to(document):
            _finish(document_id, name, run_id, started, status=StageStatus.SKIPPED)
            return
        with state.heartbeat(document_id, name, run_id):
            stage.run(document)
    except DocintelError as error:
        if error.retryable and self.request.retries < settings.STAGE_MAX_RETRIES:
            _retry_later(self, document_id, name, run_id, started, error)
        _finish(document_id, name, run_id, started, status=StageStatus.FAILED, code=error.code,
                reason=error.message)
        return
    except Exception as error:  # an unexpected bug: log where, never what (messages may quote PHI)
        log.error("stage %s of document %s crashed with %s:\n%s", name, document_id,
                  type(error).__name__, "".join(traceback.format_tb(error.__traceback__)))
        _finish(document_id, name, run_id, started, status=StageStatus.FAILED, code="internal_error",
                reason=f"unexpected {type(error).__name__} in stage {name}; the worker log has details")
        return
    _finish(document_id, name, run_id, started, status=StageStatus.DONE)


def _finish(document_id: str, name: str, run_id: str, started: float, **outcome) -> None:
    """Record the outcome; the run that finishes a stage queues the next one."""
    if state.finish(document_id, name, run_id, started, **outcome) and outcome["status"] in state.FINISHED:
        following = next_stage_name(name)
        if following:
            dispatch(run_stage, document_id, following)


def _retry_later(task, document_id, name, run_id, started, error: DocintelError) -> None:
    countdown = settings.STAGE_RETRY_BACKOFF_S * (2 ** task.request.retries)
    state.finish(document_id, name, run_id, started, status=StageStatus.QUEUED, code=error.code,
                 reason=f"{error.message} (retry {task.request.retries + 1} of {settings.STAGE_MAX_RETRIES} "
                        f"in {countdown}s)")
    raise task.retry(countdown=countdown, exc=None)


def requeue_orphans(*, worker: str | None = None) -> int:
    """Queue again every stage orphaned by ``worker`` (or, with none named, by any silent worker)."""
    orphans = state.orphaned_stages(worker=worker)
    for document_id, name in orphans:
        log.warning("re-queueing stage %s of document %s: its worker stopped", name, document_id)
        dispatch(run_stage, document_id, name)
    return len(orphans)


@shared_task
def requeue_orphaned_stages() -> int:
    """Periodic sweep (Celery beat): re-queue stages whose worker stopped sending heartbeats."""
    return requeue_orphans()


@worker_ready.connect
def _requeue_what_this_worker_left(sender, **kwargs) -> None:
    """A worker that starts again re-queues what its previous incarnation was running when it died."""
    requeue_orphans(worker=sender.hostname)


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
