"""The state machine of a document's stages: the one module that changes ``Document.stages`` and the
overall ``Document.status`` derived from it.

A stage goes ``queued -> running -> done | skipped | failed``, back to ``queued`` for a retry with
backoff, and ``running -> queued`` when its worker died (a sweep found it orphaned). Each run gets a
``run_id``; only the run that is current may record an outcome, so a late finish of an abandoned run
changes nothing. The task (``tasks.run_stage``), the sweeps and ``actions.retry_document`` all go
through these functions, each in its own transaction with the document row locked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.actions import record_event

from ..models import Document, StageStatus
from .base import stage_names

log = logging.getLogger(__name__)

FINISHED = frozenset({StageStatus.DONE, StageStatus.SKIPPED})
# The audit event that records each outcome a run can have.
OUTCOME_EVENTS: dict[str, str] = {
    StageStatus.DONE: "stage.completed",
    StageStatus.SKIPPED: "stage.skipped",
    StageStatus.FAILED: "stage.failed",
    StageStatus.QUEUED: "stage.retry_scheduled",
}


def initial_stages() -> dict[str, dict]:
    """Every configured stage, queued: the ``stages`` of a new document."""
    return {name: {"status": StageStatus.QUEUED} for name in stage_names()}


def overall_status(stages: dict) -> str:
    statuses = [stages.get(name, {}).get("status", StageStatus.QUEUED) for name in stage_names()]
    if any(s == StageStatus.FAILED for s in statuses):
        return StageStatus.FAILED
    if all(s in FINISHED for s in statuses):
        return StageStatus.DONE
    if any(s == StageStatus.RUNNING for s in statuses) or any(s in FINISHED for s in statuses):
        return StageStatus.RUNNING
    return StageStatus.QUEUED


def _set_stage(document: Document, name: str, stage: dict) -> None:
    document.stages = {**document.stages, name: stage}
    document.status = overall_status(document.stages)


def begin(document_id: str, name: str, worker: str) -> tuple[Document | None, str]:
    """Mark the stage running. Returns (document, run_id); (None, "") when the document is gone or
    erased; (document, "") when the stage already finished (an earlier delivery did it)."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.is_erased:
            return None, ""
        stage = document.stage(name)
        if stage.get("status") in FINISHED:
            return document, ""
        run_id = f"{time.time_ns():x}"
        now = timezone.now().isoformat()
        _set_stage(document, name, {
            **stage, "status": StageStatus.RUNNING, "started": now, "finished": None, "code": "",
            "reason": "", "attempts": stage.get("attempts", 0) + 1, "run_id": run_id, "worker": worker,
            "heartbeat": now,
        })
        document.save(update_fields=["stages", "status", "updated"])
        return document, run_id


def finish(document_id: str, name: str, run_id: str, started: float, *, status: str, code: str = "",
           reason: str = "") -> bool:
    """Record the outcome of run ``run_id`` with its audit event. Only the current run counts: returns
    False (and changes nothing) when another run took over or the stage already finished."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        stage = document.stage(name)
        if stage.get("status") in FINISHED or stage.get("run_id") != run_id:
            return False
        seconds = round(time.monotonic() - started, 3)
        _set_stage(document, name, {**stage, "status": status, "code": code, "reason": reason,
                                    "finished": timezone.now().isoformat(), "seconds": seconds})
        document.save(update_fields=["stages", "status", "updated"])
        record_event(OUTCOME_EVENTS[status], document=document, actor=None, purpose="processing",
                     details={"stage": name, "code": code, "seconds": seconds})
        return True


def reset_for_retry(document: Document) -> str | None:
    """Queue every unfinished stage of a failed, locked ``document`` again (attempts kept) and return the
    first of them; None when the document has not failed or was erased. The caller saves and audits."""
    if document.status != StageStatus.FAILED or document.is_erased:
        return None
    first = None
    for name in stage_names():
        stage = document.stage(name)
        if stage.get("status") in FINISHED:
            continue
        first = first or name
        _set_stage(document, name, {"status": StageStatus.QUEUED, "attempts": stage.get("attempts", 0)})
    return first


# --- Heartbeats and orphans --------------------------------------------------------------------------
def _beat(document_id: str, name: str, run_id: str) -> None:
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).only("stages").first()
        stage = document.stages.get(name, {}) if document else {}
        if document is None or stage.get("run_id") != run_id:
            return
        document.stages = {**document.stages, name: {**stage, "heartbeat": timezone.now().isoformat()}}
        document.save(update_fields=["stages"])


@contextmanager
def heartbeat(document_id: str, name: str, run_id: str) -> Iterator[None]:
    """While the block runs, refresh the stage's heartbeat every STAGE_HEARTBEAT_S seconds, so the
    sweeps can tell a long stage from one whose worker died."""
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
