"""The one Celery task of the pipeline: run a stage of a document, then queue the next stage.

Arguments are ids only. The task is safe to run twice: a stage already done is skipped, and only the
run that marks a stage done queues the next one, so a redelivered message never forks the pipeline.
"""

from __future__ import annotations

import logging
import time
import traceback

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.actions import record_event
from docintel.errors import DocintelError
from docintel.task_runner import dispatch

from .models import Document, StageStatus
from .pipeline.base import get_stage, next_stage_name, stage_names
from .recovery import heartbeat, requeue_orphans

log = logging.getLogger(__name__)

FINISHED = {StageStatus.DONE, StageStatus.SKIPPED}
STAGE_EVENTS = {
    StageStatus.DONE: "stage.completed",
    StageStatus.SKIPPED: "stage.skipped",
    StageStatus.FAILED: "stage.failed",
    StageStatus.QUEUED: "stage.retry_scheduled",
}


def overall_status(stages: dict) -> str:
    statuses = [stages.get(name, {}).get("status", StageStatus.QUEUED) for name in stage_names()]
    if any(s == StageStatus.FAILED for s in statuses):
        return StageStatus.FAILED
    if all(s in FINISHED for s in statuses):
        return StageStatus.DONE
    if any(s == StageStatus.RUNNING for s in statuses) or any(s in FINISHED for s in statuses):
        return StageStatus.RUNNING
    return StageStatus.QUEUED


def _update_stage(document: Document, name: str, **changes) -> dict:
    stage = dict(document.stages.get(name, {}))
    stage.update(changes)
    document.stages = {**document.stages, name: stage}
    document.status = overall_status(document.stages)
    return stage


def _begin(document_id: str, name: str, worker: str) -> tuple[Document | None, str]:
    """Mark the stage running. Returns (document, run_id) or (None, "") when there is nothing to do."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.is_erased:
            return None, ""
        if document.stage(name).get("status") in FINISHED:
            return document, ""
        run_id = f"{time.time_ns():x}"
        _update_stage(
            document, name, status=StageStatus.RUNNING, started=timezone.now().isoformat(),
            finished=None, code="", reason="", attempts=document.stage(name).get("attempts", 0) + 1,
            run_id=run_id, worker=worker, heartbeat=timezone.now().isoformat(),
        )
        document.save(update_fields=["stages", "status", "updated"])
        return document, run_id


def _finish(document_id: str, name: str, run_id: str, started: float, **outcome) -> bool:
    """Record the end of a run. Only the first run to finish counts; returns whether this one did."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        stage = document.stage(name)
        if stage.get("status") in FINISHED or stage.get("run_id") != run_id:
            return False
        _update_stage(
            document, name, finished=timezone.now().isoformat(),
            seconds=round(time.monotonic() - started, 3), **outcome,
        )
        document.save(update_fields=["stages", "status", "updated"])
        status = outcome["status"]
        record_event(
            STAGE_EVENTS[status], document=document, actor=None, purpose="processing",
            details={"stage": name, "code": outcome.get("code", ""), "seconds": stage.get("seconds")},
        )
        if status in FINISHED:
            following = next_stage_name(name)
            if following:
                dispatch(run_stage, str(document.pk), following)
        return True


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_stage(self, document_id: str, name: str) -> None:
    document, run_id = _begin(document_id, name, self.request.hostname or "in-process")
    if document is None:
        return
    if not run_id:  # already done by an earlier delivery: make sure the pipeline moved on
        following = next_stage_name(name)
        if following and document.stage(following).get("status") not in FINISHED | {StageStatus.RUNNING}:
            dispatch(run_stage, document_id, following)
        return
    stage = get_stage(name)
    started = time.monotonic()
    try:
        if not stage.applies_to(document):
            _finish(document_id, name, run_id, started, status=StageStatus.SKIPPED)
            return
        with heartbeat(document_id, name, run_id):
            stage.run(document)
    except DocintelError as error:
        if error.retryable and self.request.retries < settings.STAGE_MAX_RETRIES:
            _retry_later(self, document_id, name, run_id, started, error)
        _finish(document_id, name, run_id, started, status=StageStatus.FAILED,
                code=error.code, reason=error.message)
        return
    except Exception as error:  # an unexpected bug: log where, never what (messages may quote PHI)
        log.error("stage %s of document %s crashed with %s:\n%s", name, document_id,
                  type(error).__name__, "".join(traceback.format_tb(error.__traceback__)))
        _finish(document_id, name, run_id, started, status=StageStatus.FAILED, code="internal_error",
                reason=f"unexpected {type(error).__name__} in stage {name}; the worker log has details")
        return
    _finish(document_id, name, run_id, started, status=StageStatus.DONE)


def _retry_later(task, document_id, name, run_id, started, error: DocintelError) -> None:
    countdown = settings.STAGE_RETRY_BACKOFF_S * (2 ** task.request.retries)
    _finish(document_id, name, run_id, started, status=StageStatus.QUEUED, code=error.code,
            reason=f"{error.message} (retry {task.request.retries + 1} of {settings.STAGE_MAX_RETRIES} "
                   f"in {countdown}s)")
    raise task.retry(countdown=countdown, exc=None)


@shared_task
def requeue_orphaned_stages() -> int:
    """Periodic sweep (Celery beat): re-queue stages whose worker stopped sending heartbeats."""
    return requeue_orphans()


@worker_ready.connect
def _requeue_what_this_worker_left(sender, **kwargs) -> None:
    """A worker that starts again re-queues what its previous incarnation was running when it died."""
    requeue_orphans(worker=sender.hostname)
