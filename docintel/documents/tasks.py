"""The pipeline's Celery tasks: run a stage of a document, then queue the next; and the sweeps that
queue again the stages nobody will finish.

Arguments are ids only. Every change of a stage's state goes through ``pipeline.state``, which lets a
stage run at most once at a time and complete exactly once, whatever the broker delivers twice.

Two ways a stage gets stuck, two sweeps (Celery beat runs both; on the embedded default a thread of the
web server does):
- **running, but its worker died** (a killed process, a host that lost its network). Redis would hand
  the message out again only after its visibility timeout (an hour by default, so that long model calls
  are not handed out twice), so each running stage records its worker and a heartbeat: a stage whose
  heartbeat is older than STAGE_STALE_AFTER_S (or, when a worker starts again, one its previous
  incarnation left running) is queued again. RabbitMQ redelivers at once (``state.begin`` checks that
  the run it replaces stopped beating).
- **queued, but its message is gone** (a broker that restarted empty, a publish that failed). A next
  stage due for longer than STAGE_LOST_AFTER_S whose message the broker no longer holds is queued again.
  Redis is asked which task ids it still holds; RabbitMQ cannot list its messages (and keeps them in
  replicated quorum queues), so there a stage counts as lost only once its queue is empty; the
  in-process runner loses its queue with its process.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import defaultdict

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from audit.sequencer import start_in_background as start_audit_sequencer
from docintel import broker
from docintel.errors import DocintelError, ServiceUnavailable
from docintel.task_runner import dispatch, wait_idle

from .models import StageStatus
from .pipeline import state
from .pipeline.base import get_stage

log = logging.getLogger(__name__)


def send(document_id: str, name: str, task_id: str) -> None:
    """Send the message of a stage that ``state`` marked queued under ``task_id``."""
    dispatch(run_stage, document_id, name, task_id=task_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_stage(self, document_id: str, name: str) -> None:
    task_id = self.request.id or ""
    document, run_id = state.with_database(
        lambda: state.begin(document_id, name, self.request.hostname or "in-process", task_id))
    if not run_id:
        return
    stage = get_stage(name)
    started = time.monotonic()

    def finish(**outcome) -> None:
        _, following = state.with_database(
            lambda: state.finish(document_id, name, run_id, started, task_id=task_id, **outcome))
        if following:
            send(document_id, *following)

    try:
        if not stage.applies_to(document):
            finish(status=StageStatus.SKIPPED)
            return
        with state.heartbeat(document_id, name, run_id):
            stage.run(document)
    except (OperationalError, InterfaceError) as error:  # the database went away under the stage
        _failed(self, finish, ServiceUnavailable(
            "database_unavailable", f"the database connection was lost ({type(error).__name__})"))
        return
    except DocintelError as error:
        _failed(self, finish, error)
        return
    except Exception as error:  # an unexpected bug: log where, never what (messages may quote PHI)
        log.error("stage %s of document %s crashed with %s:\n%s", name, document_id,
                  type(error).__name__, "".join(traceback.format_tb(error.__traceback__)))
        finish(status=StageStatus.FAILED, code="internal_error",
               reason=f"unexpected {type(error).__name__} in stage {name}; the worker log has details")
        return
    finish(status=StageStatus.DONE)


def _failed(task, finish, error: DocintelError) -> None:
    """A service error is retried with backoff (the same message comes back); anything else fails."""
    if error.retryable and task.request.retries < settings.STAGE_MAX_RETRIES:
        countdown = settings.STAGE_RETRY_BACKOFF_S * (2 ** task.request.retries)
        finish(status=StageStatus.QUEUED, countdown=countdown, code=error.code,
               reason=f"{error.message} (retry {task.request.retries + 1} of {settings.STAGE_MAX_RETRIES} "
                      f"in {countdown}s)")
        raise task.retry(countdown=countdown, exc=None)
    finish(status=StageStatus.FAILED, code=error.code, reason=error.message)


def requeue_orphans(*, worker: str | None = None) -> int:
    """Queue again every stage orphaned by ``worker`` (or, with none named, by any silent worker)."""
    count = 0
    for document_id, name in state.orphaned_stages(worker=worker):
        task_id = state.requeue(document_id, name, still=state.still_orphaned(worker),
                                why="its worker stopped")
        if task_id:
            send(document_id, name, task_id)
            count += 1
    return count


def _lost(overdue: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Those of ``overdue`` whose message the broker (or the in-process runner) no longer holds."""
    kind = broker.broker_kind()
    if kind == "in-process":
        # The runner's queue lives in this process: when it is idle, nothing queued here is waiting.
        return overdue if wait_idle(timeout=0) else []
    by_queue: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for entry in overdue:
        by_queue[broker.stage_queue(entry[1])].append(entry)
    held = broker.task_ids_in_broker(by_queue)
    if held is not None:  # Redis: exactly the messages it still has
        return [entry for entry in overdue if entry[2] not in held]
    depths = broker.queue_depths(by_queue)  # RabbitMQ: an empty queue holds none of them
    return [entry for queue, entries in by_queue.items() if depths.get(queue, 0) == 0 for entry in entries]


def requeue_lost_messages() -> int:
    """Queue again the queued stages whose message the broker lost."""
    overdue = state.overdue_queued_stages()
    count = 0
    for document_id, name, task_id in _lost(overdue) if overdue else []:
        new_id = state.requeue(document_id, name, still=state.still_queued_as(task_id),
                               why="the broker no longer holds its message")
        if new_id:
            send(document_id, name, new_id)
            count += 1
    return count


@shared_task
def requeue_orphaned_stages() -> int:
    """Periodic sweep (Celery beat): stages whose worker stopped, and stages whose message was lost."""
    return requeue_orphans() + requeue_lost_messages()


@worker_ready.connect
def _start_audit_sequencer(sender, **kwargs) -> None:
    """Workers place committed audit events in the Merkle tree too (one process at a time does)."""
    start_audit_sequencer()


@worker_ready.connect
def _requeue_what_this_worker_left(sender, **kwargs) -> None:
    """A worker that starts again re-queues what its previous incarnation was running when it died."""
    requeue_orphans(worker=sender.hostname)


_sweeper_started = threading.Lock()


def start_in_process_sweeper(**signal_kwargs) -> None:
    """On the embedded default the web server is the worker: run the sweeps from a thread of it
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
                requeue_lost_messages()
            except Exception as error:  # the database may be migrating or busy: try again later
                log.warning("orphan sweep failed: %s", type(error).__name__)
            # Checking a connection can itself fail (the database gone): the thread must outlive that,
            # or no sweep would run again until the server restarts. The next round opens a new one.
            for cleanup in (close_old_connections, connection.close):
                try:
                    cleanup()
                except Exception as error:
                    log.warning("orphan sweep could not close its connection: %s", type(error).__name__)
            time.sleep(settings.ORPHAN_SWEEP_S)

    threading.Thread(target=loop, name="docintel-orphan-sweep", daemon=True).start()
