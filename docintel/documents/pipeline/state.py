"""The state machine of a document's stages: the one module that changes ``Document.stages`` and the
overall ``Document.status`` derived from it.

A stage goes ``queued -> running -> done | skipped | failed``, back to ``queued`` for a retry with
backoff, ``running -> queued`` when its worker died (a sweep found it orphaned), and ``queued ->
queued`` with a new message when the broker lost the first one. The task (``tasks.run_stage``), the
sweeps and ``actions.retry_document`` all go through these functions, each in its own transaction with
the document row locked.

Two ids make every stage run at most once at a time and complete exactly once:
- ``task_id``: the id of the message that queues the stage, recorded when it is queued. A delivery of
  that very message while the stage is running means the broker believes the worker holding it died
  (RabbitMQ: its connection closed); any other delivery of a stage that is running or finished is a
  duplicate (a sweep queued it again while the first message was still somewhere) and does nothing.
- ``run_id``: each run's own id; only the current run may record an outcome, so a late finish of a run
  that was taken over (its host came back) changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.actions import record_event

from ..models import SETTLED_STATUSES, Document, StageStatus
from .base import next_stage_name, stage_names

log = logging.getLogger(__name__)
T = TypeVar("T")

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


def with_database(work: Callable[[], T], *, patience: float | None = None) -> T:
    """Run ``work()`` (whole transactions), waiting up to DB_RECONNECT_S for a lost database to return.

    A database restart or failover breaks every open connection; a stage's start, heartbeat and
    outcome must not be lost with it. ``work`` must be safe to repeat: each of its transactions re-reads
    under its row lock what it changes (these functions all do).
    """
    deadline = time.monotonic() + (settings.DB_RECONNECT_S if patience is None else patience)
    delay = 0.5
    while True:
        try:
            return work()
        except (OperationalError, InterfaceError) as error:
            if connection.in_atomic_block or time.monotonic() > deadline:
                raise
            log.warning("database unavailable (%s); retrying in %.1fs", type(error).__name__, delay)
            connection.close()  # the next query opens a new connection
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def queue(document: Document, name: str, *, countdown: float = 0, task_id: str = "") -> str:
    """Mark the stage of a locked ``document`` queued under a message id, due after ``countdown``
    seconds, and return the id. The caller saves the document and sends the message with that id."""
    task_id = task_id or str(uuid.uuid4())
    due = timezone.now() + timedelta(seconds=countdown)
    stage = document.stage(name)
    _set_stage(document, name, {
        **stage, "status": StageStatus.QUEUED, "task_id": task_id, "queued_at": due.isoformat(),
        "attempts": stage.get("attempts", 0), "run_id": "", "worker": "", "heartbeat": None,
    })
    return task_id


def _stale(stage: dict) -> bool:
    beat = parse_datetime(stage.get("heartbeat") or stage.get("started") or "")
    return beat is None or beat < timezone.now() - timedelta(seconds=settings.STAGE_STALE_AFTER_S)


def _runnable(stage: dict, task_id: str) -> str:
    """Whether a delivery of message ``task_id`` may run this stage: "yes", "no", or "if_silent" (its
    own message came back while the stage runs: only if the run holding it stopped beating)."""
    status = stage.get("status", StageStatus.QUEUED)
    if status == StageStatus.QUEUED:
        return "yes"
    if status != StageStatus.RUNNING:  # finished, or failed (only a retry by a person queues it again)
        return "no"
    if _stale(stage):
        return "yes"
    return "if_silent" if task_id and stage.get("task_id") == task_id else "no"


def _run_stops_beating(document_id: str, name: str, run_id: str) -> bool:
    """Watch a running stage for two heartbeat intervals: True when its run sent no heartbeat."""
    def current_beat() -> str:
        stage = Document.objects.only("stages").get(pk=document_id).stage(name)
        return stage.get("heartbeat") or "" if stage.get("run_id") == run_id else "taken over"

    first = with_database(current_beat)
    deadline = time.monotonic() + 2 * settings.STAGE_HEARTBEAT_S + 1
    while time.monotonic() < deadline:
        time.sleep(min(1.0, settings.STAGE_HEARTBEAT_S / 2))
        if with_database(current_beat) != first:
            return False
    return True


def begin(document_id: str, name: str, worker: str, task_id: str = "") -> tuple[Document | None, str]:
    """Mark the stage running for a delivery of message ``task_id``. Returns (document, run_id);
    (None, "") when the document is gone or erased; (document, "") when this delivery must not run the
    stage: it finished or failed, or a live run holds it (a duplicate message)."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.is_erased:
            return None, ""
        stage = document.stage(name)
        verdict = _runnable(stage, task_id)
        holder = stage.get("run_id", "")
    if verdict == "no":
        if stage.get("status") == StageStatus.RUNNING:
            log.info("stage %s of document %s is running elsewhere: duplicate message dropped", name,
                     document_id)
        return document, ""
    if verdict == "if_silent":
        # The broker handed this stage's own message out again: the worker that held it is gone, or
        # only its broker connection is. Its heartbeat tells which.
        if not _run_stops_beating(document_id, name, holder):
            log.info("stage %s of document %s: message redelivered, but its run is alive", name,
                     document_id)
            return document, ""
        log.warning("stage %s of document %s: message redelivered and its run stopped; taking over",
                    name, document_id)
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        stage = document.stage(name)
        if verdict == "if_silent" and stage.get("run_id") != holder:
            return document, ""  # another delivery took over while this one watched
        if verdict == "yes" and _runnable(stage, task_id) != "yes":
            return document, ""
        run_id = f"{time.time_ns():x}"
        now = timezone.now().isoformat()
        _set_stage(document, name, {
            **stage, "status": StageStatus.RUNNING, "started": now, "finished": None, "code": "",
            "reason": "", "attempts": stage.get("attempts", 0) + 1, "run_id": run_id, "worker": worker,
            "heartbeat": now, "task_id": task_id,
        })
        document.save(update_fields=["stages", "status", "updated"])
        return document, run_id


def finish(document_id: str, name: str, run_id: str, started: float, *, status: str, code: str = "",
           reason: str = "", countdown: float = 0, task_id: str = "") -> tuple[bool, tuple[str, str] | None]:
    """Record the outcome of run ``run_id`` with its audit event, and queue what comes next in the same
    transaction: the following stage when this one finished, or this stage again after ``countdown``
    (a retry, under the same message id ``task_id``). Returns (whether this run counted, the (stage,
    message id) the caller must send now). Only the current run counts: another run took over, or the
    stage already finished, and nothing changes."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        stage = document.stage(name)
        if stage.get("status") in FINISHED or stage.get("run_id") != run_id:
            return False, None
        seconds = round(time.monotonic() - started, 3)
        send = None
        if status == StageStatus.QUEUED:  # the retry's message is sent by Celery itself
            queue(document, name, countdown=countdown, task_id=task_id)
            stage = document.stage(name)
        _set_stage(document, name, {**stage, "status": status, "code": code, "reason": reason,
                                    "finished": timezone.now().isoformat(), "seconds": seconds})
        following = next_stage_name(name) if status in FINISHED else None
        if following:
            send = (following, queue(document, following))
        document.save(update_fields=["stages", "status", "updated"])
        record_event(OUTCOME_EVENTS[status], document=document, actor=None, purpose="processing",
                     details={"stage": name, "code": code, "seconds": seconds})
        return True, send


def reset_for_retry(document: Document) -> tuple[str, str] | None:
    """Queue every unfinished stage of a failed, locked ``document`` again (attempts kept); return the
    first of them and its message id; None when the document has not failed or was erased. The caller
    saves, audits and sends the message."""
    if document.status != StageStatus.FAILED or document.is_erased:
        return None
    first = None
    for name in stage_names():
        stage = document.stage(name)
        if stage.get("status") in FINISHED:
            continue
        _set_stage(document, name, {"status": StageStatus.QUEUED, "attempts": stage.get("attempts", 0)})
        if first is None:
            first = (name, queue(document, name))
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
    sweeps can tell a long stage from one whose worker died. A beat that fails (the database is
    restarting) is tried again at the next tick."""
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.wait(settings.STAGE_HEARTBEAT_S):
                try:
                    _beat(document_id, name, run_id)
                except Exception as error:  # a missed beat never breaks the stage: try at the next tick
                    log.warning("heartbeat of %s/%s failed: %s", document_id, name, type(error).__name__)
                    connection.close()  # a database that restarted left this connection broken
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


def requeue(document_id: str, name: str, *, still: Callable[[dict], bool], why: str) -> str | None:
    """Queue the stage again under a new message id if ``still(stage)`` holds under the row lock (a
    sweep's view may be old); return the message id the caller must send, or None."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.is_erased or not still(document.stage(name)):
            return None
        log.warning("re-queueing stage %s of document %s: %s", name, document_id, why)
        task_id = queue(document, name)
        document.save(update_fields=["stages", "status", "updated"])
        return task_id


def still_orphaned(worker: str | None) -> Callable[[dict], bool]:
    def still(stage: dict) -> bool:
        if stage.get("status") != StageStatus.RUNNING:
            return False
        return stage.get("worker") == worker if worker is not None else _stale(stage)

    return still


def overdue_queued_stages() -> list[tuple[str, str, str]]:
    """(document id, stage, message id) of the next stage of unsettled documents that has been due for
    longer than STAGE_LOST_AFTER_S without a worker starting it: its message may be lost."""
    before = timezone.now() - timedelta(seconds=settings.STAGE_LOST_AFTER_S)
    names = stage_names()
    found = []
    unsettled = Document.objects.exclude(status__in=SETTLED_STATUSES).filter(erased_at=None)
    for document_id, stages, updated in unsettled.values_list("pk", "stages", "updated").iterator():
        # Only the first unfinished stage has a message; later ones wait for it.
        name = next((n for n in names if stages.get(n, {}).get("status") not in FINISHED), None)
        stage = stages.get(name, {}) if name else {}
        if name is None or stage.get("status") != StageStatus.QUEUED:
            continue
        due = parse_datetime(stage.get("queued_at") or "") or updated
        if due < before:
            found.append((str(document_id), name, stage.get("task_id", "")))
    return found


def still_queued_as(task_id: str) -> Callable[[dict], bool]:
    return lambda stage: stage.get("status") == StageStatus.QUEUED and stage.get("task_id", "") == task_id
